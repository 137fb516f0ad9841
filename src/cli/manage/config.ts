/**
 * Configuration of the management commands, from three places, first wins:
 *
 * 1. flags (`--database-url`, `--redis-url`, `--store`, `--cache-key-prefix`,
 *    `--session-file-path`, `--django-version`);
 * 2. the environment (`DATABASE_URL`, `REDIS_URL`, `SECRET_KEY`, `SECRET_KEY_FALLBACKS`,
 *    `SESSION_STORE`, `CACHE_KEY_PREFIX`, `SESSION_FILE_PATH`, `DJANGO_VERSION`);
 * 3. a JSON config file (`--config FILE`) with the same names as keys, for example
 *    `{"DATABASE_URL": "postgres://app@db/app", "SESSION_STORE": "db"}`
 *    (`SECRET_KEY_FALLBACKS` may be a list or a comma-separated string).
 */
import { readFileSync } from "node:fs";
import type { DjangoVersion } from "../../engine/config.ts";
import { CommandFailure, UsageError } from "../command.ts";
import { DEFAULT_DATABASE_URL, parseDjangoVersion } from "../env-config.ts";

/** `SESSION_STORE` values: Django's engines by their last dotted name. */
export const SESSION_STORES = [
  "db",
  "cache",
  "cached_db",
  "file",
  "signed_cookies",
  "redis-sessions",
] as const;
export type SessionStoreKind = (typeof SESSION_STORES)[number];

/** The names a config file may hold. */
export const CONFIG_NAMES = [
  "DATABASE_URL",
  "REDIS_URL",
  "SECRET_KEY",
  "SECRET_KEY_FALLBACKS",
  "SESSION_STORE",
  "CACHE_KEY_PREFIX",
  "SESSION_FILE_PATH",
  "DJANGO_VERSION",
] as const;

/** The resolved configuration. */
export interface ManageConfig {
  readonly databaseUrl: string;
  readonly redisUrl: string | undefined;
  readonly secretKey: string | undefined;
  readonly secretKeyFallbacks: readonly string[];
  readonly sessionStore: SessionStoreKind;
  readonly cacheKeyPrefix: string;
  readonly sessionFilePath: string | undefined;
  readonly djangoVersion: DjangoVersion;
}

/** Option definitions every management command accepts (for `parseCommandArgs`). */
export const CONFIG_OPTIONS = {
  config: { type: "string" },
  "database-url": { type: "string" },
  "redis-url": { type: "string" },
  store: { type: "string" },
  "cache-key-prefix": { type: "string" },
  "session-file-path": { type: "string" },
  "django-version": { type: "string" },
} as const;

/** The `--help` lines describing {@link CONFIG_OPTIONS}. */
export const CONFIG_HELP = `Configuration (flags > environment > --config file):
  --config FILE             JSON file with any of the environment names below as keys
  --database-url URL        DATABASE_URL: sqlite:PATH | postgres://… | mysql://…  (default ${DEFAULT_DATABASE_URL})
  --redis-url URL           REDIS_URL: redis://host:6379/0 (cache, cached_db, redis-sessions stores)
  --store NAME              SESSION_STORE: ${SESSION_STORES.join(" | ")} (default db)
  --cache-key-prefix P      CACHE_KEY_PREFIX: the cache's KEY_PREFIX (default "")
  --session-file-path DIR   SESSION_FILE_PATH: the file store's directory
  --django-version V        DJANGO_VERSION: 3.2, 4.2 or 5.2 (default 5.2)

Environment:
  DATABASE_URL, REDIS_URL, SESSION_STORE, CACHE_KEY_PREFIX, SESSION_FILE_PATH, DJANGO_VERSION
  SECRET_KEY               Django's SECRET_KEY (needed to read and write signed session data)
  SECRET_KEY_FALLBACKS     comma-separated older keys, accepted for reading
`;

type Flags = Partial<Record<keyof typeof CONFIG_OPTIONS, string | boolean | undefined>>;

/**
 * Resolves the configuration.
 * @throws {UsageError} for a bad flag value; {CommandFailure} for an unreadable config file.
 */
export function resolveManageConfig(
  flags: Flags,
  env: Readonly<Record<string, string | undefined>>,
): ManageConfig {
  const file = typeof flags.config === "string" ? readConfigFile(flags.config) : {};
  const pick = (
    flag: keyof typeof CONFIG_OPTIONS | undefined,
    name: string,
  ): string | undefined => {
    const fromFlag = flag === undefined ? undefined : flags[flag];
    if (typeof fromFlag === "string") return fromFlag;
    const fromEnv = env[name];
    if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
    return file[name];
  };
  const store = pick("store", "SESSION_STORE") ?? "db";
  if (!(SESSION_STORES as readonly string[]).includes(store)) {
    throw new UsageError(
      `unknown session store "${store.slice(0, 30)}" (${SESSION_STORES.join(", ")})`,
    );
  }
  let djangoVersion: DjangoVersion;
  const version = pick("django-version", "DJANGO_VERSION") ?? "5.2";
  try {
    djangoVersion = parseDjangoVersion(version);
  } catch {
    throw new UsageError(`unsupported Django version "${version.slice(0, 20)}" (3.2, 4.2 or 5.2)`);
  }
  return {
    databaseUrl: pick("database-url", "DATABASE_URL")?.trim() || DEFAULT_DATABASE_URL,
    redisUrl: pick("redis-url", "REDIS_URL"),
    secretKey: pick(undefined, "SECRET_KEY"),
    secretKeyFallbacks: (pick(undefined, "SECRET_KEY_FALLBACKS") ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
    sessionStore: store as SessionStoreKind,
    cacheKeyPrefix: pick("cache-key-prefix", "CACHE_KEY_PREFIX") ?? "",
    sessionFilePath: pick("session-file-path", "SESSION_FILE_PATH"),
    djangoVersion,
  };
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
