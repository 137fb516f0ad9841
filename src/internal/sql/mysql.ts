/**
 * {@link SqlDatabase} over mysql2 (`mysql2/promise`, an optional peer dependency, imported on
 * first use), for MySQL and MariaDB.
 *
 * Statements go through `execute`, which prepares each text once per connection and caches it.
 * Dates are bound as naive UTC text formatted by the store and read back as text the server
 * formats (`DATE_FORMAT`), which is what Django keeps in a `DATETIME` with `USE_TZ=True`; so
 * neither the pool's `timezone` or `dateStrings` options nor the server's `time_zone` can shift
 * them, and a pool of your own may keep mysql2's defaults (`timezone: "local"`). A pool made
 * here also uses `timezone: "Z"` for anything else it converts.
 *
 * @example
 * ```ts
 * import { mysqlDatabase } from "sessionbridge/stores/sql";
 * const database = await mysqlDatabase("mysql://app:secret@127.0.0.1:3306/app");
 * ```
 */
import { ConfigurationError, SessionStoreError } from "../../errors.ts";
import { driverError, errorCode, importDriver } from "./database.ts";
import type { SqlDatabase, SqlRow, SqlValue } from "./database.ts";

/** The part of a `mysql2/promise` `Pool`, `PoolConnection` or `Connection` this module uses. */
export interface MysqlExecutor {
  execute(sql: string, values: SqlValue[]): Promise<[unknown, unknown]>;
}

/**
 * mysql2 `PoolOptions`; passed to `createPool()` as is, except `queryTimeout`: how long a
 * statement may wait for its answer before it fails with a SessionStoreError and its connection
 * is destroyed (milliseconds, default 10 000, 0 for none).
 */
export interface MysqlPoolConfig {
  readonly queryTimeout?: number;
  readonly host?: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
  readonly [option: string]: unknown;
}

/** A connection taken from a mysql2 promise pool. */
interface PooledConnection extends MysqlExecutor {
  release(): void;
  destroy(): void;
}

interface OwnedPool extends MysqlExecutor {
  end(): Promise<void>;
  getConnection(): Promise<PooledConnection>;
}

/**
 * How long a pool made here waits for a statement's answer (prepare and execute together).
 * mysql2 bounds only the connect; during a network blackhole a request waited for the whole
 * outage. On the timeout the statement fails (a SessionStoreError, so a 503) and the connection
 * is destroyed, so the pool opens a new one for the next statement once the network is back.
 * `queryTimeout` in the pool options overrides it (0 turns it off).
 */
const QUERY_TIMEOUT_MS = 10_000;

type CreatePool = (config: Record<string, unknown>) => OwnedPool;

class MysqlDatabase implements SqlDatabase {
  readonly dialect = "mysql";
  readonly #client: MysqlExecutor;
  readonly #owned: OwnedPool | undefined;
  readonly #secrets: readonly string[];
  readonly #timeoutMs: number;

  constructor(
    client: MysqlExecutor,
    owned: OwnedPool | undefined,
    secrets: readonly string[],
    timeoutMs = 0,
  ) {
    this.#client = client;
    this.#owned = owned;
    this.#secrets = secrets;
    this.#timeoutMs = timeoutMs;
  }

  async query(sql: string, params: readonly SqlValue[]): Promise<SqlRow[]> {
    const [rows] = await this.#run(sql, params);
    return Array.isArray(rows) ? (rows as SqlRow[]) : [];
  }

  async execute(sql: string, params: readonly SqlValue[]): Promise<number> {
    const [header] = await this.#run(sql, params);
    if (typeof header === "object" && header !== null && "affectedRows" in header) {
      return typeof header.affectedRows === "number" ? header.affectedRows : 0;
    }
    return 0;
  }

