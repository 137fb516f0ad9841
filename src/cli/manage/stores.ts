/**
 * Session stores for the management commands: opened from the configuration
 * (`SESSION_STORE` + `DATABASE_URL` / `REDIS_URL` / `SESSION_FILE_PATH`) or from a store URL,
 * each with a way to walk every session in batches with flat memory, resumably.
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
 * `serializer=pickle|json` and `compressor=identity|zlib` (django-redis). `rediss://` for TLS.
 * File parameters: `cookie_name` (default `sessionid`), `cookie_age` (default 1209600).
 */
import { Buffer } from "node:buffer";
import { opendir, readdir, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DjangoSessionCodec } from "../../codecs/django/session-encoding.ts";
import type { SessionData } from "../../codecs/python-values.ts";
import { ConfigurationError, SessionStoreError, isSessionBridgeError } from "../../errors.ts";
import { djangoCodecOptions, djangoPreset } from "../../presets/django.ts";
import type { SessionStore, StoreLogger } from "../../stores/contract.ts";
import { CachedDbStore } from "../../stores/cached-db/store.ts";
import { fileExpiryAge } from "../../stores/file/expiry.ts";
import { sessionKeyOfFile } from "../../stores/file/paths.ts";
import { FileSessionStore } from "../../stores/file/store.ts";
import { parseExpireDate } from "../../stores/sql/dates.ts";
import { SqlSessionStore } from "../../stores/sql/store.ts";
import type {
  DjangoCacheBackend,
  DjangoRedisCompressor,
  DjangoRedisSerializer,
} from "../../stores/redis/cache-value.ts";
import { DjangoCacheStore } from "../../stores/redis/cache-store.ts";
import {
  DjangoRedisSessionsStore,
  type RedisSessionsFlavor,
} from "../../stores/redis/redis-sessions-store.ts";
import type { RedisStoreBase } from "../../stores/redis/base.ts";
import { CommandFailure } from "../command.ts";
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
  /** `db`, `cache`, `cached_db`, `file`, `redis-sessions`. */
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
  /** `SessionBase.encode` with the configured secret (SQL kinds, for bulk upserts). */
  readonly encode?: (data: SessionData) => string;
  /** One session, expired or not; `null` when absent. */
  get(key: string): Promise<SessionRecord | null>;
  close(): Promise<void>;
}

/** Thrown for stores that hold nothing server-side. */
export const SIGNED_COOKIES_NOTE =
  "the signed_cookies backend keeps sessions in the browser's cookie: there is nothing stored on the server";

/** Codec with the configured secrets. */
export function sessionCodec(config: ManageConfig, secret: string): DjangoSessionCodec {
  return new DjangoSessionCodec(
    djangoCodecOptions(djangoPreset(config.djangoVersion), secret, config.secretKeyFallbacks),
  );
}

const quietLogger: StoreLogger = { warn() {} };

/** Opens the store `SESSION_STORE` names. */
export async function openConfiguredStore(
  config: ManageConfig,
  secret: string,
): Promise<ManagedStore> {
  switch (config.sessionStore) {
    case "db":
      return openSqlStore(config.databaseUrl, config, secret);
    case "file":
      return openFileStore(config.sessionFilePath ?? tmpdir(), {}, config, secret);
    case "cache":
    case "redis-sessions": {
      if (config.redisUrl === undefined) {
        throw new CommandFailure(`SESSION_STORE=${config.sessionStore} needs REDIS_URL`);
      }
      const url = new URL(config.redisUrl);
      if (!url.searchParams.has("layout")) {
        url.searchParams.set(
          "layout",
          config.sessionStore === "cache" ? "django-redis" : "redis-sessions",
        );
      }
      if (!url.searchParams.has("prefix") && config.sessionStore === "cache") {
        url.searchParams.set("prefix", config.cacheKeyPrefix);
      }
      return openRedisStore(url, config, secret);
    }
    case "cached_db": {
      if (config.redisUrl === undefined)
        throw new CommandFailure("SESSION_STORE=cached_db needs REDIS_URL");
      const url = new URL(config.redisUrl);
      url.searchParams.set("engine", "cached_db");
      if (!url.searchParams.has("prefix")) url.searchParams.set("prefix", config.cacheKeyPrefix);
      const db = await openSqlStore(config.databaseUrl, config, secret);
      let cache: ManagedStore;
      try {
        cache = await openRedisStore(url, config, secret);
      } catch (error) {
        await db.close();
        throw error;
      }
      const store = new CachedDbStore({
        db: db.store as SqlSessionStore,
        cache: cache.store,
        djangoVersion: config.djangoVersion,
        logger: quietLogger,
      });
      return {
        ...db,
        kind: "cached_db",
        description: `${db.description} + ${cache.description}`,
        store,
        async close() {
          await cache.close();
          await db.close();
        },
      };
    }
    case "signed_cookies":
      throw new CommandFailure(SIGNED_COOKIES_NOTE);
  }
}

