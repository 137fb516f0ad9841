/**
 * Session stores for the management commands: opened from the configuration
 * (`SESSION_STORE` + `DATABASE_URL` / `REDIS_URL` / `SESSION_FILE_PATH` …) or from a store URL,
 * each with a way to walk every session in batches with flat memory, resumably. Both paths
 * build the store with the CLI's one factory (`openStore` in `../session-store.ts`): a store
 * URL is only another way of writing the same settings.
 *
 * Store URLs (`sessions migrate --from/--to`):
 *
 * | URL | store |
 * |---|---|
 * | `sql+sqlite:PATH`, `sql+postgres://…`, `sql+mysql://…` (or a bare `DATABASE_URL`) | `django_session` (`backends.db`, and the truth of `cached_db`) |
 * | `redis://[user:pw@]host:6379/0?layout=django-redis` | `backends.cache` on django-redis (default layout) |
 * | `…?layout=django` | `backends.cache` on Django 4.0+'s built-in `RedisCache` |
 * | `…?layout=redis-sessions` / `redis-sessions-fork` | the third-party `redis_sessions` engines |
 * | `file:/path/to/dir` | `backends.file` |
 *
 * Redis query parameters: `prefix` (the cache's `KEY_PREFIX`, or `SESSION_REDIS` prefix for the
 * redis-sessions layouts), `version` (cache `VERSION`, default 1), `engine=cache|cached_db`,
 * `serializer=pickle|json|msgpack` and `compressor=identity|zlib` (django-redis). `rediss://`
 * for TLS. File parameters: `cookie_name` (default `sessionid`), `cookie_age` (default 1209600).
 */
import { Buffer } from "node:buffer";
import { opendir, readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { base62Decode } from "../../codecs/base62.ts";
import type { DjangoSessionCodec } from "../../codecs/django/session-encoding.ts";
import type { SessionData } from "../../codecs/python-values.ts";
import { ConfigurationError, SessionStoreError, isSessionBridgeError } from "../../errors.ts";
import type { SessionStore, StoreLogger } from "../../stores/contract.ts";
import { fileExpiryAge } from "../../stores/file/expiry.ts";
import { sessionKeyOfFile } from "../../stores/file/paths.ts";
import type { DjangoCacheEngine } from "../../stores/redis/keys.ts";
import { parseIntKey, parseUuidKey } from "../../auth/django-user-source.ts";
import { redisStoreError } from "../../internal/redis/errors.ts";
import { expireDateParam, naiveUtcTextSql, parseExpireDate } from "../../internal/sql/dates.ts";
import { CommandFailure } from "../command.ts";
import { readEnvConfig } from "../env-config.ts";
import { openStore, type OpenedRedis, type OpenedStore } from "../session-store.ts";
import type { ManageConfig } from "./config.ts";
import { openManagedDatabase, type ManagedDatabase } from "./db.ts";

/** One session as stored. */
export interface SessionRecord {
  readonly key: string;
  /** `null` when the stored value cannot be decoded (bad signature, corrupt). */
  readonly data: SessionData | null;
  /** When it expires; `null` for a Redis key without TTL. */
  readonly expireDate: Date | null;
}

/** A batch of sessions and the position to resume after it. */
export interface SessionBatch {
  readonly records: SessionRecord[];
  /** Opaque resume position (a session key, a SCAN cursor, a file name); "" when done. */
  readonly position: string;
}

/** A store the management commands can walk. */
export interface ManagedStore {
  /** The `SESSION_STORE` kind: `db`, `cache`, `cached_db`, `file`, `redis-sessions`, … */
  readonly kind: string;
  readonly description: string;
  readonly store: SessionStore;
  /** The SQL database, for the SQL-backed kinds. */
  readonly database: ManagedDatabase | undefined;
  /** Walks every session after `position`, in batches. `activeOnly` skips expired rows. */
  scan(options: {
    position?: string;
    batchSize: number;
    activeOnly: boolean;
  }): AsyncIterable<SessionBatch>;
  /** How many sessions a full scan visits, when cheap to know. */
  count?(activeOnly: boolean): Promise<number>;
  /**
   * `cached_db` only: walks the cache half. The table is the truth for listing, but Django's
   * `cached_db` reads the cache first, so a session whose row is gone still works until its
   * cache entry expires: revoking must reach those too.
   */
  readonly scanCache?: ManagedStore["scan"];
  /** `SessionBase.encode` with the configured secret (SQL kinds, for bulk upserts). */
  readonly encode?: (data: SessionData) => string;
  /** One session, expired or not; `null` when absent. */
  get(key: string): Promise<SessionRecord | null>;
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
  return managed(await openForCommand(config, secret, "cache"), config);
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
  return managed(await openForCommand(settings, secret, cacheEngine), settings);
}

/** The settings a store URL stands for, on top of `config` (secrets, Django version). */
export function storeUrlSettings(
  url: string,
  config: ManageConfig,
): { settings: ManageConfig; cacheEngine: DjangoCacheEngine } {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined)
    throw new CommandFailure("a store URL must start with sql+…:, redis://, rediss:// or file:");
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
  if (scheme === "redis" || scheme === "rediss") {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new CommandFailure("invalid Redis store URL");
    }
    const params = parsed.searchParams;
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
    `unsupported store URL scheme "${scheme.slice(0, 20)}" (sql+…, redis://, rediss://, file:)`,
  );
}

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
  try {
    return await openStore(config, secret, {
      createTables: false,
      openDatabase: openManagedDatabase,
      reconnect: false,
      logger: quietLogger,
      cacheEngine,
    });
  } catch (error) {
    if (error instanceof CommandFailure) throw error;
    if (isSessionBridgeError(error)) throw new CommandFailure(error.message);
    throw error;
  }
}

