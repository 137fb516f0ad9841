/**
 * What every Redis session store shares: one client, error wrapping (contract error rules,
 * `../contract.ts`), `load` as one `GET` with undecodable values reported and skipped, `exists`,
 * `delete`, `touch`, the key space description {@link scanSessionKeys} lists, and the
 * compare-and-set pair (`loadVersioned` / `saveIfUnchanged`: the SHA-1 of the stored bytes as
 * the version, one Lua script on the one key to write, so Cluster-safe).
 */
import type { Buffer } from "node:buffer";
import { ConfigurationError, SessionBridgeError } from "../../errors.ts";
import type {
  SessionData,
  SessionExpiry,
  SessionStore,
  StoreLogger,
  VersionedSessionData,
} from "../contract.ts";
import type { SaveOptions, StoredSession, StoredSessionPage, WalkOptions } from "../contract.ts";
import { walkBatchSize } from "../walk.ts";
import type { RedisCommandClient, RedisTtl } from "../../internal/redis/client.ts";
import { toRedisClient, type RedisClientInput } from "../../internal/redis/detect.ts";
import { isWrongTypeError, redisStoreError } from "../../internal/redis/errors.ts";
import { setIfUnchanged } from "../../internal/redis/compare-and-set.ts";
import { inspectRedisValues } from "../../internal/redis/read-many.ts";
import { valueVersion } from "../../internal/value-version.ts";
import { indexedUserId, RedisUserIndex, ttlMilliseconds } from "./user-index.ts";
import { ReportedOnce } from "../../internal/reported-once.ts";

/** Options every Redis store takes. */
export interface RedisStoreCommonOptions {
  /**
   * The caller's client: node-redis 5/6 (client, cluster, sentinel), ioredis 5/6 (Redis,
   * Cluster), or an adapter from `fromNodeRedis` / `fromIoredis`. Never closed by the store.
   */
  readonly client: RedisClientInput;
  /** Per-command timeout when a raw client is wrapped here (default 5000 ms). */
  readonly commandTimeoutMs?: number;
  /** Where undecodable values are reported; default `console.warn`. */
  readonly logger?: StoreLogger;
  /**
   * Keep the per-user session index (`./user-index.ts`): every save of a session with an
   * `_auth_user_id` (a login, a save, the new key of a cycle) also adds its key to that user's
   * set, one more script call on one key. Deletes leave stale members, which readers check.
   * Default false. A failure to index is reported to the logger, never fails the save: the
   * index is complete only while an indexer follows every write anyway.
   */
  readonly userIndex?: boolean;
}

/**
 * A store's key space, for {@link scanSessionKeys}.
 *
 * @example
 * ```ts
 * for await (const key of store.client.scan(store.scanPattern, 1000)) store.sessionKeyOf(key);
 * ```
 */
export interface RedisSessionKeyspace {
  readonly name: string;
  readonly client: RedisCommandClient;
  /** The `SCAN MATCH` glob covering every session key of the layout. */
  readonly scanPattern: string;
  /** The Redis key of a session. */
  redisKey(sessionKey: string): string;
  /** The session key stored under a Redis key, or `null` if it is not one of the layout's. */
  sessionKeyOf(redisKey: string): string | null;
}

/**
 * One page of {@link RedisStoreBase.loadPages}: the sessions' data without expiries.
 *
 * @example
 * ```ts
 * const page: LoadedSessionPage = { sessions: [{ key: "k5u2y0zq3n7b0x1c", data: null }], position: "" };
 * ```
 */
export interface LoadedSessionPage {
  readonly sessions: readonly { readonly key: string; readonly data: SessionData | null }[];
  /** Where to resume after this page (as {@link StoredSessionPage.position}); `""` at the end. */
  readonly position: string;
}

const consoleLogger: StoreLogger = {
  warn(message, detail) {
    console.warn(`sessionbridge: ${message}`, detail ?? "");
  },
};

/**
 * Base of the Redis session stores.
 *
 * @example
 * ```ts
 * class MyLayout extends RedisStoreBase { … } // implement redisKey, save, decodeValue, encodeValue, ttlFor
 * ```
 */