/**
 * Opens a store URL (see the module documentation).
 * @throws {CommandFailure} for an unknown scheme or an unreachable store.
 */
export async function openStoreUrl(
  url: string,
  config: ManageConfig,
  secret: string,
): Promise<ManagedStore> {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined)
    throw new CommandFailure("a store URL must start with sql+…:, redis://, rediss:// or file:");
  if (scheme.startsWith("sql+")) return openSqlStore(url.slice(4), config, secret);
  if (["sqlite", "postgres", "postgresql", "mysql", "mariadb"].includes(scheme)) {
    return openSqlStore(url, config, secret);
  }
  if (scheme === "redis" || scheme === "rediss") {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new CommandFailure("invalid Redis store URL");
    }
    return openRedisStore(parsed, config, secret);
  }
  if (scheme === "file") {
    const rest = url.slice("file:".length);
    const [path = "", query = ""] = rest.split("?", 2);
    const params = new URLSearchParams(query);
    const directory = path.startsWith("//")
      ? decodeURIComponent(path.slice(2))
      : decodeURIComponent(path);
    return openFileStore(directory, Object.fromEntries(params), config, secret);
  }
  throw new CommandFailure(
    `unsupported store URL scheme "${scheme.slice(0, 20)}" (sql+…, redis://, rediss://, file:)`,
  );
}

// ---------------------------------------------------------------------------------------------
// SQL

/** The naive-UTC text of `expire_date`, whatever the dialect. */
export function expireTextSql(database: ManagedDatabase): string {
  const col = database.q("expire_date");
  return database.dialect === "postgres"
    ? `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')`
    : database.dialect === "mysql"
      ? `DATE_FORMAT(${col}, '%Y-%m-%d %H:%i:%s.%f')`
      : col;
}

