/**
 * Session stores for the management commands: opened from the configuration
 * (`SESSION_STORE` + `DATABASE_URL` / `REDIS_URL` / `SESSION_FILE_PATH` …) or from a store URL.
 * Both paths build the store with the CLI's one factory (`openStore` in `../session-store.ts`):
 * a store URL is only another way of writing the same settings. Walking every session (in
 * batches, flat memory, resumably) is the stores' own `walk`/`inspect`/`count` (the store
 * contract); this module is the glue.
 *
 * Store URLs (`sessions migrate --from/--to`):
 *
 * | URL | store |
 * |---|---|
 * | `sql+sqlite:PATH`, `sql+postgres://…`, `sql+mysql://…` (or a bare `DATABASE_URL`) | `django_session` (`backends.db`, and the truth of `cached_db`) |
 * | `redis://[user:pw@]host:6379/0?layout=django-redis` | `backends.cache` on django-redis (default layout); a Redis Cluster is detected, `redis://h1:7000,h2:7001?…` lists seed nodes |
 * | `redis+sentinel://s1:26379,s2:26379/mymaster/0?layout=…` | the same on the master the Sentinels name |
 * | `…?layout=django` | `backends.cache` on Django 4.0+'s built-in `RedisCache` |
 * | `…?layout=redis-sessions` / `redis-sessions-fork` | the third-party `redis_sessions` engines |
 * | `file:/path/to/dir` | `backends.file` |
 *
 * Redis query parameters: `prefix` (the cache's `KEY_PREFIX`, or `SESSION_REDIS` prefix for the
 * redis-sessions layouts), `version` (cache `VERSION`, default 1), `engine=cache|cached_db`,
 * `serializer=pickle|json|msgpack` and `compressor=identity|zlib` (django-redis). `rediss://`
 * for TLS. File parameters: `cookie_name` (default `sessionid`), `cookie_age` (default 1209600).
 */
import { opendir } from "node:fs/promises";
import type { SessionData } from "../../codecs/python-values.ts";
import { ConfigurationError, isSessionBridgeError } from "../../errors.ts";
import type {
  SessionStore,
  StoreLogger,
  StoredSession,
  StoredSessionPage,
  WalkOptions,
} from "../../stores/contract.ts";
import { sessionKeyOfFile } from "../../stores/file/paths.ts";
import type { DjangoCacheEngine } from "../../stores/redis/keys.ts";
import type { DjangoCacheStore } from "../../stores/redis/cache-store.ts";
import type { DjangoRedisSessionsStore } from "../../stores/redis/redis-sessions-store.ts";
import { parseIntKey, parseUuidKey } from "../../auth/django-user-source.ts";
import { expireDateParam, naiveUtcTextSql } from "../../internal/sql/dates.ts";
import { CommandFailure, UsageError } from "../command.ts";
import { readEnvConfig } from "../env-config.ts";
import { parseRedisTarget } from "../redis-url.ts";
import { openStore, type OpenedStore, type RedisSubscribers } from "../session-store.ts";
import type { ManageConfig } from "./config.ts";
import { openManagedDatabase, requireSessionTable, type ManagedDatabase } from "./db.ts";

/** One session as stored. */
export type SessionRecord = StoredSession;

/** A store the management commands can walk. */
export interface ManagedStore {
  /** The `SESSION_STORE` kind: `db`, `cache`, `cached_db`, `file`, `redis-sessions`, … */
  readonly kind: string;
  readonly description: string;
  readonly store: SessionStore;
  /** The SQL database, for the SQL-backed kinds. */
  readonly database: ManagedDatabase | undefined;
  /**
   * The Redis store when Redis is the whole store (`cache`, `redis-sessions*`; not `cached_db`,
   * whose truth is the table): what the per-user index and the GET-only walk work on.
   */
  readonly redis?: DjangoCacheStore | DjangoRedisSessionsStore;
  /** With `redis`: opens subscriber connections, one per master (`sessions index --follow`). */
  readonly redisSubscribers?: () => Promise<RedisSubscribers>;
  /** Walks every session after `position`, in batches (the store's `walk`). */
  walk(options: WalkOptions): AsyncIterable<StoredSessionPage>;
  /** How many sessions a full walk visits, when cheap to know. */
  count?(activeOnly: boolean): Promise<number>;
  /**
   * `cached_db` only: walks the cache half. The table is the truth for listing, but Django's
   * `cached_db` reads the cache first, so a session whose row is gone still works until its
   * cache entry expires: revoking must reach those too.
   */
  readonly walkCache?: ManagedStore["walk"];
  /** `SessionBase.encode` with the configured secret (SQL kinds, for bulk upserts). */
  readonly encode?: (data: SessionData) => string;
  /** One session, expired or not; `null` when absent. */
  inspect(key: string): Promise<SessionRecord | null>;
  close(): Promise<void>;
}

/** Why the signed_cookies backend has nothing to list, revoke or clear. */
export const SIGNED_COOKIES_NOTE =
  "the signed_cookies backend keeps sessions in the browser's cookie: there is nothing stored on the server";

