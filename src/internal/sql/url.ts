/**
 * `DATABASE_URL` parsing, in the forms Django projects already use (dj-database-url) plus the
 * shorter `sqlite:PATH`.
 *
 * | URL                                   | database                          |
 * |---------------------------------------|-----------------------------------|
 * | `sqlite:./app.sqlite3`, `sqlite:/srv/app.sqlite3` | that path, as written   |
 * | `sqlite:///relative.sqlite3`          | `relative.sqlite3` (dj-database-url) |
 * | `sqlite:////abs/path.sqlite3`         | `/abs/path.sqlite3`               |
 * | `sqlite::memory:`, `sqlite://`, `sqlite://:memory:` | in memory           |
 * | `postgres://…`, `postgresql://…`      | PostgreSQL pool (`pg`)            |
 * | `mysql://…`, `mariadb://…`            | MySQL/MariaDB pool (`mysql2`)     |
 *
 * Error messages never repeat the URL, which usually holds a password.
 *
 * @example
 * ```ts
 * const database = await openDatabaseUrl(process.env.DATABASE_URL ?? "sqlite:./db.sqlite3");
 * ```
 */
import { ConfigurationError } from "../../errors.ts";
import type { SqlDatabase } from "./database.ts";
import { mysqlDatabase, mysqlOptionsFromUrl } from "./mysql.ts";
import { postgresDatabase } from "./postgres.ts";
import { sqliteDatabase } from "./sqlite.ts";

/** What a `DATABASE_URL` designates, before any connection is made. */
export type DatabaseUrlTarget =
  | { readonly dialect: "sqlite"; readonly path: string }
  | { readonly dialect: "postgres"; readonly connectionString: string }
  | { readonly dialect: "mysql"; readonly options: Readonly<Record<string, unknown>> };

const SUPPORTED = "sqlite:, postgres://, postgresql://, mysql:// or mariadb://";

/**
 * Parses a `DATABASE_URL` without connecting.
 * @throws {ConfigurationError} with a one-line message that never includes the URL.
 *
 * @example
 * ```ts
 * parseDatabaseUrl("sqlite:////srv/app/db.sqlite3"); // { dialect: "sqlite", path: "/srv/app/db.sqlite3" }
 * ```
 */
export function parseDatabaseUrl(url: string): DatabaseUrlTarget {
  const trimmed = url.trim();
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(trimmed)?.[1]?.toLowerCase();
  switch (scheme) {
    case "sqlite":
      return { dialect: "sqlite", path: sqlitePath(trimmed.slice("sqlite:".length)) };
    case "postgres":
    case "postgresql":
      checkUrl(trimmed, "PostgreSQL");
      return { dialect: "postgres", connectionString: trimmed };
    case "mysql":
    case "mariadb":
      return { dialect: "mysql", options: mysqlOptionsFromUrl(trimmed) };
    case undefined:
      throw new ConfigurationError(`DATABASE_URL must start with ${SUPPORTED}`);
    default:
      // Only the scheme is echoed: it is known not to hold credentials.
      throw new ConfigurationError(
        `Unsupported DATABASE_URL scheme "${scheme.slice(0, 20)}"; use ${SUPPORTED}`,
      );
  }
}

/**
 * Opens the database a `DATABASE_URL` designates. Connections are made on first use, so an
 * unreachable server shows up as a `SessionStoreError` from the first query (for example from
 * `ensureSessionTable()`).
 * @throws {ConfigurationError} for an unparseable URL or a missing driver package.
 *
 * @example
 * ```ts
 * const store = createSqlStore({ database: await openDatabaseUrl(url), codec });
 * await store.ensureSessionTable();
 * ```
 */
export async function openDatabaseUrl(url: string): Promise<SqlDatabase> {
  const target = parseDatabaseUrl(url);
  switch (target.dialect) {
    case "sqlite":
      return sqliteDatabase(target.path);
    case "postgres":
      return postgresDatabase(target.connectionString);
    case "mysql":
      return mysqlDatabase(target.options);
  }
}

function sqlitePath(rest: string): string {
  if (rest === ":memory:") return ":memory:";
  if (rest.startsWith("//")) {
    // dj-database-url: sqlite://<host>/<path>, where the host must be empty.
    const afterSlashes = rest.slice(2);
    if (afterSlashes === "" || afterSlashes === ":memory:") return ":memory:";
    if (!afterSlashes.startsWith("/")) {
      throw new ConfigurationError("A sqlite DATABASE_URL cannot name a host (use sqlite:///path)");
    }
    try {
      return nonEmpty(decodeURIComponent(afterSlashes.slice(1)));
    } catch (err) {
      if (err instanceof ConfigurationError) throw err;
      throw new ConfigurationError("sqlite DATABASE_URL has invalid percent-encoding");
    }
  }
  return nonEmpty(rest);
}

function nonEmpty(path: string): string {
  if (path === "") throw new ConfigurationError("sqlite DATABASE_URL has no path");
  return path;
}

function checkUrl(url: string, name: string): void {
  if (!URL.canParse(url)) throw new ConfigurationError(`Invalid ${name} DATABASE_URL`);
}
