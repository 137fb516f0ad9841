/**
 * The session store on Django's `django_session` table (`backends.db`), with Django's exact
 * semantics (django-formats.md §3.1): `load` only sees rows with `expire_date > now`,
 * `exists` ignores expiry, `clearExpired` deletes `expire_date < now`, a forced insert that
 * collides is `SessionExistsError`, a forced update that finds no row is `SessionMissingError`.
 * Concurrent requests: `loadVersioned` returns the stored `session_data` text as the version and
 * `saveIfUnchanged` is `UPDATE … WHERE session_key = ? AND session_data = ?` (compared byte for
 * byte on MySQL/MariaDB, whose default collations ignore case), so no column is added and
 * Django's own writes are untouched.
 *
 * @example
 * ```ts
 * import { DjangoSessionCodec } from "sessionbridge/django";
 * import { createSqlStore, openDatabaseUrl } from "sessionbridge/stores/sql";
 * const store = createSqlStore({
 *   database: await openDatabaseUrl(process.env.DATABASE_URL!),
 *   codec: new DjangoSessionCodec({ secret: process.env.SECRET_KEY! }),
 * });
 * ```
 */
import {
  MalformedError,
  SessionExistsError,
  SessionMissingError,
  SessionStoreError,
} from "../../errors.ts";
import { SqlDuplicateKeyError, errorCode, placeholders } from "../../internal/sql/database.ts";
import type { SqlDatabase, SqlRow, SqlValue } from "../../internal/sql/database.ts";
import { expireDateParam, naiveUtcTextSql, parseExpireDate } from "../../internal/sql/dates.ts";
import { ensureSessionTable } from "./ddl.ts";
import {
  DJANGO_SESSION_TABLE,
  checkTableName,
  quoteIdentifier,
} from "../../internal/sql/identifiers.ts";
import type {
  SaveOptions,
  SessionData,
  SessionDataCodec,
  SessionExpiry,
  SessionStore,
  StoreLogger,
  StoredSession,
  StoredSessionPage,
  WalkOptions,
  VersionedSessionData,
} from "../contract.ts";
import { walkBatchSize } from "../walk.ts";
import { ReportedOnce } from "../../internal/reported-once.ts";

export type { SessionDataCodec };

/** Options of {@link createSqlStore}. */
export interface SqlStoreOptions {
  readonly database: SqlDatabase;
  /** Usually a `DjangoSessionCodec` with the project's `SECRET_KEY`. */
  readonly codec: SessionDataCodec;
  /** Table name; default `django_session`. */
  readonly table?: string;
  /** Where undecodable rows are reported; default `console.warn`. */
  readonly logger?: StoreLogger;
  /** Clock in milliseconds, for tests; default `Date.now`. */
  readonly now?: () => number;
}

/** Django session keys are `varchar(40)`: a longer key cannot be in the table. */
const MAX_KEY_LENGTH = 40;

/** Keys per `inspectMany` query: 10,000 sessions in one statement, within every driver's limit. */
const INSPECT_BATCH = 10_000;

interface Statements {
  readonly load: string;
  readonly exists: string;
  readonly insert: string;
  readonly update: string;
  readonly updateIfUnchanged: string;
  readonly holds: string;
  readonly touch: string;
  readonly remove: string;
  readonly clearExpired: string;
  readonly expiry: string;
  /** `SELECT` of the three columns (the date as naive UTC text), up to `FROM table`. */
  readonly select: string;
  readonly inspect: string;
  readonly count: string;
  readonly countActive: string;
  /** Keyset pages: keys after `p(1)` (and `expire_date > p(2)`), the LIMIT appended. */
  readonly page: string;
  readonly pageActive: string;
}

