// Concurrent requests on one session (issue 16) on the database engine: SQLite, PostgreSQL and
// MariaDB (the scenarios are in concurrent-writes.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSqlStore, openDatabaseUrl } from "../../src/stores/sql/index.ts";
import { quoteIdentifier } from "../../src/internal/sql/identifiers.ts";
import { codec, MYSQL_URL, PG_URL, uniqueTable } from "../stores/sql/helpers.ts";
import { itKeepsConcurrentWrites, type OpenedStore } from "./concurrent-writes.ts";

async function sqlStore(
  url: string,
  dialect: "postgres" | "mysql" | "sqlite",
): Promise<OpenedStore> {
  const table = uniqueTable("cas");
  const database = await openDatabaseUrl(url);
  const store = createSqlStore({ database, codec, table });
  await store.ensureSessionTable();
  return {
    store,
    async close() {
      await database.execute(`DROP TABLE ${quoteIdentifier(dialect, table)}`, []);
      await store.close();
    },
  };
}

itKeepsConcurrentWrites("PostgreSQL (database engine)", () => sqlStore(PG_URL, "postgres"));
itKeepsConcurrentWrites("MariaDB (database engine)", () => sqlStore(MYSQL_URL, "mysql"));
itKeepsConcurrentWrites("SQLite (database engine)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "sessionbridge-cas-"));
  const opened = await sqlStore(`sqlite:${join(dir, "db.sqlite3")}`, "sqlite");
  return {
    store: opened.store,
    async close() {
      await opened.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
