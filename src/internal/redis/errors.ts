/**
 * Turning driver failures into the store contract's errors (see `../contract.ts`): anything
 * Redis or the client fails on becomes a `SessionStoreError` (`store-unavailable`) whose message
 * names the store and the first line of the driver's message, with any `user:password@` of a
 * URL blanked out, and never a key or a value. The original error is kept as `cause`.
 *
 * @example
 * ```ts
 * try { await redis.get(key); } catch (err) { throw redisStoreError("redis:django-cache", err); }
 * ```
 */
import { SessionBridgeError, SessionStoreError } from "../../errors.ts";
import { errorCode, redact } from "../store-errors.ts";
import { RedisCommandTimeoutError, RedisNotReadyError, RedisReplyError } from "./client.ts";

/** Longest driver detail kept in an error message. */
const MAX_DETAIL = 200;

/**
 * Wraps `error` as a {@link SessionStoreError} naming `store`. Errors sessionbridge threw on
 * purpose pass through unchanged, except the adapters' own Redis errors (a timeout, a client not
 * ready, a reply of the wrong shape), which are wrapped too so that the message names the store and `code` stays
 * `store-unavailable`; the Redis error is the `cause`.
 *
 * @example
 * ```ts
 * redisStoreError("redis:django-cache", new Error("connect ECONNREFUSED 127.0.0.1:6379")).message;
 * // "Redis session store redis:django-cache failed: connect ECONNREFUSED 127.0.0.1:6379"
 * ```
 */
export function redisStoreError(store: string, error: unknown): SessionBridgeError {
  return redisUnavailableError(`Redis session store ${store}`, error);
}

/**
 * Wraps `error` as a {@link SessionStoreError} (`store-unavailable`, HTTP 503) whose message
 * starts with `subject` — what else than a session store failed on Redis, e.g. the login rate
 * limiter — with the same redaction as {@link redisStoreError}. Errors sessionbridge threw on
 * purpose pass through unchanged.
 *
 * @example
 * ```ts
 * redisUnavailableError("Redis login rate limiter", new Error("connect ECONNREFUSED 127.0.0.1:6379")).message;
 * // "Redis login rate limiter failed: connect ECONNREFUSED 127.0.0.1:6379"
 * ```
 */
export function redisUnavailableError(subject: string, error: unknown): SessionBridgeError {
  const transport =
    error instanceof RedisCommandTimeoutError ||
    error instanceof RedisNotReadyError ||
    error instanceof RedisReplyError;
  if (error instanceof SessionBridgeError && !transport) return error;
  const code = errorCode(error);
  let detail = redact(errorMessage(error).split(/\r?\n/, 1)[0] ?? "", []);
  // A `redis://` or `rediss://` URL without user info can still carry `:password@`.
  detail = detail.replace(/(rediss?:\/\/)[^@\s/]*@/gi, "$1***@");
  if (detail.length > MAX_DETAIL) detail = `${detail.slice(0, MAX_DETAIL)}…`;
  const prefix = code !== undefined && !detail.includes(code) ? `${code} ` : "";
  return new SessionStoreError(`${subject} failed: ${prefix}${detail}`.trimEnd(), { cause: error });
}

/**
 * True for Redis's `WRONGTYPE` reply: the key holds a hash, list, … not a string.
 *
 * @example
 * ```ts
 * isWrongTypeError(new Error("WRONGTYPE Operation against a key holding the wrong kind of value")); // true
 * ```
 */
export function isWrongTypeError(error: unknown): boolean {
  return errorMessage(error).startsWith("WRONGTYPE");
}

function errorMessage(error: unknown): string {
  if (error instanceof AggregateError && error.message === "") {
    // Node reports a refused connection to a dual-stack host as an AggregateError with no message.
    const inner: unknown = error.errors[0];
    return inner instanceof Error ? inner.message : "connection failed";
  }
  if (error instanceof Error) {
    if (error.message !== "") return error.message;
    // node-redis rejects a command its `timeout` option dropped with a bare `TimeoutError`
    // (no message, `name` "Error"): its class name is the only thing that says what happened.
    const className = (error.constructor as { name?: unknown } | undefined)?.name;
    return error.name !== "Error" || typeof className !== "string" || className === ""
      ? error.name
      : className;
  }
  return typeof error === "string" ? error : "unknown error";
}
