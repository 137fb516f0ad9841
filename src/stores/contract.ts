/**
 * The one small contract every session store speaks.
 *
 * A store is async I/O and nothing else: it knows where sessions live and how the Python side
 * lays them out there (table, key prefix, serialisation), but nothing about HTTP or cookies.
 * It mirrors Django's `SessionBase` storage methods (`load`, `exists`, `save(must_create)`,
 * `delete`, `clear_expired`), so every Django engine maps onto it one to one.
 *
 * Error rules, which the engine and the adapters rely on:
 * - a key that is missing, expired or whose stored value cannot be decoded: `load` resolves
 *   `null` (corrupt data is reported through {@link StoreLogger.warn}, never thrown, never run);
 * - `save` with `mustCreate` on a taken key: {@link SessionExistsError};
 * - `save` without `mustCreate` on a key that no longer exists: {@link SessionMissingError};
 * - anything the backend itself fails on (connection refused, SQL error, timeout):
 *   {@link SessionStoreError}, with a message that names the store but no credentials.
 *
 * Concurrent requests on one session: a store that implements the optional pair
 * {@link SessionStore.loadVersioned} / {@link SessionStore.saveIfUnchanged} lets the engine save
 * as compare-and-set against the version it loaded, then reload and re-apply only its own
 * changes when another writer got there first (see `Session.save`). The version is the stored
 * value itself or a digest of it, never an extra column or key, so the Python side's schema and
 * its own (blind) writes are untouched.
 *
 * @example
 * ```ts
 * import type { SessionStore } from "sessionbridge";
 * const data = await store.load("k5u2y0zq3n7b0x1c9d8e7f6g5h4j3k2l");
 * ```
 */
import type { SessionData } from "../codecs/python-values.ts";

export type { SessionData };

/**
 * What a store that keeps Django's signed session text needs from a codec:
 * `SessionBase.encode` / `decode` (a `DjangoSessionCodec` is one). Any object with these two
 * methods will do, for example one that adds a metric around Django's codec.
 *
 * @example
 * ```ts
 * import type { SessionDataCodec } from "sessionbridge";
 * import { DjangoSessionCodec } from "sessionbridge/django";
 * const django = new DjangoSessionCodec({ secret: process.env.SECRET_KEY! });
 * let failures = 0;
 * const codec: SessionDataCodec = {
 *   encode: (data) => django.encode(data),
 *   decode: (value) => {
 *     try {
 *       return django.decode(value);
 *     } catch (error) {
 *       failures++; // the store reports the value as unreadable and loads no session
 *       throw error;
 *     }
 *   },
 * };
 * ```
 */
export interface SessionDataCodec {
  /**
   * The largest stored value `decode` reads; stores that can tell a value's size before
   * reading it (the file store) refuse a longer one unread. Default 1 MiB where absent.
   */
  readonly maxValueBytes?: number;
  encode(data: SessionData): string;
  /** Throws on a bad signature or malformed value. */
  decode(value: string): SessionData;
}

/**
 * When a saved session stops being valid, computed by the engine as Django does.
 *
 * @example
 * ```ts
 * import type { SessionExpiry } from "sessionbridge";
 * const expiry: SessionExpiry = { age: 1_209_600, date: new Date(Date.now() + 1_209_600_000) };
 * ```
 */
export interface SessionExpiry {
  /** Seconds from now (Django `get_expiry_age()`); may be ≤ 0 for an absolute date in the past. */
  readonly age: number;
  /** The absolute instant (Django `get_expiry_date()`), what SQL stores write to `expire_date`. */
  readonly date: Date;
}

/**
 * Options of {@link SessionStore.save}.
 *
 * @example
 * ```ts
 * await store.save(key, data, { mustCreate: true, expiry });
 * ```
 */
export interface SaveOptions {
  /** Insert only: fail with `SessionExistsError` if the key is taken (Django `must_create`). */
  readonly mustCreate: boolean;
  readonly expiry: SessionExpiry;
}

/**
 * A session as {@link SessionStore.loadVersioned} returns it: the data and the version of the
 * stored value it was decoded from.
 *
 * @example
 * ```ts
 * const loaded = await store.loadVersioned?.(key);
 * if (loaded) console.log(loaded.data.get("_auth_user_id"), loaded.version.length);
 * ```
 */
export interface VersionedSessionData {
  readonly data: SessionData;
  /**
   * Opaque to the engine: what the store compares on a conditional write (the stored text, or
   * a digest of the stored bytes). Never logged: it may be the session itself.
   */
  readonly version: string;
  /**
   * The record is there and live but cannot be decoded here (a pickled application class, a
   * `ZoneInfo` datetime, a value signed with another key): `data` is empty, and the engine
   * never writes over it nor drops its cookie, since the other framework may well read it
   * (issue 18 #13). `load` answers `null` for it, as before.
   */
  readonly undecodable?: true;
}

/**
 * Where stores report what they skip (a corrupt row, an undecodable value).
 *
 * @example
 * ```ts
 * import type { StoreLogger } from "sessionbridge";
 * const logger: StoreLogger = { warn: (message, details) => console.warn(message, details) };
 * ```
 */
export interface StoreLogger {
  warn(message: string, detail?: Readonly<Record<string, string | number | boolean>>): void;
}

/**
 * One stored session as {@link SessionStore.walk} and {@link SessionStore.inspect} see it:
 * expired or not, readable or not.
 *
 * @example
 * ```ts
 * const session: StoredSession = { key: "k5u2y0zq3n7b0x1c", data: null, expireDate: null };
 * ```
 */
