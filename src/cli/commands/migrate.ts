/** `sessionbridge migrate`: creates Django's session and auth tables, exactly as Django would. */
import { NEWEST_DJANGO_VERSION } from "../../django/presets.ts";
import type { DjangoVersion } from "../../engine/config.ts";
import type { SqlDialect } from "../../internal/sql/database.ts";
import { parseDatabaseUrl } from "../../internal/sql/url.ts";
import { postgresTriggerDropSql, postgresTriggerSql } from "../../adapters/realtime/index.ts";
import { CommandFailure, UsageError, type Command } from "../command.ts";
import { requireDjangoVersion } from "../env-config.ts";
import { CONFIG_HELP, type ManageConfig } from "../manage/config.ts";
import { parseManageArgs, withDatabase, writeJson } from "../manage/common.ts";
import { schemaDdl } from "../manage/schema/ddl.ts";
import { migrateSchema } from "../manage/schema/migrate.ts";
import type { AutoFieldKind } from "../manage/schema/tables.ts";
import { userTable } from "../user-model.ts";

export const migrateCommand: Command = {
  name: "migrate",
  summary: "Create django_session and the auth_* tables with Django's exact schema (idempotent)",
  help: `Usage: sessionbridge migrate [--auto-field big|int] [--realtime-triggers | --drop-realtime-triggers]
                           [--sql] [--json] [options]

Creates, where missing, the tables of Django's contenttypes, auth and sessions apps in their
final form (after contenttypes 0001-0002, auth 0001-0012, sessions 0001): django_content_type,
auth_permission, auth_group, auth_group_permissions, auth_user, auth_user_groups,
auth_user_user_permissions, django_session, and django_migrations. The DDL is Django's own,
per dialect (SQLite, PostgreSQL, MySQL/MariaDB), so Django can take the database over.

The migrations these tables stand for are recorded in django_migrations, so Django's
'manage.py migrate' (with or without --fake-initial) sees them as applied and goes on with
its other apps.

Idempotent: existing tables are checked, not changed. If one differs from Django's final
schema (missing or extra columns, other types), nothing is created and the command exits 1
naming the table and the difference.

Options:
  --auto-field big|int  the project's DEFAULT_AUTO_FIELD, which sizes the ids of the
                        many-to-many tables and django_migrations: big (BigAutoField, what
                        startproject writes since Django 3.2, and Django 6.0+'s own default;
                        default) or int (AutoField)
  --realtime-triggers   PostgreSQL only, opt-in: also install the triggers that NOTIFY
                        sessionbridge/realtime's postgresWatcher when a django_session row
                        is updated or deleted (not after its expiry) or a user's password or
                        is_active changes (on AUTH_USER_MODEL's table); idempotent
  --drop-realtime-triggers
                        PostgreSQL only: remove those triggers and their functions (and
                        nothing else; no table is created)
  --sql                 print the DDL instead of running it
  --json                print what was done as JSON
  -h, --help            show this help

${CONFIG_HELP}
DJANGO_VERSION (or --django-version) is required on PostgreSQL: 3.2 makes serial ids, 4.2 and
later identity columns.

Examples:
  DATABASE_URL=postgres://app@db/app sessionbridge migrate
  sessionbridge migrate --database-url sqlite:./db.sqlite3 --sql
`,
  async run({ args, env, stdout }) {
    const { values, positionals, config } = parseManageArgs(args, env, {
      "auto-field": { type: "string" },
      sql: { type: "boolean" },
      json: { type: "boolean" },
      "realtime-triggers": { type: "boolean" },
      "drop-realtime-triggers": { type: "boolean" },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const triggers = values["realtime-triggers"] === true;
    const dropTriggers = values["drop-realtime-triggers"] === true;
    if (triggers && dropTriggers)
      throw new UsageError("--realtime-triggers and --drop-realtime-triggers exclude each other");
    if ((triggers || dropTriggers) && dialectOf(config.databaseUrl) !== "postgres")
      throw new UsageError(
        "--realtime-triggers and --drop-realtime-triggers need PostgreSQL (other databases are polled)",
      );
    const triggerOptions = { userTable: userTable(config.userModel, "postgres") };
    const triggerSql = triggers
      ? postgresTriggerSql(triggerOptions)
      : dropTriggers
        ? postgresTriggerDropSql(triggerOptions)
        : [];
    const autoFieldOption = values["auto-field"] ?? "big";
    if (autoFieldOption !== "big" && autoFieldOption !== "int")
      throw new UsageError("--auto-field must be big or int");
    const autoField: AutoFieldKind = autoFieldOption;
    const djangoVersion = schemaVersion(config, dialectOf(config.databaseUrl));
    if (values.sql === true) {
      // Only the dialect matters: nothing is opened, and no SQLite file is created.
      if (dropTriggers) {
        for (const sql of triggerSql) stdout.write(`${sql};\n`);
        return;
      }
      for (const statement of schemaDdl({
        dialect: dialectOf(config.databaseUrl),
        djangoVersion,
        autoField,
      }))
        stdout.write(`${statement.sql};\n`);
      for (const sql of triggerSql) stdout.write(`${sql};\n`);
      return;
    }
    const json = values.json === true;
    await withDatabase(
      config,
      async (database) => {
        // Say first which database this is: a relative sqlite: path or a forgotten
        // DATABASE_URL would otherwise create tables somewhere the user did not mean.
        if (!json)
          stdout.write(
            `Database: ${database.description}${database.createdFile ? " (new file)" : ""}\n`,
          );
        if (dropTriggers) {
          await database.transaction(async () => {
            for (const sql of triggerSql) await database.execute(sql, []);
          });
          if (json) writeJson(stdout, { database: database.description, realtimeTriggers: false });
          else stdout.write("  Removed the realtime triggers (if they were there)\n");
          return;
        }
        const options = {
          dialect: database.dialect,
          djangoVersion,
          autoField,
        };
        const result = await migrateSchema(database, options, (message) => {
          if (!json) stdout.write(`  ${message}\n`);
        });
        if (triggers) {
          await database.transaction(async () => {
            for (const sql of triggerSql) await database.execute(sql, []);
          });
          if (!json) stdout.write(`  Installed the realtime triggers\n`);
        }
        if (json) {
          writeJson(stdout, {
            database: database.description,
            ...result,
            ...(triggers ? { realtimeTriggers: true } : {}),
          });
          return;
        }
        if (result.created.length === 0)
          stdout.write("No changes: every table exists with Django's schema.\n");
        if (result.recorded.length > 0)
          stdout.write(`  Recorded ${result.recorded.length} migrations in django_migrations\n`);
      },
      { create: true },
    );
  },
};

/**
 * The Django whose schema to make: `DJANGO_VERSION`, required on PostgreSQL (3.2 makes serial
 * ids, 4.2 and later identity columns); SQLite's and MySQL's tables are the same in every
 * supported version, so there an unset one takes the newest.
 */
function schemaVersion(config: ManageConfig, dialect: SqlDialect): DjangoVersion {
  if (dialect === "postgres")
    return requireDjangoVersion(config, "the PostgreSQL schema (serial or identity ids)");
  return config.djangoVersion ?? NEWEST_DJANGO_VERSION;
}

/** The dialect of a `DATABASE_URL`. @throws {CommandFailure} for one that cannot be used. */
function dialectOf(url: string): SqlDialect {
  try {
    return parseDatabaseUrl(url).dialect;
  } catch (error) {
    throw new CommandFailure(error instanceof Error ? error.message : String(error));
  }
}
