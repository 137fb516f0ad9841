/**
 * Django's final schema (after `contenttypes` 0001–0002, `auth` 0001–0012, `sessions` 0001)
 * for the tables sessionbridge manages, per dialect, as Django's own `migrate` leaves it.
 *
 * The statements were taken from real Django (3.2 and 5.2: `sqlmigrate` of every migration,
 * folded to the final column types, and on SQLite the `sqlite_master` text after Django's table
 * rebuilds); `test/cli/manage/migrate.test.ts` checks that the result is identical to what
 * Django's `migrate` produces, table by table, on SQLite, PostgreSQL and MariaDB.
 *
 * Differences by version and project: on PostgreSQL, Django 3.2 makes `serial` ids and 4.0+
 * identity columns; the ids of the auto-created many-to-many tables and of `django_migrations`
 * follow the project's `DEFAULT_AUTO_FIELD` (`BigAutoField` in every `startproject` since 3.2,
 * `AutoField` in older projects): `autoField: "big" | "int"`.
 *
 * After creating the tables, the migrations they stand for are recorded in `django_migrations`,
 * so that Django's `migrate` (with or without `--fake-initial`) treats them as applied:
 * `--fake-initial` alone would fake only the initial migrations and then fail replaying
 * `contenttypes.0002` (it drops a column the final schema no longer has).
 */
import { placeholders, type SqlDatabase, type SqlDialect } from "../../internal/sql/database.ts";
import { expireDateParam } from "../../internal/sql/dates.ts";
import { quoteIdentifier } from "../../internal/sql/identifiers.ts";
import { sessionTableDdl } from "../../stores/sql/ddl.ts";
import type { DjangoVersion } from "../../engine/config.ts";
import { CommandFailure } from "../command.ts";
import { listTables } from "./db.ts";

/** The project's `DEFAULT_AUTO_FIELD`: `BigAutoField` ("big") or `AutoField` ("int"). */
export type AutoFieldKind = "big" | "int";

/** Canonical column types the shape check compares. */
type ColumnType =
  "autoint" | "autobig" | "int" | "bool" | "datetime" | "text" | `varchar(${number})`;

interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  readonly nullable?: boolean;
  readonly unique?: boolean;
}

interface TableSpec {
  readonly app: "contenttypes" | "auth" | "sessions" | "migrations";
  readonly name: string;
  readonly columns: readonly ColumnSpec[];
}

/** The tables, in creation order (referenced tables first). */
export const TABLES: readonly TableSpec[] = [
  {
    app: "migrations",
    name: "django_migrations",
    columns: [
      { name: "id", type: "autobig" },
      { name: "app", type: "varchar(255)" },
      { name: "name", type: "varchar(255)" },
      { name: "applied", type: "datetime" },
    ],
  },
  {
    app: "contenttypes",
    name: "django_content_type",
    columns: [
      { name: "id", type: "autoint" },
      { name: "app_label", type: "varchar(100)" },
      { name: "model", type: "varchar(100)" },
    ],
  },
  {
    app: "auth",
    name: "auth_permission",
    columns: [
      { name: "id", type: "autoint" },
      { name: "name", type: "varchar(255)" },
      { name: "content_type_id", type: "int" },
      { name: "codename", type: "varchar(100)" },
    ],
  },
  {
    app: "auth",
    name: "auth_group",
    columns: [
      { name: "id", type: "autoint" },
      { name: "name", type: "varchar(150)", unique: true },
    ],
  },
  {
    app: "auth",
    name: "auth_group_permissions",
    columns: [
      { name: "id", type: "autobig" },
      { name: "group_id", type: "int" },
      { name: "permission_id", type: "int" },
    ],
  },
  {
    app: "auth",
    name: "auth_user",
    columns: [
      { name: "id", type: "autoint" },
      { name: "password", type: "varchar(128)" },
      { name: "last_login", type: "datetime", nullable: true },
      { name: "is_superuser", type: "bool" },
      { name: "username", type: "varchar(150)", unique: true },
      { name: "first_name", type: "varchar(150)" },
      { name: "last_name", type: "varchar(150)" },
      { name: "email", type: "varchar(254)" },
      { name: "is_staff", type: "bool" },
      { name: "is_active", type: "bool" },
      { name: "date_joined", type: "datetime" },
    ],
  },
  {
    app: "auth",
    name: "auth_user_groups",
    columns: [
      { name: "id", type: "autobig" },
      { name: "user_id", type: "int" },
      { name: "group_id", type: "int" },
    ],
  },
  {
    app: "auth",
    name: "auth_user_user_permissions",
    columns: [
      { name: "id", type: "autobig" },
      { name: "user_id", type: "int" },
      { name: "permission_id", type: "int" },
    ],
  },
  {
    app: "sessions",
    name: "django_session",
    columns: [
      { name: "session_key", type: "varchar(40)" },
      { name: "session_data", type: "text" },
      { name: "expire_date", type: "datetime" },
    ],
  },
];

