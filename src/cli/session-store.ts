/**
 * Builds the session store every CLI command (and `serve`) works on, from the environment, the
 * way Django's `SESSION_ENGINE` picks one (`SESSION_STORE`, see `env-config.ts`):
 *
 * | `SESSION_STORE` | store | needs |
 * |---|---|---|
 * | `db` (default) | `django_session` (`backends.db`) | `DATABASE_URL` |
 * | `cache` | `backends.cache` on django-redis or Django's `RedisCache` (`CACHE_BACKEND`) | `REDIS_URL` |
 * | `cached_db` | `backends.cached_db`: `django_session` behind the cache | both |
 * | `file` | `backends.file` in `SESSION_FILE_PATH` | a directory |
 * | `signed_cookies` | `backends.signed_cookies`: nothing stored server-side | `SECRET_KEY` |
 * | `redis-sessions`, `redis-sessions-fork` | the third-party `redis_sessions` engines | `REDIS_URL` |
 *
 * Redis is reached with `ioredis` or `redis` (node-redis), whichever is installed (both are
 * optional peers, imported only here; `SESSIONBRIDGE_REDIS_CLIENT` picks one): one server, a
 * Redis Cluster (detected) or the master a Sentinel names (`redis+sentinel://`, see
 * `redis-url.ts`). What the
 * factory opens (an SQL pool or connection, a Redis client) the returned `close()` closes.
 */
import { dirname, join, resolve } from "node:path";
import { DjangoSessionCodec } from "../codecs/django/session-encoding.ts";
import { ConfigurationError, SessionStoreError } from "../errors.ts";
import { djangoCodecOptions, djangoPreset } from "../django/presets.ts";
import { CachedDbStore } from "../stores/cached-db/store.ts";
import type { SessionStore, StoreLogger } from "../stores/contract.ts";
import { FileSessionStore } from "../stores/file/store.ts";
import { DjangoCacheStore } from "../stores/redis/cache-store.ts";
import type { RedisClientInput } from "../internal/redis/detect.ts";
import type { DjangoCacheEngine } from "../stores/redis/keys.ts";
import { DjangoRedisSessionsStore } from "../stores/redis/redis-sessions-store.ts";
import { SignedCookieStore } from "../stores/signed-cookies/store.ts";
import type { SqlDatabase } from "../internal/sql/database.ts";
import { SqlSessionStore } from "../stores/sql/store.ts";
import { openDatabaseUrl, parseDatabaseUrl } from "../internal/sql/url.ts";
import type { EnvConfig, RedisDriver, SessionStoreKind } from "./env-config.ts";
import {
  hostPort,
  parseRedisTarget,
  seedUrl,
  type RedisSeed,
  type RedisSentinelTarget,
  type RedisTarget,
} from "./redis-url.ts";
import { loadOrCreateSecretFile } from "./secret-key.ts";
import type { IoredisSubscriber, NodeRedisSubscriber } from "../adapters/realtime/redis-watcher.ts";

/** The Redis side of an opened store, for walking it (`sessions list`, `revoke --user`). */
export interface OpenedRedis {
  /** The store's key layout and commands. */
  readonly store: DjangoCacheStore | DjangoRedisSessionsStore;
  /** Which package the client is from. */
  readonly driver: RedisDriver;
  /**
   * Opens one dedicated subscriber connection per master (one for a single server), for
   * keyspace notifications (`sessions index --follow`); they never reconnect.
   */
  subscribers(): Promise<RedisSubscribers>;
}

/** Subscriber connections, one per master, and how to tell when one is lost. */
export interface RedisSubscribers {
  readonly clients: readonly (NodeRedisSubscriber | IoredisSubscriber)[];
  /** The database the sessions are in (keyspace channels name it). */
  readonly db: number;
  /** Resolves, with a reason, when any of the connections ends. */
  readonly lost: Promise<string>;
  close(): Promise<void>;
}