/** Adds the walking the commands need to an opened store. */
function managed(opened: OpenedStore<ManagedDatabase>, config: ManageConfig): ManagedStore {
  const close = (): Promise<void> => opened.close();
  if (opened.database !== undefined) {
    // db, cached_db: the table is the truth; deletes go through the store (cache too).
    return {
      ...sqlWalker(opened.database, opened.codec),
      ...(opened.redis === undefined ? {} : { scanCache: redisWalker(opened.redis).scan }),
      kind: opened.kind,
      description: opened.description,
      store: opened.store,
      close,
    };
  }
  if (opened.redis !== undefined) {
    return {
      ...redisWalker(opened.redis),
      kind: opened.kind,
      description: opened.description,
      store: opened.store,
      close,
    };
  }
  if (opened.files !== undefined) {
    return {
      ...fileWalker(
        opened.files.directory,
        opened.codec,
        config.sessionCookieName,
        config.sessionCookieAge,
      ),
      kind: opened.kind,
      description: opened.description,
      store: opened.store,
      close,
    };
  }
  // signed_cookies: a "key" is the cookie itself, which `show` can still decode.
  const store = opened.store;
  return {
    kind: opened.kind,
    description: opened.description,
    store,
    database: undefined,
    scan: () => ({
      [Symbol.asyncIterator]: () => ({
        next: () => Promise.reject(new CommandFailure(SIGNED_COOKIES_NOTE)),
      }),
    }),
    async get(key) {
      const data = await store.load(key);
      if (data === null) return null;
      const signedAt = signedCookieTimestamp(key);
      return {
        key,
        data,
        expireDate:
          signedAt === null ? null : new Date((signedAt + config.sessionCookieAge) * 1000),
      };
    },
    close,
  };
}

/** The seconds timestamp of a `signing.dumps` value (`payload:TIMESTAMP:signature`, base 62). */
function signedCookieTimestamp(value: string): number | null {
  const parts = value.split(":");
  const stamp = parts[parts.length - 2];
  if (parts.length < 3 || stamp === undefined) return null;
  try {
    return base62Decode(stamp);
  } catch {
    return null; // not a timestamp: `get` shows the session without an expiry
  }
}

type Walker = Omit<ManagedStore, "kind" | "description" | "store" | "close">;

// ---------------------------------------------------------------------------------------------
// SQL

/** The naive-UTC text of `expire_date`, whatever the dialect. */
export function expireTextSql(database: ManagedDatabase): string {
  return naiveUtcTextSql(database.dialect, database.q("expire_date"));
}

/** Now as the bound value compared with `expire_date` (what Django compares it with). */
export function nowParam(database: ManagedDatabase, now: Date = new Date()): string {
  return expireDateParam(database.dialect, now);
}

