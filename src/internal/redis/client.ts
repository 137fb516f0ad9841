/**
 * The few Redis commands the session stores need, behind one small interface, so that the
 * stores do not care whether the caller uses node-redis or ioredis, a single server, a Sentinel
 * master or a Cluster.
 *
 * The caller passes the client they already use; the stores never connect, quit or close it.
 * {@link toRedisClient} recognises the client by shape (documented there); {@link fromNodeRedis}
 * and {@link fromIoredis} (in their own modules) wrap one explicitly, with options.
 *
 * Every call is binary-safe (values are `Buffer`s: pickles are bytes), and each store operation
 * is exactly one command: `GET` to load, `SET … PX|EX [NX|XX]` to save. `KEYS` is never used;
 * listing goes through `SCAN` on every master. Lua scripts on one key (`evalScript`, for the
 * Redis login rate limiter) are `EVALSHA`, with `EVAL` only when the server lacks the script.
 *
 * @example
 * ```ts
 * import { createClient } from "redis";
 * import { toRedisClient } from "sessionbridge/stores/redis";
 * const redis = toRedisClient(await createClient({ url: process.env.REDIS_URL }).connect());
 * await redis.get(":1:django.contrib.sessions.cacheabc");
 * ```
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { ConfigurationError, SessionStoreError } from "../../errors.ts";

/** An expiry for `SET`/`PEXPIRE`/`EXPIRE`: `PX`/`PEXPIRE` in milliseconds, `EX`/`EXPIRE` in seconds. */
export interface RedisTtl {
  readonly unit: "PX" | "EX";
  /** A positive integer. */
  readonly value: number;
}

/** Options of {@link RedisCommandClient.set}. */
export interface RedisSetOptions {
  /** No TTL: the key persists (Django's timeout `None`). */
  readonly ttl?: RedisTtl;
  /** `NX`: only if absent; `XX`: only if present. */
  readonly condition?: "NX" | "XX";
}

/**
 * A Lua script for {@link RedisCommandClient.evalScript}: its source, and the SHA-1 that
 * `EVALSHA` names it by (so a script is sent in full only when a server has not cached it).
 *
 * @example
 * ```ts
 * const script: RedisScript = { source: "return 1", sha1: "e0e1f9fabfc9d4800c877a703b823ac0578ff8db" };
 * ```
 */
export interface RedisScript {
  readonly source: string;
  /** Lowercase hex SHA-1 of `source`, as Redis computes it. */
  readonly sha1: string;
  /**
   * Whether running it again later changes nothing a caller was told failed (a
   * compare-and-set: it writes only if the value is still the one expected). Such a script may
   * skip a client's per-command queue timeout on a ready connection.
   */
  readonly replaySafe?: boolean;
}

/**
 * Builds a {@link RedisScript} from its source.
 *
 * @example
 * ```ts
 * redisScript("return 1").sha1; // "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"
 * ```
 */
export function redisScript(source: string, options: { replaySafe?: boolean } = {}): RedisScript {
  const sha1 = createHash("sha1").update(source, "utf8").digest("hex");
  return options.replaySafe === true ? { source, sha1, replaySafe: true } : { source, sha1 };
}

/**
 * True for Redis's `NOSCRIPT` reply: the server has no script with that SHA-1 (never loaded, a
 * restart, `SCRIPT FLUSH`, a failover to a replica that never saw it, a new cluster node).
 *
 * @example
 * ```ts
 * isNoScriptError(new Error("NOSCRIPT No matching script. Please use EVAL.")); // true
 * ```
 */
export function isNoScriptError(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("NOSCRIPT");
}

/**
 * What the session stores call. Implementations reject with the driver's own error (the
 * stores wrap it as `SessionStoreError`), with {@link RedisCommandTimeoutError}, or with
 * {@link RedisNotReadyError} (a write refused while the client reconnects).
 *
 * @example
 * ```ts
 * const written = await redis.set("k", Buffer.from("v"), { ttl: { unit: "PX", value: 1000 }, condition: "NX" });
 * ```
 */
