/**
 * {@link SqlDatabase} over better-sqlite3 (an optional peer dependency, imported on first use).
 *
 * better-sqlite3 is synchronous and fast; statements are prepared once per SQL text and
 * reused. A database file this module creates is switched to WAL, so that readers do not block
 * the writer. A file that already holds a database keeps its journal mode: SQLite records WAL in
 * the file itself, so switching Django's own database would change it for every process that
 * opens it (Django's included), for good, and a read-only command must never do that.
 *
 * @example
 * ```ts
 * import { sqliteDatabase } from "sessionbridge/stores/sql";
 * const database = await sqliteDatabase("./db.sqlite3");
 * ```
 */
import { statSync } from "node:fs";
import { driverError, importDriver } from "./database.ts";
import type { SqlDatabase, SqlRow, SqlValue } from "./database.ts";

/**
 * The part of a better-sqlite3 `Statement` this module uses (parameters typed loosely so that
 * every overload of better-sqlite3's generic `prepare` fits).
 */
export interface SqliteStatement {
  run(...params: unknown[]): { changes: number };
  all(...params: unknown[]): unknown[];
}

/** The part of a better-sqlite3 `Database` this module uses. */
export interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
  close(): unknown;
}

/** The better-sqlite3 constructor, as imported. */
type SqliteConstructor = new (path: string) => SqliteConnection & {
  pragma(source: string): unknown;
};

/** Cached prepared statements per connection: the SQL texts are few and fixed. */
const MAX_CACHED = 64;

class SqliteDatabase implements SqlDatabase {
  readonly dialect = "sqlite";
  readonly #db: SqliteConnection;
  readonly #owned: boolean;
  readonly #statements = new Map<string, SqliteStatement>();

  constructor(db: SqliteConnection, owned: boolean) {
    this.#db = db;
    this.#owned = owned;
  }

  query(sql: string, params: readonly SqlValue[]): Promise<SqlRow[]> {
    try {
      return Promise.resolve(this.#prepare(sql).all(...params) as SqlRow[]);
    } catch (err) {
      return Promise.reject(fail(err));
    }
  }

  execute(sql: string, params: readonly SqlValue[]): Promise<number> {
    try {
      return Promise.resolve(this.#prepare(sql).run(...params).changes);
    } catch (err) {
      return Promise.reject(fail(err));
    }
  }

  close(): Promise<void> {
    this.#statements.clear();
    try {
      if (this.#owned) this.#db.close();
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(fail(err));
    }
  }

  #prepare(sql: string): SqliteStatement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      if (this.#statements.size >= MAX_CACHED) this.#statements.clear();
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}

/**
 * Whether `path` is a database this module is about to create: no file yet, or an empty one
 * (SQLite writes nothing, not even the header that records the journal mode, until the first
 * table). Anything else is someone's database, whose journal mode is theirs.
 *
 * @internal
 */
export function holdsNoDatabase(path: string): boolean {
  try {
    return statSync(path).size === 0;
  } catch (err) {
    if ((err as { code?: unknown }).code === "ENOENT") return true;
    // Unreadable here: better-sqlite3's own open reports it; never switch what we cannot see.
    return false;
  }
}

function fail(err: unknown): Error {
  const code = typeof err === "object" && err !== null && "code" in err ? err.code : undefined;
  return driverError(
    "sqlite",
    err,
    code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE",
  );
}

/**
 * Opens a SQLite database for the session store.
 *
 * @param pathOrDb a file path (`":memory:"` for a private in-memory database), or a
 *   better-sqlite3 `Database` you opened yourself (then `close()` leaves it open).
 * @throws {ConfigurationError} when better-sqlite3 is not installed.
 * @throws {SessionStoreError} when the file cannot be opened.
 *
 * @example
 * ```ts
 * const store = createSqlStore({ database: await sqliteDatabase("./db.sqlite3"), codec });
 * ```
 */
export async function sqliteDatabase(pathOrDb: string | SqliteConnection): Promise<SqlDatabase> {
  if (typeof pathOrDb !== "string") return new SqliteDatabase(pathOrDb, false);
  const module = await importDriver("sqlite", "better-sqlite3", () => import("better-sqlite3"));
  const Database = module.default as unknown as SqliteConstructor;
  const creating = pathOrDb !== ":memory:" && pathOrDb !== "" && holdsNoDatabase(pathOrDb);
  let db;
  try {
    db = new Database(pathOrDb);
  } catch (err) {
    throw fail(err);
  }
  try {
    if (creating) db.pragma("journal_mode = WAL");
  } catch (err) {
    db.close();
    throw fail(err);
  }
  return new SqliteDatabase(db, true);
}
