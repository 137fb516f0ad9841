/**
 * The per-user session index of a Redis session store: one Redis set per user holding the keys
 * of that user's sessions, so that "every session of user 42" (`sessions list|revoke --user`,
 * `changepassword`) is one `SMEMBERS` and a `GET` per member instead of a walk over every
 * session.
 *
 * Layout (keys of sessionbridge's own, never read by Django; `<head>` is the store's Redis key
 * of an empty session key, e.g. `:1:django.contrib.sessions.cache`, so two stores on one Redis
 * never share an index):
 *
 * | key | type | what |
 * |---|---|---|
 * | `sessionbridge:user-index:<head>\|user:<id>` | set | session keys whose `_auth_user_id` was `<id>` when indexed |
 * | `sessionbridge:user-index:<head>\|state` | string (JSON) | what the last backfill saw, and under which indexer |
 * | `sessionbridge:user-index:<head>\|indexer` | string, TTL | the running indexer's id (a lease it renews) |
 *
 * Every command touches one key, so the index works on a Redis Cluster unchanged (each set
 * lives in its own key's slot; no hash tag is needed or used, and Django's keys are untouched).
 * A user's set gets the longest TTL of its members (plus a minute), so it goes away with the
 * last of them.
 *
 * The index is a superset, not the truth: a member may be stale (the session expired, was
 * deleted or now belongs to someone else; deletes do not know the user and leave the member).
 * Readers must check each member's stored user before acting and may {@link RedisUserIndex.remove}
 * the stale ones. Whether it misses nothing is {@link RedisUserIndex.status}: only while an
 * indexer that followed every write holds its lease and has backfilled under that lease.
 *
 * @example
 * ```ts
 * const index = new RedisUserIndex(store.client, store.redisKey(""));
 * await index.add("42", ["k5u2y0zq3n7b0x1c9d8e7f6g5h4j3k2l"], 1_209_600_000);
 * await index.members("42"); // ["k5u2y0zq3n7b0x1c9d8e7f6g5h4j3k2l"]
 * ```
 */
import { Buffer } from "node:buffer";
import { ConfigurationError } from "../../errors.ts";
import {
  keyText,
  redisScript,
  type RedisCommandClient,
  type RedisTtl,
} from "../../internal/redis/client.ts";
import type { SessionData } from "../contract.ts";

/** Where every index key starts. */
export const USER_INDEX_KEY_HEAD = "sessionbridge:user-index:";

/** Extra lifetime of a user's set beyond its longest-lived member (clock skew, TTL rounding). */
const SET_TTL_MARGIN_MS = 60_000;

/**
 * KEYS[1]: the user's set; ARGV[1]: TTL in ms (≤ 0: a member without TTL); ARGV[2..]: keys.
 * Adds the keys and extends the set's TTL to cover them (never shortens it).
 */
const ADD = redisScript(
  `local existed = redis.call('EXISTS', KEYS[1])
local ttl = tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('SADD', KEYS[1], ARGV[i]) end
if ttl <= 0 then
  redis.call('PERSIST', KEYS[1])
  return 1
end
local current = redis.call('PTTL', KEYS[1])
if existed == 0 or (current >= 0 and current < ttl) then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1`,
  { replaySafe: true },
);

const MEMBERS = redisScript(`return redis.call('SMEMBERS', KEYS[1])`, { replaySafe: true });

const REMOVE = redisScript(
  `local n = 0
for i = 1, #ARGV do n = n + redis.call('SREM', KEYS[1], ARGV[i]) end
return n`,
  { replaySafe: true },
);

/** KEYS[1]: the lease; ARGV: id, TTL ms. Takes or renews it unless another indexer holds it. */
const HOLD_LEASE = redisScript(
  `local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`,
  { replaySafe: true },
);

/** KEYS[1]: the lease; ARGV[1]: id. Drops it only if this indexer holds it. */
const DROP_LEASE = redisScript(
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
  { replaySafe: true },
);

/**
 * What the last backfill recorded.
 *
 * @example
 * ```ts
 * const state: UserIndexState = { indexer: "", finishedAt: new Date().toISOString(), sessions: 10, users: 3 };
 * ```
 */
export interface UserIndexState {
  /**
   * The id of the indexer whose lease was held for the whole backfill (it followed every write
   * meanwhile), or `""`: no indexer ran, so writes after the backfill may be missing.
   */
  readonly indexer: string;
  /** When the backfill finished (ISO 8601). */
  readonly finishedAt: string;
  /** Sessions the backfill walked, and users it indexed them under. */
  readonly sessions: number;
  readonly users: number;
}

/**
 * Whether the index can be trusted to list every session of a user, and why not.
 *
 * @example
 * ```ts
 * const { complete, reason } = await index.status();
 * ```
 */
export interface UserIndexStatus {
  readonly complete: boolean;
  /** One line: what makes it complete, or what is missing. */
  readonly reason: string;
  readonly state: UserIndexState | null;
}

/**
 * The `_auth_user_id` a session is indexed under (as stored: Django writes `str(pk)`), or
 * `null` for an anonymous session.
 *
 * @example
 * ```ts
 * indexedUserId(new Map([["_auth_user_id", "42"]])); // "42"
 * ```
 */
export function indexedUserId(data: SessionData | null): string | null {
  const value = data?.get("_auth_user_id");
  if (typeof value === "string") return value === "" ? null : value;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  return null;
}

/**
 * Milliseconds of a Redis TTL (`null`: no TTL, returned as `0`).
 *
 * @example
 * ```ts
 * ttlMilliseconds({ unit: "EX", value: 60 }); // 60000
 * ```
 */
