/**
 * Table and index names: validation, quoting per dialect, and Django's index-name derivation
 * (`BaseDatabaseSchemaEditor._create_index_name`), so that a table created here carries the
 * index names `migrate` would have given it.
 *
 * @example
 * ```ts
 * djangoIndexName("django_session", ["expire_date"], "", 200); // "django_session_expire_date_a5c62663"
 * ```
 */
import { createHash } from "node:crypto";
import { ConfigurationError } from "../../errors.ts";
import type { SqlDialect } from "./database.ts";

/** Django's table for `django.contrib.sessions.backends.db`. */
export const DJANGO_SESSION_TABLE = "django_session";

/** Plain identifiers only: anything that would need escaping is a configuration mistake here. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Checks a table name; quoting alone is not enough to make user input safe in DDL.
 * @throws {ConfigurationError} for anything but `[A-Za-z_][A-Za-z0-9_]*`, at most 63 characters.
 *
 * @example
 * ```ts
 * checkTableName("django_session"); // "django_session"
 * ```
 */
export function checkTableName(table: string): string {
  if (!IDENTIFIER.test(table)) {
    throw new ConfigurationError(
      "SQL session table name must match [A-Za-z_][A-Za-z0-9_]* and have at most 63 characters",
    );
  }
  return table;
}

/**
 * Quotes an already checked identifier the way Django's schema editor does: backticks for
 * MySQL, double quotes elsewhere.
 *
 * @example
 * ```ts
 * quoteIdentifier("mysql", "django_session"); // "`django_session`"
 * ```
 */
export function quoteIdentifier(dialect: SqlDialect, name: string): string {
  return dialect === "mysql" ? `\`${name}\`` : `"${name}"`;
}

/** `connection.ops.max_name_length()`: SQLite has none (Django then uses 200). */
export function maxNameLength(dialect: SqlDialect): number {
  return dialect === "postgres" ? 63 : dialect === "mysql" ? 64 : 200;
}

/**
 * Django's `_create_index_name(table, columns, suffix)`, including its shortening rule for
 * long names: `table_columns_<md5(table + columns)[:8]><suffix>`.
 *
 * @example
 * ```ts
 * djangoIndexName("django_session", ["session_key"], "_like", 63);
 * // "django_session_session_key_c0390e0f_like"
 * ```
 */
export function djangoIndexName(
  table: string,
  columns: readonly string[],
  suffix: string,
  maxLength: number,
): string {
  const hash = createHash("md5");
  for (const part of [table, ...columns]) hash.update(part, "utf8");
  let hashSuffix = `${hash.digest("hex").slice(0, 8)}${suffix}`;
  const joined = columns.join("_");
  let name = `${table}_${joined}_${hashSuffix}`;
  if (name.length <= maxLength) return name;
  if (hashSuffix.length > maxLength / 3)
    hashSuffix = hashSuffix.slice(0, Math.floor(maxLength / 3));
  const otherLength = Math.floor((maxLength - hashSuffix.length) / 2) - 1;
  name = `${table.slice(0, otherLength)}_${joined.slice(0, otherLength)}_${hashSuffix}`;
  if (name.startsWith("_") || /^\d/.test(name)) name = `D${name.slice(0, -1)}`;
  return name;
}