export abstract class RedisStoreBase implements SessionStore, RedisSessionKeyspace {
  abstract readonly name: string;
  abstract readonly scanPattern: string;
  /** The client the store runs its commands on. */
  readonly client: RedisCommandClient;
  readonly #logger: StoreLogger;
  /** Undecodable records already logged (once per key). */
  readonly #reported = new ReportedOnce();
  readonly #indexWrites: boolean;
  #index: RedisUserIndex | undefined;

  constructor(options: RedisStoreCommonOptions) {
    this.client = toRedisClient(
      options.client,
      options.commandTimeoutMs === undefined ? {} : { commandTimeoutMs: options.commandTimeoutMs },
    );
    this.#logger = options.logger ?? consoleLogger;
    this.#indexWrites = options.userIndex === true;
  }

  /** The store's per-user session index (its keys follow the store's key layout). */
  get userIndex(): RedisUserIndex {
    // Built lazily: the subclass's key layout is only known after its constructor ran.
    this.#index ??= new RedisUserIndex(this.client, this.redisKey(""));
    return this.#index;
  }

  /** Whether saves maintain {@link RedisStoreBase.userIndex} (the `userIndex` option). */
  get indexesWrites(): boolean {
    return this.#indexWrites;
  }

  /**
   * After a save wrote `data` under `key` with `ttl`: adds the key to its user's set when the
   * store keeps the index and the session has a user. Never throws (see `userIndex`).
   */
  protected async indexWrite(key: string, data: SessionData, ttl: RedisTtl | null): Promise<void> {
    if (!this.#indexWrites) return;
    const user = indexedUserId(data);
    if (user === null) return;
    try {
      await this.userIndex.add(user, [key], ttlMilliseconds(ttl));
    } catch (err) {
      this.#logger.warn("Could not add a session to the user index", {
        store: this.name,
        reason: err instanceof Error ? err.message.split("\n")[0]!.slice(0, 200) : "unknown",
      });
    }
  }

  abstract redisKey(sessionKey: string): string;
  abstract sessionKeyOf(redisKey: string): string | null;
  abstract save(key: string, data: SessionData, options: SaveOptions): Promise<void>;
  /** Decodes a stored value; throws on anything undecodable. */
  protected abstract decodeValue(bytes: Buffer): SessionData;
  /** The bytes `save` writes for `data` (what `decodeValue` reads back). */
  protected abstract encodeValue(data: SessionData): Uint8Array;
  /** The TTL a save with this expiry age writes; `null` when the age means "already expired". */
  protected abstract ttlFor(age: number): RedisTtl | null;

  async load(key: string): Promise<SessionData | null> {
    const loaded = await this.loadVersioned(key);
    return loaded === null || loaded.undecodable ? null : loaded.data;
  }

  /** `load`, with the SHA-1 of the stored bytes as the version. */
  async loadVersioned(key: string): Promise<VersionedSessionData | null> {
    let bytes: Buffer | null;
    try {
      bytes = await this.client.get(this.redisKey(key));
    } catch (err) {
      if (!isWrongTypeError(err)) throw redisStoreError(this.name, err);
      this.#skip(key, "wrong-type");
      return null;
    }
    if (bytes === null) return null;
    const data = this.#decodeOrSkip(key, bytes);
    if (data === null) return { data: new Map(), version: valueVersion(bytes), undecodable: true };
    return { data, version: valueVersion(bytes) };
  }

  /** The decoded value, or `null` (reported) when it cannot be decoded. */
  #decodeOrSkip(key: string, bytes: Buffer): SessionData | null {
    try {
      return this.decodeValue(bytes);
    } catch (err) {
      // Django: any error on get → no session (backends/cache.py `load`); corrupt data is
      // reported, never thrown and never run.
      const global = (err as { global?: unknown }).global;
      this.#skip(
        key,
        err instanceof SessionBridgeError ? err.code : err instanceof Error ? err.name : "unknown",
        typeof global === "string" ? { global } : {},
      );
      return null;
    }
  }

  /** Writes only if the stored bytes still have the SHA-1 `expected` (one Lua script). */
  async saveIfUnchanged(
    key: string,
    data: SessionData,
    expiry: SessionExpiry,
    expected: string,
  ): Promise<string | null> {
    const value = this.encodeValue(data);
    const ttl = this.ttlFor(expiry.age);
    const version = await this.run(() =>
      setIfUnchanged(this.client, this.name, this.redisKey(key), value, ttl, expected),
    );
    if (version !== null && ttl !== null) await this.indexWrite(key, data, ttl);
    return version;
  }

  exists(key: string): Promise<boolean> {
    return this.run(() => this.client.exists(this.redisKey(key)));
  }

  async delete(key: string): Promise<void> {
    await this.run(() => this.client.del(this.redisKey(key)));
  }

  /** Redis expires keys by their TTL itself: nothing to do (Django's `clear_expired` is a no-op). */
  clearExpired(): Promise<number> {
    return Promise.resolve(0);
  }

  /** Sets the key's TTL to the expiry (`PEXPIRE`/`EXPIRE`); an age ≤ 0 deletes it. */
  async touch(key: string, expiry: SessionExpiry): Promise<void> {
    const ttl = this.ttlFor(expiry.age);
    const redisKey = this.redisKey(key);
    await this.run<unknown>(() =>
      ttl === null ? this.client.del(redisKey) : this.client.expire(redisKey, ttl),
    );
  }

  /**
   * Every session of the layout, by SCAN over every master (never `KEYS`), a SCAN reply per
   * page (`batchSize` is its `COUNT` hint, so a page may hold fewer or none), resumable from a
   * page's position, each page's values and TTLs read as one batch ({@link
   * RedisStoreBase.inspectMany}). Redis expires keys itself, so `activeOnly` changes nothing.
   * Needs a client with `scanPages` and `pttl` (the adapters here have both).
   *
   * @throws {ConfigurationError} for a client without them, or a position of another walk.
   */
  async *walk(options: WalkOptions = {}): AsyncIterable<StoredSessionPage> {
    if (this.client.pttl === undefined) {
      throw new ConfigurationError("this Redis client cannot walk the sessions (scanPages, pttl)");
    }
    const next = this.#keyPages(options);
    for (let page = await next(); page !== null; page = await next()) {
      // A page's GETs and PTTLs as one batch (a pipeline per master), not a round trip per key.
      const found = await this.inspectMany(page.keys);
      const sessions: StoredSession[] = [];
      for (const key of page.keys) {
        const session = found.get(key);
        if (session !== undefined) sessions.push(session);
      }
      yield { sessions, position: page.position };
    }
  }

  /**
   * The session keys of the SCAN walk, a reply at a time (`null` after the last), repeats seen
   * recently skipped (SCAN may return a key twice; bounded memory). Calls may overlap: SCANs
   * run one after another, in call order.
   */
  #keyPages(options: WalkOptions): () => Promise<{ keys: string[]; position: string } | null> {
    const count = walkBatchSize(options);
    const pages = this.client.scanPages?.(this.scanPattern, count, options.position ?? "");
    if (pages === undefined) {
      throw new ConfigurationError("this Redis client cannot walk the sessions (scanPages, pttl)");
    }
    const iterator = pages[Symbol.asyncIterator]();
    const seen = new Set<string>();
    return async () => {
      let step: IteratorResult<{ readonly keys: readonly string[]; readonly position: string }>;
      try {
        step = await iterator.next();
      } catch (err) {
        if (err instanceof ConfigurationError) throw err;
        throw redisStoreError(this.name, err);
      }
      if (step.done === true) return null;
      const keys: string[] = [];
      for (const redisKey of step.value.keys) {
        const key = this.sessionKeyOf(redisKey);
        if (key !== null && !seen.has(key)) keys.push(key);
      }
      if (seen.size > 100_000) seen.clear();
      for (const key of keys) seen.add(key);
      return { keys, position: step.value.position };
    };
  }

  /**
   * The sessions' data only, as fast as Redis answers: the same SCAN walk over every master as
   * {@link RedisStoreBase.walk}, but one `GET` per key and no `PTTL` (for what needs the users,
   * not the expiries: `sessions revoke --user`), with `inFlight` pages (default 4) read at
   * once, each page's `GET`s sent as one batch (the client's `getMany`: a pipeline per master)
   * while the next SCAN runs. Pages come in walk order; `data` is `null` for a value that is
   * gone or undecodable (reported to the logger, as `load` does).
   *
   * @throws {ConfigurationError} for a client without `scanPages`.
   * @example
   * ```ts
   * for await (const page of store.loadPages({ batchSize: 1000 })) {
   *   for (const { key, data } of page.sessions) if (data?.get("_auth_user_id") === "42") await store.delete(key);
   * }
   * ```
   */
  async *loadPages(
    options: WalkOptions & { readonly inFlight?: number } = {},
  ): AsyncIterable<LoadedSessionPage> {
    const inFlight = options.inFlight ?? 4;
    if (!Number.isSafeInteger(inFlight) || inFlight < 1)
      throw new ConfigurationError("inFlight must be ≥ 1");
    const next = this.#keyPages(options);
    const read = async (): Promise<LoadedSessionPage | null> => {
      const page = await next();
      if (page === null) return null;
      const data = await this.#loadMany(page.keys);
      return {
        sessions: page.keys.map((key, i) => ({ key, data: data[i] ?? null })),
        position: page.position,
      };
    };
    // Pages requested ahead: their SCANs run one after another, the GETs of every requested
    // page are in flight together.
    const ahead: Promise<LoadedSessionPage | null>[] = [];
    const request = (): void => {
      const page = read();
      page.catch(() => undefined); // awaited in order below; a failure surfaces there
      ahead.push(page);
    };
    for (let i = 0; i < inFlight; i++) request();
    for (;;) {
      const page = await ahead.shift()!;
      if (page === null) return;
      request();
      yield page;
    }
  }

  /** `load` of many keys: one batched `GET` (the client's `getMany`) where the client has it. */
  async #loadMany(keys: readonly string[]): Promise<(SessionData | null)[]> {
    const getMany = this.client.getMany?.bind(this.client);
    if (getMany === undefined) return Promise.all(keys.map((key) => this.load(key)));
    const values = await this.run(() => getMany(keys.map((key) => this.redisKey(key))));
    return keys.map((key, i) => {
      const bytes = values[i] ?? null;
      return bytes === null || bytes.length === 0 ? null : this.#decodeOrSkip(key, bytes);
    });
  }

  /** The value (`null` data when undecodable) and its TTL; `null` when the key is gone. */
  async inspect(key: string): Promise<StoredSession | null> {
    const client = this.client;
    if (client.pttl === undefined) {
      throw new ConfigurationError("this Redis client cannot read expiries (pttl)");
    }
    const redisKey = this.redisKey(key);
    const [data, ms] = await Promise.all([this.load(key), this.run(() => client.pttl!(redisKey))]);
    if (ms === -2) return null; // expired or deleted meanwhile
    return { key, data, expireDate: ms === -1 ? null : new Date(Date.now() + ms) };
  }

  /**
   * {@link RedisStoreBase.inspect} for many keys: every `GET` and `PTTL` in one pipelined batch
   * per master (see `RedisCommandClient.readMany`), not one round trip per key; absent keys are
   * missing from the map.
   */
  inspectMany(keys: readonly string[]): Promise<Map<string, StoredSession>> {
    return this.run(() =>
      inspectRedisValues(
        this.client,
        keys,
        (key) => this.redisKey(key),
        (key, bytes) => this.#decodeOrSkip(key, bytes),
      ),
    );
  }

  /** Runs client calls, turning driver failures into `SessionStoreError`. */
  protected async run<T>(action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (err) {
      throw redisStoreError(this.name, err);
    }
  }

  #skip(key: string, reason: string, extra: Readonly<Record<string, string>> = {}): void {
    // Once per key: a session read on every request is not logged on every request.
    if (!this.#reported.first(key, reason)) return;
    // The data and the full key stay out of the log.
    this.#logger.warn("Ignoring a Redis session value that cannot be decoded", {
      store: this.name,
      reason,
      key: `${key.slice(0, 4)}…`,
      ...extra,
    });
  }
}

/**
 * Seconds for `EX`/`SETEX`/`EXPIRE`: Python `int(age)`; `null` when not positive.
 *
 * @example
 * ```ts
 * secondsTtl(90.7); // { unit: "EX", value: 90 }
 * ```
 */
export function secondsTtl(age: number): RedisTtl | null {
  const value = Math.trunc(age);
  return value > 0 ? { unit: "EX", value } : null;
}

/**
 * Milliseconds for `PX`/`PEXPIRE`: django-redis `int(timeout * 1000)`; `null` when not positive.
 *
 * @example
 * ```ts
 * millisecondsTtl(1209600); // { unit: "PX", value: 1209600000 }
 * ```
 */
export function millisecondsTtl(age: number): RedisTtl | null {
  const value = Math.trunc(age * 1000);
  return value > 0 ? { unit: "PX", value } : null;
}
