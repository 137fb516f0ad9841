/**
 * One database connection for a management command (not a pool): statements run in order on
 * the same session, so that transactions (`BEGIN … COMMIT`) and `SET` work. The connection is
 * opened eagerly, so an unreachable server or wrong credentials fail at once with one line.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigurationError, SessionStoreError } from "../../errors.ts";
import { driverError, importDriver, placeholders, redact } from "../../internal/sql/database.ts";
import type { SqlDatabase, SqlDialect, SqlRow, SqlValue } from "../../internal/sql/database.ts";
import { mysqlDatabase } from "../../internal/sql/mysql.ts";
import { postgresDatabase } from "../../internal/sql/postgres.ts";
import { holdsNoDatabase, sqliteDatabase } from "../../internal/sql/sqlite.ts";
import { quoteIdentifier } from "../../internal/sql/identifiers.ts";
import { parseDatabaseUrl } from "../../internal/sql/url.ts";
import { CommandFailure } from "../command.ts";

/** A single-connection database with transactions. */
export interface ManagedDatabase extends SqlDatabase {
  /** Where it is, for messages (no credentials; a SQLite file by its absolute path). */
  readonly description: string;
  /** True when opening it created a new SQLite file. */
  readonly createdFile: boolean;
  /** Runs `action` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(action: () => Promise<T>): Promise<T>;
  /** `$n` for PostgreSQL, `?` elsewhere. */
  readonly p: (n: number) => string;
  /** Quotes an identifier for this dialect. */
  readonly q: (name: string) => string;
}

const CONNECT_TIMEOUT_MS = 10_000;

/** Options of {@link openManagedDatabase}. */
export interface OpenManagedOptions {
  /**
   * Create a SQLite file that does not exist yet (`migrate`, `serve`'s first run). Other
   * commands only read or change a database that is there, and must not leave an empty file
   * behind a mistyped `DATABASE_URL`.
   */
  readonly create?: boolean;
}

/**
 * Opens `url` (a `DATABASE_URL`).
 * @throws {CommandFailure} one line, without credentials, when it cannot connect, or when a
 * SQLite file is missing and `create` is not set.
 */
export async function openManagedDatabase(
  url: string,
  { create = false }: OpenManagedOptions = {},
): Promise<ManagedDatabase> {
  let target;
  try {
    target = parseDatabaseUrl(url);
  } catch (error) {
    throw new CommandFailure(error instanceof Error ? error.message : String(error));
  }
  try {
    switch (target.dialect) {
      case "sqlite": {
        const module = await importDriver(
          "sqlite",
          "better-sqlite3",
          () => import("better-sqlite3"),
        );
        const Database = module.default;
        const inMemory = target.path === ":memory:" || target.path === "";
        const existed = inMemory || existsSync(target.path);
        if (!create && !existed)
          throw new CommandFailure(
            `there is no SQLite database at ${target.path}: run 'sessionbridge migrate' to create it, or check DATABASE_URL`,
          );
        const creating = !inMemory && holdsNoDatabase(target.path);
        let db;
        try {
          db = new Database(target.path, { fileMustExist: false });
          db.pragma("busy_timeout = 10000");
          // Only a database made here gets WAL; an existing one keeps its mode (see sqlite.ts).
          if (creating) db.pragma("journal_mode = WAL");
        } catch (error) {
          throw driverError("sqlite", error, false);
        }
        const inner = await sqliteDatabase(db);
        return wrap(
          inner,
          `SQLite ${inMemory ? target.path : resolve(target.path)}`,
          () => {
            db.close();
            return Promise.resolve();
          },
          !existed,
        );
      }
      case "postgres": {
        const module = await importDriver("postgres", "pg", () => import("pg"));
        const client = new module.default.Client({
          connectionString: target.connectionString,
          connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
        });
        client.on("error", () => {
          // A dropped connection surfaces as the next query's error.
        });
        const secrets = passwords(target.connectionString);
        try {
          await client.connect();
        } catch (error) {
          throw driverError("postgres", error, false, secrets);
        }
        const inner = await postgresDatabase(client, { prepare: false });
        return wrap(inner, `PostgreSQL ${hostOf(target.connectionString)}`, () => client.end());
      }
      case "mysql": {
        const module = await importDriver("mysql", "mysql2", () => import("mysql2/promise"));
        const options: Record<string, unknown> = {
          ...target.options,
          timezone: "Z",
          connectTimeout: CONNECT_TIMEOUT_MS,
        };
        const secrets = typeof options["password"] === "string" ? [options["password"]] : [];
        let connection;
        try {
          connection = await module.default.createConnection(options);
        } catch (error) {
          throw driverError("mysql", error, false, secrets);
        }
        connection.on("error", () => {
          // As above: reported by the next statement.
        });
        // Text protocol (`query`) rather than prepared statements: transaction control and
        // DDL are not all preparable, and each statement here runs once.
        const executor = {
          execute: (sql: string, values: SqlValue[]) =>
            connection.query(sql, values) as Promise<[unknown, unknown]>,
        };
        const inner = await mysqlDatabase(executor);
        const host = typeof options["host"] === "string" ? options["host"] : "";
        const name = typeof options["database"] === "string" ? options["database"] : "";
        return wrap(inner, `MySQL/MariaDB ${host}/${name}`, () => connection.end());
      }
    }
  } catch (error) {
    if (error instanceof SessionStoreError || error instanceof ConfigurationError) {
      throw new CommandFailure(`cannot open the database: ${error.message}`);
    }
    throw error;
  }
}