/** Every table name sessionbridge manages (what `flush` calls "ours"). */
export const OUR_TABLES: readonly string[] = TABLES.map((t) => t.name);

/** The migrations the final schema stands for, per app, in order. */
export const MIGRATIONS: Readonly<Record<"contenttypes" | "auth" | "sessions", readonly string[]>> =
  {
    contenttypes: ["0001_initial", "0002_remove_content_type_name"],
    auth: [
      "0001_initial",
      "0002_alter_permission_name_max_length",
      "0003_alter_user_email_max_length",
      "0004_alter_user_username_opts",
      "0005_alter_user_last_login_null",
      "0006_require_contenttypes_0002",
      "0007_alter_validators_add_error_messages",
      "0008_alter_user_username_max_length",
      "0009_alter_user_last_name_max_length",
      "0010_alter_group_name_max_length",
      "0011_update_proxy_permissions",
      "0012_alter_user_first_name_max_length",
    ],
    sessions: ["0001_initial"],
  };

// SQLite: the text Django leaves in sqlite_master (column order after its table rebuilds).
const SQLITE: Readonly<Record<string, readonly string[]>> = {
  django_migrations: [
    'CREATE TABLE "django_migrations" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "app" varchar(255) NOT NULL, "name" varchar(255) NOT NULL, "applied" datetime NOT NULL)',
  ],
  django_content_type: [
    'CREATE TABLE "django_content_type" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "app_label" varchar(100) NOT NULL, "model" varchar(100) NOT NULL)',
    'CREATE UNIQUE INDEX "django_content_type_app_label_model_76bd3d3b_uniq" ON "django_content_type" ("app_label", "model")',
  ],
  auth_permission: [
    'CREATE TABLE "auth_permission" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "content_type_id" integer NOT NULL REFERENCES "django_content_type" ("id") DEFERRABLE INITIALLY DEFERRED, "codename" varchar(100) NOT NULL, "name" varchar(255) NOT NULL)',
    'CREATE UNIQUE INDEX "auth_permission_content_type_id_codename_01ab375a_uniq" ON "auth_permission" ("content_type_id", "codename")',
    'CREATE INDEX "auth_permission_content_type_id_2f476e4b" ON "auth_permission" ("content_type_id")',
  ],
  auth_group: [
    'CREATE TABLE "auth_group" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "name" varchar(150) NOT NULL UNIQUE)',
  ],
  auth_group_permissions: [
    'CREATE TABLE "auth_group_permissions" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "group_id" integer NOT NULL REFERENCES "auth_group" ("id") DEFERRABLE INITIALLY DEFERRED, "permission_id" integer NOT NULL REFERENCES "auth_permission" ("id") DEFERRABLE INITIALLY DEFERRED)',
    'CREATE UNIQUE INDEX "auth_group_permissions_group_id_permission_id_0cd325b0_uniq" ON "auth_group_permissions" ("group_id", "permission_id")',
    'CREATE INDEX "auth_group_permissions_group_id_b120cbf9" ON "auth_group_permissions" ("group_id")',
    'CREATE INDEX "auth_group_permissions_permission_id_84c5c92e" ON "auth_group_permissions" ("permission_id")',
  ],
  auth_user: [
    'CREATE TABLE "auth_user" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "password" varchar(128) NOT NULL, "last_login" datetime NULL, "is_superuser" bool NOT NULL, "username" varchar(150) NOT NULL UNIQUE, "last_name" varchar(150) NOT NULL, "email" varchar(254) NOT NULL, "is_staff" bool NOT NULL, "is_active" bool NOT NULL, "date_joined" datetime NOT NULL, "first_name" varchar(150) NOT NULL)',
  ],
  auth_user_groups: [
    'CREATE TABLE "auth_user_groups" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "user_id" integer NOT NULL REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED, "group_id" integer NOT NULL REFERENCES "auth_group" ("id") DEFERRABLE INITIALLY DEFERRED)',
    'CREATE UNIQUE INDEX "auth_user_groups_user_id_group_id_94350c0c_uniq" ON "auth_user_groups" ("user_id", "group_id")',
    'CREATE INDEX "auth_user_groups_user_id_6a12ed8b" ON "auth_user_groups" ("user_id")',
    'CREATE INDEX "auth_user_groups_group_id_97559544" ON "auth_user_groups" ("group_id")',
  ],
  auth_user_user_permissions: [
    'CREATE TABLE "auth_user_user_permissions" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "user_id" integer NOT NULL REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED, "permission_id" integer NOT NULL REFERENCES "auth_permission" ("id") DEFERRABLE INITIALLY DEFERRED)',
    'CREATE UNIQUE INDEX "auth_user_user_permissions_user_id_permission_id_14a6b632_uniq" ON "auth_user_user_permissions" ("user_id", "permission_id")',
    'CREATE INDEX "auth_user_user_permissions_user_id_a95ead1b" ON "auth_user_user_permissions" ("user_id")',
    'CREATE INDEX "auth_user_user_permissions_permission_id_1fbb5f2c" ON "auth_user_user_permissions" ("permission_id")',
  ],
};

