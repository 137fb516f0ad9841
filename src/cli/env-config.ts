/**
 * Configuration shared by every CLI command, read from the environment (the same variables a
 * Django deployment already has) with flags overriding them.
 *
 * | variable | meaning | default |
 * |---|---|---|
 * | `SESSION_STORE` | which engine (Django's `SESSION_ENGINE`): `db`, `cache`, `cached_db`, `file`, `signed_cookies`, `redis-sessions`, `redis-sessions-fork` | `db` |
 * | `DATABASE_URL` | `sqlite:PATH`, `postgres://…`, `mysql://…` (`db`, `cached_db`) | `sqlite:./sessionbridge.sqlite3` |
 * | `REDIS_URL` | `redis://[user:pw@]host:6379/0`, `rediss://` for TLS (`cache`, `cached_db`, `redis-sessions*`); a Redis Cluster is detected (`cluster_enabled:1`), `redis://h1:7000,h2:7001` lists seed nodes, `redis+sentinel://s1:26379,s2:26379/mymaster/0` is the master Sentinels name (`../redis-url.ts`) | none |
 * | `REDIS_CLUSTER_NODES` | more Cluster seed nodes, `host:port,host:port`, tried after `REDIS_URL`'s | none |
 * | `CACHE_BACKEND` | `django-redis` (`django_redis.cache.RedisCache`) or `django` (Django 4.0+'s `RedisCache`) | `django-redis` |
 * | `CACHE_KEY_PREFIX` | the cache's `KEY_PREFIX` | `""` |
 * | `CACHE_VERSION` | the cache's `VERSION` | `1` |
 * | `CACHE_SERIALIZER` | django-redis `SERIALIZER`: `pickle`, `json`, `msgpack` | `pickle` |
 * | `CACHE_COMPRESSOR` | django-redis `COMPRESSOR`: `identity`, `zlib` | `identity` |
 * | `SESSION_REDIS_PREFIX` | `SESSION_REDIS["prefix"]` / `SESSION_REDIS_PREFIX` of the redis-sessions engines | the engine's |
 * | `SESSION_FILE_PATH` | the `file` engine's directory | the system temporary directory |
 * | `SESSION_COOKIE_NAME` | file-name prefix of the `file` engine | `sessionid` |
 * | `SESSION_COOKIE_AGE` | seconds; `file` expiry by mtime, `signed_cookies` maximum age | `1209600` |
 * | `SECRET_KEY` | Django's `SECRET_KEY` | generated and kept beside the database (`serve`) |
 * | `SECRET_KEY_FALLBACKS` | comma-separated old keys, verify only | none |
 * | `DJANGO_VERSION` | `3.2`, `4.2`, `5.2` (`5.x`), `6.0` or `6.1`; picks version-specific rules; required by every command whose bytes depend on it ({@link requireDjangoVersion}) | none |
 * | `AUTH_USER_MODEL` | Django's setting, `app_label.ModelName`; the user table and its many-to-many tables are named as Django names them (`./user-model.ts`) | `auth.User` |
 * | `AUTH_USER_PK` | the user model's key: `int`, `uuid` or `string` | `int` |
 * | `AUTH_USERNAME_FIELD` | the user model's `USERNAME_FIELD` | `username` |
 * | `AUTH_USER_TABLE` | the user model's `Meta.db_table`, if it sets one | `<app_label>_<modelname>` |
 * | `SESSIONBRIDGE_REDIS_CLIENT` | which Redis package: `ioredis` or `redis` (node-redis) | ioredis if installed, else redis |
 * | `SESSION_USER_INDEX` | `on`: every session sessionbridge saves with a user (login, save, cycle) is added to the per-user index (Redis stores; `sessions index`) | `off` |
 */
import { ConfigurationError } from "../errors.ts";
import { UsageError } from "./command.ts";
import type { DjangoVersion } from "../engine/config.ts";
import { djangoPreset } from "../django/presets.ts";
import { readUserModel, USER_MODEL_NAMES, type UserModelSetting } from "./user-model.ts";
import type {
  DjangoCacheBackend,
  DjangoRedisCompressor,
  DjangoRedisSerializer,
} from "../stores/redis/cache-value.ts";

/** The embedded default store. */
export const DEFAULT_DATABASE_URL = "sqlite:./sessionbridge.sqlite3";