  async close(): Promise<void> {
    if (this.#owned === undefined) return;
    try {
      await this.#owned.end();
    } catch (err) {
      throw driverError("mysql", err, false, this.#secrets);
    }
  }

  async #run(sql: string, params: readonly SqlValue[]): Promise<[unknown, unknown]> {
    try {
      if (this.#owned === undefined || this.#timeoutMs <= 0) {
        return await this.#client.execute(sql, [...params]);
      }
      return await this.#runBounded(this.#owned, sql, params);
    } catch (err) {
      throw driverError("mysql", err, errorCode(err) === "ER_DUP_ENTRY", this.#secrets);
    }
  }

  /** One statement on a connection of its own, destroyed when no answer comes in time. */
  async #runBounded(
    pool: OwnedPool,
    sql: string,
    params: readonly SqlValue[],
  ): Promise<[unknown, unknown]> {
    const connection = await pool.getConnection();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new SessionStoreError(
            `SQL session store (mysql) failed: no answer within ${String(this.#timeoutMs)} ms`,
          ),
        );
      }, this.#timeoutMs);
    });
    const statement = connection.execute(sql, [...params]);
    try {
      const result = await Promise.race([statement, timeout]);
      connection.release();
      return result;
    } catch (err) {
      if (err instanceof SessionStoreError) {
        // The connection may still be waiting for the lost answer: never hand it out again.
        statement.catch(() => undefined);
        connection.destroy();
      } else {
        connection.release();
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Connects the session store to MySQL or MariaDB.
 *
 * @param poolOrConfig a `mysql2/promise` pool or connection you manage (never closed here; any
 *   `timezone` or `dateStrings` setting is fine, see above), a URL
 *   (`mysql://user:password@host:3306/db`, `mariadb://…`), or `PoolOptions` for a pool owned
 *   by the returned object.
 * @throws {ConfigurationError} when mysql2 is not installed or the URL is invalid.
 *
 * @example
 * ```ts
 * const database = await mysqlDatabase({ host: "127.0.0.1", user: "app", database: "app" });
 * ```
 */
export async function mysqlDatabase(
  poolOrConfig: MysqlExecutor | MysqlPoolConfig | string,
): Promise<SqlDatabase> {
  if (isExecutor(poolOrConfig)) return new MysqlDatabase(poolOrConfig, undefined, []);
  const config: Record<string, unknown> =
    typeof poolOrConfig === "string" ? mysqlOptionsFromUrl(poolOrConfig) : { ...poolOrConfig };
  config["timezone"] ??= "Z";
  const timeoutMs = config["queryTimeout"] ?? QUERY_TIMEOUT_MS;
  delete config["queryTimeout"];
  if (typeof timeoutMs !== "number" || !(timeoutMs >= 0)) {
    throw new ConfigurationError("queryTimeout must be a number of milliseconds (0 for none)");
  }
  const secrets = typeof config["password"] === "string" ? [config["password"]] : [];
  const module = await importDriver("mysql", "mysql2", () => import("mysql2/promise"));
  const createPool = module.default.createPool as unknown as CreatePool;
  let pool: OwnedPool;
  try {
    pool = createPool(config);
  } catch (err) {
    throw driverError("mysql", err, false, secrets);
  }
  return new MysqlDatabase(pool, pool, secrets, timeoutMs);
}

/**
 * mysql2 connection options from a `mysql://` or `mariadb://` URL. Query parameters become
 * options, JSON-decoded where they parse (mysql2's own rule: `?ssl={"rejectUnauthorized":true}`).
 * @throws {ConfigurationError} without repeating the URL, which may hold a password.
 *
 * @example
 * ```ts
 * mysqlOptionsFromUrl("mariadb://root@127.0.0.1:3306/test").database; // "test"
 * ```
 */
export function mysqlOptionsFromUrl(url: string): Record<string, unknown> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new ConfigurationError("Invalid MySQL database URL", { cause: redactedCause(err) });
  }
  if (parsed.protocol !== "mysql:" && parsed.protocol !== "mariadb:") {
    throw new ConfigurationError("A MySQL database URL must start with mysql:// or mariadb://");
  }
  if (parsed.hostname === "") throw new ConfigurationError("MySQL database URL has no host");
  const options: Record<string, unknown> = {};
  for (const [key, value] of parsed.searchParams) {
    try {
      options[key] = JSON.parse(value);
    } catch {
      options[key] = value;
    }
  }
  try {
    options["host"] = decodeURIComponent(parsed.hostname.replace(/^\[(.*)\]$/, "$1"));
    if (parsed.port !== "") options["port"] = Number(parsed.port);
    if (parsed.username !== "") options["user"] = decodeURIComponent(parsed.username);
    if (parsed.password !== "") options["password"] = decodeURIComponent(parsed.password);
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
    if (database !== "") options["database"] = database;
  } catch {
    throw new ConfigurationError("MySQL database URL has invalid percent-encoding");
  }
  return options;
}

/** Node's URL errors carry the input; a cause must not smuggle the password into logs. */
function redactedCause(err: unknown): unknown {
  return err instanceof Error ? new Error(err.message) : undefined;
}

function isExecutor(value: unknown): value is MysqlExecutor {
  return (
    typeof value === "object" &&
    value !== null &&
    "execute" in value &&
    typeof value.execute === "function"
  );
}