async function openSqlStore(
  databaseUrl: string,
  config: ManageConfig,
  secret: string,
): Promise<ManagedStore> {
  const database = await openManagedDatabase(databaseUrl);
  const codec = sessionCodec(config, secret);
  const store = new SqlSessionStore({ database, codec, logger: quietLogger });
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
  const nowParam = (): string =>
    database.dialect === "postgres" ? `${naiveNow()}+00:00` : naiveNow();
  const toRecord = (row: Record<string, unknown>): SessionRecord => ({
    key: String(row["session_key"]),
    data: decode(row["session_data"]),
    expireDate: parseExpireDate(row["expire_date"]),
  });
  return {
    kind: "db",
    description: database.description,
    store,
    database,
    encode: (data) => codec.encode(data),
    async *scan({ position = "", batchSize, activeOnly }) {
      let after = position;
      for (;;) {
        const rows = await database.query(
          `SELECT ${q("session_key")} AS session_key, ${q("session_data")} AS session_data, ${expireText} AS expire_date FROM ${t} ` +
            `WHERE ${q("session_key")} > ${database.p(1)}${activeOnly ? ` AND ${q("expire_date")} > ${database.p(2)}` : ""} ` +
            `ORDER BY ${q("session_key")} LIMIT ${Math.trunc(batchSize)}`,
          activeOnly ? [after, nowParam()] : [after],
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
        activeOnly ? [nowParam()] : [],
      );
      return Number(rows[0]?.["n"] ?? 0);
    },
    async get(key) {
      const rows = await database.query(
        `SELECT ${q("session_key")} AS session_key, ${q("session_data")} AS session_data, ${expireText} AS expire_date FROM ${t} WHERE ${q("session_key")} = ${database.p(1)}`,
        [key],
      );
      return rows[0] === undefined ? null : toRecord(rows[0]);
    },
    close: () => database.close(),
  };
}

/** Now as naive UTC text with microseconds (what Django compares `expire_date` with). */
export function naiveNow(now: Date = new Date()): string {
  return `${now.toISOString().slice(0, 19).replace("T", " ")}.${String(now.getUTCMilliseconds() * 1000).padStart(6, "0")}`;
}

// ---------------------------------------------------------------------------------------------
// Redis

/** The part of an ioredis client used here. */
interface IoRedis {
  connect(): Promise<void>;
  quit(): Promise<unknown>;
  disconnect(): void;
  scan(cursor: string, ...args: (string | number)[]): Promise<[string, string[]]>;
  pipeline(): {
    pttl(key: string): unknown;
    exec(): Promise<[Error | null, unknown][] | null>;
  };
  on(event: "error", listener: (err: Error) => void): unknown;
}

const LAYOUTS = ["django-redis", "django", "redis-sessions", "redis-sessions-fork"] as const;

/** Connects ioredis to `url` (query parameters removed). */
export async function connectRedis(url: URL): Promise<IoRedis> {
  let module;
  try {
    module = await import("ioredis");
  } catch {
    throw new CommandFailure(
      "Redis stores need the optional package ioredis (npm install ioredis)",
    );
  }
  const bare = new URL(url.href);
  bare.search = "";
  const Redis = module.Redis as unknown as new (
    url: string,
    options: Record<string, unknown>,
  ) => IoRedis;
  const client = new Redis(bare.href, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 5000,
    commandTimeout: 10_000,
    retryStrategy: () => null,
  });
  let lastError: Error | undefined;
  client.on("error", (err) => {
    lastError = err;
  });
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    const cause = lastError ?? (error instanceof Error ? error : undefined);
    const code = (cause as { code?: string } | undefined)?.code;
    const detail = (cause?.message ?? "connection failed")
      .split("\n")[0]!
      .replace(/\/\/[^@\s]*@/g, "//***@");
    throw new CommandFailure(
      `cannot connect to Redis at ${bare.hostname}:${bare.port || "6379"}: ${code !== undefined && !detail.includes(code) ? `${code} ` : ""}${detail}`,
    );
  }
  return client;
}

