/**
 * Configuration of the management commands, from three places, first wins:
 *
 * 1. flags (`--database-url`, `--redis-url`, `--store`, `--cache-key-prefix`,
 *    `--session-file-path`, `--django-version`, `--user-model`);
 * 2. the environment (every variable `env-config.ts` reads: `SESSION_STORE`, `DATABASE_URL`,
 *    `REDIS_URL`, `CACHE_*`, `SESSION_*`, `SECRET_KEY`, `SECRET_KEY_FALLBACKS`, `DJANGO_VERSION`,
 *    `AUTH_USER_MODEL`, `AUTH_USER_PK`, `AUTH_USERNAME_FIELD`, `AUTH_USER_TABLE`);
 * 3. a JSON config file (`--config FILE`) with the same names as keys, for example
 *    `{"DATABASE_URL": "postgres://app@db/app", "SESSION_STORE": "db"}`
 *    (`SECRET_KEY_FALLBACKS` may be a list or a comma-separated string).
 *
 * The result is the same {@link EnvConfig} `serve` reads, so every command opens its store
 * through the one factory in `../session-store.ts`.
 */
import { readFileSync } from "node:fs";
import { ConfigurationError } from "../../errors.ts";
import { CommandFailure, UsageError } from "../command.ts";
import {
  DEFAULT_DATABASE_URL,
  ENV_CONFIG_NAMES,
  readEnvConfig,
  SESSION_STORES,
  type EnvConfig,
} from "../env-config.ts";
import { USER_MODEL_HELP } from "../user-model.ts";

export { SESSION_STORES, type SessionStoreKind } from "../env-config.ts";

/** The names a config file may hold. */
export const CONFIG_NAMES = ENV_CONFIG_NAMES;

/** The resolved configuration. */
export type ManageConfig = EnvConfig;

/** Option definitions every management command accepts (for `parseCommandArgs`). */
export const CONFIG_OPTIONS = {
  config: { type: "string" },
  "database-url": { type: "string" },
  "redis-url": { type: "string" },
  store: { type: "string" },
  "cache-key-prefix": { type: "string" },
  "session-file-path": { type: "string" },
  "django-version": { type: "string" },
  "user-model": { type: "string" },
} as const;

/** Which variable each flag sets. */
const FLAG_NAMES: Readonly<Record<Exclude<keyof typeof CONFIG_OPTIONS, "config">, string>> = {
  "database-url": "DATABASE_URL",
  "redis-url": "REDIS_URL",
  store: "SESSION_STORE",
  "cache-key-prefix": "CACHE_KEY_PREFIX",
  "session-file-path": "SESSION_FILE_PATH",
  "django-version": "DJANGO_VERSION",
  "user-model": "AUTH_USER_MODEL",
};

/** The `--help` lines describing {@link CONFIG_OPTIONS}. */
export const CONFIG_HELP = `Configuration (flags > environment > --config file):
  --config FILE             JSON file with any of the environment names below as keys
  --store NAME              SESSION_STORE: ${SESSION_STORES.join(" | ")} (default db)
  --database-url URL        DATABASE_URL: sqlite:PATH | postgres://… | mysql://…  (default ${DEFAULT_DATABASE_URL})
  --redis-url URL           REDIS_URL: redis://host:6379/0 (cache, cached_db, redis-sessions stores);
                            a Redis Cluster node is detected, redis://h1:7000,h2:7001 lists seed nodes,
                            redis+sentinel://s1:26379,s2:26379/mymaster/0 asks Sentinels for the master
  --cache-key-prefix P      CACHE_KEY_PREFIX: the cache's KEY_PREFIX (default "")
  --session-file-path DIR   SESSION_FILE_PATH: the file store's directory (default: the temp dir)
  --django-version V        DJANGO_VERSION: 3.2, 4.2, 5.2, 6.0 or 6.1; required by what depends on
                            it (a password hash, PostgreSQL's schema, dumpdata without --indent)
  --user-model APP.MODEL    AUTH_USER_MODEL: Django's setting (default auth.User)

Environment:
  SESSION_STORE, DATABASE_URL, REDIS_URL, CACHE_KEY_PREFIX, SESSION_FILE_PATH, DJANGO_VERSION
  CACHE_BACKEND            django-redis (default) | django (Django 4.0+'s RedisCache)
  CACHE_VERSION            the cache's VERSION (default 1)
  CACHE_SERIALIZER         pickle (default) | json | msgpack  (django-redis SERIALIZER)
  CACHE_COMPRESSOR         identity (default) | zlib          (django-redis COMPRESSOR)
  SESSION_REDIS_PREFIX     key prefix of the redis-sessions engines (default theirs)
  SESSION_COOKIE_NAME      file store file-name prefix (default sessionid)
  SESSION_COOKIE_AGE       seconds (default 1209600): file expiry by mtime, signed cookie age
  SECRET_KEY               Django's SECRET_KEY (needed to read and write signed session data)
  SECRET_KEY_FALLBACKS     comma-separated older keys, accepted for reading
  REDIS_CLUSTER_NODES      more Redis Cluster seed nodes, host:port,host:port (tried after REDIS_URL's)
  SESSIONBRIDGE_REDIS_CLIENT  ioredis | redis: which installed package reaches Redis
${USER_MODEL_HELP}`;

type Flags = Partial<Record<keyof typeof CONFIG_OPTIONS, string | boolean | undefined>>;

/**
 * Resolves the configuration.
 * @throws {UsageError} for a bad flag or setting value; {CommandFailure} for an unreadable
 *   config file.
 */
export function resolveManageConfig(
  flags: Flags,
  env: Readonly<Record<string, string | undefined>>,
): ManageConfig {
  const file = typeof flags.config === "string" ? readConfigFile(flags.config) : {};
  const merged: Record<string, string | undefined> = {};
  for (const name of CONFIG_NAMES) {
    const fromEnv = env[name];
    merged[name] = fromEnv !== undefined && fromEnv !== "" ? fromEnv : file[name];
  }
  for (const [flag, name] of Object.entries(FLAG_NAMES)) {
    const value = flags[flag as keyof typeof FLAG_NAMES];
    if (typeof value === "string") merged[name] = value;
  }
  try {
    return readEnvConfig(merged);
  } catch (error) {
    if (error instanceof ConfigurationError) throw new UsageError(error.message);
    throw error;
  }
}

/** The secret key, or a one-line failure saying where to set it. */
export function requireSecretKey(config: ManageConfig): string {
  if (config.secretKey === undefined || config.secretKey === "") {
    throw new CommandFailure("SECRET_KEY is not set (environment or --config file)");
  }
  return config.secretKey;
}

function readConfigFile(path: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    const reason =
      (error as { code?: string }).code === "ENOENT"
        ? "no such file"
        : error instanceof SyntaxError
          ? "not valid JSON"
          : "cannot be read";
    throw new CommandFailure(`config file ${path}: ${reason}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new CommandFailure(`config file ${path}: must be a JSON object`);
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (!(CONFIG_NAMES as readonly string[]).includes(name)) {
      throw new CommandFailure(
        `config file ${path}: unknown setting "${name.slice(0, 40)}" (${CONFIG_NAMES.join(", ")})`,
      );
    }
    if (Array.isArray(value) && value.every((v) => typeof v === "string"))
      out[name] = value.join(",");
    else if (typeof value === "string" || typeof value === "number") out[name] = String(value);
    else throw new CommandFailure(`config file ${path}: ${name} must be a string`);
  }
  return out;
}