/** A store ready for use, what it was built on, and how to describe and close it. */
export interface OpenedStore<D extends SqlDatabase = SqlDatabase> {
  readonly kind: SessionStoreKind;
  readonly store: SessionStore;
  readonly description: string;
  /** The SQL database (`db`, `cached_db`). */
  readonly database: D | undefined;
  /** The `django_session` store (`db`, and the database half of `cached_db`). */
  readonly sql: SqlSessionStore | undefined;
  /** The Redis side (`cache`, the cache half of `cached_db`, `redis-sessions*`). */
  readonly redis: OpenedRedis | undefined;
  /** The file store (`file`). */
  readonly files: FileSessionStore | undefined;
  /** `SessionBase.encode`/`decode` with the configured secrets. */
  readonly codec: DjangoSessionCodec;
  /** Closes what was opened: the SQL pool or connection, the Redis client. */
  close(): Promise<void>;
}

/** Options of {@link openStore}. */
export interface OpenStoreOptions<D extends SqlDatabase> {
  /** Create `django_session` when missing (`db`, `cached_db`). */
  readonly createTables: boolean;
  /** How `DATABASE_URL` is opened (a pool for servers, one connection for commands). */
  readonly openDatabase: (url: string) => Promise<D>;
  /**
   * Whether the Redis client reconnects after losing a connection that worked (a server: yes;
   * a one-shot command: no, it fails). The first connection is never retried. Default true.
   */
  readonly reconnect?: boolean;
  /** Where the stores report undecodable values; default their own (`console.warn`). */
  readonly logger?: StoreLogger;
  /**
   * `cache` only: `"cached_db"` opens the Redis half of `cached_db` alone (its key prefix,
   * plain `SET`s), as `sessions migrate --to redis://…?engine=cached_db` needs. Default `"cache"`.
   */
  readonly cacheEngine?: DjangoCacheEngine;
}

/** Where an unset `SECRET_KEY` is kept: beside an SQLite file, else in the working directory. */
export function secretFilePath(databaseUrl: string): string {
  const target = parseDatabaseUrl(databaseUrl);
  if (target.dialect === "sqlite" && target.path !== ":memory:") {
    const path = resolve(target.path);
    return join(dirname(path), `${path.split("/").pop() ?? "db"}.secret-key`);
  }
  return resolve(".sessionbridge-secret");
}

/**
 * The secret key: `SECRET_KEY`, else the one kept beside the database (made on first run).
 * `warn` is called when a key had to be made.
 */
export function resolveSecretKey(config: EnvConfig, warn: (message: string) => void): string {
  if (config.secretKey !== undefined) return config.secretKey;
  const path = secretFilePath(config.databaseUrl);
  const { secret, created } = loadOrCreateSecretFile(path);
  if (created) warn(`SECRET_KEY is not set: generated one and saved it to ${path}`);
  else warn(`SECRET_KEY is not set: using the key saved in ${path}`);
  return secret;
}

/**
 * Opens the store `SESSION_STORE` names, with `DATABASE_URL` as a connection pool (what
 * `serve` uses), creating `django_session` when asked.
 * @throws {ConfigurationError} for a bad setting or a missing optional package;
 *   {SessionStoreError} for an unreachable database or Redis.
 */
export function openSessionStore(
  config: EnvConfig,
  secret: string,
  options: Omit<OpenStoreOptions<SqlDatabase>, "openDatabase"> & {
    readonly openDatabase?: (url: string) => Promise<SqlDatabase>;
  },
): Promise<OpenedStore> {
  return openStore(config, secret, {
    ...options,
    openDatabase: options.openDatabase ?? openDatabaseUrl,
  });
}

