/**
 * Deleting every session of one user from a store (`sessions revoke --user`, `changepassword`):
 * through the per-user index when it is complete, else by walking every session.
 */
import { CommandFailure } from "../command.ts";
import type { ManageConfig } from "./config.ts";
import { startProgress } from "./progress.ts";
import type { SessionData } from "../../codecs/python-values.ts";
import { canonicalUserId, openConfiguredStore, userIdOf, type ManagedStore } from "./stores.ts";
import { indexedSessionsOf, userLookup, type UserLookup } from "./user-index.ts";

/** Options of {@link revokeUserSessions}. */
export interface RevokeOptions {
  /**
   * The canonical form of a stored `_auth_user_id` (`DjangoUserSource.normalizeId`); default
   * {@link canonicalUserId}, for when the user model is not known.
   */
  readonly normalizeId?: (id: string) => string | null;
  readonly batchSize?: number;
  readonly stderr?: NodeJS.WritableStream;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly stop?: { readonly stopped: boolean };
}

/** What {@link revokeUserSessions} did. */
export interface RevokeResult {
  readonly deleted: number;
  /** `index`: the user's set (complete); `walk`: every session was read. */
  readonly via: "index" | "walk";
  /** Why that way (the index's status), one line. */
  readonly reason: string;
}

/**
 * Deletes every session whose `_auth_user_id` is `userId`. On the Redis stores (`cache`,
 * `redis-sessions*`) with a complete per-user index (`./user-index.ts`): the user's set, each
 * member's user checked before it is deleted (stale members dropped from the set). Otherwise a
 * walk: on those Redis stores one `GET` per key, several SCAN pages in flight (no `PTTL`); on
 * the others the store's own walk in batches (SQL keyset pages, the directory); for
 * `cached_db`, then the cache half too (sessions whose row is gone but whose cache entry still
 * serves them). Never KEYS.
 */
export async function revokeUserSessions(
  managed: ManagedStore,
  userId: string,
  options: RevokeOptions = {},
): Promise<RevokeResult> {
  const batchSize = options.batchSize ?? 1000;
  const normalize = options.normalizeId ?? canonicalUserId;
  const target = normalize(userId) ?? userId;
  const redis = managed.redis;
  let lookup: UserLookup = { via: "walk", reason: "this store has no user index (Redis only)" };
  if (redis !== undefined) lookup = await userLookup(redis);
  // Keys already deleted: cached_db's second pass over the cache must not count them again.
  const gone = new Set<string>();
  // The same few ids come back on every page: each is normalized once (bounded memory).
  const verdicts = new Map<string, boolean>();
  const mine = (data: SessionData | null): boolean => {
    const owner = userIdOf(data);
    if (owner === null) return false;
    let verdict = verdicts.get(owner);
    if (verdict === undefined) {
      verdict = normalize(owner) === target;
      if (verdicts.size > 100_000) verdicts.clear();
      verdicts.set(owner, verdict);
    }
    return verdict;
  };
  /** Deletes on Redis together; counts exactly what went, even when some fail. */
  const remove = async (keys: readonly string[]): Promise<void> => {
    const client = redis!.client;
    const replies = await Promise.allSettled(keys.map((key) => client.del(redis!.redisKey(key))));
    let failed: Error | undefined;
    replies.forEach((reply, i) => {
      if (reply.status === "rejected")
        failed ??= reply.reason instanceof Error ? reply.reason : new Error(String(reply.reason));
      else if (reply.value === 1) gone.add(keys[i]!);
    });
    if (failed !== undefined) throw failed;
  };
  if (redis !== undefined && lookup.via === "index") {
    try {
      const sessions = await indexedSessionsOf(redis, userId, target, normalize, async (key) => ({
        key,
        data: await redis.load(key),
      }));
      await remove(sessions.filter((s) => mine(s.data)).map((s) => s.key));
      await redis.userIndex.remove(target, [...gone]);
    } catch (error) {
      throw failure(gone.size, userId, error);
    }
    return { deleted: gone.size, ...lookup };
  }
  const total = managed.count ? await managed.count(false) : undefined;
  const progress = startProgress(options.stderr ?? process.stderr, "revoke", total, options.env);
  const sweep = async (
    scan: ManagedStore["walk"],
    onBatch: (n: number) => void,
  ): Promise<boolean> => {
    for await (const batch of scan({ batchSize, activeOnly: false })) {
      for (const record of batch.sessions) {
        if (mine(record.data) && !gone.has(record.key)) {
          await managed.store.delete(record.key);
          gone.add(record.key);
        }
      }
      onBatch(batch.sessions.length);
      if (options.stop?.stopped === true) return false;
    }
    return true;
  };
  try {
    if (redis !== undefined) {
      // GET only, pages in flight, the deletes of a page together.
      for await (const page of redis.loadPages({ batchSize })) {
        await remove(
          page.sessions.filter((s) => mine(s.data) && !gone.has(s.key)).map((s) => s.key),
        );
        progress.tick(page.sessions.length);
        if (options.stop?.stopped === true) break;
      }
    } else {
      const finished = await sweep(
        (o) => managed.walk(o),
        (n) => {
          progress.tick(n);
        },
      );
      if (finished && managed.walkCache) await sweep(managed.walkCache, () => undefined);
    }
  } catch (error) {
    throw failure(gone.size, userId, error);
  } finally {
    progress.done();
  }
  return { deleted: gone.size, ...lookup };
}

/** How far it got is part of the failure: those sessions are gone, the rest may not be. */
function failure(deleted: number, userId: string, error: unknown): CommandFailure {
  const detail = error instanceof Error ? error.message : String(error);
  return new CommandFailure(
    `could not revoke every session: stopped after deleting ${deleted} session${deleted === 1 ? "" : "s"} of user ${userId}: ${detail}`,
  );
}

/** Opens the configured store and revokes; `null` for signed cookies (nothing stored). */
export async function revokeInConfiguredStore(
  config: ManageConfig,
  secret: string,
  userId: string,
  options: RevokeOptions = {},
): Promise<(RevokeResult & { description: string }) | null> {
  if (config.sessionStore === "signed_cookies") return null;
  const managed = await openConfiguredStore(config, secret);
  try {
    const result = await revokeUserSessions(managed, userId, options);
    return { ...result, description: managed.description };
  } catch (error) {
    if (error instanceof CommandFailure) throw error;
    throw new CommandFailure(
      `could not revoke the sessions: ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    await managed.close().catch(() => {});
  }
}
