// Per-test-file databases on the real PostgreSQL and MariaDB, so concurrent test files (and
// Django's migrations) never share tables. Unreachable servers fail the test, never skip it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mysql from "mysql2/promise";
import pg from "pg";

export const PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres";
export const MYSQL_ADMIN = { host: "127.0.0.1", port: 3306, user: "root" } as const;

/** Fresh databases for one test file. */
export interface TempDatabases {
  readonly sqlitePath: string;
  readonly postgresUrl: string;
  readonly mysqlUrl: string;
  /** The database URL of `dialect`, as `DATABASE_URL` / `DJANGO_DB` take it (`sqlite:<path>`). */
  url(dialect: "sqlite" | "postgres" | "mysql"): string;
  /** Where a driver opens it: the SQLite file path, or the server URL. */
  location(dialect: "sqlite" | "postgres" | "mysql"): string;
  drop(): Promise<void>;
}

/** Creates `sb_<label>_<pid>` on PostgreSQL and MariaDB plus a temp SQLite path. */
export async function createTempDatabases(label: string): Promise<TempDatabases> {
  const name = `sb_${label}_${process.pid}_${Date.now() % 100000}`.replace(/[^a-z0-9_]/g, "_");
  const dir = mkdtempSync(join(tmpdir(), "sessionbridge-"));
  const pgClient = new pg.Client(PG_ADMIN_URL);
  await pgClient.connect();
  await pgClient.query(`CREATE DATABASE ${name}`);
  await pgClient.end();
  const my = await mysql.createConnection(MYSQL_ADMIN);
  await my.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
  await my.end();
  const sqlitePath = join(dir, "db.sqlite3");
  const postgresUrl = `postgres://postgres@127.0.0.1:5432/${name}`;
  const mysqlUrl = `mysql://root@127.0.0.1:3306/${name}`;
  const location = (dialect: "sqlite" | "postgres" | "mysql"): string =>
    dialect === "sqlite" ? sqlitePath : dialect === "postgres" ? postgresUrl : mysqlUrl;
  return {
    sqlitePath,
    postgresUrl,
    mysqlUrl,
    location,
    url: (dialect) => (dialect === "sqlite" ? `sqlite:${sqlitePath}` : location(dialect)),
    async drop() {
      const client = new pg.Client(PG_ADMIN_URL);
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
      const conn = await mysql.createConnection(MYSQL_ADMIN);
      await conn.query(`DROP DATABASE IF EXISTS ${name}`);
      await conn.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