/** {@link openSessionStore} with the caller's way of opening the database. */
export async function openStore<D extends SqlDatabase>(
  config: EnvConfig,
  secret: string,
  options: OpenStoreOptions<D>,
): Promise<OpenedStore<D>> {
  // Without DJANGO_VERSION (a command that only reads, deletes or copies stored bytes), every
  // version's formats are read: the legacy encoding and SECRET_KEY_FALLBACKS both.
  const preset =
    config.djangoVersion === undefined ? undefined : djangoPreset(config.djangoVersion);
  const version = config.djangoVersion === undefined ? {} : { djangoVersion: config.djangoVersion };
  const codec = new DjangoSessionCodec(
    preset === undefined
      ? { secret, fallbackSecrets: config.secretKeyFallbacks, readLegacy: true }
      : djangoCodecOptions(preset, secret, config.secretKeyFallbacks),
  );
  const logger = options.logger === undefined ? {} : { logger: options.logger };
  const base = {
    kind: config.sessionStore,
    codec,
    database: undefined,
    sql: undefined,
    redis: undefined,
    files: undefined,
  };
  // What is open so far, closed in reverse if a later step fails.
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) {
      try {
        await close();
      } catch {
        // Closing is best effort: the first failure must not hide the others.
      }
    }
  };
  const openSql = async (): Promise<{ database: D; sql: SqlSessionStore; description: string }> => {
    const database = await options.openDatabase(config.databaseUrl);
    closers.push(() => database.close());
    const sql = new SqlSessionStore({ database, codec, ...logger });
    if (options.createTables) await sql.ensureSessionTable();
    return { database, sql, description: databaseDescription(config.databaseUrl) };
  };
  const openRedis = async (
    engine: DjangoCacheEngine,
  ): Promise<OpenedRedis & { description: string }> => {
    const target = requireRedisTarget(config);
    const connection = await connectRedis(target, config.redisClient, options.reconnect ?? true);
    closers.push(() => connection.close());
    const store =
      config.sessionStore === "redis-sessions" || config.sessionStore === "redis-sessions-fork"
        ? new DjangoRedisSessionsStore({
            client: connection.client,
            codec,
            flavor: config.sessionStore,
            ...(config.sessionRedisPrefix === undefined
              ? {}
              : { prefix: config.sessionRedisPrefix }),
            userIndex: config.sessionUserIndex === true,
            ...logger,
          })
        : new DjangoCacheStore({
            client: connection.client,
            engine,
            backend: config.cacheBackend,
            serializer: config.cacheSerializer,
            compressor: config.cacheCompressor,
            keyPrefix: config.cacheKeyPrefix,
            version: config.cacheVersion,
            // cached_db's truth is its table: its cache half is never indexed.
            userIndex: config.sessionUserIndex === true && engine === "cache",
            ...logger,
          });
    return {
      store,
      driver: connection.driver,
      description: `Redis ${connection.where} (${store.name})`,
      subscribers: () => openSubscribers(connection, target, config.redisClient !== undefined),
    };
  };
  try {
    switch (config.sessionStore) {
      case "db": {
        const { database, sql, description } = await openSql();
        return { ...base, store: sql, database, sql, description, close: closeAll };
      }
      case "cached_db": {
        const { database, sql, description } = await openSql();
        const redis = await openRedis("cached_db");
        const store = new CachedDbStore({
          db: sql,
          cache: redis.store,
          ...version,
          ...logger,
        });
        return {
          ...base,
          store,
          database,
          sql,
          redis,
          description: `${description} + ${redis.description}`,
          close: closeAll,
        };
      }
      case "cache":
      case "redis-sessions":
      case "redis-sessions-fork": {
        const redis = await openRedis(options.cacheEngine ?? "cache");
        return {
          ...base,
          store: redis.store,
          redis,
          description: redis.description,
          close: closeAll,
        };
      }
      case "file": {
        const files = new FileSessionStore({
          ...(config.sessionFilePath === undefined ? {} : { directory: config.sessionFilePath }),
          codec,
          cookieName: config.sessionCookieName,
          cookieAge: config.sessionCookieAge,
          ...logger,
        });
        return {
          ...base,
          store: files,
          files,
          description: `files in ${files.directory}`,
          close: closeAll,
        };
      }
      case "signed_cookies": {
        const store = new SignedCookieStore({
          secret,
          fallbackSecrets:
            preset === undefined || preset.supportsSecretKeyFallbacks
              ? config.secretKeyFallbacks
              : [],
          cookieAge: config.sessionCookieAge,
          cookieName: config.sessionCookieName,
          ...version,
          ...logger,
        });
        return {
          ...base,
          store,
          description: "signed cookies (nothing stored server-side)",
          close: closeAll,
        };
      }
    }
  } catch (error) {
    await closeAll();
    throw error;
  }
}

