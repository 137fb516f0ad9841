/**
 * Django's `django_session` DDL per dialect, exactly as `migrate` emits it for
 * `sessions.0001_initial` (django-formats.md §3.1), and an idempotent "create if missing".
 *
 * Django's statements are replayed verbatim (no `IF NOT EXISTS`, which MySQL lacks for
 * indexes anyway): each object is looked up first and created only when absent, and a failed
 * creation is forgiven when the object turns out to exist, which is what happens when two
 * processes start at once.
 *
 * @example
 * ```ts
 * for (const stmt of sessionTableDdl("sqlite")) console.log(`${stmt.sql};`);
 * ```
 */
import type { SqlDatabase, SqlDialect } from "../../internal/sql/database.ts";
import {
  DJANGO_SESSION_TABLE,
  checkTableName,
  djangoIndexName,
  maxNameLength,
  quoteIdentifier,
} from "../../internal/sql/identifiers.ts";

/** One DDL statement and the object it creates. */
export interface DdlStatement {
  readonly kind: "table" | "index";
  /** The table or index name. */
  readonly name: string;
  readonly sql: string;
}

/**
 * The statements `migrate` runs to create the session table in `dialect`, with index names
 * derived from `table` as Django derives them.
 *
 * @example
 * ```ts
 * sessionTableDdl("postgres", "django_session")[2]?.name; // "django_session_expire_date_a5c62663"
 * ```
 */
export function sessionTableDdl(
  dialect: SqlDialect,
  table: string = DJANGO_SESSION_TABLE,
): DdlStatement[] {
  checkTableName(table);
  const q = (name: string): string => quoteIdentifier(dialect, name);
  const max = maxNameLength(dialect);
  const expireIndex = djangoIndexName(table, ["expire_date"], "", max);
  const dataType = dialect === "mysql" ? "longtext" : "text";
  const dateType =
    dialect === "postgres"
      ? "timestamp with time zone"
      : dialect === "mysql"
        ? "datetime(6)"
        : "datetime";
  const statements: DdlStatement[] = [
    {
      kind: "table",
      name: table,
      sql:
        `CREATE TABLE ${q(table)} (${q("session_key")} varchar(40) NOT NULL PRIMARY KEY, ` +
        `${q("session_data")} ${dataType} NOT NULL, ${q("expire_date")} ${dateType} NOT NULL)`,
    },
  ];
  if (dialect === "postgres") {
    // PostgreSQL's schema editor adds a pattern-ops index to every indexed varchar column.
    const likeIndex = djangoIndexName(table, ["session_key"], "_like", max);
    statements.push({
      kind: "index",
      name: likeIndex,
      sql: `CREATE INDEX ${q(likeIndex)} ON ${q(table)} (${q("session_key")} varchar_pattern_ops)`,
    });
  }
  statements.push({
    kind: "index",
    name: expireIndex,
    sql: `CREATE INDEX ${q(expireIndex)} ON ${q(table)} (${q("expire_date")})`,
  });
  return statements;
}

/**
 * Creates the session table and its indexes where missing; safe to call on every start.
 * @throws {SessionStoreError} when the database fails or refuses.
 *
 * @example
 * ```ts
 * await ensureSessionTable(await sqliteDatabase("./db.sqlite3"));
 * ```
 */
export async function ensureSessionTable(
  database: SqlDatabase,
  table: string = DJANGO_SESSION_TABLE,
): Promise<void> {
  for (const statement of sessionTableDdl(database.dialect, table)) {
    if (await objectExists(database, statement, table)) continue;
    try {
      await database.execute(statement.sql, []);
    } catch (err) {
      if (!(await objectExists(database, statement, table))) throw err;
    }
  }
}

async function objectExists(
  database: SqlDatabase,
  statement: DdlStatement,
  table: string,
): Promise<boolean> {
  let rows;
  switch (database.dialect) {
    case "sqlite":
      rows = await database.query(
        "SELECT 1 AS present FROM sqlite_master WHERE type = ? AND name = ?",
        [statement.kind, statement.name],
      );
      break;
    case "postgres":
      // to_regclass follows search_path, like the unqualified names in the DDL.
      rows = await database.query("SELECT 1 AS present WHERE to_regclass($1) IS NOT NULL", [
        quoteIdentifier("postgres", statement.name),
      ]);
      break;
    case "mysql":
      rows =
        statement.kind === "table"
          ? await database.query(
              "SELECT 1 AS present FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
              [table],
            )
          : await database.query(
              "SELECT 1 AS present FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = ?",
              [table, statement.name],
            );
      break;
  }
  return rows.length > 0;
}
