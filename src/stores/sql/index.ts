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
export { SqlDuplicateKeyError } from "./database.ts";
export type { SqlDatabase, SqlDialect, SqlRow, SqlValue } from "./database.ts";
export { sqliteDatabase } from "./sqlite.ts";
export type { SqliteConnection, SqliteStatement } from "./sqlite.ts";
export { postgresDatabase } from "./postgres.ts";
export type { PgQueryable, PostgresDatabaseOptions, PostgresPoolConfig } from "./postgres.ts";
export { mysqlDatabase } from "./mysql.ts";
export type { MysqlExecutor, MysqlPoolConfig } from "./mysql.ts";
export { openDatabaseUrl, parseDatabaseUrl } from "./url.ts";
export type { DatabaseUrlTarget } from "./url.ts";
export { ensureSessionTable, sessionTableDdl } from "./ddl.ts";
export type { DdlStatement } from "./ddl.ts";
export { DJANGO_SESSION_TABLE } from "./identifiers.ts";
export { expireDateParam, formatNaiveUtc, parseExpireDate } from "./dates.ts";