/** The store's SQL, built once per store: the texts are then stable keys for statement caches. */
function statementsFor(database: SqlDatabase, table: string): Statements {
  const dialect = database.dialect;
  const t = quoteIdentifier(dialect, table);
  const [key, data, expire] = ["session_key", "session_data", "expire_date"].map((c) =>
    quoteIdentifier(dialect, c),
  ) as [string, string, string];
  const p = placeholders(dialect);
  // Read the date back as naive UTC text in every dialect, independent of driver type parsing
  // and of the connection's time zone (a caller's mysql2 pool may have `timezone: "local"`).
  // Dates go the other way as naive UTC text too (expireDateParam), and `load`/`clearExpired`
  // compare the column with that text on the server, so no driver conversion is involved.
  const expireText = naiveUtcTextSql(dialect, expire);
  const select = `SELECT ${key} AS session_key, ${data} AS session_data, ${expireText} AS expire_date FROM ${t}`;
  return {
    load: `SELECT ${data} AS session_data FROM ${t} WHERE ${key} = ${p(1)} AND ${expire} > ${p(2)}`,
    exists: `SELECT 1 AS present FROM ${t} WHERE ${key} = ${p(1)} LIMIT 1`,
    insert: `INSERT INTO ${t} (${key}, ${data}, ${expire}) VALUES (${p(1)}, ${p(2)}, ${p(3)})`,
    update: `UPDATE ${t} SET ${data} = ${p(1)}, ${expire} = ${p(2)} WHERE ${key} = ${p(3)}`,
    updateIfUnchanged: `UPDATE ${t} SET ${data} = ${p(1)}, ${expire} = ${p(2)} WHERE ${key} = ${p(3)} AND ${sameText(dialect, data, p(4))}`,
    holds: `SELECT 1 AS present FROM ${t} WHERE ${key} = ${p(1)} AND ${sameText(dialect, data, p(2))}`,
    touch: `UPDATE ${t} SET ${expire} = ${p(1)} WHERE ${key} = ${p(2)}`,
    remove: `DELETE FROM ${t} WHERE ${key} = ${p(1)}`,
    clearExpired: `DELETE FROM ${t} WHERE ${expire} < ${p(1)}`,
    expiry: `SELECT ${expireText} AS expire_date FROM ${t} WHERE ${key} = ${p(1)}`,
    select,
    inspect: `${select} WHERE ${key} = ${p(1)}`,
    count: `SELECT COUNT(*) AS n FROM ${t}`,
    countActive: `SELECT COUNT(*) AS n FROM ${t} WHERE ${expire} > ${p(1)}`,
    page: `${select} WHERE ${key} > ${p(1)} ORDER BY ${key} LIMIT `,
    pageActive: `${select} WHERE ${key} > ${p(1)} AND ${expire} > ${p(2)} ORDER BY ${key} LIMIT `,
  };
}

/**
 * `column = parameter`, byte for byte: MySQL's and MariaDB's usual collations compare text
 * case-insensitively and ignore trailing spaces, and signed session text differs in case.
 * SQLite (BINARY) and PostgreSQL (deterministic collations) already compare exactly.
 */
function sameText(dialect: SqlDatabase["dialect"], column: string, parameter: string): string {
  return dialect === "mysql"
    ? `CAST(${column} AS BINARY) = CAST(${parameter} AS BINARY)`
    : `${column} = ${parameter}`;
}

const consoleLogger: StoreLogger = {
  warn(message, detail) {
    console.warn(`sessionbridge: ${message}`, detail ?? "");
  },
};

/**
 * Sessions in Django's `django_session` table, shared with a running Django project.
 *
 * @example
 * ```ts
 * const store = new SqlSessionStore({ database: await sqliteDatabase("./db.sqlite3"), codec });
 * await store.ensureSessionTable();
 * const data = await store.load(key);
 * ```
 */
export class SqlSessionStore implements SessionStore {
  /** `sql:sqlite`, `sql:postgres` or `sql:mysql`. */
  readonly name: string;
  /** The table this store reads and writes. */
  readonly table: string;
  readonly #database: SqlDatabase;
  readonly #codec: SessionDataCodec;
  readonly #logger: StoreLogger;
  /** Undecodable records already logged (once per key). */
  readonly #reported = new ReportedOnce();
  readonly #now: () => number;
  readonly #sql: Statements;
  readonly #keyColumn: string;

  constructor(options: SqlStoreOptions) {
    this.#database = options.database;
    this.#codec = options.codec;
    this.#logger = options.logger ?? consoleLogger;
    this.#now = options.now ?? Date.now;
    this.table = checkTableName(options.table ?? DJANGO_SESSION_TABLE);
    this.name = `sql:${options.database.dialect}`;
    this.#sql = statementsFor(options.database, this.table);
    this.#keyColumn = quoteIdentifier(options.database.dialect, "session_key");
  }

  /** The database this store runs on. */
  get database(): SqlDatabase {
    return this.#database;
  }

