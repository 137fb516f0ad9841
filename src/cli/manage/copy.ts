/**
 * `sessions migrate`: copies every live session from one store to another with its remaining
 * lifetime, in batches, resumably (a checkpoint file records the position after each committed
 * batch), stopping cleanly between batches on SIGINT.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { SessionExistsError } from "../../errors.ts";
import { StaleWalkPositionError } from "../../internal/redis/scan.ts";
import type { StoredSessionPage } from "../../stores/contract.ts";
import { expireDateParam } from "../../internal/sql/dates.ts";
import type { SessionData } from "../../codecs/python-values.ts";
import { CommandFailure } from "../command.ts";
import { startProgress } from "./progress.ts";
import type { ManagedStore, SessionRecord } from "./stores.ts";

/** `SESSION_COOKIE_AGE`: the lifetime given to a source session that has none (a Redis key without TTL). */
export const DEFAULT_AGE_SECONDS = 1_209_600;

/** Rows per multi-row `INSERT` into an SQL target. */
const SQL_ROWS = 300;

/** Writes in flight at once to a non-SQL target. */
const WRITE_WINDOW = 128;

/** The checkpoint file's content. */
export interface Checkpoint {
  /** Hash of the two store URLs: a checkpoint never resumes a different migration. */
  readonly migration: string;
  readonly position: string;
  readonly copied: number;
  readonly skipped: number;
  readonly done: boolean;
}

/** The default checkpoint path for a pair of URLs (in the working directory; no credentials in the name). */
export function defaultCheckpointPath(from: string, to: string): string {
  return `.sessionbridge-migrate-${migrationId(from, to).slice(0, 12)}.json`;
}

export function migrationId(from: string, to: string): string {
  return createHash("sha256").update(from).update("\0").update(to).digest("hex");
}

/** Reads a checkpoint; `null` when there is none. @throws {CommandFailure} for another migration's. */
export function readCheckpoint(path: string, migration: string): Checkpoint | null {
  if (!existsSync(path)) return null;
  let parsed: Checkpoint;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8")) as Checkpoint;
  } catch {
    throw new CommandFailure(`checkpoint file ${path} is unreadable: delete it or pass --restart`);
  }
  if (parsed.migration !== migration) {
    throw new CommandFailure(
      `checkpoint file ${path} belongs to another --from/--to pair: delete it or pass --restart`,
    );
  }
  return parsed;
}

/** Writes a checkpoint atomically (temporary file + rename). */
export function writeCheckpoint(path: string, checkpoint: Checkpoint): void {
  const temp = `${path}.tmp`;
  writeFileSync(temp, `${JSON.stringify(checkpoint)}\n`, { mode: 0o600 });
  renameSync(temp, path);
}