function databaseDescription(url: string): string {
  const target = parseDatabaseUrl(url);
  return target.dialect === "sqlite"
    ? `SQLite ${target.path}`
    : target.dialect === "postgres"
      ? "PostgreSQL"
      : "MySQL/MariaDB";
}

function requireRedisTarget(config: EnvConfig): RedisTarget {
  if (config.redisUrl === undefined) {
    throw new ConfigurationError(`SESSION_STORE=${config.sessionStore} needs REDIS_URL`);
  }
  return parseRedisTarget(config.redisUrl, config.redisClusterNodes);
}

// ---------------------------------------------------------------------------------------------
// Redis connections

/** A connected client, whichever package it is from. */
interface RedisConnection {
  readonly driver: RedisDriver;
  readonly client: RedisClientInput;
  /** `host:port/db`, or the Cluster's shape; no credentials. */
  readonly where: string;
  /** The masters now: the one server, or the Cluster's masters. */
  masters(): RedisSeed[];
  close(): Promise<void>;
}

/** One plain connection per master, each put to subscribing by its user. */
async function openSubscribers(
  connection: RedisConnection,
  target: RedisTarget,
  explicit: boolean,
): Promise<RedisSubscribers> {
  const opened: SingleConnection[] = [];
  let report: (why: string) => void = () => undefined;
  const lost = new Promise<string>((resolve) => {
    report = resolve;
  });
  try {
    for (const seed of connection.masters()) {
      const single = await connectSingle(connection.driver, target, seed, explicit, false);
      opened.push(single);
      const raw = single.client as unknown as {
        on(event: "end", listener: () => void): unknown;
      };
      raw.on("end", () => {
        report(`the subscriber connection to ${hostPort(seed)} ended`);
      });
    }
  } catch (error) {
    await Promise.all(opened.map((c) => c.close().catch(() => undefined)));
    throw error;
  }
  return {
    clients: opened.map((c) => c.client as unknown as NodeRedisSubscriber | IoredisSubscriber),
    db: target.db,
    lost,
    close: async () => {
      await Promise.all(opened.map((c) => c.close().catch(() => undefined)));
    },
  };
}

/** A single server's connection, with a raw command for the Cluster probe. */
interface SingleConnection extends RedisConnection {
  /** A command's reply as text. */
  text(args: readonly string[]): Promise<string>;
}

/** The part of an ioredis `Redis` or `Cluster` used here. */
interface IoredisClient {
  connect(): Promise<void>;
  quit(): Promise<unknown>;
  disconnect(): void;
  call(command: string, ...args: string[]): Promise<unknown>;
  callBuffer(command: string, ...args: string[]): Promise<unknown>;
  on(event: "error", listener: (err: Error) => void): unknown;
}
type IoredisConstructor = new (url: string, options: Record<string, unknown>) => IoredisClient;
type IoredisOptionsConstructor = new (options: Record<string, unknown>) => IoredisClient;
type IoredisClusterConstructor = new (
  nodes: readonly { host: string; port: number }[],
  options: Record<string, unknown>,
) => IoredisClient & { nodes(role: "master"): unknown[] };

/** The part of a node-redis client or cluster used here. */
interface NodeRedisClient {
  connect(): Promise<unknown>;
  close?(): Promise<unknown>;
  quit?(): Promise<unknown>;
  destroy?(): unknown;
  sendCommand(args: string[]): Promise<unknown>;
  withCommandOptions(options: object): unknown;
  on(event: "error", listener: (err: Error) => void): unknown;
}
type CreateNodeRedisClient = (options: Record<string, unknown>) => NodeRedisClient;
type CreateNodeRedisCluster = (
  options: Record<string, unknown>,
) => Omit<NodeRedisClient, "sendCommand"> & { readonly masters: readonly unknown[] };