interface Relation {
  readonly table: string;
  readonly unique: readonly { name: string; columns: readonly string[] }[];
  readonly foreignKeys: readonly {
    name: string;
    column: string;
    references: string;
    index: string;
  }[];
  readonly likeIndexes: readonly { name: string; column: string }[];
}

// Constraint and index names exactly as Django derives them.
const RELATIONS: readonly Relation[] = [
  {
    table: "django_content_type",
    unique: [
      {
        name: "django_content_type_app_label_model_76bd3d3b_uniq",
        columns: ["app_label", "model"],
      },
    ],
    foreignKeys: [],
    likeIndexes: [],
  },
  {
    table: "auth_permission",
    unique: [
      {
        name: "auth_permission_content_type_id_codename_01ab375a_uniq",
        columns: ["content_type_id", "codename"],
      },
    ],
    foreignKeys: [
      {
        name: "auth_permission_content_type_id_2f476e4b_fk_django_co",
        column: "content_type_id",
        references: "django_content_type",
        index: "auth_permission_content_type_id_2f476e4b",
      },
    ],
    likeIndexes: [],
  },
  {
    table: "auth_group",
    unique: [],
    foreignKeys: [],
    likeIndexes: [{ name: "auth_group_name_a6ea08ec_like", column: "name" }],
  },
  {
    table: "auth_group_permissions",
    unique: [
      {
        name: "auth_group_permissions_group_id_permission_id_0cd325b0_uniq",
        columns: ["group_id", "permission_id"],
      },
    ],
    foreignKeys: [
      {
        name: "auth_group_permissions_group_id_b120cbf9_fk_auth_group_id",
        column: "group_id",
        references: "auth_group",
        index: "auth_group_permissions_group_id_b120cbf9",
      },
      {
        name: "auth_group_permissio_permission_id_84c5c92e_fk_auth_perm",
        column: "permission_id",
        references: "auth_permission",
        index: "auth_group_permissions_permission_id_84c5c92e",
      },
    ],
    likeIndexes: [],
  },
  {
    table: "auth_user",
    unique: [],
    foreignKeys: [],
    likeIndexes: [{ name: "auth_user_username_6821ab7c_like", column: "username" }],
  },
  {
    table: "auth_user_groups",
    unique: [
      { name: "auth_user_groups_user_id_group_id_94350c0c_uniq", columns: ["user_id", "group_id"] },
    ],
    foreignKeys: [
      {
        name: "auth_user_groups_user_id_6a12ed8b_fk_auth_user_id",
        column: "user_id",
        references: "auth_user",
        index: "auth_user_groups_user_id_6a12ed8b",
      },
      {
        name: "auth_user_groups_group_id_97559544_fk_auth_group_id",
        column: "group_id",
        references: "auth_group",
        index: "auth_user_groups_group_id_97559544",
      },
    ],
    likeIndexes: [],
  },
  {
    table: "auth_user_user_permissions",
    unique: [
      {
        name: "auth_user_user_permissions_user_id_permission_id_14a6b632_uniq",
        columns: ["user_id", "permission_id"],
      },
    ],
    foreignKeys: [
      {
        name: "auth_user_user_permissions_user_id_a95ead1b_fk_auth_user_id",
        column: "user_id",
        references: "auth_user",
        index: "auth_user_user_permissions_user_id_a95ead1b",
      },
      {
        name: "auth_user_user_permi_permission_id_1fbb5f2c_fk_auth_perm",
        column: "permission_id",
        references: "auth_permission",
        index: "auth_user_user_permissions_permission_id_1fbb5f2c",
      },
    ],
    likeIndexes: [],
  },
];

