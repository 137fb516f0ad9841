/**
 * A {@link RateLimiter} kept in Redis, so that every process serving logins (several `serve`
 * processes, a Node cluster, several hosts) shares one failure budget per key. Same semantics
 * as {@link MemoryRateLimiter}: a key is blocked while it has `limit` failures younger than
 * `windowMs`, until the oldest of its newest `limit` failures ages out.
 *
 * Layout: one sorted set per key (`keyPrefix` + the key), a member per failure scored by its
 * time in microseconds. Each operation is one Lua script on that one key (so it is atomic, one
 * round trip, and valid on a Cluster): `hit` drops failures older than the window, adds one,
 * keeps only the newest `limit` and sets the key's TTL to the window (Redis forgets idle keys
 * by itself); `retryAfter` only reads; `reserve` checks and records in one script (what
 * `authenticate` uses, so concurrent logins cannot all pass the check); `reset` is a `DEL`. Times come from the Redis server's
 * `TIME`, never from this process, so app servers with skewed clocks agree.
 *
 * @example
 * ```ts
 * import { createClient } from "redis";
 * import { RedisRateLimiter } from "sessionbridge/auth";
 * const client = createClient({ url: process.env.REDIS_URL, disableOfflineQueue: true });
 * client.on("error", () => {});
 * const limiter = new RedisRateLimiter({ client: await client.connect(), limit: 5, windowMs: 900_000 });
 * ```
 */
import { Buffer } from "node:buffer";
import { createHash, randomBytes } from "node:crypto";
import { ConfigurationError } from "../errors.ts";
import {
  redisScript,
  type RedisCommandClient,
  type RedisScript,
} from "../internal/redis/client.ts";
import { toRedisClient, type RedisClientInput } from "../internal/redis/detect.ts";
import { redisUnavailableError } from "../internal/redis/errors.ts";
import {
  checkRateLimitRule,
  type RateLimiter,
  type RateLimitReservation,
  type RateLimitRule,
} from "./rate-limiter.ts";

/**
 * Default {@link RedisRateLimiterOptions.keyPrefix}: the failures of `username:alice` live under
 * `sessionbridge:ratelimit:username:alice`.
 *
 * @example
 * ```ts
 * await redis.del(`${DEFAULT_RATE_LIMIT_KEY_PREFIX}username:alice`); // lift a lock by hand
 * ```
 */
export const DEFAULT_RATE_LIMIT_KEY_PREFIX = "sessionbridge:ratelimit:";

/**
 * Longest key (in UTF-8 bytes) stored as is; longer ones are hashed. Keys carry user-submitted
 * usernames: without a bound, each failed login could make Redis keep a key of any size.
 */
const MAX_PLAIN_KEY_BYTES = 128;

/** Marks a hashed key; a key that itself starts with it is hashed too, so none can collide. */
const HASHED_KEY_MARK = "sha256:";

/**
 * Longest window: failure times are microseconds in a Lua number (a double), exact only below
 * 2^53; ten years keeps now + window far below it.
 */
const MAX_WINDOW_MS = 10 * 365 * 24 * 3600 * 1000;

/** Lone UTF-16 surrogates: Redis clients send keys as UTF-8, which would blur them together. */
const LONE_SURROGATE = /\p{Surrogate}/u;

// Shared by both scripts: the server's clock as exact integer microseconds. Lua 5.1 prints a
// number with 14 significant digits, so scores go to Redis through %.0f, never tostring.
// `redis.replicate_commands` lets Redis 3.2–4 accept writes after TIME (Redis 5+ always
// replicates a script's effects; 7 keeps the function as a no-op).
const SCRIPT_PRELUDE = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
`;

/**
 * `hit`: KEYS[1] the key; ARGV window µs, limit, TTL ms, nonce. Members are "µs:nonce": the
 * nonce keeps two hits of the same microsecond (the server's clock stepped back, a failover to
 * a host whose clock lags) two members, where the time alone would count them once. Expired
 * failures go by score (`<=`, as MemoryRateLimiter drops `time <= now - window`), then all but
 * the newest `limit` by rank.
 */
const HIT_SCRIPT = redisScript(`${SCRIPT_PRELUDE}
local key = KEYS[1]
local nowText = string.format('%.0f', now)
redis.call('ZREMRANGEBYSCORE', key, '-inf', string.format('%.0f', now - window))
redis.call('ZADD', key, nowText, nowText .. ':' .. ARGV[4])
redis.call('ZREMRANGEBYRANK', key, 0, -(limit + 1))
redis.call('PEXPIRE', key, ARGV[3])
return 1
`);

/**
 * `retryAfter`: KEYS[1] the key; ARGV window µs, limit. Read-only: counts the live failures
 * and, at `limit` or more, answers when the oldest of the newest `limit` ages out, in whole
 * milliseconds rounded up (at least 1), so that waiting that long always unblocks.
 */
const RETRY_AFTER_SCRIPT = redisScript(`${SCRIPT_PRELUDE}
local key = KEYS[1]
local since = '(' .. string.format('%.0f', now - window)
local live = redis.call('ZCOUNT', key, since, '+inf')
if live < limit then return 0 end
local oldest = redis.call('ZRANGEBYSCORE', key, since, '+inf', 'WITHSCORES', 'LIMIT', live - limit, 1)
local wait = tonumber(oldest[2]) + window - now
return math.max(1, math.ceil(wait / 1000))
`);

/**
 * `reserve`: KEYS[1] the key; ARGV window µs, limit, TTL ms, member. `hit` and `retryAfter` in
 * one atomic step: expired failures are dropped; at `limit` live failures nothing is recorded
 * and the wait is returned as `retryAfter` computes it; below it, the attempt is recorded under
 * the caller's member (so that `cancel` can name it) and 0 is returned.
 */
const RESERVE_SCRIPT = redisScript(`${SCRIPT_PRELUDE}
local key = KEYS[1]
redis.call('ZREMRANGEBYSCORE', key, '-inf', string.format('%.0f', now - window))
local live = redis.call('ZCARD', key)
if live >= limit then
  local oldest = redis.call('ZRANGE', key, live - limit, live - limit, 'WITHSCORES')
  local wait = tonumber(oldest[2]) + window - now
  return math.max(1, math.ceil(wait / 1000))