/** Options of {@link copySessions}. */
export interface CopyOptions {
  readonly batchSize: number;
  readonly dryRun: boolean;
  readonly checkpointPath: string | undefined;
  readonly migration: string;
  readonly resumeFrom: Checkpoint | null;
  readonly stop: { readonly stopped: boolean };
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** What {@link copySessions} did. */
export interface CopyResult {
  copied: number;
  skipped: number;
  undecodable: number;
  expired: number;
  interrupted: boolean;
  /** The checkpoint's Redis position was void (restart, failover): the walk started over. */
  restarted: boolean;
}

/** Writes one batch to the target; SQL targets get one transaction per batch and upserts. */
async function writeBatch(
  target: ManagedStore,
  records: readonly { key: string; data: SessionData; date: Date }[],
): Promise<void> {
  const now = Date.now();
  const { database, encode } = target;
  if (database !== undefined && encode !== undefined && target.kind === "db") {
    const q = database.q;
    const cols = `${q("session_key")}, ${q("session_data")}, ${q("expire_date")}`;
    // Multi-row upserts, SQL_ROWS rows a statement (3 parameters a row stays under every
    // dialect's parameter limit), all of a batch in one transaction: idempotent, so a batch
    // written again after a restart changes nothing.
    await database.transaction(async () => {
      for (let i = 0; i < records.length; i += SQL_ROWS) {
        const chunk = records.slice(i, i + SQL_ROWS);
        const params: string[] = [];
        const rows = chunk.map((record) => {
          params.push(
            record.key,
            encode(record.data),
            expireDateParam(database.dialect, record.date),
          );
          const n = params.length;
          return `(${database.p(n - 2)}, ${database.p(n - 1)}, ${database.p(n)})`;
        });
        const upsert =
          database.dialect === "mysql"
            ? `INSERT INTO ${q("django_session")} (${cols}) VALUES ${rows.join(", ")} ON DUPLICATE KEY UPDATE ${q("session_data")} = VALUES(${q("session_data")}), ${q("expire_date")} = VALUES(${q("expire_date")})`
            : `INSERT INTO ${q("django_session")} (${cols}) VALUES ${rows.join(", ")} ON CONFLICT (${q("session_key")}) DO UPDATE SET ${q("session_data")} = excluded.${q("session_data")}, ${q("expire_date")} = excluded.${q("expire_date")}`;
        await database.execute(upsert, params);
      }
    });
    return;
  }
  // At most WRITE_WINDOW writes in flight: enough to keep a Redis connection busy, few enough
  // that a large batch does not hold a thousand encoded values and pending replies at once.
  for (let i = 0; i < records.length; i += WRITE_WINDOW) {
    await Promise.all(
      records.slice(i, i + WRITE_WINDOW).map(async (record) => {
        const expiry = { date: record.date, age: (record.date.getTime() - now) / 1000 };
        try {
          await target.store.save(record.key, record.data, { mustCreate: true, expiry });
        } catch (error) {
          if (!(error instanceof SessionExistsError)) throw error;
          await target.store.save(record.key, record.data, { mustCreate: false, expiry });
        }
      }),
    );
  }
}

/** Copies the sessions; see the module documentation. */
export async function copySessions(
  source: ManagedStore,
  target: ManagedStore,
  options: CopyOptions,
): Promise<CopyResult> {
  const result: CopyResult = {
    copied: 0,
    skipped: 0,
    undecodable: 0,
    expired: 0,
    interrupted: false,
    restarted: false,
  };
  const total = source.count ? await source.count(true) : undefined;
  const progress = startProgress(
    options.stderr,
    options.dryRun ? "sessions migrate (dry run)" : "sessions migrate",
    total,
    options.env,
  );
  let base = options.resumeFrom;
  try {
    let pages: AsyncIterator<StoredSessionPage> | undefined;
    let first: IteratorResult<StoredSessionPage> | undefined;
    const open = (): AsyncIterator<StoredSessionPage> => {
      const walk = source.walk({
        ...(base === null ? {} : { position: base.position }),
        batchSize: options.batchSize,
        activeOnly: true,
      });
      return walk[Symbol.asyncIterator]();
    };
    try {
      pages = open();
      first = await pages.next();
    } catch (error) {
      if (!(error instanceof StaleWalkPositionError) || base === null) throw error;
      // The checkpoint's SCAN cursors belong to Redis processes that are gone: copy everything
      // again from the start. Writes are upserts, so what was copied before is not duplicated,
      // and the counts start from zero, so nothing is counted twice.
      options.stderr.write(
        "The source Redis restarted or failed over since the checkpoint: its position is void, copying every session again (upserts: nothing is duplicated)\n",
      );
      base = null;
      result.restarted = true;
      pages = open();
      first = await pages.next();
    }
    // The next page is read while this one is written: the source's reads (Redis GETs, an
    // SQL page) overlap the target's writes. Its failure is seen when it is awaited.
    let next: Promise<IteratorResult<StoredSessionPage>> | undefined;
    for (let step = first; step.done !== true; step = await (next ?? pages.next())) {
      const batch = step.value;
      next = batch.position === "" ? undefined : pages.next();
      next?.catch(() => undefined);
      const now = Date.now();
      const live: { key: string; data: SessionData; date: Date }[] = [];
      for (const record of batch.sessions) {
        const date = expiryOf(record, now);
        if (record.data === null) result.undecodable++;
        else if (date.getTime() <= now) result.expired++;
        else {
          live.push({ key: record.key, data: record.data, date });
          continue;
        }
        result.skipped++;
      }
      if (!options.dryRun && live.length > 0) await writeBatch(target, live);
      result.copied += live.length;
      progress.tick(batch.sessions.length);
      if (!options.dryRun && options.checkpointPath !== undefined) {
        writeCheckpoint(options.checkpointPath, {
          migration: options.migration,
          position: batch.position,
          copied: (base?.copied ?? 0) + result.copied,
          skipped: (base?.skipped ?? 0) + result.skipped,
          done: batch.position === "",
        });
      }
      if (options.stop.stopped && batch.position !== "") {
        result.interrupted = true;
        await pages.return?.();
        break;
      }
    }
    if (!result.interrupted && !options.dryRun && options.checkpointPath !== undefined) {
      writeCheckpoint(options.checkpointPath, {
        migration: options.migration,
        position: "",
        copied: (base?.copied ?? 0) + result.copied,
        skipped: (base?.skipped ?? 0) + result.skipped,
        done: true,
      });
    }
  } catch (error) {
    if (error instanceof CommandFailure) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    throw new CommandFailure(
      `migrate stopped after copying ${result.copied} sessions in this run${options.checkpointPath === undefined ? "" : " (the checkpoint holds the last complete batch: run again to resume)"}: ${detail}`,
    );
  } finally {
    progress.done();
  }
  return result;
}

function expiryOf(record: SessionRecord, now: number): Date {
  return record.expireDate ?? new Date(now + DEFAULT_AGE_SECONDS * 1000);
}