async function openRedisStore(
  url: URL,
  config: ManageConfig,
  secret: string,
): Promise<ManagedStore> {
  const params = url.searchParams;
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
  const version = Number(params.get("version") ?? "1");
  const client = await connectRedis(url);
  let store: RedisStoreBase;
  try {
    if (layout === "redis-sessions" || layout === "redis-sessions-fork") {
      const prefix = params.get("prefix");
      store = new DjangoRedisSessionsStore({
        client: client as never,
        codec: sessionCodec(config, secret),
        flavor: layout as RedisSessionsFlavor,
        ...(prefix === null ? {} : { prefix }),
        logger: quietLogger,
      });
    } else {
      store = new DjangoCacheStore({
        client: client as never,
        backend: (layout === "django" ? "django" : "django-redis") as DjangoCacheBackend,
        serializer: (params.get("serializer") ?? "pickle") as DjangoRedisSerializer,
        compressor: (params.get("compressor") ?? "identity") as DjangoRedisCompressor,
        keyPrefix: params.get("prefix") ?? "",
        version,
        engine,
        logger: quietLogger,
      });
    }
  } catch (error) {
    client.disconnect();
    if (error instanceof ConfigurationError) throw new CommandFailure(error.message);
    throw error;
  }
  const description = `Redis ${url.hostname}:${url.port || "6379"}${url.pathname} (${store.name})`;
  const ttls = async (keys: readonly string[]): Promise<(Date | null | undefined)[]> => {
    const pipe = client.pipeline();
    for (const key of keys) pipe.pttl(store.redisKey(key));
    const replies = (await pipe.exec()) ?? [];
    const now = Date.now();
    return replies.map(([err, ms]) => {
      if (err !== null) throw new SessionStoreError(`Redis PTTL failed: ${err.message}`);
      const n = Number(ms);
      if (n === -2) return undefined; // gone
      return n === -1 ? null : new Date(now + n);
    });
  };
  const read = async (keys: readonly string[]): Promise<SessionRecord[]> => {
    const [datas, expiries] = await Promise.all([
      Promise.all(keys.map((k) => store.load(k))),
      ttls(keys),
    ]);
    const out: SessionRecord[] = [];
    keys.forEach((key, i) => {
      const expireDate = expiries[i];
      if (expireDate === undefined) return; // expired or deleted meanwhile
      out.push({ key, data: datas[i] ?? null, expireDate });
    });
    return out;
  };
  return {
    kind: layout.startsWith("redis-sessions")
      ? "redis-sessions"
      : engine === "cached_db"
        ? "cached_db-cache"
        : "cache",
    description,
    store,
    database: undefined,
    async *scan({ position = "0", batchSize }) {
      let cursor = position === "" ? "0" : position;
      const seen = new Set<string>();
      do {
        let keys: string[];
        try {
          [cursor, keys] = await client.scan(
            cursor,
            "MATCH",
            store.scanPattern,
            "COUNT",
            batchSize,
          );
        } catch (error) {
          throw new SessionStoreError(
            `Redis SCAN failed: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
        const sessionKeys: string[] = [];
        for (const redisKey of keys) {
          const key = store.sessionKeyOf(redisKey);
          // SCAN may return a key twice; the set is bounded by one pass's duplicates only.
          if (key !== null && !seen.has(key)) sessionKeys.push(key);
        }
        if (seen.size > 100_000) seen.clear();
        for (const k of sessionKeys) seen.add(k);
        const records = sessionKeys.length === 0 ? [] : await read(sessionKeys);
        yield { records, position: cursor === "0" ? "" : cursor };
      } while (cursor !== "0");
    },
    async get(key) {
      const [record] = await read([key]);
      return record ?? null;
    },
    async close() {
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Files

async function openFileStore(
  directory: string,
  params: Record<string, string>,
  config: ManageConfig,
  secret: string,
): Promise<ManagedStore> {
  const codec = sessionCodec(config, secret);
  const cookieName = params["cookie_name"] ?? "sessionid";
  const cookieAge = Number(params["cookie_age"] ?? "1209600");
  let store: FileSessionStore;
  try {
    store = new FileSessionStore({ directory, codec, cookieName, cookieAge, logger: quietLogger });
  } catch (error) {
    if (isSessionBridgeError(error)) throw new CommandFailure(error.message);
    throw error;
  }
  const dir = resolve(directory);
  const readRecord = async (name: string, key: string): Promise<SessionRecord | null> => {
    let content: Buffer;
    let mtimeMs: number;
    try {
      const path = join(dir, name);
      [content, mtimeMs] = await Promise.all([readFile(path), stat(path).then((s) => s.mtimeMs)]);
    } catch {
      return null;
    }
    if (content.length === 0) return null;
    let data: SessionData | null = null;
    try {
      data = codec.decode(content.toString("latin1"));
    } catch {
      data = null;
    }
    const now = Date.now();
    const age = fileExpiryAge(data ?? new Map(), { mtimeMs, nowMs: now, cookieAge });
    return { key, data, expireDate: new Date(now + age * 1000) };
  };
  return {
    kind: "file",
    description: `files in ${dir}`,
    store,
    database: undefined,
    async *scan({ position = "", batchSize, activeOnly }) {
      // Sorted names make the walk resumable; only names are held, not contents.
      const names = (await readdir(dir))
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
    async get(key) {
      return readRecord(`${cookieName}${key}`, key);
    },
    close: () => Promise.resolve(),
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

/** The session's user id (`_auth_user_id`), as text, or `null`. */
export function userIdOf(data: SessionData | null): string | null {
  const value = data?.get("_auth_user_id");
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  return null;
}
