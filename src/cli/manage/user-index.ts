/**
 * The per-user session index for the commands (`sessions index|list --user|revoke --user`,
 * `changepassword`), on the Redis stores (`cache`, `redis-sessions*`; the index itself is
 * `stores/redis/user-index.ts`).
 *
 * The rule, as the commands apply it: the index is used only when it is complete, which is only
 * while an indexer (`sessions index --follow`) runs that subscribed to the store's keyspace
 * notifications before its backfill began and has held its lease ever since: then every write,
 * Django's and Flask's included, reached it. Otherwise (never backfilled, backfilled without an
 * indexer, the indexer stopped or lost its connection: its lease lapses within
 * {@link LEASE_MS}) the commands walk every session, as before, and say so. Even when complete,
 * each member's stored user is read before anything is done with it (a member may be stale: the
 * session expired, was deleted or now holds another user), and stale members are removed.
 *
 * What remains: a session key whose TTL is extended by a bare `EXPIRE` (neither Django's session
 * engines nor sessionbridge's saves do that; they rewrite the value) is not re-indexed, so its
 * user's set may expire first (a minute's margin). A session Django writes in the instant before a revoke reads the index may not
 * have reached the indexer yet (it GETs the key after the notification, milliseconds later), the
 * same race any revoke has with a login in flight; and an indexer that dies without dropping its
 * lease leaves the index "complete" for up to {@link LEASE_MS}.
 */
import { randomUUID } from "node:crypto";
import type { SessionData } from "../../codecs/python-values.ts";
import type { StoredSession } from "../../stores/contract.ts";
import type { DjangoCacheStore } from "../../stores/redis/cache-store.ts";
import type { DjangoRedisSessionsStore } from "../../stores/redis/redis-sessions-store.ts";
import { indexedUserId, type UserIndexStatus } from "../../stores/redis/user-index.ts";
import type { RedisKeyspaceWatcher } from "../../adapters/realtime/redis-watcher.ts";
import { ConfigurationError } from "../../errors.ts";
import { CommandFailure } from "../command.ts";

/** The Redis stores the index is kept for. */
export type IndexedRedisStore = DjangoCacheStore | DjangoRedisSessionsStore;

/** How long an indexer's lease lasts without renewal; it renews every third of it. */
export const LEASE_MS = 15_000;

/** Which way a per-user command found the sessions, for its output. */
export interface UserLookup {
  readonly via: "index" | "walk";
  /** One line: why (the index's status). */
  readonly reason: string;
}

/** The ids a user's sessions may be indexed under: as typed, and in canonical form. */
function idsToLookUp(userId: string, target: string): string[] {
  return target === userId ? [userId] : [target, userId];
}

/**
 * The sessions the index lists for a user, each read (`GET`) and checked: those whose stored
 * user is `target` (after `normalize`); the others (gone, anonymous now, another user's) are
 * removed from the index.
 */
export async function indexedSessionsOf<S extends { key: string; data: SessionData | null }>(
  store: IndexedRedisStore,
  userId: string,
  target: string,
  normalize: (id: string) => string | null,
  read: (key: string) => Promise<S | null>,
): Promise<S[]> {
  const index = store.userIndex;
  const ids = idsToLookUp(userId, target);
  const members = await Promise.all(ids.map((id) => index.members(id)));
  const keys = [...new Set(members.flat())];
  const loaded = await Promise.all(keys.map((key) => read(key)));
  const mine: S[] = [];
  const stale = new Set<string>();
  keys.forEach((key, i) => {
    const session = loaded[i];
    const owner = indexedUserId(session?.data ?? null);
    if (session !== null && session !== undefined && owner !== null && normalize(owner) === target)
      mine.push(session);
    else stale.add(key);
  });
  if (stale.size > 0) {
    await Promise.all(
      ids.map((id, i) =>
        index.remove(
          id,
          members[i]!.filter((key) => stale.has(key)),
        ),
      ),
    );
  }
  return mine;
}

/**
 * Whether a per-user command may use the index, as {@link UserLookup}.
 *
 * @example
 * ```ts
 * const lookup = await userLookup(store); // { via: "walk", reason: "no backfill has run …" }
 * ```
 */