/** Django's `SESSION_COOKIE_AGE` default: two weeks. */
export const DEFAULT_SESSION_COOKIE_AGE = 1_209_600;

/** `SESSION_STORE` values: Django's engines by their last dotted name. */
export const SESSION_STORES = [
  "db",
  "cache",
  "cached_db",
  "file",
  "signed_cookies",
  "redis-sessions",
  "redis-sessions-fork",
] as const;
export type SessionStoreKind = (typeof SESSION_STORES)[number];

const CACHE_BACKENDS = ["django-redis", "django"] as const satisfies readonly DjangoCacheBackend[];
const CACHE_SERIALIZERS = [
  "pickle",
  "json",
  "msgpack",
] as const satisfies readonly DjangoRedisSerializer[];
const CACHE_COMPRESSORS = ["identity", "zlib"] as const satisfies readonly DjangoRedisCompressor[];

/** Every variable {@link readEnvConfig} reads (a `--config` file may hold the same names). */
export const ENV_CONFIG_NAMES = [
  "SESSION_STORE",
  "DATABASE_URL",
  "REDIS_URL",
  "REDIS_CLUSTER_NODES",
  "CACHE_BACKEND",
  "CACHE_KEY_PREFIX",
  "CACHE_VERSION",
  "CACHE_SERIALIZER",
  "CACHE_COMPRESSOR",
  "SESSION_REDIS_PREFIX",
  "SESSION_FILE_PATH",
  "SESSION_COOKIE_NAME",
  "SESSION_COOKIE_AGE",
  "SECRET_KEY",
  "SECRET_KEY_FALLBACKS",
  "DJANGO_VERSION",
  ...USER_MODEL_NAMES,
  "SESSIONBRIDGE_REDIS_CLIENT",
  "SESSION_USER_INDEX",
] as const;

/** The Redis packages the CLI can use (optional peers). */
export const REDIS_DRIVERS = ["ioredis", "redis"] as const;
export type RedisDriver = (typeof REDIS_DRIVERS)[number];

/** What the environment says. */
export interface EnvConfig {
  readonly databaseUrl: string;
  readonly secretKey: string | undefined;
  readonly secretKeyFallbacks: readonly string[];
  /**
   * `DJANGO_VERSION`; `undefined` when unset. What writes bytes that depend on it asks
   * {@link requireDjangoVersion}; what only reads accepts every version's formats.
   */
  readonly djangoVersion: DjangoVersion | undefined;
  readonly sessionStore: SessionStoreKind;
  readonly redisUrl: string | undefined;
  /** `REDIS_CLUSTER_NODES`: more seed nodes (`host:port,…`). */
  readonly redisClusterNodes: string | undefined;
  readonly cacheBackend: DjangoCacheBackend;
  readonly cacheKeyPrefix: string;
  readonly cacheVersion: number;
  readonly cacheSerializer: DjangoRedisSerializer;
  readonly cacheCompressor: DjangoRedisCompressor;
  /** `undefined`: the engine's own default prefix. */
  readonly sessionRedisPrefix: string | undefined;
  /** `undefined`: the system temporary directory, as Django's `tempfile.gettempdir()`. */
  readonly sessionFilePath: string | undefined;
  readonly sessionCookieName: string;
  readonly sessionCookieAge: number;
  /** `undefined`: ioredis when installed, else redis. */
  readonly redisClient: RedisDriver | undefined;
  /** `AUTH_USER_MODEL` and the settings describing it. */
  readonly userModel: UserModelSetting;
  /** `SESSION_USER_INDEX=on`: the Redis stores keep the per-user index on every save. */
  readonly sessionUserIndex?: boolean;
}

