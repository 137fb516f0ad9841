/**
 * `sessionbridge/stores/flask-session`: Flask-Session's Redis sessions
 * (flask-starlette-formats.md §4), read and written byte-compatibly, and the policy that
 * reproduces Flask-Session's cookie rules.
 *
 * | | 0.3 (≤ 0.5) | 0.8 (≥ 0.7) |
 * |---|---|---|
 * | value | `pickle.dumps(dict(session))` (protocol 4) | msgspec msgpack (json and pickle still read) |
 * | sid | `str(uuid4())` | `secrets.token_urlsafe(32)` |
 * | unknown sid | reused | replaced by a new one |
 * | write | `SETEX` + Set-Cookie on **every** request with a non-empty session | `SET … EX` when modified or `refreshEachRequest`; cookie when modified or permanent+refresh; `Vary: Cookie` |
 * | empty | no keys | no keys, or only `_permanent` |
 *
 * Key: `keyPrefix` (default `session:`) + sid; TTL: `PERMANENT_SESSION_LIFETIME`. Cookie: the
 * sid, or with `useSigner` `sid.sig` (`Signer(SECRET_KEY, salt="flask-session",
 * key_derivation="hmac")`, no timestamp).
 *
 * @example
 * ```ts
 * import { FlaskSessionRedisStore, flaskSessionServerPolicy } from "sessionbridge/stores/flask-session";
 * const store = new FlaskSessionRedisStore({ client: redis, serializer: "msgpack" });
 * app.use(sessionMiddleware({ policy: flaskSessionServerPolicy({ store, flaskSessionVersion: "0.8" }) }));
 * ```
 */
import { ConfigurationError, MalformedError, TooLargeError } from "../../errors.ts";
import { dumpsPickle, loadsPickleSession } from "../../codecs/pickle/index.ts";
import { loadsPythonJsonSession } from "../../codecs/python-json.ts";
import type { SessionData } from "../../codecs/python-values.ts";
import type {
  SaveOptions,
  SessionExpiry,
  SessionStore,
  StoreLogger,
  StoredSession,
  VersionedSessionData,
} from "../contract.ts";
import { SessionStoreError } from "../../errors.ts";
import { decodeMsgspecMsgpack, encodeMsgspecMsgpack } from "../../codecs/msgpack/msgspec.ts";
import type { RedisCommandClient, RedisTtl } from "../../internal/redis/client.ts";
import { setIfUnchanged } from "../../internal/redis/compare-and-set.ts";
import { valueVersion } from "../../internal/value-version.ts";
import { toRedisClient, type RedisClientInput } from "../../internal/redis/detect.ts";
import { inspectRedisValues } from "../../internal/redis/read-many.ts";
import { ReportedOnce } from "../../internal/reported-once.ts";

export { decodeMsgspecMsgpack, encodeMsgspecMsgpack } from "../../codecs/msgpack/msgspec.ts";

/** How values are serialised: `pickle` (Flask-Session ≤ 0.6) or `msgpack` (≥ 0.7). */
export type FlaskSessionSerializer = "pickle" | "msgpack";

