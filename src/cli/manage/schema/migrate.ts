/**
 * `migrate`: creates the missing tables of Django's final schema and records the migrations they
 * stand for in `django_migrations`, refusing (nothing changed) when an existing table differs.
 */
import { placeholders, type SqlDatabase } from "../../../internal/sql/database.ts";
import { expireDateParam } from "../../../internal/sql/dates.ts";
import { quoteIdentifier } from "../../../internal/sql/identifiers.ts";
import { CommandFailure } from "../../command.ts";
import { listTables } from "../db.ts";
import { tableDdl, type SchemaOptions } from "./ddl.ts";
import { shapeProblem } from "./inspect.ts";
import { MIGRATIONS, TABLES } from "./tables.ts";

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
