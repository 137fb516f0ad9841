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
 *
 * This module holds the data: tables, columns, constraint and index names, migrations; `ddl.ts`
 * turns it into statements, `inspect.ts` compares a database against it, `migrate.ts` applies it.
 */

/** The project's `DEFAULT_AUTO_FIELD`: `BigAutoField` ("big") or `AutoField` ("int"). */
export type AutoFieldKind = "big" | "int";

/** Canonical column types the shape check compares. */
export type ColumnType =
  "autoint" | "autobig" | "int" | "bool" | "datetime" | "text" | `varchar(${number})`;

/** One column of Django's final schema. */
export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  readonly nullable?: boolean;
  readonly unique?: boolean;
}

/** One table of Django's final schema. */
export interface TableSpec {
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

/** SQLite: the text Django leaves in sqlite_master (column order after its table rebuilds). */
export const SQLITE: Readonly<Record<string, readonly string[]>> = {
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

/** A table's unique constraints, foreign keys and `LIKE` indexes (PostgreSQL and MySQL). */
export interface Relation {
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

/** Constraint and index names exactly as Django derives them. */
export const RELATIONS: readonly Relation[] = [
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
