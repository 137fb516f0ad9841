/**
 * Recognises which Redis client the caller passed, by shape, so that stores accept a
 * node-redis or ioredis client as is.
 *
 * The rules, in order:
 * 1. an object with `kind` and `get`/`set`/`del`/`exists`/`expire`/`scan` methods is already a
 *    {@link RedisCommandClient} (an adapter, or the caller's own) and is used as is;
 * 2. an object with a `withCommandOptions` method is node-redis 5/6 (client, cluster or
 *    sentinel; a cluster also has `masters` and `nodeClient`);
 * 3. an object with `call` and `callBuffer` methods is ioredis 5/6 (a cluster also has
 *    `isCluster === true` and `nodes()`).
 * Anything else is a {@link ConfigurationError}.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * const redis = toRedisClient(new Redis()); // same as fromIoredis(new Redis())
 * ```
 */
import { ConfigurationError } from "../../errors.ts";
import {
  isRedisCommandClient,
  type RedisAdapterOptions,
  type RedisCommandClient,
} from "./client.ts";
import { fromIoredis, isIoredisClient, type IoredisClientLike } from "./ioredis.ts";
import { fromNodeRedis, isNodeRedisClient, type NodeRedisClientLike } from "./node-redis.ts";

/** Any client a store accepts. */
export type RedisClientInput = RedisCommandClient | NodeRedisClientLike | IoredisClientLike;

/**
 * Returns a {@link RedisCommandClient} for the given client (see the module rules). `options`
 * only apply when a raw node-redis or ioredis client is wrapped here.
 *
 * @throws {ConfigurationError} when the object is none of the supported clients.
 * @example
 * ```ts
 * const redis = toRedisClient(await createClient().connect(), { commandTimeoutMs: 2000 });
 * ```
 */
export function toRedisClient(
  client: RedisClientInput,
  options: RedisAdapterOptions = {},
): RedisCommandClient {
  if (isRedisCommandClient(client)) return client;
  if (isNodeRedisClient(client)) return fromNodeRedis(client, options);
  if (isIoredisClient(client)) return fromIoredis(client, options);
  throw new ConfigurationError(
    "Unsupported Redis client: pass a node-redis 5/6 or ioredis 5/6 client, or a RedisCommandClient",
  );
}