  /** Creates the table and its indexes with Django's DDL where missing (idempotent). */
  ensureSessionTable(): Promise<void> {
    return ensureSessionTable(this.#database, this.table);
  }

  async load(key: string): Promise<SessionData | null> {
    const loaded = await this.loadVersioned(key);
    return loaded === null || loaded.undecodable ? null : loaded.data;
  }

  /** `load`, with the stored `session_data` text as the version. */
  async loadVersioned(key: string): Promise<VersionedSessionData | null> {
    if (key.length > MAX_KEY_LENGTH) return null;
    const rows = await this.#database.query(this.#sql.load, [key, this.#nowParam()]);
    const value = rows[0]?.["session_data"];
    if (value === undefined) return null;
    try {
      if (typeof value !== "string") throw new MalformedError("session_data is not text");
      return { data: this.#codec.decode(value), version: value };
    } catch (err) {
      // Django logs and starts an empty session; the data and the key stay out of the log, and
      // a row read on every request is logged once.
      const reason = errorCode(err) ?? (err instanceof Error ? err.name : "unknown");
      if (this.#reported.first(key, reason))
        this.#logger.warn("Ignoring a session row that cannot be decoded", {
          store: this.name,
          reason,
          key: `${key.slice(0, 4)}…`,
        });
      // A live row: Django (with its key, its classes) may read it, so it is never replaced.
      return {
        data: new Map(),
        version: typeof value === "string" ? value : "",
        undecodable: true,
      };
    }
  }

  async exists(key: string): Promise<boolean> {
    if (key.length > MAX_KEY_LENGTH) return false;
    return (await this.#database.query(this.#sql.exists, [key])).length > 0;
  }

  async save(key: string, data: SessionData, options: SaveOptions): Promise<void> {
    const value = this.#codec.encode(data);
    const expire = expireDateParam(this.#database.dialect, options.expiry.date);
    if (options.mustCreate) {
      try {
        await this.#database.execute(this.#sql.insert, [key, value, expire]);
      } catch (err) {
        if (err instanceof SqlDuplicateKeyError) throw new SessionExistsError();
        throw err;
      }
      return;
    }
    const matched = await this.#database.execute(this.#sql.update, [value, expire, key]);
    if (matched === 0 && !(await this.#unchangedRowExists(key))) throw new SessionMissingError();
  }

  /** One `UPDATE … WHERE session_key = ? AND session_data = <expected>`. */
  async saveIfUnchanged(
    key: string,
    data: SessionData,
    expiry: SessionExpiry,
    expected: string,
  ): Promise<string | null> {
    const value = this.#codec.encode(data);
    const expire = expireDateParam(this.#database.dialect, expiry.date);
    const matched = await this.#database.execute(this.#sql.updateIfUnchanged, [
      value,
      expire,
      key,
      expected,
    ]);
    if (matched > 0) return value;
    // MySQL without CLIENT_FOUND_ROWS reports 0 for an UPDATE that changed nothing: the row
    // already holds exactly this value, which is what the write wanted.
    if (this.#database.dialect === "mysql" && value === expected) {
      const rows = await this.#database.query(this.#sql.holds, [key, value]);
      if (rows.length > 0) return value;
    }
    return null;
  }

  /**
   * Whether the row of `key` still holds the version `version` (what `loadVersioned` or
   * `saveIfUnchanged` resolved), expired or not: cached_db asks after setting its cache, to
   * tell whether a save or a logout reached the row since.
   *
   * @example
   * ```ts
   * const version = await store.saveIfUnchanged(key, data, expiry, loaded.version);
   * if (version !== null && !(await store.holdsVersion(key, version))) console.log("changed since");
   * ```
   */
  async holdsVersion(key: string, version: string): Promise<boolean> {
    if (key.length > MAX_KEY_LENGTH) return false;
    return (await this.#database.query(this.#sql.holds, [key, version])).length > 0;
  }

  async delete(key: string): Promise<void> {
    await this.#database.execute(this.#sql.remove, [key]);
  }

  clearExpired(): Promise<number> {
    return this.#database.execute(this.#sql.clearExpired, [this.#nowParam()]);
  }

  /** Writes only `expire_date`; a missing key is left missing. */
  async touch(key: string, expiry: SessionExpiry): Promise<void> {
    await this.#database.execute(this.#sql.touch, [
      expireDateParam(this.#database.dialect, expiry.date),
      key,
    ]);
  }

  /**
   * The stored `expire_date` of a key, expired or not; `null` when there is no such row.
   *
   * @example
   * ```ts
   * (await store.expiryOf(key))?.toISOString();
   * ```
   */
  async expiryOf(key: string): Promise<Date | null> {
    const rows = await this.#database.query(this.#sql.expiry, [key]);
    const value = rows[0]?.["expire_date"];
    return value === undefined ? null : this.#expireDate(value);
  }

  /** Every row in key order (keyset pages: resumable, flat memory), expired ones unless `activeOnly`. */
  async *walk(options: WalkOptions = {}): AsyncIterable<StoredSessionPage> {
    const batchSize = walkBatchSize(options);
    const active = options.activeOnly === true;
    // One row more than a page: whether it came tells if this page is the last one.
    const statement = `${active ? this.#sql.pageActive : this.#sql.page}${batchSize + 1}`;
    let after = options.position ?? "";
    for (;;) {
      const rows = await this.#database.query(
        statement,
        active ? [after, this.#nowParam()] : [after],
      );
      if (rows.length === 0) return;
      const sessions = rows.slice(0, batchSize).map((row) => this.#stored(row));
      after = sessions[sessions.length - 1]!.key;
      const last = rows.length <= batchSize;
      yield { sessions, position: last ? "" : after };
      if (last) return;
    }
  }

  async inspect(key: string): Promise<StoredSession | null> {
    if (key.length > MAX_KEY_LENGTH) return null;
    const rows = await this.#database.query(this.#sql.inspect, [key]);
    return rows[0] === undefined ? null : this.#stored(rows[0]);
  }

  /**
   * Many sessions in one query per {@link INSPECT_BATCH} keys (a real-time gate re-checks
   * every connected session at once); absent keys are missing from the map.
   */
  async inspectMany(keys: readonly string[]): Promise<Map<string, StoredSession>> {
    const found = new Map<string, StoredSession>();
    const wanted = keys.filter((k) => k.length <= MAX_KEY_LENGTH);
    const p = placeholders(this.#database.dialect);
    for (let start = 0; start < wanted.length; start += INSPECT_BATCH) {
      const chunk = wanted.slice(start, start + INSPECT_BATCH);
      const sql = `${this.#sql.select} WHERE ${this.#keyColumn} IN (${chunk.map((_, i) => p(i + 1)).join(", ")})`;
      for (const row of await this.#database.query(sql, chunk)) {
        const stored = this.#stored(row);
        found.set(stored.key, stored);
      }
    }
    return found;
  }

  async count(options: { readonly activeOnly?: boolean } = {}): Promise<number> {
    const rows =
      options.activeOnly === true
        ? await this.#database.query(this.#sql.countActive, [this.#nowParam()])
        : await this.#database.query(this.#sql.count, []);
    return Number(rows[0]?.["n"] ?? 0);
  }

  #stored(row: SqlRow): StoredSession {
    const value = row["session_data"];
    let data: SessionData | null;
    try {
      // Undecodable rows are part of what a walk shows (as `null`), not a warning.
      data = typeof value === "string" ? this.#codec.decode(value) : null;
    } catch {
      data = null;
    }
    return {
      key: String(row["session_key"]),
      data,
      expireDate: this.#expireDate(row["expire_date"]),
    };
  }

  #expireDate(value: unknown): Date {
    try {
      return parseExpireDate(value);
    } catch (err) {
      throw new SessionStoreError(
        `SQL session store (${this.#database.dialect}) read a bad expire_date`,
        { cause: err },
      );
    }
  }

  /** Closes the database connections this store's database opened itself. */
  close(): Promise<void> {
    return this.#database.close();
  }

  #nowParam(): SqlValue {
    return expireDateParam(this.#database.dialect, new Date(this.#now()));
  }

  /**
   * MySQL counts changed rows, not matched ones, unless the connection has `CLIENT_FOUND_ROWS`
   * (mysql2's default, but a caller's pool may turn it off): an UPDATE writing identical values
   * then reports 0. Only that case pays for a second look; elsewhere 0 means gone.
   */
  async #unchangedRowExists(key: string): Promise<boolean> {
    if (this.#database.dialect !== "mysql") return false;
    return this.exists(key);
  }
}

/**
 * Creates a {@link SqlSessionStore}.
 *
 * @example
 * ```ts
 * const store = createSqlStore({ database: await sqliteDatabase("./db.sqlite3"), codec });
 * ```
 */
export function createSqlStore(options: SqlStoreOptions): SqlSessionStore {
  return new SqlSessionStore(options);
}
