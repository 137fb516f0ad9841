/**
 * Failed-login limits, per username and per client IP: a sliding-window log in memory by
 * default, behind a small interface so that a shared limiter ({@link RedisRateLimiter}, or the
 * caller's own) can replace it when several processes serve logins.
 *
 * A locked-out username gets the same answer whether the account exists or not, and the lock
 * is keyed by the submitted name (in the form the user lookup compares it,
 * `UserSource.usernameKey`), never by the account found, so it does not reveal which names
 * exist.
 *
 * @example
 * ```ts
 * const rateLimit = loginRateLimit({
 *   perUsername: { limit: 5, windowMs: 15 * 60_000 },
 *   perIp: { limit: 50, windowMs: 15 * 60_000 },
 * });
 * const config = { users, secretKey, rateLimit };
 * ```
 */

import { ConfigurationError } from "../errors.ts";
import type { RedisClientInput } from "../internal/redis/detect.ts";
import {
  checkRateLimitRule,
  type RateLimiter,
  type RateLimitReservation,
  type RateLimitRule,
} from "./rate-limiter.ts";
import { RedisRateLimiter } from "./redis-rate-limit.ts";

/**
 * Options of {@link MemoryRateLimiter}.
 *
 * @example
 * ```ts
 * const options: MemoryRateLimiterOptions = { limit: 5, windowMs: 60_000, maxKeys: 10_000 };
 * ```
 */
export interface MemoryRateLimiterOptions extends RateLimitRule {
  /** Most keys kept; the least recently failed are forgotten beyond it. Default 100000. */
  readonly maxKeys?: number;
  /** Clock in milliseconds, for tests. */
  readonly now?: () => number;
}