export async function userLookup(store: IndexedRedisStore): Promise<UserLookup> {
  let status: UserIndexStatus;
  try {
    status = await store.userIndex.status();
  } catch (error) {
    // The walk is the truth: an index that cannot be read is only not used.
    const detail = error instanceof Error ? error.message.split("\n")[0]! : String(error);
    return { via: "walk", reason: `the index could not be read: ${detail.slice(0, 200)}` };
  }
  return { via: status.complete ? "index" : "walk", reason: status.reason };
}

/** What {@link backfillUserIndex} did. */
export interface BackfillResult {
  readonly sessions: number;
  readonly users: number;
  /** Sessions with a user, added to the index. */
  readonly indexed: number;
  /** The indexer whose lease covered the whole backfill, or `""`. */
  readonly indexer: string;
  readonly interrupted: boolean;
}

/**
 * Walks every session (SCAN over every master, `GET` + `PTTL` in pages: the sets get their
 * members' TTLs) and adds each session with a user to that user's set, then records the
 * backfill. It names an indexer only if that indexer held the lease from before the walk began
 * to after it ended (it followed every write meanwhile): only then does the index become
 * complete.
 */
export async function backfillUserIndex(
  store: IndexedRedisStore,
  options: {
    readonly batchSize: number;
    readonly stop?: { readonly stopped: boolean };
    readonly onPage?: (sessions: number) => void;
  },
): Promise<BackfillResult> {
  const index = store.userIndex;
  const holderBefore = await index.leaseHolder();
  const users = new Set<string>();
  let sessions = 0;
  let indexed = 0;
  for await (const page of store.walk({ batchSize: options.batchSize })) {
    const byUser = new Map<string, { keys: string[]; ttl: number }>();
    const now = Date.now();
    for (const session of page.sessions) {
      const user = indexedUserId(session.data);
      if (user === null) continue;
      const entry = byUser.get(user) ?? { keys: [], ttl: 1 };
      entry.keys.push(session.key);
      entry.ttl = maxTtl(entry.ttl, session, now);
      byUser.set(user, entry);
    }
    await Promise.all([...byUser].map(([user, e]) => index.add(user, e.keys, e.ttl)));
    for (const [user, e] of byUser) {
      users.add(user);
      indexed += e.keys.length;
    }
    sessions += page.sessions.length;
    options.onPage?.(page.sessions.length);
    if (options.stop?.stopped === true && page.position !== "") {
      return { sessions, users: users.size, indexed, indexer: "", interrupted: true };
    }
  }
  const holderAfter = await index.leaseHolder();
  const indexer = holderBefore !== null && holderBefore === holderAfter ? holderBefore : "";
  await index.writeState({
    indexer,
    finishedAt: new Date().toISOString(),
    sessions,
    users: users.size,
  });
  return { sessions, users: users.size, indexed, indexer, interrupted: false };
}

/** The longer of a TTL so far (ms; 0: none) and a session's remaining lifetime. */
function maxTtl(current: number, session: StoredSession, now: number): number {
  if (current === 0 || session.expireDate === null) return 0;
  return Math.max(current, session.expireDate.getTime() - now);
}

/** Starts the keyspace watcher, its refusal worded for the indexer (not for a gate). */
async function startWatcher(
  watcher: RedisKeyspaceWatcher,
  listener: Parameters<RedisKeyspaceWatcher["start"]>[0],
): Promise<void> {
  try {
    await watcher.start(listener);
  } catch (error) {
    if (error instanceof ConfigurationError) {
      throw new CommandFailure(
        `${error.message.replace(/, or drop redisKeyspaceWatcher.*$/, "")}: the indexer follows every session write through them`,
      );
    }
    throw error;
  }
}

/** Options of {@link followUserIndex}. */
export interface FollowOptions {
  /** The store's keyspace watcher (the realtime adapters' `redisKeyspaceWatcher`). */
  readonly watcher: RedisKeyspaceWatcher;
  readonly batchSize: number;
  readonly stop: { readonly stopped: boolean };
  /** Resolves when the subscriber connections are lost (the index can no longer be kept). */
  readonly lost: Promise<string>;
  /** Told once the backfill is done and the index complete. */
  readonly onComplete?: (result: BackfillResult) => void;
  readonly onPage?: (sessions: number) => void;
  /** Resolves when the command is asked to stop (Ctrl-C). */
  readonly stopped: Promise<void>;
  readonly leaseMs?: number;
}