export interface RedisCommandClient {
  /** Which adapter this is, for messages: `node-redis`, `node-redis-cluster`, `ioredis`, … */
  readonly kind: string;
  /** `GET key` as raw bytes; `null` when missing. */
  get(key: string): Promise<Buffer | null>;
  /** `SET key value [PX ms | EX s] [NX | XX]`; `false` when the NX/XX condition was not met. */
  set(key: string, value: Uint8Array, options: RedisSetOptions): Promise<boolean>;
  /** `DEL key`: how many keys were removed (0 or 1). */
  del(key: string): Promise<number>;
  /** `EXISTS key`. */
  exists(key: string): Promise<boolean>;
  /** `PEXPIRE` / `EXPIRE`; `false` when the key does not exist. */
  expire(key: string, ttl: RedisTtl): Promise<boolean>;
  /**
   * `PTTL key`: milliseconds left, `-1` for a key without TTL, `-2` for a missing key. Optional,
   * as `scanPages`: the adapters here implement it (store walks read expiries with it); a
   * caller's own client may leave it out.
   */
  pttl?(key: string): Promise<number>;
  /**
   * `SCAN 0 MATCH pattern COUNT count` until the cursor returns to 0, on every master of a
   * cluster. May yield a key more than once (SCAN's own guarantee); never uses `KEYS`.
   */
  scan(pattern: string, count: number): AsyncIterable<string>;
  /**
   * The same walk a reply at a time, each page with the position to resume from (`""` after the
   * last), starting at `from` (a position an earlier page returned; default the beginning).
   * Optional, as `evalScript`: the adapters here implement it (the CLI's resumable store walks
   * use it); a caller's own client may leave it out.
   */
  scanPages?(
    pattern: string,
    count: number,
    from?: string,
  ): AsyncIterable<{ readonly keys: readonly string[]; readonly position: string }>;
  /**
   * `GET` and `PTTL` of many keys as one pipelined batch per master (a real-time gate
   * re-checks every connected session with it): ioredis sends one pipeline per Cluster node,
   * node-redis writes every command of the batch in the same tick (its auto-pipelining, per
   * node connection). One entry per key, in order; a key holding another type than a string
   * reads as missing (`value: null`). Optional, as `pttl`: the adapters here implement it; the
   * stores fall back to one `GET` and `PTTL` per key without it.
   */
  readMany?(keys: readonly string[]): Promise<RedisValueWithTtl[]>;
  /**
   * `GET` of many keys, batched as {@link RedisCommandClient.readMany} (no `PTTL`): one entry per
   * key, in order, `null` for a missing key or one of another type. Optional: walks that need
   * only the values (`RedisStoreBase.loadPages`) fall back to one `GET` per key without it.
   */
  getMany?(keys: readonly string[]): Promise<(Buffer | null)[]>;
  /**
   * Runs a Lua script on the one key it touches: `EVALSHA sha1 1 key …args` (a `Uint8Array`
   * argument goes as its bytes), then, on a
   * `NOSCRIPT` reply, `EVAL source 1 key …args` (which also caches it on that server), so it is
   * one round trip once the server knows the script. A single key keeps it valid on a Cluster
   * (the command is routed to that key's slot). Resolves with the script's raw reply (integers
   * as numbers, bulk strings as `Buffer`s); each command has the adapter's timeout.
   *
   * Optional so that a caller's own implementation of this interface, written for the session
   * stores (which never run scripts), stays valid; the adapters here all implement it, and
   * what needs it (the Redis login rate limiter) refuses a client without it.
   */
  evalScript?(
    script: RedisScript,
    key: string,
    args: readonly (string | number | Uint8Array)[],
  ): Promise<unknown>;
}

/**
 * One key as {@link RedisCommandClient.readMany} reads it.
 *
 * @example
 * ```ts
 * const read: RedisValueWithTtl = { value: null, pttl: -2 }; // a missing key
 * ```
 */
export interface RedisValueWithTtl {
  /** The value's bytes; `null` when the key is missing or does not hold a string. */
  readonly value: Buffer | null;
  /** `PTTL`: milliseconds left, `-1` without a TTL, `-2` for a missing key. */
  readonly pttl: number;
}

/** Options of the client adapters. */
export interface RedisAdapterOptions {
  /**
   * Fail a command that has no reply after this many milliseconds (default 5000), so that a
   * Redis that is down cannot hang a request while the client queues commands offline. A write
   * that failed is never sent later: node-redis drops it from the client's queue (its `timeout`
   * command option); on ioredis a write is refused while the client is not ready, and one that
   * times out is withdrawn (sent as a `PING` if ioredis ever replays it; see `fromIoredis`).
   */
  readonly commandTimeoutMs?: number;
}

/** Default per-command timeout of the adapters. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 5000;

/**
 * A command got no reply in time (Redis down, the client queueing offline, a network stall).
 *
 * @example
 * ```ts
 * if (err instanceof RedisCommandTimeoutError) console.log(err.command); // "GET"
 * ```
 */
export class RedisCommandTimeoutError extends SessionStoreError {
  static override readonly code = "redis-timeout";
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    super(`${command} got no reply within ${timeoutMs} ms`);
  }
}

/**
 * A write was not sent because the client is not connected and ready: it would only have waited
 * in the client's offline queue, to run at some later reconnection, after the store had already
 * reported it as failed. The ioredis adapter rejects writes with it while ioredis reconnects.
 *
 * @example
 * ```ts
 * if (err instanceof RedisNotReadyError) console.log(err.command, err.clientStatus); // "SET" "reconnecting"
 * ```
 */
export class RedisNotReadyError extends SessionStoreError {
  static override readonly code = "redis-not-ready";
  constructor(
    readonly command: string,
    /** The client's status when the write was refused (ioredis: `reconnecting`, `close`, …). */
    readonly clientStatus: string,
  ) {
    super(`${command} not sent: the Redis client is not ready (status ${clientStatus})`);
  }
}