end
redis.call('ZADD', key, string.format('%.0f', now), ARGV[4])
redis.call('PEXPIRE', key, ARGV[3])
return 0
`);

/** `cancel` of a reservation: KEYS[1] the key, ARGV[1] the member it recorded. */
const CANCEL_SCRIPT = redisScript(`redis.call('ZREM', KEYS[1], ARGV[1])
return 1
`);

/**
 * Options of {@link RedisRateLimiter}.
 *
 * @example
 * ```ts
 * const options: RedisRateLimiterOptions = { client, limit: 5, windowMs: 900_000, keyPrefix: "myapp:login:" };
 * ```
 */
export interface RedisRateLimiterOptions extends RateLimitRule {
  /**
   * The caller's client: node-redis 5/6 (client, cluster, sentinel), ioredis 5/6 (Redis,
   * Cluster, Sentinel-managed), or an adapter from `fromNodeRedis` / `fromIoredis`
   * (`sessionbridge/stores/redis`), exactly as the Redis session stores take it. Never
   * connected or closed here. The limiter's commands (scripts, `DEL`) are writes to the
   * adapters, so while Redis is unreachable they fail at once (ioredis) or within
   * `commandTimeoutMs`, and are never replayed later; give the client an `error` listener.
   */
  readonly client: RedisClientInput;
  /**
   * Prepended to every key (default `"sessionbridge:ratelimit:"`). Limiters that must share a
   * budget (the same limiter in several processes) use the same prefix, and the same `limit`
   * and `windowMs`.
   */
  readonly keyPrefix?: string;
  /** Per-command timeout when a raw client is wrapped here (default 5000 ms). */
  readonly commandTimeoutMs?: number;
}

/**
 * Failed-login limits shared by every process through Redis: a sliding-window log per key, with
 * exactly {@link MemoryRateLimiter}'s semantics, on the Redis server's clock. One round trip per
 * `hit`, `retryAfter`, `reserve` (the check and the record in one step) and `reset`, each
 * atomic, so concurrent attempts from many processes are all counted and at most `limit` of
 * them are granted per window.
 *
 * Keys: the Redis key is `keyPrefix` + the limiter key (`username:alice`, `ip:10.0.0.1`) when
 * that key is at most 128 UTF-8 bytes of well-formed text; a longer (or otherwise unsafe) key —
 * usernames are whatever a client submits — becomes `keyPrefix` + `sha256:` + the hex SHA-256 of
 * the key, so no key is longer than the prefix + 71 bytes. Each key expires after `windowMs`
 * without failures.
 *
 * Failures: when Redis is unreachable or fails, every method rejects with `SessionStoreError`
 * (code `store-unavailable`, `status` 503; the message never holds the key) within the
 * command timeout. `authenticate` then rejects with it too — a login is never let through
 * unchecked — and the adapters answer 503.
 *
 * @throws {ConfigurationError} for a `limit` that is not a positive integer, or a `windowMs` that is not
 *   positive and at most ten years.
 * @throws {ConfigurationError} for a client that is none of the supported ones, or a
 *   `RedisCommandClient` of the caller's own without `evalScript`.
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import { RedisRateLimiter, authenticate } from "sessionbridge/auth";
 * const client = new Redis(process.env.REDIS_URL!);
 * const rateLimit = {
 *   byUsername: new RedisRateLimiter({ client, limit: 5, windowMs: 15 * 60_000 }),
 *   byIp: new RedisRateLimiter({ client, limit: 50, windowMs: 15 * 60_000 }),
 * };
 * const result = await authenticate({ username, password, ip }, { users, secretKey, rateLimit });
 * ```
 */