function wrap(
  inner: SqlDatabase,
  description: string,
  close: () => Promise<void>,
  createdFile = false,
): ManagedDatabase {
  const dialect: SqlDialect = inner.dialect;
  let depth = 0;
  const database: ManagedDatabase = {
    dialect,
    description,
    createdFile,
    query: (sql: string, params: readonly SqlValue[]): Promise<SqlRow[]> =>
      inner.query(sql, params),
    execute: (sql: string, params: readonly SqlValue[]): Promise<number> =>
      inner.execute(sql, params),
    close,
    p: placeholders(dialect),
    q: (name: string) => quoteIdentifier(dialect, name),
    async transaction<T>(action: () => Promise<T>): Promise<T> {
      if (depth > 0) return action();
      depth++;
      await inner.execute(
        dialect === "sqlite"
          ? "BEGIN IMMEDIATE"
          : dialect === "mysql"
            ? "START TRANSACTION"
            : "BEGIN",
        [],
      );
      try {
        const result = await action();
        await inner.execute("COMMIT", []);
        return result;
      } catch (error) {
        try {
          await inner.execute("ROLLBACK", []);
        } catch {
          // The original error matters more.
        }
        throw error;
      } finally {
        depth--;
      }
    },
  };
  return database;
}

function passwords(url: string): string[] {
  try {
    const password = new URL(url).password;
    return password === "" ? [] : [password, decodeURIComponent(password)];
  } catch {
    return [];
  }
}

function hostOf(url: string): string {
  try {
    const parsed = new URL(url);
    return redact(
      `${parsed.hostname}${parsed.port ? `:${parsed.port}` : ""}${parsed.pathname}`,
      [],
    );
  } catch {
    return "";
  }
}

/**
 * Fails with the way out when `django_session` is missing (a database neither Django nor
 * `migrate` has set up), rather than let the first query fail with the driver's "no such table".
 * @throws {CommandFailure}
 */
export async function requireSessionTable(database: ManagedDatabase): Promise<void> {
  if ((await listTables(database)).includes("django_session")) return;
  throw new CommandFailure(
    `there is no django_session table in ${database.description}: run 'sessionbridge migrate' (or Django's) first`,
  );
}

/** Names of the tables in the current database / schema. */
export async function listTables(database: SqlDatabase): Promise<string[]> {
  let rows: SqlRow[];
  switch (database.dialect) {
    case "sqlite":
      rows = await database.query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        [],
      );
      break;
    case "postgres":
      rows = await database.query(
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name",
        [],
      );
      break;
    case "mysql":
      rows = await database.query(
        "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
        [],
      );
      break;
  }
  return rows.map((r) => String(r["name"]));
}