/** What shapes the DDL. */
export interface SchemaOptions {
  readonly dialect: SqlDialect;
  readonly djangoVersion: DjangoVersion;
  readonly autoField: AutoFieldKind;
}

function columnSql(options: SchemaOptions, column: ColumnSpec): string {
  const { dialect } = options;
  const q = (name: string): string => (dialect === "mysql" ? `\`${name}\`` : `"${name}"`);
  const auto = column.type === "autoint" || column.type === "autobig";
  if (auto) {
    const big = column.type === "autobig" && options.autoField === "big";
    if (dialect === "postgres") {
      if (options.djangoVersion === "3.2")
        return `${q(column.name)} ${big ? "bigserial" : "serial"} NOT NULL PRIMARY KEY`;
      return `${q(column.name)} ${big ? "bigint" : "integer"} NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY`;
    }
    return `${q(column.name)} ${big ? "bigint" : "integer"} AUTO_INCREMENT NOT NULL PRIMARY KEY`;
  }
  let type: string = column.type;
  if (column.type === "int") type = "integer";
  else if (column.type === "bool") type = dialect === "postgres" ? "boolean" : "bool";
  else if (column.type === "datetime")
    type = dialect === "postgres" ? "timestamp with time zone" : "datetime(6)";
  else if (column.type === "text") type = dialect === "mysql" ? "longtext" : "text";
  const unique = column.unique === true ? " UNIQUE" : "";
  return `${q(column.name)} ${type} ${column.nullable === true ? "NULL" : "NOT NULL"}${unique}`;
}

/** One DDL statement, labelled with the table it belongs to. */
export interface SchemaStatement {
  readonly table: string;
  readonly sql: string;
}

/**
 * The statements creating `table` (and its constraints and indexes) in Django's final form.
 * `django_session` comes from the session store's own DDL (`stores/sql/ddl.ts`).
 */