export class RedisRateLimiter implements RateLimiter {
  readonly #client: RedisCommandClient;
  readonly #limit: number;
  readonly #keyPrefix: string;
  /** The window in microseconds, the unit of the stored scores. */
  readonly #windowMicros: string;
  /** The key TTL: the window in whole milliseconds, rounded up. */
  readonly #ttlMs: string;

  constructor(options: RedisRateLimiterOptions) {
    // At most ten years: the window in microseconds stays exact in the script's doubles.
    checkRateLimitRule(options, MAX_WINDOW_MS);
    const keyPrefix = options.keyPrefix ?? DEFAULT_RATE_LIMIT_KEY_PREFIX;
    this.#client = toRedisClient(
      options.client,
      options.commandTimeoutMs === undefined ? {} : { commandTimeoutMs: options.commandTimeoutMs },
    );
    if (this.#client.evalScript === undefined) {
      throw new ConfigurationError(
        `The Redis client (${this.#client.kind}) has no evalScript: the rate limiter needs Lua scripts`,
      );
    }
    this.#limit = options.limit;
    this.#keyPrefix = keyPrefix;
    this.#windowMicros = String(Math.max(1, Math.round(options.windowMs * 1000)));
    this.#ttlMs = String(Math.ceil(options.windowMs));
  }

  async retryAfter(key: string): Promise<number> {
    return integerReply(
      await this.#run(RETRY_AFTER_SCRIPT, key, [this.#windowMicros, this.#limit]),
    );
  }

  async hit(key: string): Promise<void> {
    // A random nonce rather than a counter: a counter would be a second key (not valid on a
    // Cluster in one script) or a second round trip.
    const nonce = randomBytes(9).toString("base64url");
    await this.#run(HIT_SCRIPT, key, [this.#windowMicros, this.#limit, this.#ttlMs, nonce]);
  }

  /**
   * One script that checks and records (see the class notes), so that concurrent logins on
   * every process sharing this Redis are granted at most `limit` attempts per window.
   */
  async reserve(key: string): Promise<RateLimitReservation> {
    // The member names this record for `cancel`: "r:" + a random nonce (hits are "µs:nonce").
    const member = `r:${randomBytes(12).toString("base64url")}`;
    const wait = integerReply(
      await this.#run(RESERVE_SCRIPT, key, [this.#windowMicros, this.#limit, this.#ttlMs, member]),
    );
    if (wait > 0) return { granted: false, retryAfter: wait };
    // A ZREM of a unique member: cancelling twice removes nothing more.
    return {
      granted: true,
      cancel: async () => {
        await this.#run(CANCEL_SCRIPT, key, [member]);
      },
    };
  }

  async reset(key: string): Promise<void> {
    try {
      await this.#client.del(this.redisKey(key));
    } catch (err) {
      throw limiterError(err);
    }
  }

  /**
   * The Redis key of a limiter key (see the class notes on hashing).
   *
   * @example
   * ```ts
   * limiter.redisKey("username:alice"); // "sessionbridge:ratelimit:username:alice"
   * ```
   */
  redisKey(key: string): string {
    const plain =
      Buffer.byteLength(key, "utf8") <= MAX_PLAIN_KEY_BYTES &&
      !key.startsWith(HASHED_KEY_MARK) &&
      !LONE_SURROGATE.test(key);
    if (plain) return `${this.#keyPrefix}${key}`;
    // UTF-16 code units, not UTF-8: lossless even for lone surrogates.
    const digest = createHash("sha256").update(Buffer.from(key, "utf16le")).digest("hex");
    return `${this.#keyPrefix}${HASHED_KEY_MARK}${digest}`;
  }

  async #run(
    script: RedisScript,
    key: string,
    args: readonly (string | number)[],
  ): Promise<unknown> {
    try {
      // Checked in the constructor; `?.` keeps the client as `this`.
      const reply = await this.#client.evalScript?.(script, this.redisKey(key), args);
      return reply;
    } catch (err) {
      throw limiterError(err);
    }
  }
}

function limiterError(error: unknown): Error {
  return redisUnavailableError("Redis login rate limiter", error);
}

/**
 * The script's integer reply (a number, or a bigint with some RESP3 type mappings). Anything
 * else (a proxy or fake server answering nonsense) is a store failure, not a pass.
 */
function integerReply(reply: unknown): number {
  if (typeof reply === "number" && Number.isSafeInteger(reply) && reply >= 0) return reply;
  if (typeof reply === "bigint" && reply >= 0n && reply <= BigInt(Number.MAX_SAFE_INTEGER)) {
    return Number(reply);
  }
  throw limiterError(new Error("Unexpected reply from the rate limiter script"));
}
