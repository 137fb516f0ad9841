// A real Django 5.2 and a Node app writing the same session at the same time (issue 16) on
// Django's cache engine (django-redis on Redis), cached_db (PostgreSQL behind django-redis) and
// the file engine. The races are in concurrent-scenario.ts; on the file engine only the held
// ones (see there).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DjangoSessionCodec } from "../../../src/codecs/django/session-encoding.ts";
import { CachedDbStore } from "../../../src/stores/cached-db/index.ts";
import { FileSessionStore } from "../../../src/stores/file/index.ts";
import { DjangoCacheStore, type DjangoCacheEngine } from "../../../src/stores/redis/index.ts";
import { createSqlStore, openDatabaseUrl } from "../../../src/stores/sql/index.ts";
import { createTempDatabases } from "../../support/databases.ts";
import { nodeRedisClient, uniquePrefix } from "../../stores/redis/helpers.ts";
import { itKeepsDjangosWrites, type SharedEngine } from "./concurrent-scenario.ts";

const SECRET = "interop-secret-key-for-concurrent-writes";
const REDIS_DB = 0;
const codec = new DjangoSessionCodec({ secret: SECRET });

/** Django's cache settings and our cache store on one key prefix of Redis. */
async function redisCache(engine: DjangoCacheEngine) {
  const prefix = uniquePrefix("cas-dj");
  const client = await nodeRedisClient(REDIS_DB);
  const store = new DjangoCacheStore({ client, keyPrefix: prefix, engine });
  return {
    env: {
      DJANGO_CACHE: `django-redis:redis://127.0.0.1:6379/${REDIS_DB}`,
      CACHE_KEY_PREFIX: prefix,
    },
    store,
    async close() {
      for await (const key of store.client.scan(store.scanPattern, 1000)) {
        await store.client.del(key);
      }
      await client.close();
    },
  };
}

itKeepsDjangosWrites("cache engine, django-redis", async (): Promise<SharedEngine> => {
  const dir = mkdtempSync(join(tmpdir(), "sb-cas-dj-cache-"));
  const cache = await redisCache("cache");
  return {
    env: {
      ...cache.env,
      SECRET_KEY: SECRET,
      SESSION_ENGINE: "django.contrib.sessions.backends.cache",
      DJANGO_DB: `sqlite:${join(dir, "db.sqlite3")}`,
    },
    store: cache.store,
    async close() {
      await cache.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

itKeepsDjangosWrites("cached_db, PostgreSQL + django-redis", async (): Promise<SharedEngine> => {
  const dbs = await createTempDatabases("cas_dj_cdb");
  const db = createSqlStore({ database: await openDatabaseUrl(dbs.postgresUrl), codec });
  const cache = await redisCache("cached_db");
  return {
    env: {
      ...cache.env,
      SECRET_KEY: SECRET,
      SESSION_ENGINE: "django.contrib.sessions.backends.cached_db",
      DJANGO_DB: dbs.postgresUrl,
    },
    store: new CachedDbStore({ db, cache: cache.store, djangoVersion: "5.2" }),
    async close() {
      await cache.close();
      await db.close();
      await dbs.drop();
    },
  };
});

itKeepsDjangosWrites(
  "file engine",
  (): Promise<SharedEngine> => {
    const root = mkdtempSync(join(tmpdir(), "sb-cas-dj-file-"));
    const directory = mkdtempSync(join(root, "sessions-"));
    return Promise.resolve({
      env: {
        SECRET_KEY: SECRET,
        SESSION_ENGINE: "django.contrib.sessions.backends.file",
        SESSION_FILE_PATH: directory,
        DJANGO_DB: `sqlite:${join(root, "db.sqlite3")}`,
      },
      store: new FileSessionStore({ directory, codec }),
      close() {
        rmSync(root, { recursive: true, force: true });
        return Promise.resolve();
      },
    });
  },
  { freeRunning: false },
);