export function tableDdl(options: SchemaOptions, table: string): SchemaStatement[] {
  const { dialect } = options;
  const q = (name: string): string => (dialect === "mysql" ? `\`${name}\`` : `"${name}"`);
  if (table === "django_session") {
    return sessionTableDdl(dialect).map((s) => ({ table, sql: s.sql }));
  }
  if (dialect === "sqlite") {
    const statements = SQLITE[table];
    if (statements === undefined) throw new Error(`no DDL for ${table}`);
    return statements.map((sql) => ({ table, sql }));
  }
  const spec = TABLES.find((t) => t.name === table);
  if (spec === undefined) throw new Error(`no DDL for ${table}`);
  const out: SchemaStatement[] = [
    {
      table,
      sql: `CREATE TABLE ${q(table)} (${spec.columns.map((c) => columnSql(options, c)).join(", ")})`,
    },
  ];
  const relation = RELATIONS.find((r) => r.table === table);
  if (relation === undefined) return out;
  for (const unique of relation.unique) {
    out.push({
      table,
      sql: `ALTER TABLE ${q(table)} ADD CONSTRAINT ${q(unique.name)} UNIQUE (${unique.columns.map(q).join(", ")})`,
    });
  }
  for (const fk of relation.foreignKeys) {
    out.push({
      table,
      sql:
        `ALTER TABLE ${q(table)} ADD CONSTRAINT ${q(fk.name)} FOREIGN KEY (${q(fk.column)}) REFERENCES ${q(fk.references)} (${q("id")})` +
        (dialect === "postgres" ? " DEFERRABLE INITIALLY DEFERRED" : ""),
    });
  }
  if (dialect === "postgres") {
    // MySQL indexes foreign keys itself; Django adds these only on PostgreSQL (and SQLite).
    for (const fk of relation.foreignKeys) {
      out.push({ table, sql: `CREATE INDEX ${q(fk.index)} ON ${q(table)} (${q(fk.column)})` });
    }
    for (const like of relation.likeIndexes) {
      out.push({
        table,
        sql: `CREATE INDEX ${q(like.name)} ON ${q(table)} (${q(like.column)} varchar_pattern_ops)`,
      });
    }
  }
  return out;
}

/** Every statement, in creation order. */
export function schemaDdl(options: SchemaOptions): SchemaStatement[] {
  return TABLES.flatMap((t) => tableDdl(options, t.name));
}

/** A column as the database describes it, in canonical form. */
interface ActualColumn {
  readonly name: string;
  readonly type: string;
  readonly nullable: boolean;
}

async function describeTable(database: SqlDatabase, table: string): Promise<ActualColumn[]> {
  switch (database.dialect) {
    case "sqlite": {
      const rows = await database.query(`PRAGMA table_info("${table}")`, []);
      return rows.map((r) => ({
        name: String(r["name"]),
        type: canonicalType(String(r["type"])),
        nullable: Number(r["notnull"]) === 0 && Number(r["pk"]) === 0,
      }));
    }
    case "postgres": {
      const rows = await database.query(
        "SELECT column_name, data_type, character_maximum_length, is_nullable FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        [table],
      );
      return rows.map((r) => {
        const length = r["character_maximum_length"];
        const base = String(r["data_type"]);
        return {
          name: String(r["column_name"]),
          type: canonicalType(base === "character varying" ? `varchar(${String(length)})` : base),
          nullable: r["is_nullable"] === "YES",
        };
      });
    }
    case "mysql": {
      const rows = await database.query(
        "SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
        [table],
      );
      return rows.map((r) => ({
        name: String(r["name"]),
        type: canonicalType(String(r["type"])),
        nullable: r["nullable"] === "YES",
      }));
    }
  }
}

function canonicalType(declared: string): string {
  const t = declared.trim().toLowerCase();
  if (/^(integer|int|int4|serial|int\(\d+\))$/.test(t)) return "int";
  if (/^(bigint|int8|bigserial|bigint\(\d+\))$/.test(t)) return "bigint";
  if (/^(bool|boolean|tinyint\(1\))$/.test(t)) return "bool";
  if (/^(datetime|datetime\(6\)|timestamp with time zone|timestamptz)$/.test(t)) return "datetime";
  if (/^(text|longtext)$/.test(t)) return "text";
  const varchar = /^(?:varchar|character varying)\((\d+)\)$/.exec(t);
  if (varchar) return `varchar(${varchar[1]})`;
  return t;
}