function sqlWalker(database: ManagedDatabase, codec: DjangoSessionCodec): Walker {
  const q = database.q;
  const t = q("django_session");
  const expireText = expireTextSql(database);
  const decode = (value: unknown): SessionData | null => {
    try {
      return typeof value === "string" ? codec.decode(value) : null;
    } catch {
      return null;
    }
  };
  const toRecord = (row: Record<string, unknown>): SessionRecord => ({
    key: String(row["session_key"]),
    data: decode(row["session_data"]),
    expireDate: parseExpireDate(row["expire_date"]),
  });
  const columns = `${q("session_key")} AS session_key, ${q("session_data")} AS session_data, ${expireText} AS expire_date`;
  return {
    database,
    encode: (data) => codec.encode(data),
    async *scan({ position = "", batchSize, activeOnly }) {
      let after = position;
      for (;;) {
        const rows = await database.query(
          `SELECT ${columns} FROM ${t} ` +
            `WHERE ${q("session_key")} > ${database.p(1)}${activeOnly ? ` AND ${q("expire_date")} > ${database.p(2)}` : ""} ` +
            `ORDER BY ${q("session_key")} LIMIT ${Math.trunc(batchSize)}`,
          activeOnly ? [after, nowParam(database)] : [after],
        );
        if (rows.length === 0) return;
        const records = rows.map(toRecord);
        after = records[records.length - 1]!.key;
        yield { records, position: rows.length < batchSize ? "" : after };
        if (rows.length < batchSize) return;
      }
    },
    async count(activeOnly) {
      const rows = await database.query(
        `SELECT COUNT(*) AS n FROM ${t}${activeOnly ? ` WHERE ${q("expire_date")} > ${database.p(1)}` : ""}`,
        activeOnly ? [nowParam(database)] : [],
      );
      return Number(rows[0]?.["n"] ?? 0);
    },
    async get(key) {
      const rows = await database.query(
        `SELECT ${columns} FROM ${t} WHERE ${q("session_key")} = ${database.p(1)}`,
        [key],
      );
      return rows[0] === undefined ? null : toRecord(rows[0]);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Redis

function redisWalker(redis: OpenedRedis): Walker {
  const store = redis.store;
  const read = async (keys: readonly string[]): Promise<SessionRecord[]> => {
    let datas: (SessionData | null)[];
    let ttls: number[];
    try {
      [datas, ttls] = await Promise.all([
        Promise.all(keys.map((k) => store.load(k))),
        redis.pttl(keys.map((k) => store.redisKey(k))),
      ]);
    } catch (error) {
      if (isSessionBridgeError(error)) throw error;
      throw new SessionStoreError(`Redis failed: ${errorText(error)}`);
    }
    const now = Date.now();
    const out: SessionRecord[] = [];
    keys.forEach((key, i) => {
      const ms = ttls[i] ?? -2;
      if (ms === -2) return; // expired or deleted meanwhile
      out.push({ key, data: datas[i] ?? null, expireDate: ms === -1 ? null : new Date(now + ms) });
    });
    return out;
  };
  return {
    database: undefined,
    async *scan({ position = "", batchSize }) {
      // The adapters' resumable walk over every master (internal/redis/scan.ts).
      const pages = store.client.scanPages?.(store.scanPattern, batchSize, position);
      if (pages === undefined)
        throw new ConfigurationError("this Redis client cannot resume a walk");
      const iterator = pages[Symbol.asyncIterator]();
      const seen = new Set<string>();
      for (;;) {
        let step: IteratorResult<{ readonly keys: readonly string[]; readonly position: string }>;
        try {
          step = await iterator.next();
        } catch (error) {
          throw redisStoreError(store.name, error);
        }
        if (step.done === true) return;
        const { keys, position: next } = step.value;
        const sessionKeys: string[] = [];
        for (const redisKey of keys) {
          const key = store.sessionKeyOf(redisKey);
          // SCAN may return a key twice; the set is bounded by one pass's duplicates only.
          if (key !== null && !seen.has(key)) sessionKeys.push(key);
        }
        if (seen.size > 100_000) seen.clear();
        for (const k of sessionKeys) seen.add(k);
        const records = sessionKeys.length === 0 ? [] : await read(sessionKeys);
        yield { records, position: next };
      }
    },
    async get(key) {
      const [record] = await read([key]);
      return record ?? null;
    },
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------
// Files

function fileWalker(
  directory: string,
  codec: DjangoSessionCodec,
  cookieName: string,
  cookieAge: number,
): Walker {
  const readRecord = async (name: string, key: string): Promise<SessionRecord | null> => {
    let content: Buffer;
    let mtimeMs: number;
    try {
      const path = join(directory, name);
      [content, mtimeMs] = await Promise.all([readFile(path), stat(path).then((s) => s.mtimeMs)]);
    } catch {
      return null;
    }
    if (content.length === 0) return null;
    let data: SessionData | null;
    try {
      data = codec.decode(content.toString("latin1"));
    } catch {
      data = null;
    }
    const now = Date.now();
    const age = fileExpiryAge(data ?? new Map<string, never>(), {
      mtimeMs,
      nowMs: now,
      cookieAge,
    });
    return { key, data, expireDate: new Date(now + age * 1000) };
  };
  return {
    database: undefined,
    async *scan({ position = "", batchSize, activeOnly }) {
      // Sorted names make the walk resumable; only names are held, not contents.
      const names = (await readdir(directory))
        .filter((n) => sessionKeyOfFile(cookieName, n) !== null && n > position)
        .sort();
      for (let i = 0; i < names.length; i += batchSize) {
        const slice = names.slice(i, i + batchSize);
        const records: SessionRecord[] = [];
        for (const name of slice) {
          const record = await readRecord(name, sessionKeyOfFile(cookieName, name)!);
          if (record === null) continue;
          if (activeOnly && record.expireDate !== null && record.expireDate.getTime() <= Date.now())
            continue;
          records.push(record);
        }
        yield { records, position: i + batchSize >= names.length ? "" : slice[slice.length - 1]! };
      }
    },
    get(key) {
      return readRecord(`${cookieName}${key}`, key);
    },
  };
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