type CreateNodeRedisSentinel = (options: Record<string, unknown>) => Omit<
  NodeRedisClient,
  "sendCommand"
> & {
  getMasterNode?(): { host: string; port: number } | undefined;
};

const CONNECT_TIMEOUT_MS = 5000;

/**
 * The whole handshake bounded, not only the TCP connect: the drivers' `connectTimeout` ends
 * once the socket is open, and a server that accepts TCP but never answers (a blackholed
 * proxy, a wrong port) then kept `connect()` (AUTH, SELECT, the ready check) waiting forever.
 */
async function handshake(connect: Promise<unknown>, abandon: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const silent = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abandon();
      reject(new Error(`no answer within ${String(CONNECT_TIMEOUT_MS)} ms`));
    }, CONNECT_TIMEOUT_MS);
  });
  // Once abandoned, the driver's own promise may still reject: it has been answered already.
  connect.catch(() => undefined);
  try {
    await Promise.race([connect, silent]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Connects a client with the handshake bounded; on failure drops it and rejects with one line
 * (the driver's last error event says more than its `connect()` rejection).
 */
async function openClient(
  client: { on(event: "error", listener: (err: Error) => void): unknown },
  connect: () => Promise<unknown>,
  drop: () => void,
  target: RedisTarget,
  where: string,
): Promise<void> {
  let lastError: Error | undefined;
  client.on("error", (err) => {
    lastError = err;
  });
  let timedOut: Error | undefined;
  try {
    await handshake(connect(), () => {
      timedOut = new Error(`no answer within ${String(CONNECT_TIMEOUT_MS)} ms`);
      drop();
    });
  } catch (error) {
    drop();
    throw connectFailure(target, where, timedOut ?? lastError ?? error);
  }
}

/** Turns a driver's connection failure into one line, credentials blanked out. */
function connectFailure(target: RedisTarget, where: string, cause: unknown): SessionStoreError {
  const secrets = [target.password, encodeURIComponent(target.password), target.username].filter(
    (s) => s.length > 2,
  );
  const err = cause instanceof Error ? cause : undefined;
  const code = (err as { code?: unknown } | undefined)?.code;
  let detail = (err?.message || "connection failed").split("\n")[0] ?? "";
  detail = detail.replace(/\/\/[^@\s/]*@/g, "//***@");
  for (const s of secrets) detail = detail.split(s).join("***");
  if (/SELECT is not allowed in cluster mode/i.test(detail)) {
    detail = `a Redis Cluster node has only database 0 (REDIS_URL names database ${target.db})`;
  }
  const prefix = typeof code === "string" && !detail.includes(code) ? `${code} ` : "";
  return new SessionStoreError(`cannot connect to Redis at ${where}: ${prefix}${detail}`);
}

/**
 * Connects to `REDIS_URL`: the first seed node that answers; when it reports
 * `cluster_enabled:1` (or `?cluster=yes`), a Cluster client on every seed instead, so that
 * keys are addressed by slot and walks cover every master.
 */
async function connectRedis(
  target: RedisTarget,
  preferred: RedisDriver | undefined,
  reconnect: boolean,
): Promise<RedisConnection> {
  const driver = preferred ?? ((await canImport("ioredis")) ? "ioredis" : "redis");
  if (target.sentinel !== undefined) {
    return connectSentinel(driver, target, target.sentinel, preferred !== undefined, reconnect);
  }
  const failures: SessionStoreError[] = [];
  let single: SingleConnection | undefined;
  let reached: RedisSeed | undefined;
  for (const seed of target.seeds) {
    try {
      single = await connectSingle(driver, target, seed, preferred !== undefined, reconnect);
      reached = seed;
      break;
    } catch (error) {
      if (!(error instanceof SessionStoreError)) throw error;
      failures.push(error);
    }
  }
  if (single === undefined || reached === undefined) {
    throw failures.length === 1
      ? failures[0]!
      : new SessionStoreError(
          `cannot connect to any of ${failures.length} Redis seed nodes: ${failures.map((f) => f.message.replace(/^cannot connect to Redis at /, "")).join("; ")}`,
        );
  }
  if (target.cluster === "no") return single;
  let info = "";
  try {
    info = await single.text(["INFO", "cluster"]);
  } catch {
    // A server or proxy without INFO: not a Cluster node as far as anyone can tell.
  }
  if (!/^cluster_enabled:1\s*$/m.test(info)) {
    if (target.cluster === "yes") {
      await single.close();
      throw new ConfigurationError(
        `REDIS_URL says cluster=yes, but ${hostPort(reached)} is not a Redis Cluster node`,
      );
    }
    return single;
  }
  // A Cluster that lost a master never becomes ready for the clients: say why at once.
  const state = await single.text(["CLUSTER", "INFO"]).catch(() => "");
  await single.close();
  const ok = /^cluster_state:(\w+)/m.exec(state)?.[1];
  if (ok !== undefined && ok !== "ok") {
    const slots = /^cluster_slots_ok:(\d+)/m.exec(state)?.[1] ?? "?";
    throw new SessionStoreError(
      `Redis Cluster at ${hostPort(reached)} reports cluster_state:${ok} (${slots} of 16384 hash slots served): a master is down or slots are unassigned`,
    );
  }
  const seeds = [reached, ...target.seeds.filter((s) => s !== reached)];
  return connectCluster(driver, target, seeds, preferred !== undefined, reconnect);
}

async function connectSingle(
  driver: RedisDriver,
  target: RedisTarget,
  seed: RedisSeed,
  explicit: boolean,
  reconnect: boolean,
): Promise<SingleConnection> {
  const url = seedUrl(target, seed);
  const where = `${hostPort(seed)}${target.db === 0 ? "" : `/${target.db}`}`;
  let connected = false;
  if (driver === "ioredis") {
    const Redis = await importRedisPackage<{ Redis: IoredisConstructor }>(
      "ioredis",
      explicit,
      () => import("ioredis"),
    );
    const client = new Redis.Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      connectTimeout: CONNECT_TIMEOUT_MS,
      retryStrategy: (times: number) =>
        connected && reconnect ? Math.min(times * 200, 3000) : null,
    });
    await openClient(client, () => client.connect(), dropIoredis(client), target, where);
    connected = true;
    return {
      driver,
      client: client as unknown as RedisClientInput,
      where,
      masters: () => [seed],
      text: async ([command = "", ...args]) => String(await client.call(command, ...args)),
      close: () => quitIoredis(client),
    };
  }
  const module = await importRedisPackage<{ createClient: CreateNodeRedisClient }>(
    "redis",
    explicit,
    () => import("redis"),
  );
  const client = module.createClient({
    url,
    disableOfflineQueue: true,
    socket: nodeRedisSocket(() => connected, reconnect),
  });
  await openClient(client, () => client.connect(), dropNodeRedis(client), target, where);
  connected = true;
  return {
    driver,
    client: client as unknown as RedisClientInput,
    where,
    masters: () => [seed],
    text: async (args) => String(await client.sendCommand([...args])),
    close: () => closeNodeRedis(client),
  };
}

/** A Cluster client over `seeds` (the one that answered first). */
async function connectCluster(
  driver: RedisDriver,
  target: RedisTarget,
  seeds: readonly RedisSeed[],
  explicit: boolean,
  reconnect: boolean,
): Promise<RedisConnection> {
  let connected = false;
  const via = `Cluster via ${hostPort(seeds[0]!)}`;
  const tls = target.tls ? { tls: {} } : {};
  const auth = {
    ...(target.username === "" ? {} : { username: target.username }),
    ...(target.password === "" ? {} : { password: target.password }),
  };
  if (driver === "ioredis") {
    const { Cluster } = await importRedisPackage<{ Cluster: IoredisClusterConstructor }>(
      "ioredis",
      explicit,
      () => import("ioredis"),
    );
    const cluster = new Cluster(
      seeds.map((s) => ({ host: s.host, port: s.port })),
      {
        lazyConnect: true,
        enableOfflineQueue: false,
        slotsRefreshTimeout: CONNECT_TIMEOUT_MS,
        clusterRetryStrategy: (times: number) =>
          connected && reconnect ? Math.min(times * 200, 3000) : null,
        redisOptions: {
          ...auth,
          ...tls,
          connectTimeout: CONNECT_TIMEOUT_MS,
          maxRetriesPerRequest: 1,
        },
      },
    );
    await openClient(cluster, () => cluster.connect(), dropIoredis(cluster), target, via);
    connected = true;
    return {
      driver,
      client: cluster as unknown as RedisClientInput,
      where: `${via} (${cluster.nodes("master").length} masters)`,
      masters: () =>
        cluster.nodes("master").map((node) => {
          const { host, port } = (node as { options: { host: string; port: number } }).options;
          return { host, port };
        }),
      close: () => quitIoredis(cluster),
    };
  }
  const { createCluster } = await importRedisPackage<{ createCluster: CreateNodeRedisCluster }>(
    "redis",
    explicit,
    () => import("redis"),
  );
  const cluster = createCluster({
    rootNodes: seeds.map((s) => ({ url: seedUrl(target, s, 0) })),
    defaults: {
      ...auth,
      disableOfflineQueue: true,
      socket: { ...tls, ...nodeRedisSocket(() => connected, reconnect) },
    },
  });
  await openClient(cluster, () => cluster.connect(), dropNodeRedis(cluster), target, via);
  connected = true;
  return {
    driver,
    client: cluster as unknown as RedisClientInput,
    where: `${via} (${cluster.masters.length} masters)`,
    masters: () =>
      cluster.masters.map((node) => {
        const { host, port } = node as { host: string; port: number };
        return { host, port };
      }),
    close: () => closeNodeRedis(cluster),
  };
}

/**
 * The master that the Sentinels in `target.seeds` name: the driver asks them (each in turn) for
 * the master's address, connects to it and follows a failover (a server: reconnecting; a
 * one-shot command: its next command fails instead).
 */
async function connectSentinel(
  driver: RedisDriver,
  target: RedisTarget,
  sentinel: RedisSentinelTarget,
  explicit: boolean,
  reconnect: boolean,
): Promise<RedisConnection> {
  let connected = false;
  const where = `Sentinel master ${sentinel.name}${target.db === 0 ? "" : `/${target.db}`} via ${target.seeds.map(hostPort).join(",")}`;
  const auth = {
    ...(target.username === "" ? {} : { username: target.username }),
    ...(target.password === "" ? {} : { password: target.password }),
  };
  const sentinelAuth = {
    ...(sentinel.username === "" ? {} : { username: sentinel.username }),
    ...(sentinel.password === "" ? {} : { password: sentinel.password }),
  };
  const retry = (times: number): number | null =>
    connected && reconnect ? Math.min(times * 200, 3000) : null;
  // Credentials of the Sentinels are blanked from messages too.
  const secrets = { ...target, password: sentinel.password || target.password };
  if (driver === "ioredis") {
    const { Redis } = await importRedisPackage<{ Redis: IoredisOptionsConstructor }>(
      "ioredis",
      explicit,
      () => import("ioredis"),
    );
    const client = new Redis({
      sentinels: target.seeds.map((s) => ({ host: s.host, port: s.port })),
      name: sentinel.name,
      db: target.db,
      ...auth,
      ...(sentinel.username === "" ? {} : { sentinelUsername: sentinel.username }),
      ...(sentinel.password === "" ? {} : { sentinelPassword: sentinel.password }),
      ...(target.tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: CONNECT_TIMEOUT_MS,
      retryStrategy: retry,
      sentinelRetryStrategy: retry,
    });
    await openClient(client, () => client.connect(), dropIoredis(client), secrets, where);
    connected = true;
    return {
      driver,
      client: client as unknown as RedisClientInput,
      where,
      // The master the client is connected to now (its socket's peer).
      masters: () => {
        const stream = (client as { stream?: { remoteAddress?: string; remotePort?: number } })
          .stream;
        return [sentinelMaster(sentinel, stream?.remoteAddress, stream?.remotePort)];
      },
      close: () => quitIoredis(client),
    };
  }
  const { createSentinel } = await importRedisPackage<{ createSentinel: CreateNodeRedisSentinel }>(
    "redis",
    explicit,
    () => import("redis"),
  );
  const tls = target.tls ? { tls: true } : {};
  const client = createSentinel({
    name: sentinel.name,
    sentinelRootNodes: target.seeds.map((s) => ({ host: s.host, port: s.port })),
    nodeClientOptions: {
      ...auth,
      database: target.db,
      disableOfflineQueue: true,
      socket: { ...tls, ...nodeRedisSocket(() => connected, reconnect) },
    },
    sentinelClientOptions: {
      ...sentinelAuth,
      socket: { ...tls, ...nodeRedisSocket(() => connected, reconnect) },
    },
  });
  await openClient(client, () => client.connect(), dropNodeRedis(client), secrets, where);
  connected = true;
  return {
    driver,
    client: client as unknown as RedisClientInput,
    where,
    masters: () => {
      const node = client.getMasterNode?.();
      return [sentinelMaster(sentinel, node?.host, node?.port)];
    },
    close: () => closeNodeRedis(client),
  };
}

/** The Sentinel's master as the client reached it. */
function sentinelMaster(
  sentinel: RedisSentinelTarget,
  host: string | undefined,
  port: number | undefined,
): RedisSeed {
  if (host === undefined || port === undefined) {
    throw new SessionStoreError(
      `the address of the Sentinel master ${sentinel.name} is not known to the Redis client`,
    );
  }
  return { host: host.replace(/^::ffff:/, ""), port };
}

function dropIoredis(client: Pick<IoredisClient, "disconnect">): () => void {
  return () => {
    client.disconnect();
  };
}

function dropNodeRedis(client: Pick<NodeRedisClient, "destroy">): () => void {
  return () => {
    client.destroy?.();
  };
}

/** node-redis's socket options: no retry of the first connection, retries later when asked. */
function nodeRedisSocket(connected: () => boolean, reconnect: boolean): Record<string, unknown> {
  return {
    connectTimeout: CONNECT_TIMEOUT_MS,
    reconnectStrategy: (retries: number, cause: Error) =>
      connected() && reconnect ? Math.min(retries * 200, 3000) : cause,
  };
}

async function quitIoredis(client: Pick<IoredisClient, "quit" | "disconnect">): Promise<void> {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

async function closeNodeRedis(
  client: Pick<NodeRedisClient, "close" | "quit" | "destroy">,
): Promise<void> {
  try {
    if (client.close !== undefined) await client.close();
    else if (client.quit !== undefined) await client.quit();
  } catch {
    client.destroy?.();
  }
}

async function canImport(name: string): Promise<boolean> {
  try {
    await import(name);
    return true;
  } catch {
    return false;
  }
}

async function importRedisPackage<T>(
  name: RedisDriver,
  explicit: boolean,
  load: () => Promise<unknown>,
): Promise<T> {
  try {
    return (await load()) as T;
  } catch (error) {
    if ((error as { code?: unknown }).code === "ERR_MODULE_NOT_FOUND") {
      throw new ConfigurationError(
        explicit
          ? `SESSIONBRIDGE_REDIS_CLIENT=${name}, but the package ${name} is not installed (npm install ${name})`
          : "Redis session stores need the optional package ioredis or redis (npm install ioredis)",
      );
    }
    throw error;
  }
}
