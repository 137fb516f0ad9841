/**
 * Django's `backends.cache` session engine on a Redis cache (django-formats.md §3.2, §3.6,
 * §3.7), and the Redis half of `backends.cached_db` (§3.3).
 *
 * - Key: `KEY_PREFIX:VERSION:django.contrib.sessions.cache<session_key>` (`cached_db` for the
 *   other engine), see `keys.ts`.
 * - Value: the raw session dict through the cache's serializer, unsigned (`cache-value.ts`).
 * - TTL: the expiry age; django-redis writes `PX int(age * 1000)`, Django's `RedisCache` writes
 *   `EX max(0, int(age))`.
 * - `save({ mustCreate: true })` = `cache.add`: `SET k v PX|EX ttl NX`, not written →
 *   `SessionExistsError`.
 * - `save({ mustCreate: false })`: Django checks `cache.get(key) is not None` then `cache.set`,
 *   else `UpdateError`; here that is one atomic `SET k v PX|EX ttl XX`, not written →
 *   `SessionMissingError`.
 * - An age ≤ 0 (django-redis and `RedisCache` both delete instead of writing): an update is a
 *   `DEL` (nothing deleted → `SessionMissingError`), a creation writes nothing and only fails
 *   with `SessionExistsError` when the key exists (django-redis `add`: `not has_key`).
 * - `engine: "cached_db"`: Django only ever `cache.set`s there (the database decides about
 *   create/update), so every save is a plain `SET k v PX|EX ttl` (an age ≤ 0: `DEL`).
 *
 * @example
 * ```ts
 * import { createClient } from "redis";
 * import { DjangoCacheStore } from "sessionbridge/stores/redis";
 * const client = await createClient({ url: process.env.REDIS_URL, disableOfflineQueue: true }).connect();
 * const store = new DjangoCacheStore({ client, keyPrefix: "myapp", version: 1 });
 * ```
 */
import type { Buffer } from "node:buffer";
import { ConfigurationError, SessionExistsError, SessionMissingError } from "../../errors.ts";
import type { SaveOptions, SessionData } from "../contract.ts";
import type { RedisTtl } from "../../internal/redis/client.ts";
import {
  RedisStoreBase,
  millisecondsTtl,
  secondsTtl,
  type RedisStoreCommonOptions,
} from "./base.ts";
import { DjangoCacheValueCodec, type DjangoCacheValueOptions } from "./cache-value.ts";
import {
  djangoCacheKeyHead,
  escapeGlob,
  looksLikeSessionKey,
  type DjangoCacheEngine,
} from "./keys.ts";

/** Options of {@link DjangoCacheStore}. */
export interface DjangoCacheStoreOptions extends RedisStoreCommonOptions, DjangoCacheValueOptions {
  /** The cache's `KEY_PREFIX`; default `""`. */
  readonly keyPrefix?: string;
  /** The cache's `VERSION`; default `1`. */
  readonly version?: number;
  /** `"cache"` (default) for `backends.cache`, `"cached_db"` for the cache half of `cached_db`. */
  readonly engine?: DjangoCacheEngine;
}

/**
 * Sessions in a Django cache on Redis, shared with a running Django project.
 *
 * @example
 * ```ts
 * const store = new DjangoCacheStore({ client: new Redis(), backend: "django" }); // Django's RedisCache
 * const data = await store.load(key);
 * ```
 */
export class DjangoCacheStore extends RedisStoreBase {
  /** `redis:django-cache`, `redis:django-cached-db`, with `:builtin` for Django's `RedisCache`. */
  readonly name: string;
  readonly scanPattern: string;
  readonly engine: DjangoCacheEngine;
  /** The value codec (serializer, compressor, pickle protocol). */
  readonly codec: DjangoCacheValueCodec;
  readonly #head: string;

  constructor(options: DjangoCacheStoreOptions) {
    super(options);
    this.codec = new DjangoCacheValueCodec(options);
    this.engine = options.engine ?? "cache";
    if (!(["cache", "cached_db"] as readonly string[]).includes(this.engine)) {
      throw new ConfigurationError(`Unknown Django session engine "${this.engine}"`);
    }
    const version = options.version ?? 1;
    if (!Number.isSafeInteger(version)) throw new ConfigurationError("version must be an integer");
    this.#head = djangoCacheKeyHead({
      keyPrefix: options.keyPrefix ?? "",
      version,
      engine: this.engine,
    });
    this.scanPattern = `${escapeGlob(this.#head)}*`;
    const builtin = this.codec.backend === "django" ? ":builtin" : "";
    this.name = `redis:django-${this.engine === "cache" ? "cache" : "cached-db"}${builtin}`;
  }

  redisKey(sessionKey: string): string {
    return `${this.#head}${sessionKey}`;
  }

  sessionKeyOf(redisKey: string): string | null {
    if (!redisKey.startsWith(this.#head)) return null;
    const key = redisKey.slice(this.#head.length);
    return looksLikeSessionKey(key) ? key : null;
  }

  async save(key: string, data: SessionData, options: SaveOptions): Promise<void> {
    const redisKey = this.redisKey(key);
    const ttl = this.ttlFor(options.expiry.age);
    if (this.engine === "cached_db") {
      // backends/cached_db.py `save`: `self._cache.set(...)` after the database save.
      const value = this.codec.encodeSession(data);
      await this.run<unknown>(() =>
        ttl === null ? this.client.del(redisKey) : this.client.set(redisKey, value, { ttl }),
      );
      return;
    }
    if (ttl === null) {
      if (options.mustCreate) {
        if (await this.run(() => this.client.exists(redisKey))) throw new SessionExistsError();
      } else if ((await this.run(() => this.client.del(redisKey))) === 0) {
        throw new SessionMissingError();
      }
      return;
    }
    const value = this.codec.encodeSession(data);
    const condition = options.mustCreate ? "NX" : "XX";
    const written = await this.run(() => this.client.set(redisKey, value, { ttl, condition }));
    if (!written) throw options.mustCreate ? new SessionExistsError() : new SessionMissingError();
    await this.indexWrite(key, data, ttl);
  }

  protected decodeValue(bytes: Buffer): SessionData {
    return this.codec.decodeSession(bytes);
  }

  protected encodeValue(data: SessionData): Uint8Array {
    return this.codec.encodeSession(data);
  }

  protected ttlFor(age: number): RedisTtl | null {
    // django-redis: `PX int(timeout * 1000)`; RedisCache: `EX max(0, int(timeout))`.
    return this.codec.backend === "django" ? secondsTtl(age) : millisecondsTtl(age);
  }
}
