/**
 * The third-party Redis session engines (django-formats.md §3.8): martinrusev's
 * `redis_sessions.session` (django-redis-sessions) and hellysmile's
 * `redis_sessions_fork.session` (django-redis-sessions-fork).
 *
 * Both subclass Django's `SessionBase`, so the stored value is exactly `SessionBase.encode()`
 * (what `django_session.session_data` holds; pass a `DjangoSessionCodec` with the project's
 * `SECRET_KEY`), as text, with a plain Redis TTL of the expiry age in seconds.
 *
 * | | `redis-sessions` (martinrusev) | `redis-sessions-fork` (hellysmile) |
 * |---|---|---|
 * | key | `prefix:key`, or the bare key when the prefix is `""` (default) | `prefix:key` unless the key already contains the prefix (default prefix `django_sessions`) |
 * | create | `EXISTS` then `SETEX` (racy) → here `SET k v EX age NX` | `SETNX` then `EXPIRE` → here `SET k v EX age NX` |
 * | update | `SETEX k age v` | `SETEX k age v` |
 *
 * An update of a key that vanished recreates it (neither engine raises `UpdateError`). An age
 * ≤ 0 (which `SETEX` refuses) deletes the key instead of writing it; a creation with such an
 * age writes nothing and only fails when the key exists.
 *
 * @example
 * ```ts
 * import { DjangoSessionCodec } from "sessionbridge/django";
 * import { DjangoRedisSessionsStore } from "sessionbridge/stores/redis";
 * const store = new DjangoRedisSessionsStore({
 *   client, codec: new DjangoSessionCodec({ secret: process.env.SECRET_KEY! }), prefix: "session",
 * });
 * ```
 */
import { Buffer } from "node:buffer";
import {
  ConfigurationError,
  MalformedError,
  SessionExistsError,
  TooLargeError,
} from "../../errors.ts";
import { DEFAULT_MAX_INFLATED_BYTES } from "../../codecs/zlib.ts";
import type { SaveOptions, SessionData } from "../contract.ts";
import type { SessionDataCodec } from "../contract.ts";
import type { RedisTtl } from "../../internal/redis/client.ts";
import { RedisStoreBase, secondsTtl, type RedisStoreCommonOptions } from "./base.ts";
import { escapeGlob, looksLikeSessionKey } from "./keys.ts";

/** Which engine: `redis_sessions.session` or `redis_sessions_fork.session`. */
export type RedisSessionsFlavor = "redis-sessions" | "redis-sessions-fork";

/** Options of {@link DjangoRedisSessionsStore}. */
export interface DjangoRedisSessionsStoreOptions extends RedisStoreCommonOptions {
  /** Django's `SessionBase.encode`/`decode`: usually a `DjangoSessionCodec`. */
  readonly codec: SessionDataCodec;
  /** Default `"redis-sessions"`. */
  readonly flavor?: RedisSessionsFlavor;
  /**
   * `SESSION_REDIS["prefix"]` (redis-sessions, default `""`) or `SESSION_REDIS_PREFIX`
   * (redis-sessions-fork, default `"django_sessions"`).
   */
  readonly prefix?: string;
}

const DEFAULT_PREFIX: Readonly<Record<RedisSessionsFlavor, string>> = {
  "redis-sessions": "",
  "redis-sessions-fork": "django_sessions",
};

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Sessions of django-redis-sessions / django-redis-sessions-fork, shared with Django.
 *
 * @example
 * ```ts
 * const store = new DjangoRedisSessionsStore({ client, codec, flavor: "redis-sessions-fork" });
 * await store.load(key);
 * ```
 */
export class DjangoRedisSessionsStore extends RedisStoreBase {
  /** `redis:redis-sessions` or `redis:redis-sessions-fork`. */
  readonly name: string;
  readonly scanPattern: string;
  readonly flavor: RedisSessionsFlavor;
  readonly prefix: string;
  readonly #codec: SessionDataCodec;

  constructor(options: DjangoRedisSessionsStoreOptions) {
    super(options);
    this.flavor = options.flavor ?? "redis-sessions";
    if (!(this.flavor in DEFAULT_PREFIX)) {
      throw new ConfigurationError(`Unknown redis sessions flavor "${this.flavor}"`);
    }
    this.prefix = options.prefix ?? DEFAULT_PREFIX[this.flavor];
    this.#codec = options.codec;
    this.name = `redis:${this.flavor}`;
    this.scanPattern = this.prefix === "" ? "*" : `${escapeGlob(`${this.prefix}:`)}*`;
  }

  redisKey(sessionKey: string): string {
    if (this.prefix === "") return sessionKey;
    // redis_sessions_fork/utils.py `add_prefix`: `if not PREFIX in str(key)`.
    if (this.flavor === "redis-sessions-fork" && sessionKey.includes(this.prefix)) {
      return sessionKey;
    }
    // redis_sessions/session.py `get_real_stored_key`: `':'.join([prefix, session_key])`.
    return `${this.prefix}:${sessionKey}`;
  }

  sessionKeyOf(redisKey: string): string | null {
    const head = this.prefix === "" ? "" : `${this.prefix}:`;
    if (!redisKey.startsWith(head)) return null;
    const key = redisKey.slice(head.length);
    return looksLikeSessionKey(key) ? key : null;
  }

  async save(key: string, data: SessionData, options: SaveOptions): Promise<void> {
    const redisKey = this.redisKey(key);
    const ttl = this.ttlFor(options.expiry.age);
    if (ttl === null) {
      if (options.mustCreate) {
        if (await this.run(() => this.client.exists(redisKey))) throw new SessionExistsError();
      } else {
        await this.run(() => this.client.del(redisKey));
      }
      return;
    }
    const value = this.encodeValue(data);
    if (options.mustCreate) {
      const written = await this.run(() =>
        this.client.set(redisKey, value, { ttl, condition: "NX" }),
      );
      if (!written) throw new SessionExistsError();
      await this.indexWrite(key, data, ttl);
      return;
    }
    // SETEX: writes whether or not the key still exists.
    await this.run(() => this.client.set(redisKey, value, { ttl }));
    await this.indexWrite(key, data, ttl);
  }

  protected encodeValue(data: SessionData): Uint8Array {
    return Buffer.from(this.#codec.encode(data), "utf8");
  }

  protected decodeValue(bytes: Buffer): SessionData {
    const max = this.#codec.maxValueBytes ?? DEFAULT_MAX_INFLATED_BYTES;
    if (bytes.length > max) {
      throw new TooLargeError(`Session value exceeds ${String(max)} bytes`);
    }
    let text: string;
    try {
      text = UTF8.decode(bytes); // force_str / force_unicode: UTF-8
    } catch (err) {
      throw new MalformedError("Session value is not UTF-8", { cause: err });
    }
    return this.#codec.decode(text);
  }

  protected ttlFor(age: number): RedisTtl | null {
    // SETEX key get_expiry_age() data (redis-sessions); `int(expire)` (redis-sessions-fork).
    return secondsTtl(age);
  }
}
