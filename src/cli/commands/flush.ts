/**
 * `sessionbridge flush` / `sqlflush`: empty sessionbridge's tables, on a database that is ours.
 */
import type { Command } from "../command.ts";
import { CommandFailure, UsageError } from "../command.ts";
import { CONFIG_HELP } from "../manage/config.ts";
import { parseManageArgs, withDatabase, writeJson } from "../manage/common.ts";
import { listTables, type ManagedDatabase } from "../manage/db.ts";
import { canPrompt, confirm, createPrompter } from "../manage/prompt.ts";
import { OUR_TABLES } from "../manage/schema/tables.ts";

/** Emptied, children first. Content types and permissions are kept (see the help). */
const FLUSHED = [
  "django_session",
  "auth_user_user_permissions",
  "auth_user_groups",
  "auth_group_permissions",
  "auth_user",
  "auth_group",
];

const OURS_HELP = `"Ours" means every table in the database (PostgreSQL: the current schema) is one of
sessionbridge's: ${OUR_TABLES.join(", ")}. A database with any other
table (a Django project's own apps, django_admin_log, anything) is refused: use that project's
'manage.py flush' there.`;

/** The statements `flush` runs, per dialect. */
export function flushSql(
  database: Pick<ManagedDatabase, "dialect" | "q">,
  present: ReadonlySet<string>,
): string[] {
  const tables = FLUSHED.filter((t) => present.has(t));
  const q = database.q;
  switch (database.dialect) {
    case "postgres":
      return tables.length === 0 ? [] : [`TRUNCATE ${tables.map(q).join(", ")} RESTART IDENTITY`];
    case "mysql":
      return [
        "SET FOREIGN_KEY_CHECKS = 0",
        ...tables.map((t) => `TRUNCATE ${q(t)}`),
        "SET FOREIGN_KEY_CHECKS = 1",
      ];
    case "sqlite": {
      const statements = tables.map((t) => `DELETE FROM ${q(t)}`);
      if (present.has("sqlite_sequence")) {
        const seq = tables.filter((t) => t !== "django_session");
        if (seq.length > 0)
          statements.push(
            `UPDATE "sqlite_sequence" SET "seq" = 0 WHERE "name" IN (${seq.map((t) => `'${t}'`).join(", ")})`,
          );
      }
      return statements;
    }
  }
}

async function presentTables(database: ManagedDatabase): Promise<Set<string>> {
  const tables = await listTables(database);
  const foreign = tables.filter((t) => !OUR_TABLES.includes(t));
  if (foreign.length > 0) {
    const shown =
      foreign.slice(0, 3).join(", ") + (foreign.length > 3 ? `, … (${foreign.length} in all)` : "");
    throw new CommandFailure(
      `refusing to flush ${database.description}: it is not sessionbridge's database (it has other tables: ${shown}); use that project's own 'manage.py flush'`,
    );
  }
  if (!tables.some((t) => FLUSHED.includes(t))) {
    throw new CommandFailure(
      `nothing to flush in ${database.description}: none of sessionbridge's tables exist (run 'sessionbridge migrate')`,
    );
  }
  const set = new Set(tables);
  if (database.dialect === "sqlite") {
    const seq = await database.query(
      "SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'",
      [],
    );
    if (seq.length > 0) set.add("sqlite_sequence");
  }
  return set;
}

export const flushCommand: Command = {
  name: "flush",
  summary: "Delete every user, group and session (asks first unless --no-input)",
  help: `Usage: sessionbridge flush [--no-input] [--json] [options]

Deletes all rows of django_session, auth_user, auth_group and their membership/permission
tables, and resets their id sequences, like Django's 'manage.py flush'. Content types and
permissions (django_content_type, auth_permission) are kept: Django re-creates them right
after its flush anyway, and keeping them keeps their ids. django_migrations is left alone.

It asks for confirmation on a terminal unless --no-input; without a terminal, --no-input is
required.

${OURS_HELP}

Options:
  --no-input    do not ask (alias: --noinput)
  --json        print {"flushed": [tables]} as JSON
  -h, --help    show this help

${CONFIG_HELP}
Examples:
  sessionbridge flush
  DATABASE_URL=sqlite:./test.sqlite3 sessionbridge flush --no-input
`,
  async run({ args, env, stdout }) {
    const { values, positionals, config } = parseManageArgs(args, env, {
      "no-input": { type: "boolean" },
      noinput: { type: "boolean" },
      json: { type: "boolean" },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const noInput = values["no-input"] === true || values.noinput === true;
    if (!noInput && !canPrompt())
      throw new CommandFailure(
        "standard input is not a terminal: pass --no-input to flush without confirmation",
      );
    await withDatabase(config, async (database) => {
      const present = await presentTables(database);
      if (!noInput) {
        const prompter = createPrompter(process.stdin, stdout);
        let yes: boolean;
        try {
          stdout.write(
            `You have requested a flush of ${database.description}.\nThis will IRREVERSIBLY DESTROY every user, group and session in it.\n`,
          );
          yes = await confirm(
            prompter,
            "Are you sure you want to do this?\n\n    Type 'yes' to continue, or 'no' to cancel: ",
          );
        } finally {
          prompter.close();
        }
        if (!yes) {
          stdout.write("Flush cancelled.\n");
          return;
        }
      }
      const statements = flushSql(database, present);
      if (database.dialect === "mysql") {
        for (const sql of statements) await database.execute(sql, []);
      } else {
        await database.transaction(async () => {
          for (const sql of statements) await database.execute(sql, []);
        });
      }
      const flushed = FLUSHED.filter((t) => present.has(t));
      if (values.json === true) writeJson(stdout, { flushed });
      else stdout.write(`Flushed ${flushed.join(", ")}\n`);
    });
  },
};

export const sqlflushCommand: Command = {
  name: "sqlflush",
  summary: "Print the SQL that flush would run",
  help: `Usage: sessionbridge sqlflush [options]

Prints the statements 'sessionbridge flush' runs on this database (after the same "is it
ours" check), without running them.

${OURS_HELP}

${CONFIG_HELP}
Examples:
  sessionbridge sqlflush --database-url postgres://app@db/app
`,
  async run({ args, env, stdout }) {
    const { positionals, config } = parseManageArgs(args, env, {});
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    await withDatabase(config, async (database) => {
      const present = await presentTables(database);
      const statements = flushSql(database, present);
      const wrapped =
        database.dialect === "mysql" ? statements : ["BEGIN", ...statements, "COMMIT"];
      for (const sql of wrapped) stdout.write(`${sql};\n`);
    });
  },
};