export interface StoredSession {
  readonly key: string;
  /** `null` when the stored value cannot be decoded (bad signature, corrupt). */
  readonly data: SessionData | null;
  /** When it expires; `null` when it never does (a Redis key without TTL). */
  readonly expireDate: Date | null;
}

/**
 * One page of a {@link SessionStore.walk}, and where to resume after it.
 *
 * @example
 * ```ts
 * const page: StoredSessionPage = { sessions: [], position: "" };
 * ```
 */
export interface StoredSessionPage {
  readonly sessions: readonly StoredSession[];
  /**
   * Opaque resume position (a session key, a SCAN cursor, a file name), valid for the same
   * store in another process; `""` after the last page.
   */
  readonly position: string;
}

/**
 * Options of {@link SessionStore.walk}.
 *
 * @example
 * ```ts
 * const options: WalkOptions = { batchSize: 500, activeOnly: true };
 * ```
 */
export interface WalkOptions {
  /** A `position` an earlier page returned; default the beginning. */
  readonly position?: string;
  /** Sessions per page (for Redis: keys per SCAN reply, a hint); default 1000. */
  readonly batchSize?: number;
  /** Skip sessions already expired where the store keeps them (SQL rows, files). */
  readonly activeOnly?: boolean;
}

/**
 * The storage contract. See the module documentation for the error rules.
 *
 * @example
 * ```ts
 * import type { SessionStore } from "sessionbridge";
 * import { MemoryStore } from "sessionbridge/stores/memory";
 * const store: SessionStore = new MemoryStore();
 * await store.load("no-such-key"); // null
 * ```
 */
export interface SessionStore {
  /** A short name for messages and logs, for example `"sql:sqlite"`. */
  readonly name: string;
  /** The session's data, or `null` when the key is unknown, expired or undecodable. */
  load(key: string): Promise<SessionData | null>;
  /** Whether a record with this key exists (Django: regardless of expiry for the db engine). */
  exists(key: string): Promise<boolean>;
  /** Writes the whole session under `key`. */
  save(key: string, data: SessionData, options: SaveOptions): Promise<void>;
  /** Removes the session; a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Removes expired sessions where the backend does not expire them itself; returns how many. */
  clearExpired(): Promise<number>;
  /**
   * Only for stores whose key *is* the data (Django's `signed_cookies`, Flask's cookie
   * session): returns the new key (the signed value) for `data`, with no I/O. The engine then
   * never calls `save` and never needs a random key.
   */
  encodeKey?(data: SessionData, expiry: SessionExpiry): string;
  /**
   * {@link SessionStore.encodeKey} where the encoding may wait (a Web runtime's
   * `CompressionStream`); the engine calls it instead of `encodeKey` when present.
   */
  encodeKeyAsync?(data: SessionData, expiry: SessionExpiry): Promise<string>;
  /**
   * `load`, plus the version of the stored value (see {@link VersionedSessionData}); `null` in
   * the same cases as `load`. Implemented together with {@link SessionStore.saveIfUnchanged}.
   * `latest`: the engine reloads after a conflict; a store with a cache in front of the truth
   * (cached_db) reads the truth then.
   */
  loadVersioned?(key: string, latest?: boolean): Promise<VersionedSessionData | null>;
  /**
   * Compare-and-set: writes `data` under `key` only if the stored value is still the one
   * `expected` names, atomically (one SQL `UPDATE … WHERE`, one Redis script, a rename under a
   * lock). Resolves the new version, or `null` when nothing was written because the value
   * changed or the key is gone (the engine tells those apart with `loadVersioned`). An expiry
   * already past (a key cycle retiring the old record) must leave the key deleted or never
   * loadable again. `expected` `""` (the version of no value) writes only where there is no
   * value, where the store supports it (Redis, memory: cached_db's cache refill); the engine
   * itself never passes it.
   */
  saveIfUnchanged?(
    key: string,
    data: SessionData,
    expiry: SessionExpiry,
    expected: string,
  ): Promise<string | null>;
  /** Extends the expiry without rewriting the data, where the backend can do that cheaply. */
  touch?(key: string, expiry: SessionExpiry): Promise<void>;
  /**
   * Every stored session, a page at a time with flat memory, resumable from a page's position
   * (maintenance: listing, revoking a user's sessions, copying a store). Stores that can list
   * their sessions implement it (SQL in key order, Redis by SCAN over every master, files in
   * name order, memory); one whose key is the data (signed cookies) cannot. As with SCAN, a
   * session created or deleted during a walk may or may not appear.
   */
  walk?(options?: WalkOptions): AsyncIterable<StoredSessionPage>;
  /** One stored session with its expiry, expired or not; `null` when absent. */
  inspect?(key: string): Promise<StoredSession | null>;
  /**
   * {@link SessionStore.inspect} for many keys at once, absent keys missing from the map (a
   * key asked twice is read once). Real-time gates re-check every connected session with it, so
   * it costs one round trip per batch where the backend can batch: one SQL `IN (…)` query per
   * 10,000 keys, one pipeline of `GET`/`PTTL` per Redis master (Cluster included); stores with
   * no batched read (files) read a bounded number of keys at a time, and signed cookies only
   * verify and decode. Every store here implements it; a store without it is read one key at a
   * time.
   */
  inspectMany?(keys: readonly string[]): Promise<Map<string, StoredSession>>;
  /** How many sessions a full walk visits, where the store can count cheaply. */
  count?(options?: { readonly activeOnly?: boolean }): Promise<number>;
  /** Releases connections the store opened itself (never a client the caller passed in). */
  close?(): Promise<void>;
}