/**
 * A sliding-window log in this process's memory: a key is blocked while it has `limit`
 * failures younger than `windowMs`, until the oldest of them ages out.
 *
 * @example
 * ```ts
 * const limiter = new MemoryRateLimiter({ limit: 5, windowMs: 60_000 });
 * await limiter.hit("user:alice");
 * await limiter.retryAfter("user:alice"); // 0 until the fifth failure
 * ```
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  /** Failure times per key, oldest first; Map order = least recently failed first. */
  readonly #log = new Map<string, number[]>();

  constructor(options: MemoryRateLimiterOptions) {
    checkRateLimitRule(options);
    this.#limit = options.limit;
    this.#windowMs = options.windowMs;
    this.#maxKeys = options.maxKeys ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  retryAfter(key: string): Promise<number> {
    return Promise.resolve(this.#wait(this.#live(key)));
  }

  hit(key: string): Promise<void> {
    this.#record(key, this.#live(key));
    return Promise.resolve();
  }

  /**
   * Checks and records in one synchronous step (this process runs one at a time), so
   * concurrent logins cannot all pass the check. `cancel` removes one record of the reserved
   * time (records of one millisecond are interchangeable).
   */
  reserve(key: string): Promise<RateLimitReservation> {
    const times = this.#live(key);
    const wait = this.#wait(times);
    if (wait > 0) return Promise.resolve({ granted: false, retryAfter: wait });
    const at = this.#record(key, times);
    let cancelled = false;
    const cancel = (): Promise<void> => {
      if (cancelled) return Promise.resolve();
      cancelled = true;
      const current = this.#log.get(key);
      const index = current?.lastIndexOf(at) ?? -1;
      if (current !== undefined && index >= 0) {
        current.splice(index, 1);
        if (current.length === 0) this.#log.delete(key);
      }
      return Promise.resolve();
    };
    return Promise.resolve({ granted: true, cancel });
  }

  reset(key: string): Promise<void> {
    this.#log.delete(key);
    return Promise.resolve();
  }

  /** Milliseconds until a key with these live failures may try again (0: now). */
  #wait(times: readonly number[]): number {
    if (times.length < this.#limit) return 0;
    const oldest = times[times.length - this.#limit] ?? 0;
    return Math.max(1, oldest + this.#windowMs - this.#now());
  }

  /** Appends a failure now; returns its time. */
  #record(key: string, times: number[]): number {
    const at = this.#now();
    times.push(at);
    // Only the newest `limit` failures can matter.
    if (times.length > this.#limit) times.splice(0, times.length - this.#limit);
    this.#log.delete(key);
    this.#log.set(key, times);
    while (this.#log.size > this.#maxKeys) {
      const first = this.#log.keys().next();
      if (first.done === true) break;
      this.#log.delete(first.value);
    }
    return at;
  }

  /** The failures still inside the window (expired ones are dropped). */
  #live(key: string): number[] {
    const times = this.#log.get(key);
    if (times === undefined) return [];
    const since = this.#now() - this.#windowMs;
    let drop = 0;
    while (drop < times.length && (times[drop] ?? 0) <= since) drop++;
    if (drop > 0) times.splice(0, drop);
    if (times.length === 0) this.#log.delete(key);
    return times;
  }
}

/**
 * The limiters `authenticate` consults.
 *
 * @example
 * ```ts
 * const rateLimit: LoginRateLimit = { byUsername: new MemoryRateLimiter({ limit: 5, windowMs: 900_000 }) };
 * ```
 */
export interface LoginRateLimit {
  /** Keyed by the submitted username (its `UserSource.usernameKey` form, case-folded). */
  readonly byUsername?: RateLimiter;
  /** Keyed by `credentials.ip`. */
  readonly byIp?: RateLimiter;
}

/**
 * Options of {@link loginRateLimit}.
 *
 * @example
 * ```ts
 * const options: LoginRateLimitOptions = { perUsername: { limit: 5, windowMs: 900_000 }, redis: client };
 * ```
 */
export interface LoginRateLimitOptions {
  readonly perUsername?: RateLimitRule;
  readonly perIp?: RateLimitRule;
  /** In-memory limiters only: their clock in milliseconds, for tests. */
  readonly now?: () => number;
  /**
   * Keep the limits in this Redis (node-redis or ioredis: single server, Cluster or Sentinel,
   * as the Redis session stores take it) with {@link RedisRateLimiter}, so that every process
   * shares them. Default: in this process's memory.
   */
  readonly redis?: RedisClientInput;
  /** With `redis`: the key prefix (default `"sessionbridge:ratelimit:"`). */
  readonly keyPrefix?: string;
}

/**
 * Limits from plain numbers: in memory by default, in Redis (shared by every process) with
 * `redis`. Both limiters can share one key prefix: their keys start with `username:` and `ip:`.
 *
 * @throws {ConfigurationError} for a bad rule; {ConfigurationError} for `now` with `redis` (Redis
 *   limits use the Redis server's clock) or `keyPrefix` without it.
 * @example
 * ```ts
 * loginRateLimit({ perUsername: { limit: 5, windowMs: 900_000 } }); // this process only
 * loginRateLimit({ perUsername: { limit: 5, windowMs: 900_000 }, redis: client }); // shared
 * ```
 */
export function loginRateLimit(rules: LoginRateLimitOptions): LoginRateLimit {
  const { redis, keyPrefix, now } = rules;
  if (redis !== undefined && now !== undefined) {
    throw new ConfigurationError("loginRateLimit: now applies to in-memory limits, not to redis");
  }
  if (redis === undefined && keyPrefix !== undefined) {
    throw new ConfigurationError("loginRateLimit: keyPrefix needs the redis option");
  }
  const make = (rule: RateLimitRule): RateLimiter =>
    redis === undefined
      ? new MemoryRateLimiter({ ...rule, ...(now ? { now } : {}) })
      : new RedisRateLimiter({
          limit: rule.limit,
          windowMs: rule.windowMs,
          client: redis,
          ...(keyPrefix === undefined ? {} : { keyPrefix }),
        });
  return {
    ...(rules.perUsername ? { byUsername: make(rules.perUsername) } : {}),
    ...(rules.perIp ? { byIp: make(rules.perIp) } : {}),
  };
}

/**
 * The limiter keys for one attempt.
 *
 * @example
 * ```ts
 * rateLimitKeys("Alice", "10.0.0.1"); // { username: "username:alice", ip: "ip:10.0.0.1" }
 * ```
 */
export function rateLimitKeys(
  username: string | null | undefined,
  ip: string | undefined,
): { readonly username: string | undefined; readonly ip: string | undefined } {
  return {
    // Case-folded so that `Alice` and `alice` (one account on a case-insensitive collation)
    // share a budget.
    username:
      typeof username === "string"
        ? `username:${username.normalize("NFKC").toLowerCase()}`
        : undefined,
    ip: ip === undefined || ip === "" ? undefined : `ip:${ip}`,
  };
}
