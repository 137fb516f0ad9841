/**
 * `sessionbridge clearsessions`: Django's `clearsessions`, in small batches so a live
 * application keeps being served, with flat memory on any number of rows.
 */
import { open, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
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
import { requireSessionTable, type ManagedDatabase } from "../manage/db.ts";
import { startProgress } from "../manage/progress.ts";
import { nowParam, openConfiguredParts, sessionFiles } from "../manage/stores.ts";

/** Adaptive batches: grow while a batch takes less than half this, shrink above twice it. */
const TARGET_BATCH_MS = 100;
const FIRST_BATCH = 5000;
const MIN_BATCH = 500;
/** Upper bound of an adaptive batch: the longest a batch's row locks are held stays small. */
const MAX_BATCH = 100_000;

export const clearsessionsCommand: Command = {
  name: "clearsessions",
  summary: "Delete expired sessions (db, cached_db and file stores), in batches",
  help: `Usage: sessionbridge clearsessions [--batch-size N] [--json] [options]

Deletes the sessions that have expired, as Django's 'manage.py clearsessions' does, but in
batches, each its own short statement/transaction, so the application keeps being served
while millions of rows go; memory use stays flat. Batches grow while they stay quick (under
${TARGET_BATCH_MS / 2} ms) and shrink when slow, between ${MIN_BATCH} and ${MAX_BATCH.toLocaleString("en")} rows.

  db, cached_db   DELETE the django_session rows with expire_date < now (now fixed at start):
                  PostgreSQL walks the table's pages once (ctid ranges), MySQL deletes in
                  expire_date order with LIMIT, SQLite by rowid in expire_date order
  file            walks SESSION_FILE_PATH (streamed, not listed at once) and deletes each
                  expired file, as Django decides expiry (_session_expiry or mtime + age)
  cache, redis-sessions, signed_cookies
                  nothing to do: the backend expires sessions itself (exit 0)

A progress bar with an ETA is drawn on standard error when it is a terminal. Ctrl-C stops
after the current batch (exit 1; run again to continue: every batch is committed).

Options:
  --batch-size N   rows per batch (default: adaptive, from ${FIRST_BATCH} up to ${MAX_BATCH.toLocaleString("en")},
                   growing while a batch takes under ${TARGET_BATCH_MS / 2} ms)
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
    const batchSize = intOption(values["batch-size"], "--batch-size");
    if (batchSize !== undefined && batchSize < 1)
      throw new UsageError("--batch-size must be at least 1");
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
      case "redis-sessions-fork":
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
        const opened = await openConfiguredParts(config, requireSecretKey(config));
        const directory = opened.files?.directory ?? "";
        let deleted: number;
        try {
          deleted = await clearFiles(
            directory,
            opened.codec,
            { stderr, env, stop },
            config.sessionCookieName,
            config.sessionCookieAge,
          );
        } finally {
          await opened.close();
        }
        report(deleted, `files in ${directory}`);
        if (stop.stopped)
          throw new CommandFailure(
            `interrupted after deleting ${deleted} expired sessions; run again to continue`,
          );
        return;
      }
      case "db":
      case "cached_db": {
        const deleted = await withDatabase(config, async (database) => {
          await requireSessionTable(database);
          return clearSql(database, batchSize, { stderr, env, stop });
        });
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

/** One batch: deletes about `size` expired rows; says how many and whether the walk is over. */
type BatchStep = (size: number) => Promise<{ deleted: number; done: boolean }>;

/**
 * How `clearsessions` deletes on this database, one short statement (its own transaction) per
 * batch, never more than one round trip per batch:
 *
 * - PostgreSQL 14+: walks the table's pages in order, `DELETE … WHERE ctid >= '(p,0)' AND
 *   ctid < '(q,0)' AND expire_date < now` (a TID range scan): every page is read once, never
 *   again for the dead rows earlier batches left behind (a `LIMIT` subquery would rescan them
 *   or their index entries on every batch). The page count of a batch follows the table's
 *   rows per page, so a batch holds about `size` rows.
 * - PostgreSQL before 14: `ctid = ANY(ARRAY(SELECT ctid … ORDER BY expire_date LIMIT n))`
 *   from a moving lower bound on `expire_date` (the index order), so a batch starts after the
 *   rows already deleted.
 * - MySQL/MariaDB: `DELETE … WHERE expire_date < ? ORDER BY expire_date LIMIT n`.
 * - SQLite: `DELETE … WHERE rowid IN (SELECT rowid … ORDER BY expire_date LIMIT n)`.
 */
export async function batchStep(database: ManagedDatabase, now: Date): Promise<BatchStep> {
  const q = database.q;
  const t = q("django_session");
  const e = q("expire_date");
  const cutoff = nowParam(database, now);
  switch (database.dialect) {
    case "postgres": {
      // Our own commits need not wait for the WAL flush: a crash can only bring back a few
      // expired rows, which the next run deletes. The application's sessions are unaffected.
      await database.execute("SET synchronous_commit = off", []);
      const info = await database.query(
        `SELECT current_setting('server_version_num')::int AS version, ` +
          `pg_relation_size('django_session'::regclass) / current_setting('block_size')::int AS pages, ` +
          `c.reltuples AS tuples, c.relpages AS relpages FROM pg_class c WHERE c.oid = 'django_session'::regclass`,
        [],
      );
      const row = info[0] ?? {};
      if (Number(row["version"]) >= 140_000) {
        let pages = Number(row["pages"]);
        const tuples = Number(row["tuples"]);
        const relpages = Number(row["relpages"]);
        // Rows per page as last analysed; a fresh table has no statistics: assume small rows.
        const density = tuples > 0 && relpages > 0 ? tuples / relpages : 60;
        let page = 0;
        let rechecked = false;
        const sql = `DELETE FROM ${t} WHERE ctid >= $2::tid AND ctid < $3::tid AND ${e} < $1`;
        return async (size) => {
          const span = Math.max(1, Math.ceil(size / density));
          const end = page + span;
          const deleted = await database.execute(sql, [cutoff, `(${page},0)`, `(${end},0)`]);
          page = end;
          if (page >= pages && !rechecked) {
            // Pages added while we walked (new sessions, mostly live): one more look.
            rechecked = true;
            const again = await database.query(
              `SELECT pg_relation_size('django_session'::regclass) / current_setting('block_size')::int AS pages`,
              [],
            );
            pages = Number(again[0]?.["pages"] ?? pages);
          }
          return { deleted, done: page >= pages };
        };
      }
      let after = "-infinity";
      return async (size) => {
        const rows = await database.query(
          `WITH gone AS (DELETE FROM ${t} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${t} WHERE ${e} >= $2 AND ${e} < $1 ORDER BY ${e} LIMIT ${Math.trunc(size)})) RETURNING ${e}) ` +
            `SELECT count(*) AS n, max(${e})::text AS last FROM gone`,
          [cutoff, after],
        );
        const deleted = Number(rows[0]?.["n"] ?? 0);
        const last = rows[0]?.["last"];
        if (typeof last === "string") after = last;
        return { deleted, done: deleted < size };
      };
    }
    case "mysql": {
      return async (size) => {
        const deleted = await database.execute(
          `DELETE FROM ${t} WHERE ${e} < ? ORDER BY ${e} LIMIT ${Math.trunc(size)}`,
          [cutoff],
        );
        return { deleted, done: deleted < size };
      };
    }
    case "sqlite": {
      return async (size) => {
        const deleted = await database.execute(
          `DELETE FROM ${t} WHERE rowid IN (SELECT rowid FROM ${t} WHERE ${e} < ? ORDER BY ${e} LIMIT ${Math.trunc(size)})`,
          [cutoff],
        );
        return { deleted, done: deleted < size };
      };
    }
  }
}

async function clearSql(
  database: ManagedDatabase,
  fixedBatch: number | undefined,
  options: RunOptions,
): Promise<number> {
  const now = new Date();
  const tty = (options.stderr as { isTTY?: boolean }).isTTY === true;
  let total: number | undefined;
  if (tty) {
    const rows = await database.query(
      `SELECT COUNT(*) AS n FROM ${database.q("django_session")} WHERE ${database.q("expire_date")} < ${database.p(1)}`,
      [nowParam(database, now)],
    );
    total = Number(rows[0]?.["n"] ?? 0);
  }
  const progress = startProgress(options.stderr, "clearsessions", total, options.env);
  let deleted = 0;
  try {
    const step = await batchStep(database, now);
    let size = fixedBatch ?? FIRST_BATCH;
    for (;;) {
      const started = performance.now();
      const batch = await step(size);
      deleted += batch.deleted;
      progress.tick(batch.deleted);
      if (batch.done || options.stop.stopped) break;
      if (fixedBatch === undefined) {
        const ms = performance.now() - started;
        if (ms < TARGET_BATCH_MS / 2) size = Math.min(size * 2, MAX_BATCH);
        else if (ms > TARGET_BATCH_MS * 2) size = Math.max(Math.floor(size / 2), MIN_BATCH);
      }
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
  cookieName: string,
  cookieAge: number,
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
