// Concurrent requests on one session (issue 16) on the file engine (a temporary directory),
// cached_db (PostgreSQL behind a Redis cache in Django's cached_db layout) and the in-process
// memory store. The scenarios are in concurrent-writes.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CachedDbStore } from "../../src/stores/cached-db/index.ts";
import { FileSessionStore } from "../../src/stores/file/index.ts";
import { MemoryStore } from "../../src/stores/memory/index.ts";
import { DjangoCacheStore } from "../../src/stores/redis/index.ts";
import { createSqlStore, openDatabaseUrl } from "../../src/stores/sql/index.ts";
import { quoteIdentifier } from "../../src/internal/sql/identifiers.ts";
import { codec, PG_URL, uniqueTable } from "../stores/sql/helpers.ts";
import { openClient, uniquePrefix } from "../stores/redis/helpers.ts";
import { itKeepsConcurrentWrites } from "./concurrent-writes.ts";

itKeepsConcurrentWrites("file engine", () => {
  const directory = mkdtempSync(join(tmpdir(), "sessionbridge-cas-files-"));
  return Promise.resolve({
    store: new FileSessionStore({ directory, codec }),
    close: () => {
      rmSync(directory, { recursive: true, force: true });
      return Promise.resolve();
    },
  });
});

itKeepsConcurrentWrites("cached_db (PostgreSQL + Redis)", async () => {
  const table = uniqueTable("cas_cdb");
  const database = await openDatabaseUrl(PG_URL);
  const db = createSqlStore({ database, codec, table });
  await db.ensureSessionTable();
  const client = await openClient("ioredis");
  const cache = new DjangoCacheStore({
    client: client.client,
    keyPrefix: uniquePrefix("cas-cdb"),
    engine: "cached_db",
  });
  return {
    store: new CachedDbStore({ db, cache }),
    async close() {
      for await (const key of cache.client.scan(cache.scanPattern, 1000)) {
        await cache.client.del(key);
      }
      await client.close();
      await database.execute(`DROP TABLE ${quoteIdentifier("postgres", table)}`, []);
      await db.close();
    },
  };
});

itKeepsConcurrentWrites("memory store", () =>
  Promise.resolve({ store: new MemoryStore(), close: () => Promise.resolve() }),
);