/**
 * The indexer: subscribes to the store's keyspace notifications (every `SET`, `RENAME` or
 * `RESTORE` of a session key, Django's included, re-reads the session and indexes it under its
 * user, its set's TTL extended to the session's), takes
 * the lease, backfills, and then keeps the lease until stopped or until the subscription is
 * lost, when it drops the lease (the index stops being complete at once) and fails.
 *
 * @throws {CommandFailure} when another indexer holds the lease, or the connection is lost.
 */
export async function followUserIndex(
  store: IndexedRedisStore,
  options: FollowOptions,
): Promise<{ backfill: BackfillResult; events: number }> {
  const index = store.userIndex;
  const id = randomUUID();
  const leaseMs = options.leaseMs ?? LEASE_MS;
  let events = 0;
  let failure: string | undefined;
  const pending = new Set<Promise<void>>();
  const reindex = async (key: string): Promise<void> => {
    const session = await store.inspect(key);
    const user = indexedUserId(session?.data ?? null);
    if (session === null || user === null) return;
    const ttl = session.expireDate === null ? 0 : session.expireDate.getTime() - Date.now();
    if (session.expireDate !== null && ttl <= 0) return;
    await index.add(user, [key], ttl);
  };
  // Subscribed before the lease is taken and the walk begins: nothing written from here on is
  // missed, and the backfill covers what was written before.
  await startWatcher(options.watcher, {
    sessionGone() {
      // A deleted or expired session leaves a stale member, checked by every reader.
    },
    sessionChanged(key: string): Promise<void> {
      events++;
      const job = reindex(key).catch((err: unknown) => {
        failure ??= `could not index a session: ${err instanceof Error ? err.message : String(err)}`;
      });
      pending.add(job);
      void job.finally(() => pending.delete(job));
      return job;
    },
  });
  let renewal: NodeJS.Timeout | undefined;
  try {
    if (!(await index.holdLease(id, leaseMs))) {
      throw new CommandFailure(
        `another indexer (${(await index.leaseHolder()) ?? "?"}) is running for this store; stop it first`,
      );
    }
    let lost: string | undefined;
    void options.lost.then((why) => {
      lost = why;
    });
    const renew = async (): Promise<void> => {
      if (lost !== undefined || failure !== undefined) return;
      if (!(await index.holdLease(id, leaseMs))) failure = "the indexer lease was taken over";
    };
    renewal = setInterval(() => {
      renew().catch((err: unknown) => {
        failure ??= `could not renew the indexer lease: ${err instanceof Error ? err.message : String(err)}`;
      });
    }, leaseMs / 3);
    const backfill = await backfillUserIndex(store, {
      batchSize: options.batchSize,
      stop: options.stop,
      ...(options.onPage === undefined ? {} : { onPage: options.onPage }),
    });
    if (backfill.interrupted) return { backfill, events };
    if (backfill.indexer !== id || lost !== undefined || failure !== undefined) {
      throw new CommandFailure(
        `the index could not be completed: ${lost ?? failure ?? "the indexer lease lapsed during the backfill"}`,
      );
    }
    options.onComplete?.(backfill);
    const why = await Promise.race([
      options.lost,
      options.stopped.then(() => undefined),
      new Promise<string>((resolve) => {
        const check = setInterval(() => {
          if (failure !== undefined) {
            clearInterval(check);
            resolve(failure);
          }
        }, 200);
        void options.stopped.then(() => clearInterval(check));
        void options.lost.then(() => clearInterval(check));
      }),
    ]);
    await Promise.all(pending);
    if (why !== undefined) throw new CommandFailure(`indexer stopped: ${why}`);
    return { backfill, events };
  } finally {
    clearInterval(renewal);
    await index.dropLease(id).catch(() => undefined);
    await options.watcher.stop().catch(() => undefined);
  }
}
