/**
 * {@link SqlDatabase} over node-postgres (`pg`, an optional peer dependency, imported on
 * first use).
 *
 * Statements run as named prepared statements (the name is a hash of the text), so each
 * connection parses the store's few statements once. A pool created here reconnects by itself
 * after an outage; its idle-connection errors are absorbed (an unhandled pool `error` event
 * would otherwise end the process), and the next query simply takes a fresh connection.
 *
 * @example
 * ```ts
 * import { postgresDatabase } from "sessionbridge/stores/sql";
 * const database = await postgresDatabase(process.env.DATABASE_URL!);
 * ```
 */
import { createHash } from "node:crypto";
import { driverError, errorCode, importDriver } from "./database.ts";
import type { SqlDatabase, SqlRow, SqlValue } from "./database.ts";

/** The part of a `pg.Pool`, `pg.Client` or `pg.PoolClient` this module uses. */
export interface PgQueryable {
  query(config: {
    text: string;
    values: SqlValue[];
    name?: string;
  }): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

/** `pg.PoolConfig` (connection string or fields); passed to `new pg.Pool()` as is. */
export interface PostgresPoolConfig {
  readonly connectionString?: string;
  readonly host?: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
  readonly [option: string]: unknown;
}

/** Options of {@link postgresDatabase}. */
export interface PostgresDatabaseOptions {
  /**
   * Use named prepared statements (default `true`). Turn off behind a transaction-pooling
   * proxy (PgBouncer `pool_mode = transaction`), where a prepared statement does not survive
   * from one transaction to the next.
   */
  readonly prepare?: boolean;
}

interface OwnedPool extends PgQueryable {
  end(): Promise<void>;
  on(event: "error", listener: (err: Error) => void): unknown;
}

type PoolConstructor = new (config: Record<string, unknown>) => OwnedPool;

/** How long a pool made here waits for a connection before reporting the database down. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * How long a pool made here waits for a query's answer (pg's client-side `query_timeout`). A
 * server-side `statement_timeout` cannot help when the network drops packets: without this, a
 * request waited for the whole outage. On the timeout the query fails (a SessionStoreError, so
 * a 503) and pg drops that connection from the pool, which opens a new one for the next query.
 */
const QUERY_TIMEOUT_MS = 10_000;

class PostgresDatabase implements SqlDatabase {
  readonly dialect = "postgres";
  readonly #client: PgQueryable;
  readonly #owned: OwnedPool | undefined;
  readonly #prepare: boolean;
  readonly #secrets: readonly string[];
  readonly #names = new Map<string, string>();

  constructor(
    client: PgQueryable,
    owned: OwnedPool | undefined,
    prepare: boolean,
    secrets: readonly string[],
  ) {
    this.#client = client;
    this.#owned = owned;
    this.#prepare = prepare;
    this.#secrets = secrets;
  }

  async query(sql: string, params: readonly SqlValue[]): Promise<SqlRow[]> {
    return (await this.#run(sql, params)).rows as SqlRow[];
  }

  async execute(sql: string, params: readonly SqlValue[]): Promise<number> {
    return (await this.#run(sql, params)).rowCount ?? 0;
  }

  async close(): Promise<void> {
    if (this.#owned === undefined) return;
    try {
      await this.#owned.end();
    } catch (err) {
      throw driverError("postgres", err, false, this.#secrets);
    }
  }

  async #run(sql: string, params: readonly SqlValue[]) {
    const values = [...params];
    try {
      return await this.#client.query(
        this.#prepare ? { name: this.#nameOf(sql), text: sql, values } : { text: sql, values },
      );
    } catch (err) {
      // 23505 unique_violation
      throw driverError("postgres", err, errorCode(err) === "23505", this.#secrets);
    }
  }

  #nameOf(sql: string): string {
    let name = this.#names.get(sql);
    if (name === undefined) {
      name = `sessionbridge_${createHash("sha1").update(sql).digest("hex").slice(0, 24)}`;
      this.#names.set(sql, name);
    }
    return name;
  }
}

/**
 * Connects the session store to PostgreSQL.
 *
 * @param poolOrConfig a `pg.Pool`, `pg.Client` or `pg.PoolClient` you manage (never closed
 *   here; attach your own pool `error` listener), a connection string
 *   (`postgres://user:password@host:5432/db`), or a `pg.PoolConfig` for a pool owned by the
 *   returned object.
 * @throws {ConfigurationError} when `pg` is not installed.
 *
 * @example
 * ```ts
 * import pg from "pg";
 * const database = await postgresDatabase(new pg.Pool({ connectionString: url }));
 * ```
 */
export async function postgresDatabase(
  poolOrConfig: PgQueryable | PostgresPoolConfig | string,
  options: PostgresDatabaseOptions = {},
): Promise<SqlDatabase> {
  const prepare = options.prepare ?? true;
  if (isQueryable(poolOrConfig)) return new PostgresDatabase(poolOrConfig, undefined, prepare, []);
  const config: Record<string, unknown> =
    typeof poolOrConfig === "string" ? { connectionString: poolOrConfig } : { ...poolOrConfig };
  config["connectionTimeoutMillis"] ??= CONNECT_TIMEOUT_MS;
  config["query_timeout"] ??= QUERY_TIMEOUT_MS;
  const secrets = passwordsOf(config);
  const module = await importDriver("postgres", "pg", () => import("pg"));
  const Pool = module.default.Pool as unknown as PoolConstructor;
  let pool: OwnedPool;
  try {
    pool = new Pool(config);
  } catch (err) {
    throw driverError("postgres", err, false, secrets);
  }
  pool.on("error", () => {
    // An idle connection died (server restart, network cut). The pool has already dropped it
    // and the next query opens a new one, so there is nothing to do but not crash.
  });
  return new PostgresDatabase(pool, pool, prepare, secrets);
}

function isQueryable(value: unknown): value is PgQueryable {
  return (
    typeof value === "object" &&
    value !== null &&
    "query" in value &&
    typeof value.query === "function"
  );
}

function passwordsOf(config: Record<string, unknown>): string[] {
  const secrets: string[] = [];
  if (typeof config["password"] === "string") secrets.push(config["password"]);
  const url = config["connectionString"];
  if (typeof url === "string") {
    try {
      const password = new URL(url).password;
      if (password !== "") secrets.push(password, decodeURIComponent(password));
    } catch {
      // pg parses more forms than URL does; the generic URL redaction still applies.
    }
  }
  return secrets;
}
