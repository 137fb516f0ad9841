/**
 * What every login rate limiter is: the {@link RateLimiter} interface and the rule it enforces.
 * The in-memory limiter (`rate-limit.ts`) and the Redis one (`redis-rate-limit.ts`) both build
 * on it, so neither imports the other's module for it.
 */
import { ConfigurationError } from "../errors.ts";

/**
 * Counts failures per key over a time window. Implementations must be safe to share. A method
 * that cannot answer (its store is down) must reject, never resolve with "allowed":
 * `authenticate` then rejects too, so no login gets through unchecked.
 *
 * Implement {@link RateLimiter.reserve} too: `authenticate` then takes a key's place before
 * hashing the password, so concurrent attempts cannot all pass a check made before any of them
 * is recorded. A limiter without it is consulted the older way (`retryAfter` before the
 * password check, `hit` after a failure), which lets every concurrent attempt through at the
 * edge of the limit.
 *
 * @example
 * ```ts
 * const limiter: RateLimiter = new MemoryRateLimiter({ limit: 5, windowMs: 60_000 });
 * if ((await limiter.retryAfter("ip:10.0.0.1")) > 0) console.log("blocked");
 * ```
 */
export interface RateLimiter {
  /** Milliseconds until `key` may try again; `0` when it may now. */
  retryAfter(key: string): Promise<number>;
  /** Records one failure for `key`. */
  hit(key: string): Promise<void>;
  /** Forgets `key`'s failures (after a successful login). */
  reset(key: string): Promise<void>;
  /**
   * Atomically: when `key` is not blocked, records one attempt (as `hit` would) and grants it;
   * otherwise records nothing and answers how long to wait. One step, so that of any number
   * of concurrent attempts at most `limit` are granted within a window.
   */
  reserve?(key: string): Promise<RateLimitReservation>;
}

/**
 * The answer of {@link RateLimiter.reserve}: granted (the attempt is already counted as a
 * failure; `cancel` withdraws exactly that one record, once, when the attempt turns out not to
 * be a failure), or refused with the milliseconds until `key` may try again.
 *
 * @example
 * ```ts
 * const r = await limiter.reserve("ip:10.0.0.1");
 * if (!r.granted) console.log(`wait ${String(r.retryAfter)} ms`);
 * else if (passwordWasRight) await r.cancel();
 * ```
 */
export type RateLimitReservation =
  | { readonly granted: true; readonly cancel: () => Promise<void> }
  | { readonly granted: false; readonly retryAfter: number };

/**
 * A limit: at most `limit` failures within `windowMs`.
 *
 * @example
 * ```ts
 * const rule: RateLimitRule = { limit: 5, windowMs: 15 * 60_000 };
 * ```
 */
export interface RateLimitRule {
  readonly limit: number;
  readonly windowMs: number;
}

/**
 * Checks a rule as every limiter takes it.
 * @throws {ConfigurationError} for a `limit` that is not a positive integer or a `windowMs` that is not
 *   positive (or above `maxWindowMs`).
 * @internal
 */
export function checkRateLimitRule(rule: RateLimitRule, maxWindowMs = Infinity): void {
  if (!Number.isSafeInteger(rule.limit) || rule.limit < 1) {
    throw new ConfigurationError("limit must be a positive integer");
  }
  if (!(rule.windowMs > 0)) throw new ConfigurationError("windowMs must be positive");
  if (!(rule.windowMs <= maxWindowMs)) throw new ConfigurationError("windowMs is too long");
}
