/**
 * The small dialect interface the SQL session store runs on, and the error rules every
 * implementation follows.
 *
 * The store only needs parameterised statements, a row count and a way to let go of the
 * connection, so that is all this interface asks for. Three implementations ship with the
 * library ({@link ./sqlite.ts}, {@link ./postgres.ts}, {@link ./mysql.ts}); anything else that
 * can run the store's SQL can implement it too.
 *
 * @example
 * ```ts
 * import type { SqlDatabase } from "sessionbridge/stores/sql";
 * const rows = await database.query("SELECT 1 AS one", []);
 * ```
 */
import { ConfigurationError, DuplicateKeyError, SessionStoreError } from "../../errors.ts";
import { errorCode, redact } from "../store-errors.ts";

export { errorCode, redact };

/** The SQL dialects the store writes Django's table for. */
export type SqlDialect = "sqlite" | "postgres" | "mysql";

/**
 * The dialect's placeholder maker: `p(1)` is `$1` on PostgreSQL and `?` on SQLite and MySQL
 * (whose placeholders are positional by order, so the number only matters to PostgreSQL).
 *
 * @example
 * ```ts
 * const p = placeholders(database.dialect);
 * await database.query(`SELECT 1 FROM t WHERE a = ${p(1)} AND b = ${p(2)}`, [a, b]);
 * ```
 */
export function placeholders(dialect: SqlDialect): (n: number) => string {
  return dialect === "postgres" ? (n) => `$${n}` : () => "?";
}

/** A statement parameter: the store only ever binds text and numbers. */
export type SqlValue = string | number | null;

/** One result row, column name to value. */
export type SqlRow = Readonly<Record<string, unknown>>;

/**
 * A connection (or pool) in one dialect.
 *
 * Placeholders are the dialect's own: `?` for SQLite and MySQL, `$1`, `$2`… for PostgreSQL.
 * Implementations reject with {@link SqlDuplicateKeyError} on a primary-key or unique
 * violation and with {@link SessionStoreError} on anything else the driver fails on.
 *
 * @example
 * ```ts
 * const changed = await database.execute("DELETE FROM django_session WHERE session_key = ?", [key]);
 * ```
 */
export interface SqlDatabase {
  readonly dialect: SqlDialect;
  /** Runs a row-returning statement. */
  query(sql: string, params: readonly SqlValue[]): Promise<SqlRow[]>;
  /**
   * Runs a statement without rows and resolves to the number of rows it matched (for an
   * UPDATE: rows found, even where the new values equal the old ones, when the driver can
   * tell; the store double-checks on MySQL).
   */
  execute(sql: string, params: readonly SqlValue[]): Promise<number>;
  /** Closes what this object opened itself; a pool or client the caller passed in stays open. */
  close(): Promise<void>;
}

/**
 * An INSERT hit an existing primary key or unique value (code `duplicate-key`, HTTP 409, not an
 * outage). The store turns it into `SessionExistsError`, the user source into `UserExistsError`.
 *
 * @example
 * ```ts
 * try { await database.execute(insertSql, params); }
 * catch (err) { if (err instanceof SqlDuplicateKeyError) console.log("taken"); }
 * ```
 */
export class SqlDuplicateKeyError extends DuplicateKeyError {}

/** Longest driver detail kept in an error message. */
const MAX_DETAIL = 200;

/**
 * Wraps a driver error as the store's typed error, with the dialect in a one-line message
 * and every known secret (and any `user:password@` in a URL) blanked out. The original error
 * is kept as `cause` for debugging.
 *
 * @example
 * ```ts
 * throw driverError("postgres", err, isUnique(err), [password]);
 * ```
 */
export function driverError(
  dialect: SqlDialect,
  error: unknown,
  duplicateKey: boolean,
  secrets: readonly string[] = [],
): SessionStoreError | SqlDuplicateKeyError {
  if (error instanceof SessionStoreError || error instanceof SqlDuplicateKeyError) return error;
  const code = errorCode(error);
  let detail = errorMessage(error).split(/\r?\n/, 1)[0] ?? "";
  detail = redact(detail, secrets);
  if (detail.length > MAX_DETAIL) detail = `${detail.slice(0, MAX_DETAIL)}…`;
  const prefix = code !== undefined && !detail.includes(code) ? `${code} ` : "";
  const message = `SQL session store (${dialect}) failed: ${prefix}${detail}`.trimEnd();
  return duplicateKey
    ? new SqlDuplicateKeyError(message, { cause: error })
    : new SessionStoreError(message, { cause: error });
}

function errorMessage(error: unknown): string {
  if (error instanceof AggregateError && error.message === "") {
    // Node reports a refused connection to a dual-stack host as an AggregateError with no message.
    const inner: unknown = error.errors[0];
    return inner instanceof Error ? inner.message : "connection failed";
  }
  if (error instanceof Error) return error.message;
  return typeof error === "string" ? error : "unknown error";
}

/**
 * Imports an optional driver on first use, so that users of one dialect need not install the
 * others. A missing package is a configuration problem, not an outage.
 *
 * @example
 * ```ts
 * const pg = await importDriver("postgres", "pg", () => import("pg"));
 * ```
 */
export async function importDriver<T>(
  dialect: SqlDialect,
  packageName: string,
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if (errorCode(err) === "ERR_MODULE_NOT_FOUND") {
      throw new ConfigurationError(
        `The SQL session store for ${dialect} needs the optional package "${packageName}" (npm install ${packageName})`,
        { cause: err },
      );
    }
    throw driverError(dialect, err, false);
  }
}
