/**
 * `sessionbridge/stores/sql`: sessions in Django's `django_session` table on SQLite,
 * PostgreSQL or MySQL/MariaDB, readable and writable by Django and Node at the same time.
 *
 * The drivers (`better-sqlite3`, `pg`, `mysql2`) are optional peer dependencies, imported only
 * when their dialect is opened.
 *
 * @example
 * ```ts
 * import { DjangoSessionCodec } from "sessionbridge/django";
 * import { createSqlStore, openDatabaseUrl } from "sessionbridge/stores/sql";
 *
 * const store = createSqlStore({
 *   database: await openDatabaseUrl(process.env.DATABASE_URL ?? "sqlite:./db.sqlite3"),
 *   codec: new DjangoSessionCodec({ secret: process.env.SECRET_KEY! }),
 * });
 * await store.ensureSessionTable();
 * ```
 */
export { SqlSessionStore, createSqlStore } from "./store.ts";
export type { SessionDataCodec, SqlStoreOptions } from "./store.ts";
export { SqlDuplicateKeyError } from "../../internal/sql/database.ts";
export type { SqlDatabase, SqlDialect, SqlRow, SqlValue } from "../../internal/sql/database.ts";
export { sqliteDatabase } from "../../internal/sql/sqlite.ts";
export type { SqliteConnection, SqliteStatement } from "../../internal/sql/sqlite.ts";
export { postgresDatabase } from "../../internal/sql/postgres.ts";
export type {
  PgQueryable,
  PostgresDatabaseOptions,
  PostgresPoolConfig,
} from "../../internal/sql/postgres.ts";
export { mysqlDatabase } from "../../internal/sql/mysql.ts";
export type { MysqlExecutor, MysqlPoolConfig } from "../../internal/sql/mysql.ts";
export { openDatabaseUrl, parseDatabaseUrl } from "../../internal/sql/url.ts";
export type { DatabaseUrlTarget } from "../../internal/sql/url.ts";
export { ensureSessionTable, sessionTableDdl } from "./ddl.ts";
export type { DdlStatement } from "./ddl.ts";
export { DJANGO_SESSION_TABLE } from "../../internal/sql/identifiers.ts";
export { expireDateParam, formatNaiveUtc, parseExpireDate } from "../../internal/sql/dates.ts";