function accepts(expected: ColumnType, actual: string): boolean {
  if (expected === "autoint") return actual === "int";
  // Django's AutoField or BigAutoField, depending on the project's DEFAULT_AUTO_FIELD.
  if (expected === "autobig") return actual === "int" || actual === "bigint";
  return expected === actual;
}

/** Why an existing table does not have Django's final shape, or `null` when it does. */
export async function shapeProblem(database: SqlDatabase, table: string): Promise<string | null> {
  const spec = TABLES.find((t) => t.name === table);
  if (spec === undefined) return null;
  const actual = await describeTable(database, table);
  const problems: string[] = [];
  for (const column of spec.columns) {
    const found = actual.find((c) => c.name === column.name);
    if (found === undefined) {
      problems.push(`column ${column.name} is missing`);
      continue;
    }
    if (!accepts(column.type, found.type)) {
      const expected = column.type.startsWith("auto") ? "an integer id" : column.type;
      problems.push(`column ${column.name} is ${found.type}, expected ${expected}`);
    } else if (found.nullable !== (column.nullable === true)) {
      problems.push(
        `column ${column.name} is ${found.nullable ? "" : "NOT "}NULL, expected ${column.nullable === true ? "" : "NOT "}NULL`,
      );
    }
  }
  for (const column of actual) {
    if (!spec.columns.some((c) => c.name === column.name))
      problems.push(`it has an extra column ${column.name}`);
  }
  return problems.length === 0 ? null : problems.join("; ");
}

/** What {@link migrateSchema} did. */
export interface MigrateResult {
  readonly created: string[];
  readonly existing: string[];
  /** `app.name` of each migration recorded in `django_migrations`. */
  readonly recorded: string[];
}

/**
 * Creates the missing tables and records their migrations. Checks every existing table first
 * and refuses (nothing changed) when one does not have Django's final shape.
 * @throws {CommandFailure} naming the table and why.
 */
export async function migrateSchema(
  database: SqlDatabase & { transaction<T>(action: () => Promise<T>): Promise<T> },
  options: SchemaOptions,
  onStep: (message: string) => void = () => {},
): Promise<MigrateResult> {
  const present = new Set(await listTables(database));
  const existing: string[] = [];
  for (const table of TABLES) {
    if (!present.has(table.name)) continue;
    const problem = await shapeProblem(database, table.name);
    if (problem !== null) {
      throw new CommandFailure(
        `table ${table.name} exists but differs from Django's schema (${problem}): not touching it; migrate it with Django's own migrate first`,
      );
    }
    existing.push(table.name);
  }
  const created: string[] = [];
  await database.transaction(async () => {
    for (const table of TABLES) {
      if (present.has(table.name)) continue;
      for (const statement of tableDdl(options, table.name))
        await database.execute(statement.sql, []);
      created.push(table.name);
      onStep(`Created table ${table.name}`);
    }
  });
  const recorded = await recordMigrations(database, new Date());
  return { created, existing, recorded };
}

async function recordMigrations(database: SqlDatabase, now: Date): Promise<string[]> {
  const q = (name: string): string => quoteIdentifier(database.dialect, name);
  const p = placeholders(database.dialect);
  const rows = await database.query(
    `SELECT ${q("app")} AS app, ${q("name")} AS name FROM ${q("django_migrations")}`,
    [],
  );
  const done = new Set(rows.map((r) => `${String(r["app"])}.${String(r["name"])}`));
  const recorded: string[] = [];
  const applied = expireDateParam(database.dialect, now);
  for (const [app, names] of Object.entries(MIGRATIONS)) {
    for (const name of names) {
      if (done.has(`${app}.${name}`)) continue;
      await database.execute(
        `INSERT INTO ${q("django_migrations")} (${q("app")}, ${q("name")}, ${q("applied")}) VALUES (${p(1)}, ${p(2)}, ${p(3)})`,
        [app, name, applied],
      );
      recorded.push(`${app}.${name}`);
    }
  }
  return recorded;
}
