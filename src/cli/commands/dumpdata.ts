/** `sessionbridge dumpdata` / `loaddata`: Django fixtures of the auth, contenttypes and sessions models. */
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { text } from "node:stream/consumers";
import type { Command } from "../command.ts";
import { CommandFailure, UsageError } from "../command.ts";
import { djangoPreset } from "../../django/presets.ts";
import { intOption } from "../args.ts";
import { CONFIG_HELP } from "../manage/config.ts";
import { requireDjangoVersion } from "../env-config.ts";
import { parseManageArgs, withDatabase, writeJson } from "../manage/common.ts";
import { dumpFixtures } from "../manage/fixtures/dump.ts";
import { loadFixtureRows } from "../manage/fixtures/load.ts";
import { selectModels } from "../manage/fixtures/models.ts";
import { parseFixture } from "../manage/fixtures/parse.ts";
import { PacedWriter } from "../manage/output.ts";
import { startProgress } from "../manage/progress.ts";

const MODEL_LIST =
  "contenttypes.contenttype, auth.permission, auth.group, auth.user, sessions.session";

export const dumpdataCommand: Command = {
  name: "dumpdata",
  summary: "Write auth/contenttypes/sessions rows as a Django fixture (JSON)",
  help: `Usage: sessionbridge dumpdata [APP | APP.MODEL]... [--pks 1,2] [--indent N] [--natural-foreign] [-o FILE] [options]

Writes the rows of ${MODEL_LIST} (all of them, or the
apps/models named) as a fixture exactly as Django's 'manage.py dumpdata' does:
[{"model": "auth.user", "pk": 1, "fields": {...}}], fields in model order, datetimes as
DjangoJSONEncoder writes them ("2024-05-01T12:00:00.123Z"), foreign keys as pks, groups /
user_permissions / permissions as pk lists (natural keys with --natural-foreign), non-ASCII
text as is, and a final newline with --indent (without --indent, DJANGO_VERSION is required:
6.0 and 6.1 end with a newline as Django 6's serializer, earlier releases do not). Rows are read in pk order in batches (flat memory). Django's
'loaddata' reads the result, and so does 'sessionbridge loaddata'. Output waits for a slow
reader (flat memory); if reading the database fails midway, the command exits 1 saying the
output is incomplete, and the JSON array is left open so that no loaddata takes it for whole.

Options:
  --pks 1,2            only these primary keys (with exactly one model)
  --indent N           pretty-print with N spaces
  --natural-foreign    foreign keys and many-to-many as natural keys
  -o, --output FILE    write to FILE (a progress bar is shown on a terminal)
  -h, --help           show this help

${CONFIG_HELP}
Examples:
  sessionbridge dumpdata auth.user --indent 2 -o users.json
  sessionbridge dumpdata auth.user --pks 1,2
  python manage.py loaddata users.json      # Django reads it
`,
  async run({ args, env, stdout, stderr }) {
    const { values, positionals, config } = parseManageArgs(args, env, {
      pks: { type: "string" },
      indent: { type: "string" },
      "natural-foreign": { type: "boolean" },
      output: { type: "string", short: "o" },
    });
    const models = selectModels(positionals);
    const indent = intOption(values.indent, "--indent");
    if (indent !== undefined && indent < 0) throw new UsageError("--indent must be 0 or more");
    // Without --indent, Django 6.0+ ends the file with a newline and earlier releases do not.
    const finalNewline =
      indent !== undefined && indent > 0
        ? true
        : djangoPreset(requireDjangoVersion(config, "the fixture's last byte without --indent"))
            .jsonFixtureFinalNewline;
    let pks: string[] | undefined;
    if (values.pks !== undefined) {
      if (models.length !== 1)
        throw new UsageError("--pks needs exactly one model (e.g. auth.user)");
      pks = values.pks
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
      if (models[0]!.pk.kind === "int" && !pks.every((pk) => /^\d+$/.test(pk)))
        throw new UsageError("--pks must be whole numbers for this model");
    }
    await withDatabase(config, async (database) => {
      const file =
        values.output === undefined
          ? undefined
          : createWriteStream(values.output, { encoding: "utf8" });
      const out = new PacedWriter(file ?? stdout);
      const progress =
        file === undefined ? undefined : startProgress(stderr, "dumpdata", undefined, env);
      const done = { started: false, objects: 0 };
      try {
        await dumpFixtures(database, {
          models,
          pks,
          indent: indent === 0 ? undefined : indent,
          naturalForeign: values["natural-foreign"] === true,
          finalNewline,
          write: (chunk) => {
            done.started = true;
            return out.write(chunk);
          },
          onObject: () => {
            done.objects++;
            progress?.tick(1);
          },
        });
        await out.flush();
      } catch (error) {
        // What was produced goes out; the array stays open, so that no loaddata takes a
        // partial fixture for a whole one.
        await out.flush().catch(() => undefined);
        const where = values.output ?? "standard output";
        if (out.broken !== undefined)
          throw new CommandFailure(`cannot write ${where}: ${out.broken.message}`);
        if (!done.started) throw error;
        const detail = error instanceof Error ? error.message : String(error);
        throw new CommandFailure(
          `output incomplete: ${done.objects} objects written to ${where} before: ${detail} (not a complete fixture: its JSON array is left open, so loaddata refuses it)`,
        );
      } finally {
        progress?.done();
        if (file !== undefined && !file.destroyed)
          await new Promise<void>((resolve) => file.end(resolve));
      }
    });
  },
};

export const loaddataCommand: Command = {
  name: "loaddata",
  summary: "Load a Django fixture (JSON) into the auth/contenttypes/sessions tables, atomically",
  help: `Usage: sessionbridge loaddata FILE [--json] [options]

Loads a fixture in Django's JSON format (what 'manage.py dumpdata' writes) for the models
${MODEL_LIST}. As Django does: an object with a pk
updates that row or inserts it, fields it leaves out get the model defaults, groups /
user_permissions / permissions replace the row's set; pks and natural keys
(--natural-foreign/--natural-primary output) are both understood. Password hashes are kept
as they are, so users keep their passwords.

Everything is checked first and written in one transaction: an unknown model, an unknown
field, a bad value or a reference to a missing row stops with one line naming the file and
the object (#1 is the first), and nothing is written. FILE - reads standard input.

Options:
  --json       print {"installed": N} as JSON
  -h, --help   show this help

${CONFIG_HELP}
Examples:
  python manage.py dumpdata auth.user > users.json && sessionbridge loaddata users.json
`,
  async run({ args, env, stdout }) {
    const { values, positionals, config } = parseManageArgs(args, env, {
      json: { type: "boolean" },
    });
    if (positionals.length !== 1)
      throw new UsageError("give exactly one fixture FILE (or - for standard input)");
    const file = positionals[0]!;
    let content: string;
    try {
      content = file === "-" ? await text(process.stdin) : await readFile(file, "utf8");
    } catch (error) {
      throw new CommandFailure(
        `cannot read fixture ${file}: ${(error as { code?: string }).code === "ENOENT" ? "no such file" : String(error)}`,
      );
    }
    const rows = parseFixture(file, content, new Date());
    const installed = await withDatabase(config, (database) =>
      loadFixtureRows(database, file, rows),
    );
    if (values.json === true) writeJson(stdout, { installed });
    else stdout.write(`Installed ${installed} object(s) from 1 fixture(s)\n`);
  },
};