const quietLogger: StoreLogger = { warn() {} };

/**
 * Opens the store `SESSION_STORE` names.
 * @throws {CommandFailure} one line, for a bad setting or an unreachable store.
 */
export async function openConfiguredStore(
  config: ManageConfig,
  secret: string,
): Promise<ManagedStore> {
  return managed(await openForCommand(config, secret, "cache"));
}

/**
 * Opens a store URL (see the module documentation): the URL is turned into settings, then
 * opened like `SESSION_STORE`.
 * @throws {CommandFailure} for an unknown scheme, a bad parameter or an unreachable store.
 */
export async function openStoreUrl(
  url: string,
  config: ManageConfig,
  secret: string,
): Promise<ManagedStore> {
  const { settings, cacheEngine } = storeUrlSettings(url, config);
  return managed(await openForCommand(settings, secret, cacheEngine));
}

/** The settings a store URL stands for, on top of `config` (secrets, Django version). */
export function storeUrlSettings(
  url: string,
  config: ManageConfig,
): { settings: ManageConfig; cacheEngine: DjangoCacheEngine } {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined)
    throw new CommandFailure(
      "a store URL must start with sql+…:, redis://, rediss://, redis+sentinel:// or file:",
    );
  const read = (vars: Record<string, string | undefined>): ManageConfig => {
    try {
      return readEnvConfig({ DJANGO_VERSION: config.djangoVersion, ...vars });
    } catch (error) {
      if (error instanceof ConfigurationError)
        throw new CommandFailure(`store URL: ${error.message}`);
      throw error;
    }
  };
  if (scheme.startsWith("sql+") || SQL_SCHEMES.includes(scheme)) {
    const databaseUrl = scheme.startsWith("sql+") ? url.slice(4) : url;
    return { settings: { ...config, sessionStore: "db", databaseUrl }, cacheEngine: "cache" };
  }
  if (REDIS_SCHEMES.includes(scheme)) {
    // Not `new URL`: a Cluster's seed list (`redis://h1:7000,h2:7001`) is no WHATWG URL.
    try {
      parseRedisTarget(url);
    } catch (error) {
      if (error instanceof ConfigurationError)
        throw new CommandFailure(`invalid Redis store URL: ${error.message}`);
      throw error;
    }
    const params = new URLSearchParams(/\?([^#]*)/.exec(url)?.[1] ?? "");
    const layout = params.get("layout") ?? "django-redis";
    if (!(LAYOUTS as readonly string[]).includes(layout)) {
      throw new CommandFailure(
        `unknown Redis layout "${layout.slice(0, 30)}" (${LAYOUTS.join(", ")})`,
      );
    }
    const engine = params.get("engine") ?? "cache";
    if (engine !== "cache" && engine !== "cached_db") {
      throw new CommandFailure(`unknown Redis engine "${engine.slice(0, 30)}" (cache, cached_db)`);
    }
    const sessions = layout === "redis-sessions" || layout === "redis-sessions-fork";
    const given = (name: string): string | undefined => params.get(name) ?? undefined;
    const parsedSettings = read({
      SESSION_STORE: sessions ? layout : "cache",
      REDIS_URL: url,
      CACHE_BACKEND: layout === "django" ? "django" : "django-redis",
      CACHE_KEY_PREFIX: sessions ? "" : (given("prefix") ?? ""),
      CACHE_VERSION: given("version"),
      CACHE_SERIALIZER: given("serializer"),
      CACHE_COMPRESSOR: given("compressor"),
      SESSION_REDIS_PREFIX: sessions ? given("prefix") : undefined,
    });
    return {
      settings: {
        ...config,
        sessionStore: parsedSettings.sessionStore,
        redisUrl: parsedSettings.redisUrl,
        // The URL's own host list is the whole seed list: REDIS_CLUSTER_NODES is the configured store's.
        redisClusterNodes: undefined,
        cacheBackend: parsedSettings.cacheBackend,
        cacheKeyPrefix: parsedSettings.cacheKeyPrefix,
        cacheVersion: parsedSettings.cacheVersion,
        cacheSerializer: parsedSettings.cacheSerializer,
        cacheCompressor: parsedSettings.cacheCompressor,
        sessionRedisPrefix: parsedSettings.sessionRedisPrefix,
      },
      cacheEngine: engine,
    };
  }
  if (scheme === "file") {
    const rest = url.slice("file:".length);
    const [path = "", query = ""] = rest.split("?", 2);
    const params = new URLSearchParams(query);
    const directory = decodeURIComponent(path.startsWith("//") ? path.slice(2) : path);
    const parsedSettings = read({
      SESSION_STORE: "file",
      SESSION_FILE_PATH: directory,
      SESSION_COOKIE_NAME: params.get("cookie_name") ?? undefined,
      SESSION_COOKIE_AGE: params.get("cookie_age") ?? undefined,
    });
    return {
      settings: {
        ...config,
        sessionStore: "file",
        sessionFilePath: parsedSettings.sessionFilePath,
        sessionCookieName: parsedSettings.sessionCookieName,
        sessionCookieAge: parsedSettings.sessionCookieAge,
      },
      cacheEngine: "cache",
    };
  }
  throw new CommandFailure(
    `unsupported store URL scheme "${scheme.slice(0, 20)}" (sql+…, redis://, rediss://, redis+sentinel://, file:)`,
  );
}

const REDIS_SCHEMES = ["redis", "rediss", "redis+sentinel", "rediss+sentinel"];
const SQL_SCHEMES = ["sqlite", "postgres", "postgresql", "mysql", "mariadb"];
const LAYOUTS = ["django-redis", "django", "redis-sessions", "redis-sessions-fork"] as const;

/**
 * The configured store as the factory opens it (its parts: database, Redis, files, codec),
 * for commands that work below the store contract (`clearsessions`).
 */
export function openConfiguredParts(
  config: ManageConfig,
  secret: string,
): Promise<OpenedStore<ManagedDatabase>> {
  return openForCommand(config, secret, "cache");
}

/** The factory, for a one-shot command: one connection, no reconnecting, quiet stores. */
async function openForCommand(
  config: ManageConfig,
  secret: string,
  cacheEngine: DjangoCacheEngine,
): Promise<OpenedStore<ManagedDatabase>> {
  let opened: OpenedStore<ManagedDatabase>;
  try {
    opened = await openStore(config, secret, {
      createTables: false,
      openDatabase: (url) => openManagedDatabase(url),
      reconnect: false,
      logger: quietLogger,
      cacheEngine,
    });
  } catch (error) {
    if (error instanceof CommandFailure || error instanceof UsageError) throw error;
    if (isSessionBridgeError(error)) throw new CommandFailure(error.message);
    throw error;
  }
  if (opened.database !== undefined) {
    try {
      await requireSessionTable(opened.database);
    } catch (error) {
      await opened.close().catch(() => {});
      throw error;
    }
  }
  return opened;
}

/** The commands' view of an opened store: its own walk, inspect and count, and its parts. */
function managed(opened: OpenedStore<ManagedDatabase>): ManagedStore {
  const store = opened.store;
  const cache = opened.redis?.store;
  return {
    kind: opened.kind,
    description: opened.description,
    store,
    database: opened.database,
    ...(opened.redis !== undefined && opened.sql === undefined
      ? { redis: opened.redis.store, redisSubscribers: () => opened.redis!.subscribers() }
      : {}),
    walk: (options) => {
      // signed_cookies has no walk: the sessions are in the browsers' cookies.
      if (store.walk === undefined) throw new CommandFailure(SIGNED_COOKIES_NOTE);
      return store.walk(options);
    },
    ...(store.count === undefined
      ? {}
      : { count: (activeOnly: boolean) => store.count!({ activeOnly }) }),
    ...(opened.sql !== undefined && cache !== undefined
      ? { walkCache: (options: WalkOptions) => cache.walk(options) }
      : {}),
    ...(opened.database === undefined ? {} : { encode: (data) => opened.codec.encode(data) }),
    // signed_cookies inspects too: a "key" is the cookie itself, which `show` decodes.
    inspect: (key) => store.inspect?.(key) ?? Promise.resolve(null),
    close: () => opened.close(),
  };
}

/** The naive-UTC text of `expire_date`, whatever the dialect. */
export function expireTextSql(database: ManagedDatabase): string {
  return naiveUtcTextSql(database.dialect, database.q("expire_date"));
}

/** Now as the bound value compared with `expire_date` (what Django compares it with). */
export function nowParam(database: ManagedDatabase, now: Date = new Date()): string {
  return expireDateParam(database.dialect, now);
}

/** Every session file name in a directory, streamed (for `clearsessions` on huge directories). */
export async function* sessionFiles(
  directory: string,
  cookieName: string,
): AsyncIterable<{ name: string; key: string }> {
  const dir = await opendir(directory, { bufferSize: 256 });
  for await (const entry of dir) {
    if (!entry.isFile()) continue;
    const key = sessionKeyOfFile(cookieName, entry.name);
    if (key !== null) yield { name: entry.name, key };
  }
}

/**
 * The form of a user id that `--user ID` is compared in, when the user model is not known:
 * Django stores `str(user.pk)`, so a UUID key is kept hyphenated and lowercase, an integer key
 * in plain decimal; an operator may type `0F1E…` without hyphens or `042`. UUID-shaped text
 * and integers are brought to Django's form (as `UUIDField.to_python` / `int()` would read
 * them); anything else (a text key) is compared as is.
 *
 * @example
 * ```ts
 * canonicalUserId("{0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0}"); // "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
 * ```
 */
export function canonicalUserId(id: string): string {
  const uuid = parseUuidKey(id);
  if (uuid !== null) return uuid;
  const n = parseIntKey(id);
  return n === null ? id : String(n);
}

/** The session's user id (`_auth_user_id`), as text, or `null`. */
export function userIdOf(data: SessionData | null): string | null {
  const value = data?.get("_auth_user_id");
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  return null;
}