/**
 * A reply that does not have the shape the command returns (a client with an unexpected type
 * mapping, a proxy answering nonsense): a store failure, not a bad session.
 *
 * @example
 * ```ts
 * if (err instanceof RedisReplyError) console.log(err.code); // "redis-bad-reply"
 * ```
 */
export class RedisReplyError extends SessionStoreError {
  static override readonly code = "redis-bad-reply";
}

/**
 * Settles with `promise`, or rejects with {@link RedisCommandTimeoutError} after `ms`.
 *
 * @example
 * ```ts
 * const value = await withTimeout(client.get(key), "GET", 1000);
 * ```
 */
export function withTimeout<T>(promise: Promise<T>, command: string, ms: number): Promise<T> {
  // One wrapper promise and one timer per command: this runs on every session load, so no
  // Promise.race/finally chain (each of those allocates promises and reactions of its own).
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new RedisCommandTimeoutError(command, ms));
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        // Passed through as the client rejected (node-redis and ioredis reject with Errors).
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        reject(err);
      },
    );
  });
}

/**
 * Checks an adapter timeout option and applies the default.
 *
 * @example
 * ```ts
 * commandTimeout({}); // 5000
 * ```
 */
export function commandTimeout(options: RedisAdapterOptions): number {
  const ms = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new ConfigurationError("commandTimeoutMs must be a positive number of milliseconds");
  }
  return ms;
}

/**
 * A reply that should be a bulk string, as bytes (`null` for a nil reply).
 *
 * @example
 * ```ts
 * asBuffer("abc"); // <Buffer 61 62 63>
 * ```
 */
export function asBuffer(reply: unknown): Buffer | null {
  if (reply === null || reply === undefined) return null;
  if (Buffer.isBuffer(reply)) return reply;
  if (reply instanceof Uint8Array) return Buffer.from(reply.buffer, reply.byteOffset, reply.length);
  // A client without a binary type mapping: only right for ASCII values; adapters avoid it.
  if (typeof reply === "string") return Buffer.from(reply, "latin1");
  throw new RedisReplyError("Redis reply is not a string");
}

/**
 * An integer reply as a number (RESP integers may come back as `number` or `bigint`).
 *
 * @example
 * ```ts
 * asInteger(1n); // 1
 * ```
 */
export function asInteger(reply: unknown): number {
  if (typeof reply === "number") return reply;
  if (typeof reply === "bigint") return Number(reply);
  if (typeof reply === "string" && /^-?\d+$/.test(reply)) return Number(reply);
  throw new RedisReplyError("Redis reply is not an integer");
}

/**
 * A key that a SCAN reply holds, as text.
 *
 * @example
 * ```ts
 * keyText(Buffer.from("abc")); // "abc"
 * ```
 */
export function keyText(key: unknown): string {
  if (typeof key === "string") return key;
  if (key instanceof Uint8Array) return Buffer.from(key).toString("utf8");
  throw new RedisReplyError("SCAN returned a key that is not a string");
}

/**
 * Parses a `SCAN` reply in any client's shape: node-redis 5/6 `{ cursor, keys }`, ioredis and
 * raw RESP `[cursor, keys]`.
 *
 * @example
 * ```ts
 * parseScanReply(["0", ["a", "b"]]); // { cursor: "0", keys: ["a", "b"] }
 * ```
 */
export function parseScanReply(reply: unknown): { cursor: string; keys: string[] } {
  let cursor: unknown;
  let keys: unknown;
  if (Array.isArray(reply)) [cursor, keys] = reply as unknown[];
  else if (typeof reply === "object" && reply !== null && "cursor" in reply && "keys" in reply) {
    ({ cursor, keys } = reply);
  }
  if (!Array.isArray(keys)) throw new RedisReplyError("Unexpected SCAN reply");
  const text =
    typeof cursor === "number" || typeof cursor === "bigint"
      ? String(cursor)
      : cursor instanceof Uint8Array
        ? Buffer.from(cursor).toString("latin1")
        : cursor;
  if (typeof text !== "string" || !/^\d+$/.test(text)) throw new RedisReplyError("Bad SCAN cursor");
  return { cursor: text, keys: (keys as unknown[]).map(keyText) };
}

/**
 * True when `value` has a callable property `name`.
 *
 * @example
 * ```ts
 * hasMethod({ get() {} }, "get"); // true
 * ```
 */
export function hasMethod(value: unknown, name: string): boolean {
  if (typeof value !== "object" || value === null) return false;
  return typeof (value as Record<string, unknown>)[name] === "function";
}

/**
 * True for an object that already is a {@link RedisCommandClient} (an adapter, or the caller's
 * own implementation).
 *
 * @example
 * ```ts
 * isRedisCommandClient(fromIoredis(new Redis())); // true
 * ```
 */
export function isRedisCommandClient(value: unknown): value is RedisCommandClient {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { kind?: unknown }).kind === "string" &&
    ["get", "set", "del", "exists", "expire", "scan"].every((m) => hasMethod(value, m))
  );
}