/** Options of {@link FlaskSessionRedisStore}. */
export interface FlaskSessionRedisStoreOptions {
  /** A connected node-redis or ioredis client (never closed by the store). */
  readonly client: RedisClientInput;
  /** `SESSION_KEY_PREFIX`, default `session:`. */
  readonly keyPrefix?: string | undefined;
  /** Value format written; reading follows Flask-Session (msgpack also reads json and pickle). */
  readonly serializer: FlaskSessionSerializer;
  /** Pickle protocol written (default 4: CPython 3.8–3.13's default). */
  readonly pickleProtocol?: 2 | 3 | 4 | 5 | undefined;
  readonly logger?: StoreLogger | undefined;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** The largest stored value read (the pickle reader's own default bound). */
const MAX_VALUE_BYTES = 1024 * 1024;

/** Flask-Session's `EX`: the session lifetime in whole seconds, at least one. */
function lifetime(expiry: SessionExpiry): RedisTtl {
  return { unit: "EX", value: Math.max(1, Math.floor(expiry.age)) };
}

/**
 * Flask-Session's `RedisSessionInterface` storage: `GET`/`SET … EX`/`DEL` on `prefix + sid`.
 * `load` resolves `null` for a missing or undecodable value (reported to the logger).
 *
 * @example
 * ```ts
 * const store = new FlaskSessionRedisStore({ client: redis, serializer: "pickle" });
 * await store.load("0f0e0d0c-0b0a-4908-8706-050403020100");
 * ```
 */
export class FlaskSessionRedisStore implements SessionStore {
  readonly name: string;
  readonly keyPrefix: string;
  readonly serializer: FlaskSessionSerializer;
  readonly #redis: RedisCommandClient;
  readonly #protocol: 2 | 3 | 4 | 5;
  readonly #logger: StoreLogger | undefined;
  /** Undecodable values already logged (once per sid). */
  readonly #reported = new ReportedOnce();

  constructor(options: FlaskSessionRedisStoreOptions) {
    this.#redis = toRedisClient(options.client);
    this.keyPrefix = options.keyPrefix ?? "session:";
    this.serializer = options.serializer;
    if (!["pickle", "msgpack"].includes(this.serializer)) {
      throw new ConfigurationError('serializer must be "pickle" or "msgpack"');
    }
    this.#protocol = options.pickleProtocol ?? 4;
    this.#logger = options.logger;
    this.name = `flask-session:${this.#redis.kind}`;
  }

  /** The Redis key of a session id. */
  storeKey(sid: string): string {
    return this.keyPrefix + sid;
  }

  /** Serialises data as Flask-Session would. */
  encode(data: SessionData): Uint8Array {
    return this.serializer === "msgpack"
      ? encodeMsgspecMsgpack(data)
      : dumpsPickle(data, { protocol: this.#protocol });
  }

  /**
   * Deserialises a stored value. msgpack mode tries msgpack, then JSON, then pickle, as
   * Flask-Session 0.7+'s `MsgSpecSerializer.decode` does (pickle through the safe reader).
   *
   * @throws {MalformedError} when no format fits.
   * @throws {TooLargeError} for a value over 1 MiB (before any parsing: far above a real
   *   session, and each of the three readers would otherwise go through it), or one that
   *   makes too many values while parsing.
   */
  decode(bytes: Uint8Array): SessionData {
    if (bytes.length > MAX_VALUE_BYTES) {
      throw new TooLargeError(
        `${this.name}: stored value of ${String(bytes.length)} bytes exceeds ${String(MAX_VALUE_BYTES)}`,
      );
    }
    if (this.serializer === "pickle") return loadsPickleSession(bytes);
    try {
      return decodeMsgspecMsgpack(bytes);
    } catch {
      /* not msgpack */
    }
    try {
      return loadsPythonJsonSession(UTF8.decode(bytes));
    } catch {
      /* not JSON */
    }
    try {
      return loadsPickleSession(bytes);
    } catch (err) {
      if (err instanceof TooLargeError) throw err;
      throw new MalformedError("Failed to deserialize session data", { cause: err });
    }
  }

  async #call<R>(what: string, run: () => Promise<R>): Promise<R> {
    try {
      return await run();
    } catch (err) {
      throw new SessionStoreError(`${this.name}: ${what} failed`, { cause: err });
    }
  }

  async load(sid: string): Promise<SessionData | null> {
    return (await this.loadVersioned(sid))?.data ?? null;
  }

  /** `load`, with the SHA-1 of the stored bytes as the version. */
  async loadVersioned(sid: string): Promise<VersionedSessionData | null> {
    const bytes = await this.#call("GET", () => this.#redis.get(this.storeKey(sid)));
    if (bytes === null || bytes.length === 0) return null;
    const data = this.#decodeOrSkip(bytes, sid);
    return data === null ? null : { data, version: valueVersion(bytes) };
  }

  #decodeOrSkip(bytes: Uint8Array, sid: string): SessionData | null {
    try {
      return this.decode(bytes);
    } catch (err) {
      // Once per sid: a session read on every request is not logged on every request.
      const reason = err instanceof Error ? err.message : String(err);
      if (this.#reported.first(sid, reason))
        this.#logger?.warn("flask-session: undecodable session value skipped", {
          store: this.name,
          reason,
        });
      return null;
    }
  }

  /** The value (`null` data when empty or undecodable) and its TTL; `null` when the key is gone. */
  async inspect(sid: string): Promise<StoredSession | null> {
    return (await this.inspectMany([sid])).get(sid) ?? null;
  }

  /**
   * {@link FlaskSessionRedisStore.inspect} for many sids: every `GET` and `PTTL` in one
   * pipelined batch per master, not one round trip per sid; absent sids are missing from the map.
   */
  inspectMany(sids: readonly string[]): Promise<Map<string, StoredSession>> {
    return this.#call("GET/PTTL", () =>
      inspectRedisValues(
        this.#redis,
        sids,
        (sid) => this.storeKey(sid),
        (sid, bytes) => this.#decodeOrSkip(bytes, sid),
      ),
    );
  }

  async exists(sid: string): Promise<boolean> {
    return this.#call("EXISTS", () => this.#redis.exists(this.storeKey(sid)));
  }

  /** `SET prefix+sid value EX ttl` with `ttl = options.expiry.age` (the session lifetime). */
  async save(sid: string, data: SessionData, options: SaveOptions): Promise<void> {
    const bytes = this.encode(data);
    await this.#call("SET", () =>
      this.#redis.set(this.storeKey(sid), bytes, { ttl: lifetime(options.expiry) }),
    );
  }

  /**
   * `save` only if the stored bytes still have the SHA-1 `expected` (one Lua script); an
   * expiry already past deletes the value instead (a key cycle retiring the old sid).
   */
  saveIfUnchanged(
    sid: string,
    data: SessionData,
    expiry: SessionExpiry,
    expected: string,
  ): Promise<string | null> {
    const bytes = this.encode(data);
    const ttl = expiry.age <= 0 ? null : lifetime(expiry);
    return this.#call("compare-and-set", () =>
      setIfUnchanged(this.#redis, this.name, this.storeKey(sid), bytes, ttl, expected),
    );
  }

  async delete(sid: string): Promise<void> {
    await this.#call("DEL", () => this.#redis.del(this.storeKey(sid)));
  }

  /** Redis expires keys itself. */
  clearExpired(): Promise<number> {
    return Promise.resolve(0);
  }
}
