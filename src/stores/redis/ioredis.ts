/**
 * {@link RedisCommandClient} over ioredis 5/6 (an optional peer dependency that this module
 * never imports: it only calls the client it is given).
 *
 * Works with `new Redis(…)` (also a Sentinel-managed master: `new Redis({ sentinels, name })`)
 * and `new Cluster(…)`. Commands go through `call` / `callBuffer` (ioredis ≥ 5), so `GET`
 * returns a `Buffer` and a Cluster routes each command by its key; SCAN runs on every node of
 * `cluster.nodes("master")`.
 *
 * Offline queue: ioredis queues commands while it reconnects and only fails them after
 * `maxRetriesPerRequest` (default 20) reconnection attempts. Every command here has an outer
 * timeout (`commandTimeoutMs`), so a request never hangs; but ioredis has no way to withdraw a
 * queued command, so a write that timed out here may still run once Redis is back (seen in the
 * tests with the defaults and with `maxRetriesPerRequest: 1`). Create the client with
 * `enableOfflineQueue: false` (commands then fail at once while disconnected; wait for its
 * `ready` event before serving) and `commandTimeout` to rule that out.
 * A client `keyPrefix` is refused: it would silently prefix every key; use the store's own
 * key prefix options instead.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import { fromIoredis } from "sessionbridge/stores/redis";
 * const client = new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false, commandTimeout: 2000 });
 * const redis = fromIoredis(client);
 * ```
 */
import { Buffer } from "node:buffer";
import { ConfigurationError } from "../../errors.ts";
import {
  asBuffer,
  asInteger,
  commandTimeout,
  hasMethod,
  isNoScriptError,
  parseScanReply,
  withTimeout,
  type RedisAdapterOptions,
  type RedisCommandClient,
  type RedisScript,
  type RedisSetOptions,
  type RedisTtl,
} from "./client.ts";

/** An argument of ioredis `call`. */
export type IoredisArgument = string | Buffer | number;

/** The part of an ioredis `Redis` this module uses. */
export interface IoredisClientLike {
  call(command: string, args: IoredisArgument[]): Promise<unknown>;
  callBuffer(command: string, args: IoredisArgument[]): Promise<unknown>;
}

/** The part of an ioredis `Cluster` this module uses. */
export interface IoredisClusterLike extends IoredisClientLike {
  readonly isCluster: boolean;
  nodes(role: "master"): IoredisClientLike[];
}

/**
 * True for an ioredis `Redis` or `Cluster`: it has `callBuffer` (node-redis does not).
 *
 * @example
 * ```ts
 * isIoredisClient(new Redis({ lazyConnect: true })); // true
 * ```
 */
export function isIoredisClient(value: unknown): value is IoredisClientLike {
  return hasMethod(value, "call") && hasMethod(value, "callBuffer");
}

function isIoredisCluster(value: IoredisClientLike): value is IoredisClusterLike {
  return (value as { isCluster?: unknown }).isCluster === true && hasMethod(value, "nodes");
}

/** ioredis's `keyPrefix`, on a `Redis` (`options.keyPrefix`) or a `Cluster` (`options.redisOptions`). */
function keyPrefixOf(client: IoredisClientLike): unknown {
  const options = (client as { options?: { keyPrefix?: unknown; redisOptions?: unknown } }).options;
  const nested = options?.redisOptions as { keyPrefix?: unknown } | undefined;
  return options?.keyPrefix ?? nested?.keyPrefix;
}

class IoredisAdapter implements RedisCommandClient {
  readonly kind: string;
  readonly #client: IoredisClientLike;
  readonly #timeoutMs: number;

  constructor(client: IoredisClientLike, timeoutMs: number) {
    const prefix = keyPrefixOf(client);
    if (typeof prefix === "string" && prefix !== "") {
      throw new ConfigurationError(
        "The ioredis client has a keyPrefix; remove it and use the store's key prefix option",
      );
    }
    this.#client = client;
    this.#timeoutMs = timeoutMs;
    this.kind = isIoredisCluster(client) ? "ioredis-cluster" : "ioredis";
  }

  #call(command: string, args: IoredisArgument[], node = this.#client): Promise<unknown> {
    return withTimeout(node.call(command, args), command, this.#timeoutMs);
  }

  async get(key: string): Promise<Buffer | null> {
    const reply = await withTimeout(this.#client.callBuffer("GET", [key]), "GET", this.#timeoutMs);
    return asBuffer(reply);
  }

  async set(key: string, value: Uint8Array, options: RedisSetOptions): Promise<boolean> {
    const args: IoredisArgument[] = [
      key,
      Buffer.from(value.buffer, value.byteOffset, value.length),
    ];
    if (options.ttl) args.push(options.ttl.unit, options.ttl.value);
    if (options.condition) args.push(options.condition);
    const reply = await this.#call("SET", args);
    return reply !== null && reply !== undefined;
  }

  async del(key: string): Promise<number> {
    return asInteger(await this.#call("DEL", [key]));
  }

  async exists(key: string): Promise<boolean> {
    return asInteger(await this.#call("EXISTS", [key])) > 0;
  }

  async expire(key: string, ttl: RedisTtl): Promise<boolean> {
    const command = ttl.unit === "PX" ? "PEXPIRE" : "EXPIRE";
    return asInteger(await this.#call(command, [key, ttl.value])) === 1;
  }

  async evalScript(
    script: RedisScript,
    key: string,
    args: readonly (string | number)[],
  ): Promise<unknown> {
    // `callBuffer`: bulk replies as bytes, like GET. ioredis (also a Cluster) finds the key of
    // EVALSHA/EVAL from `numkeys`, so the command goes to that key's node.
    const rest: IoredisArgument[] = [1, key, ...args];
    const timeoutMs = this.#timeoutMs;
    try {
      return await withTimeout(
        this.#client.callBuffer("EVALSHA", [script.sha1, ...rest]),
        "EVALSHA",
        timeoutMs,
      );
    } catch (err) {
      if (!isNoScriptError(err)) throw err;
      return withTimeout(
        this.#client.callBuffer("EVAL", [script.source, ...rest]),
        "EVAL",
        timeoutMs,
      );
    }
  }

  async *scan(pattern: string, count: number): AsyncIterable<string> {
    const client = this.#client;
    const nodes = isIoredisCluster(client) ? client.nodes("master") : [client];
    for (const node of nodes) {
      let cursor = "0";
      do {
        const reply = parseScanReply(
          await this.#call("SCAN", [cursor, "MATCH", pattern, "COUNT", count], node),
        );
        cursor = reply.cursor;
        yield* reply.keys;
      } while (cursor !== "0");
    }
  }
}

/**
 * Wraps an ioredis `Redis` or `Cluster`. The client stays the caller's: it is never connected,
 * closed or reconfigured here.
 *
 * @throws {ConfigurationError} when the client has a `keyPrefix`.
 * @example
 * ```ts
 * const store = new DjangoCacheStore({ client: fromIoredis(new Redis(), { commandTimeoutMs: 1000 }) });
 * ```
 */
export function fromIoredis(
  client: IoredisClientLike,
  options: RedisAdapterOptions = {},
): RedisCommandClient {
  return new IoredisAdapter(client, commandTimeout(options));
}
