/**
 * `sessionbridge sessions index [--backfill | --follow]` and what `sessions list --user` reads
 * through the per-user index (the rule is `./user-index.ts`'s).
 */
import type { StoredSessionPage } from "../../stores/contract.ts";
import { redisKeyspaceWatcher } from "../../adapters/realtime/redis-watcher.ts";
import { CommandFailure } from "../command.ts";
import { requireSecretKey, type ManageConfig } from "./config.ts";
import { asFailure, writeJson } from "./common.ts";
import { startProgress } from "./progress.ts";
import { canonicalUserId, openConfiguredStore } from "./stores.ts";
import {
  backfillUserIndex,
  followUserIndex,
  indexedSessionsOf,
  type BackfillResult,
  type IndexedRedisStore,
} from "./user-index.ts";

/**
 * The words a per-user command prints about how it found the sessions.
 *
 * @example
 * ```ts
 * describeLookup("walk", "no backfill has run"); // "walked every session, the user index is not complete: no backfill has run"
 * ```
 */
export function describeLookup(via: "index" | "walk", reason: string): string {
  return via === "index"
    ? `via the user index: ${reason}`
    : `walked every session, the user index is not complete: ${reason}`;
}

/** The user's sessions as one walk page, from the index (each checked, with its expiry). */
export async function* indexedPages(
  store: IndexedRedisStore,
  typed: string,
  target: string,
): AsyncIterable<StoredSessionPage> {
  const sessions = await indexedSessionsOf(store, typed, target, canonicalUserId, (key) =>
    store.inspect(key),
  );
  yield { sessions, position: "" };
}

/** Options of {@link runIndex}. */
export interface IndexCommandOptions {
  readonly backfill: boolean;
  readonly follow: boolean;
  readonly json: boolean;
  readonly batchSize: number;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stop: { readonly stopped: boolean };
  readonly stopSignal: Promise<void>;
}

/** `sessions index`: the status; `--backfill`: build it; `--follow`: the indexer. */
export async function runIndex(config: ManageConfig, options: IndexCommandOptions): Promise<void> {
  if (options.backfill && options.follow)
    throw new CommandFailure("--follow backfills itself: give --backfill or --follow, not both");
  const managed = await openConfiguredStore(config, requireSecretKey(config));
  try {
    const store = managed.redis;
    if (store === undefined) {
      throw new CommandFailure(
        `the per-user index is kept for the Redis stores (SESSION_STORE=cache, redis-sessions); ${managed.description} is walked`,
      );
    }
    const { stdout, stderr, json } = options;
    if (options.follow) {
      const connections = await managed.redisSubscribers!();
      const progress = startProgress(stderr, "index", undefined, options.env);
      try {
        const { backfill, events } = await followUserIndex(store, {
          watcher: redisKeyspaceWatcher({
            store,
            subscribers: connections.clients,
            db: connections.db,
          }),
          batchSize: options.batchSize,
          stop: options.stop,
          stopped: options.stopSignal,
          lost: connections.lost,
          onPage: (n) => {
            progress.tick(n);
          },
          onComplete: (result) => {
            progress.done();
            report(stdout, json, result, "following");
          },
        });
        if (backfill.interrupted)
          throw new CommandFailure("interrupted during the backfill: the index is not complete");
        if (!json)
          stdout.write(`Stopped after ${events} session writes; the index is no longer complete\n`);
      } finally {
        progress.done();
        await connections.close();
      }
      return;
    }
    if (options.backfill) {
      const progress = startProgress(stderr, "index", undefined, options.env);
      let result: BackfillResult;
      try {
        result = await backfillUserIndex(store, {
          batchSize: options.batchSize,
          stop: options.stop,
          onPage: (n) => {
            progress.tick(n);
          },
        });
      } finally {
        progress.done();
      }
      if (result.interrupted)
        throw new CommandFailure("interrupted during the backfill: the index is not complete");
      report(stdout, json, result, result.indexer === "" ? "incomplete" : "complete");
      return;
    }
    const status = await store.userIndex.status();
    if (json) {
      writeJson(stdout, {
        complete: status.complete,
        reason: status.reason,
        backfill: status.state,
      });
    } else {
      stdout.write(
        `User index of ${managed.description}: ${status.complete ? "complete" : "not complete"} (${status.reason})\n`,
      );
    }
  } catch (error) {
    throw asFailure(error);
  } finally {
    await managed.close().catch(() => {});
  }
}

function report(
  stdout: NodeJS.WritableStream,
  json: boolean,
  result: BackfillResult,
  state: "complete" | "incomplete" | "following",
): void {
  const complete = state !== "incomplete";
  if (json) {
    writeJson(stdout, {
      sessions: result.sessions,
      indexed: result.indexed,
      users: result.users,
      complete,
      indexer: result.indexer === "" ? null : result.indexer,
    });
    return;
  }
  stdout.write(
    `Indexed ${result.indexed} sessions of ${result.users} users (${result.sessions} walked)` +
      (state === "following"
        ? "; the index is complete while this indexer runs (Ctrl-C stops it)\n"
        : complete
          ? `; complete: indexer ${result.indexer} followed every write meanwhile\n`
          : "; NOT complete: no indexer (sessions index --follow) ran throughout, so sessions Django writes from now on would be missed; per-user commands keep walking\n"),
  );
}
