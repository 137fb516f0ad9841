/**
 * `sessionbridge clearsessions`: Django's `clearsessions`, in small batches so a live
 * application keeps being served, with flat memory on any number of rows.
 */
import { open, stat, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileExpiryAge } from "../../stores/file/expiry.ts";
import type { Command } from "../command.ts";
import { CommandFailure, UsageError } from "../command.ts";
import { intOption } from "../args.ts";
import { CONFIG_HELP, requireSecretKey } from "../manage/config.ts";
import {
  asFailure,
  parseManageArgs,
  watchStop,
  withDatabase,
  writeJson,
} from "../manage/common.ts";
import type { ManagedDatabase } from "../manage/db.ts";
import { startProgress } from "../manage/progress.ts";
import { naiveNow, sessionCodec, sessionFiles } from "../manage/stores.ts";

const DEFAULT_BATCH = 5000;

export const clearsessionsCommand: Command = {
  name: "clearsessions",
  summary: "Delete expired sessions (db, cached_db and file stores), in batches",
  help: `Usage: sessionbridge clearsessions [--batch-size N] [--json] [options]

Deletes the sessions that have expired, as Django's 'manage.py clearsessions' does, but in
batches of N rows, each its own short statement/transaction, so the application keeps being
served while millions of rows go; memory use stays flat.

  db, cached_db   DELETE the django_session rows with expire_date < now (now fixed at start),
                  N at a time (PostgreSQL by ctid, SQLite by rowid, MySQL with DELETE … LIMIT)
  file            walks SESSION_FILE_PATH (streamed, not listed at once) and deletes each
                  expired file, as Django decides expiry (_session_expiry or mtime + age)
  cache, redis-sessions, signed_cookies
                  nothing to do: the backend expires sessions itself (exit 0)

A progress bar with an ETA is drawn on standard error when it is a terminal. Ctrl-C stops
after the current batch (exit 1; run again to continue: every batch is committed).

Options:
  --batch-size N   rows per batch (default ${DEFAULT_BATCH})
  --json           print {"deleted": N, "store": "..."} as JSON
  -h, --help       show this help

${CONFIG_HELP}
Examples:
  DATABASE_URL=postgres://app@db/app sessionbridge clearsessions
  SESSION_STORE=file SESSION_FILE_PATH=/var/lib/app/sessions SECRET_KEY=… sessionbridge clearsessions
`,
  async run({ args, env, stdout, stderr, stopSignal }) {
    const { values, positionals, config } = parseManageArgs(args, env, {
      "batch-size": { type: "string" },
      json: { type: "boolean" },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const batchSize = intOption(values["batch-size"], "--batch-size") ?? DEFAULT_BATCH;
    if (batchSize < 1) throw new UsageError("--batch-size must be at least 1");
    const stop = watchStop(stopSignal);
    const report = (deleted: number, store: string): void => {
      if (values.json === true) writeJson(stdout, { deleted, store });
      else
        stdout.write(
          `Deleted ${deleted} expired session${deleted === 1 ? "" : "s"} from ${store}\n`,
        );
    };
    switch (config.sessionStore) {
      case "cache":
      case "redis-sessions":
      case "signed_cookies": {
        const why =
          config.sessionStore === "signed_cookies"
            ? "signed_cookies sessions live in the browser and expire by their signature's age"
            : `the ${config.sessionStore} backend expires sessions itself (Redis key TTLs)`;
        if (values.json === true)
          writeJson(stdout, { deleted: 0, store: config.sessionStore, note: why });
        else stdout.write(`Nothing to clear: ${why}.\n`);
        return;
      }
      case "file": {
        const directory = resolve(config.sessionFilePath ?? tmpdir());
        const deleted = await clearFiles(
          directory,
          sessionCodec(config, requireSecretKey(config)),
          { stderr, env, stop },
        );
        report(deleted, `files in ${directory}`);
        if (stop.stopped)
          throw new CommandFailure(
            `interrupted after deleting ${deleted} expired sessions; run again to continue`,
          );
        return;
      }
      case "db":
      case "cached_db": {
        const deleted = await withDatabase(config, (database) =>
          clearSql(database, batchSize, { stderr, env, stop }),
        );
        report(
          deleted,
          config.databaseUrl.startsWith("sqlite") ? "the SQLite database" : "the database",
        );
        if (stop.stopped)
          throw new CommandFailure(
            `interrupted after deleting ${deleted} expired sessions; run again to continue`,
          );
        return;
      }
    }
  },
};

interface RunOptions {
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stop: { readonly stopped: boolean };
}

/** The statement deleting at most `n` expired rows. */
export function batchDeleteSql(database: ManagedDatabase, batchSize: number): string {
  const q = database.q;
  const t = q("django_session");
  const e = q("expire_date");
  const n = Math.trunc(batchSize);
  switch (database.dialect) {
    case "postgres":
      return `DELETE FROM ${t} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${t} WHERE ${e} < $1 LIMIT ${n}))`;
    case "mysql":
      return `DELETE FROM ${t} WHERE ${e} < ? LIMIT ${n}`;
    case "sqlite":
      return `DELETE FROM ${t} WHERE rowid IN (SELECT rowid FROM ${t} WHERE ${e} < ? LIMIT ${n})`;
  }
}

async function clearSql(
  database: ManagedDatabase,
  batchSize: number,
  options: RunOptions,
): Promise<number> {
  const now = new Date();
  const param = database.dialect === "postgres" ? `${naiveNow(now)}+00:00` : naiveNow(now);
  const tty = (options.stderr as { isTTY?: boolean }).isTTY === true;
  let total: number | undefined;
  if (tty) {
    const rows = await database.query(
      `SELECT COUNT(*) AS n FROM ${database.q("django_session")} WHERE ${database.q("expire_date")} < ${database.p(1)}`,
      [param],
    );
    total = Number(rows[0]?.["n"] ?? 0);
  }
  const progress = startProgress(options.stderr, "clearsessions", total, options.env);
  const sql = batchDeleteSql(database, batchSize);
  let deleted = 0;
  try {
    for (;;) {
      const n = await database.execute(sql, [param]);
      deleted += n;
      progress.tick(n);
      if (n < batchSize || options.stop.stopped) break;
    }
  } catch (error) {
    throw asFailure(error);
  } finally {
    progress.done();
  }
  return deleted;
}

async function clearFiles(
  directory: string,
  codec: { decode(value: string): Map<string, unknown> },
  options: RunOptions,
  cookieName = "sessionid",
  cookieAge = 1_209_600,
): Promise<number> {
  const progress = startProgress(options.stderr, "clearsessions", undefined, options.env);
  let deleted = 0;
  try {
    for await (const { name } of sessionFiles(directory, cookieName)) {
      const path = join(directory, name);
      let handle;
      try {
        handle = await open(path, "r");
      } catch {
        continue; // gone meanwhile
      }
      let expired = false;
      let inode = 0;
      let mtime = 0;
      try {
        const stats = await handle.stat();
        inode = stats.ino;
        mtime = stats.mtimeMs;
        const content = await handle.readFile();
        if (content.length === 0) continue; // a creation placeholder
        let data: Map<string, unknown>;
        try {
          data = codec.decode(content.toString("latin1"));
        } catch {
          data = new Map(); // Django: undecodable = {} → the mtime decides
        }
        expired =
          fileExpiryAge(data as never, { mtimeMs: stats.mtimeMs, nowMs: Date.now(), cookieAge }) <=
          0;
      } finally {
        await handle.close();
      }
      progress.tick(1);
      if (!expired) continue;
      try {
        // Skip a file replaced by a concurrent save since it was read.
        const now = await stat(path);
        if (now.ino !== inode || now.mtimeMs !== mtime) continue;
        await unlink(path);
        deleted++;
      } catch {
        // Deleted by someone else: fine.
      }
      if (options.stop.stopped) break;
    }
  } catch (error) {
    throw new CommandFailure(
      `cannot walk ${directory}: ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    progress.done();
  }
  return deleted;
}