export function ttlMilliseconds(ttl: RedisTtl | null): number {
  if (ttl === null) return 0;
  return ttl.unit === "EX" ? ttl.value * 1000 : ttl.value;
}

/**
 * The index of one store's sessions (see the module documentation).
 *
 * @example
 * ```ts
 * const index = new RedisUserIndex(store.client, store.redisKey(""));
 * const { complete } = await index.status();
 * ```
 */
export class RedisUserIndex {
  /** Where this store's index keys start. */
  readonly head: string;
  readonly stateKey: string;
  readonly leaseKey: string;
  readonly #client: RedisCommandClient;

  constructor(client: RedisCommandClient, storeKeyHead: string) {
    if (client.evalScript === undefined) {
      throw new ConfigurationError(
        "the Redis client cannot run scripts (evalScript), which the user index needs",
      );
    }
    this.#client = client;
    this.head = `${USER_INDEX_KEY_HEAD}${storeKeyHead}|`;
    this.stateKey = `${this.head}state`;
    this.leaseKey = `${this.head}indexer`;
  }

  /** The Redis key of a user's set. */
  userKey(userId: string): string {
    return `${this.head}user:${userId}`;
  }

  /**
   * Adds session keys to a user's set, extending the set's TTL to `ttlMs` plus a margin
   * (`ttlMs` ≤ 0: a session without TTL, the set persists). One script on one key.
   */
  async add(userId: string, sessionKeys: readonly string[], ttlMs: number): Promise<void> {
    if (sessionKeys.length === 0) return;
    const ttl = ttlMs <= 0 ? 0 : Math.ceil(ttlMs) + SET_TTL_MARGIN_MS;
    await this.#eval(ADD, this.userKey(userId), [ttl, ...sessionKeys]);
  }

  /** The session keys in a user's set (stale ones included). */
  async members(userId: string): Promise<string[]> {
    const reply = await this.#eval(MEMBERS, this.userKey(userId), []);
    return Array.isArray(reply) ? reply.map(keyText) : [];
  }

  /** Removes stale members; resolves how many were there. */
  async remove(userId: string, sessionKeys: readonly string[]): Promise<number> {
    if (sessionKeys.length === 0) return 0;
    return Number(await this.#eval(REMOVE, this.userKey(userId), sessionKeys));
  }

  /** The recorded backfill, if any. */
  async readState(): Promise<UserIndexState | null> {
    const bytes = await this.#client.get(this.stateKey);
    if (bytes === null) return null;
    try {
      const parsed = JSON.parse(bytes.toString("utf8")) as Partial<UserIndexState>;
      return {
        indexer: typeof parsed.indexer === "string" ? parsed.indexer : "",
        finishedAt: typeof parsed.finishedAt === "string" ? parsed.finishedAt : "",
        sessions: typeof parsed.sessions === "number" ? parsed.sessions : 0,
        users: typeof parsed.users === "number" ? parsed.users : 0,
      };
    } catch {
      return null; // unreadable: as if no backfill ran
    }
  }

  /** Records a finished backfill (what makes the index complete while its indexer runs). */
  async writeState(state: UserIndexState): Promise<void> {
    await this.#client.set(this.stateKey, Buffer.from(JSON.stringify(state), "utf8"), {});
  }

  /** The id of the indexer holding the lease, or `null`. */
  async leaseHolder(): Promise<string | null> {
    const bytes = await this.#client.get(this.leaseKey);
    return bytes === null ? null : bytes.toString("utf8");
  }

  /** Takes or renews the indexer lease; `false` when another indexer holds it. */
  async holdLease(id: string, ttlMs: number): Promise<boolean> {
    const reply = await this.#eval(HOLD_LEASE, this.leaseKey, [id, Math.ceil(ttlMs)]);
    return reply === 1 || reply === 1n;
  }

  /** Gives the lease up (only if `id` holds it): the index stops being complete at once. */
  async dropLease(id: string): Promise<void> {
    await this.#eval(DROP_LEASE, this.leaseKey, [id]);
  }

  /**
   * Complete only when a backfill finished under an indexer's lease and that indexer still
   * holds it: it was following every write (Django's included) since before the backfill
   * began, so nothing written since is missing. Anything else (no backfill, a backfill without
   * an indexer, the indexer gone or replaced) is incomplete, and readers must walk.
   */
  async status(): Promise<UserIndexStatus> {
    const [state, holder] = await Promise.all([this.readState(), this.leaseHolder()]);
    if (state === null)
      return {
        complete: false,
        reason: "no backfill has run; sessions index --follow builds and keeps it",
        state,
      };
    if (state.indexer === "") {
      return {
        complete: false,
        reason:
          "backfilled without an indexer running, so sessions Django wrote since may be missing; run sessions index --follow",
        state,
      };
    }
    if (holder === null)
      return {
        complete: false,
        reason: "the indexer, sessions index --follow, is not running",
        state,
      };
    if (holder !== state.indexer) {
      return {
        complete: false,
        reason: "a new indexer has not finished its backfill yet",
        state,
      };
    }
    return {
      complete: true,
      reason: `backfilled ${state.finishedAt} and followed since by indexer ${holder}`,
      state,
    };
  }

  #eval(
    script: Parameters<NonNullable<RedisCommandClient["evalScript"]>>[0],
    key: string,
    args: readonly (string | number)[],
  ): Promise<unknown> {
    return this.#client.evalScript!(script, key, args);
  }
}
