/**
 * `sessionbridge/stores/redis`: Django sessions kept in Redis, readable and writable by Django
 * and Node at the same time.
 *
 * - {@link DjangoCacheStore}: `SESSION_ENGINE = "django.contrib.sessions.backends.cache"` on
 *   django-redis (`backend: "django-redis"`, default) or Django 4.0+'s built-in `RedisCache`
 *   (`backend: "django"`), and the Redis half of `cached_db` (`engine: "cached_db"`).
 * - {@link DjangoRedisSessionsStore}: the third-party engines `redis_sessions.session` and
 *   `redis_sessions_fork.session`.
 * - {@link scanSessionKeys}: lists a store's sessions with `SCAN` (never `KEYS`).
 * - {@link RedisUserIndex}: the per-user session index (one set per user), kept by the stores'
 *   saves with `userIndex: true` and by `sessionbridge sessions index --follow`.
 *
 * Bring your own client: node-redis 5/6 (`redis`) or ioredis 5/6, both optional peer
 * dependencies that this module never imports. The stores never connect or close it. Every
 * command has the store's own timeout (`commandTimeoutMs`, default 5000), so a Redis outage
 * fails requests (`SessionStoreError`, HTTP 503) instead of hanging them, and a write reported
 * as failed is never applied later: node-redis drops it from its queue; on ioredis writes are
 * refused at once while the client is not ready, and a timed-out write is withdrawn (see
 * `fromIoredis`). To fail reads at once too: node-redis `createClient({ disableOfflineQueue:
 * true })` plus an `error` listener; ioredis `new Redis({ enableOfflineQueue: false })`.
 *
 * @example
 * ```ts
 * import { createClient } from "redis";
 * import { DjangoCacheStore } from "sessionbridge/stores/redis";
 *
 * const client = createClient({ url: process.env.REDIS_URL, disableOfflineQueue: true });
 * client.on("error", (err) => console.error(err));
 * await client.connect();
 * const store = new DjangoCacheStore({ client }); // django-redis, pickle, ":1:" keys
 * ```
 */
export { DjangoCacheStore } from "./cache-store.ts";
export type { DjangoCacheStoreOptions } from "./cache-store.ts";
export { DjangoRedisSessionsStore } from "./redis-sessions-store.ts";
export type {
  DjangoRedisSessionsStoreOptions,
  RedisSessionsFlavor,
} from "./redis-sessions-store.ts";
export { DjangoCacheValueCodec, DEFAULT_MAX_VALUE_BYTES } from "./cache-value.ts";
export type {
  DjangoCacheBackend,
  DjangoCacheValueOptions,
  DjangoRedisCompressor,
  DjangoRedisSerializer,
} from "./cache-value.ts";
export { dumpsDjangoJson, loadsDjangoJsonSession } from "./django-json.ts";
export {
  DJANGO_CACHED_DB_SESSION_PREFIX,
  DJANGO_CACHE_SESSION_PREFIX,
  djangoCacheKey,
  escapeGlob,
} from "./keys.ts";
export type { DjangoCacheEngine, DjangoCacheKeyParts } from "./keys.ts";
export { scanSessionKeys } from "./scan.ts";
export type { ScanSessionKeysOptions } from "./scan.ts";
export type { LoadedSessionPage, RedisSessionKeyspace, RedisStoreCommonOptions } from "./base.ts";
export { RedisUserIndex, USER_INDEX_KEY_HEAD, indexedUserId } from "./user-index.ts";
export type { UserIndexState, UserIndexStatus } from "./user-index.ts";
export { toRedisClient } from "../../internal/redis/detect.ts";
export type { RedisClientInput } from "../../internal/redis/detect.ts";
export { fromNodeRedis } from "../../internal/redis/node-redis.ts";
export type {
  NodeRedisClientLike,
  NodeRedisClusterLike,
  NodeRedisCommandOptions,
} from "../../internal/redis/node-redis.ts";
export { fromIoredis } from "../../internal/redis/ioredis.ts";
export type {
  IoredisArgument,
  IoredisClientLike,
  IoredisClusterLike,
  IoredisCommandLike,
} from "../../internal/redis/ioredis.ts";
export {
  DEFAULT_COMMAND_TIMEOUT_MS,
  RedisCommandTimeoutError,
  RedisNotReadyError,
} from "../../internal/redis/client.ts";
export { RedisWalkError } from "../../internal/redis/scan.ts";
export type {
  RedisAdapterOptions,
  RedisCommandClient,
  RedisScript,
  RedisSetOptions,
  RedisTtl,
} from "../../internal/redis/client.ts";