/** Reads the shared variables. @throws {ConfigurationError} for a value that cannot be used. */
export function readEnvConfig(env: Readonly<Record<string, string | undefined>>): EnvConfig {
  const get = (name: (typeof ENV_CONFIG_NAMES)[number]): string | undefined => {
    const value = env[name];
    return value === undefined || value === "" ? undefined : value;
  };
  return {
    databaseUrl: get("DATABASE_URL")?.trim() || DEFAULT_DATABASE_URL,
    secretKey: get("SECRET_KEY"),
    secretKeyFallbacks: (get("SECRET_KEY_FALLBACKS") ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
    djangoVersion: optional(get("DJANGO_VERSION"), parseDjangoVersion),
    sessionStore: oneOf("SESSION_STORE", get("SESSION_STORE") ?? "db", SESSION_STORES),
    redisUrl: get("REDIS_URL")?.trim(),
    redisClusterNodes: get("REDIS_CLUSTER_NODES")?.trim(),
    cacheBackend: oneOf("CACHE_BACKEND", get("CACHE_BACKEND") ?? "django-redis", CACHE_BACKENDS),
    cacheKeyPrefix: env.CACHE_KEY_PREFIX ?? "",
    cacheVersion: integer("CACHE_VERSION", get("CACHE_VERSION"), 1, { min: -(2 ** 31) }),
    cacheSerializer: oneOf(
      "CACHE_SERIALIZER",
      get("CACHE_SERIALIZER") ?? "pickle",
      CACHE_SERIALIZERS,
    ),
    cacheCompressor: oneOf(
      "CACHE_COMPRESSOR",
      get("CACHE_COMPRESSOR") ?? "identity",
      CACHE_COMPRESSORS,
    ),
    sessionRedisPrefix: env.SESSION_REDIS_PREFIX,
    sessionFilePath: get("SESSION_FILE_PATH"),
    sessionCookieName: get("SESSION_COOKIE_NAME") ?? "sessionid",
    sessionCookieAge: integer(
      "SESSION_COOKIE_AGE",
      get("SESSION_COOKIE_AGE"),
      DEFAULT_SESSION_COOKIE_AGE,
      { min: 1 },
    ),
    redisClient:
      get("SESSIONBRIDGE_REDIS_CLIENT") === undefined
        ? undefined
        : oneOf(
            "SESSIONBRIDGE_REDIS_CLIENT",
            get("SESSIONBRIDGE_REDIS_CLIENT") ?? "",
            REDIS_DRIVERS,
          ),
    userModel: readUserModel(get),
    sessionUserIndex:
      oneOf("SESSION_USER_INDEX", get("SESSION_USER_INDEX") ?? "off", ["on", "off"]) === "on",
  };
}

function optional<T>(value: string | undefined, parse: (value: string) => T): T | undefined {
  return value === undefined ? undefined : parse(value);
}

/** The versions `DJANGO_VERSION` accepts, for messages. */
export const DJANGO_VERSION_CHOICES = "3.2, 4.2, 5.2, 6.0 or 6.1";

/**
 * `DJANGO_VERSION`, which `what` depends on: never guessed, since a wrong one writes bytes the
 * project's Django cannot use (an expiry Django 3.2 answers 500 on, a schema or a password hash
 * of another release).
 * @throws {UsageError} naming the setting and the accepted values when it is unset (exit 2).
 */
export function requireDjangoVersion(
  config: Pick<EnvConfig, "djangoVersion">,
  what: string,
): DjangoVersion {
  if (config.djangoVersion !== undefined) return config.djangoVersion;
  throw new UsageError(
    `DJANGO_VERSION is not set, and ${what} depends on it: set DJANGO_VERSION (or --django-version) to the version of the Django project the sessions and users are shared with: ${DJANGO_VERSION_CHOICES}`,
  );
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  const found = allowed.find((a) => a === value.trim());
  if (found === undefined) {
    throw new ConfigurationError(
      `${name} must be one of ${allowed.join(", ")}, not "${value.slice(0, 30)}"`,
    );
  }
  return found;
}

function integer(
  name: string,
  value: string | undefined,
  fallback: number,
  { min }: { min: number },
): number {
  if (value === undefined) return fallback;
  const n = Number(value.trim());
  if (!/^\s*-?\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min) {
    throw new ConfigurationError(
      `${name} must be a whole number${min === 1 ? " of seconds, at least 1" : ""}, not "${value.slice(0, 20)}"`,
    );
  }
  return n;
}

/**
 * Maps a Django version to the preset whose rules apply: 3.x → 3.2, 4.x → 4.2, 5.x → 5.2,
 * 6.0 → 6.0, 6.1 (and 6, 6.x) → 6.1; a newer release names the newest supported one.
 * @throws {ConfigurationError} for anything else.
 */
export function parseDjangoVersion(value: string): DjangoVersion {
  return djangoPreset(value).version;
}

/** Reads an integer port. @throws {ConfigurationError} */
export function parsePort(value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigurationError(
      `PORT must be a number from 0 to 65535, not "${value.slice(0, 20)}"`,
    );
  }
  return port;
}
