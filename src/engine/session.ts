/**
 * The session object: Django's `SessionBase` semantics behind a typed, Map-like, async API.
 *
 * - Lazy: nothing touches the store until the first data access (`get`, `set`, `keys`, …).
 * - `accessed` is set by every data access, `modified` by every change (as Django does), and
 *   the HTTP layer saves only when `modified` (or when told to save every request).
 * - A key from the client that the store does not know is dropped on load and a fresh random
 *   key is made at save time: no session fixation (django-formats.md §4.1).
 * - `cycleKey()` keeps the data under a new key and deletes the old record; `flush()` drops
 *   both data and key.
 * - Concurrent requests (settings `concurrentWrites: "merge"`, the default): the session
 *   remembers the version it loaded and what this request set and deleted; `save` is a
 *   compare-and-set, and on a conflict it reloads, applies this request's changes again on the
 *   fresh data and retries (bounded), so parallel requests keep each other's writes and a
 *   session deleted meanwhile is never written back.
 */
import {
  InvalidArgumentError,
  MalformedError,
  SessionBridgeError,
  SessionExistsError,
  SessionMissingError,
  SessionStoreError,
} from "../errors.ts";
import { PyDateTime, type PyValue, type SessionData } from "../codecs/python-values.ts";
import { parseIsoDateTime } from "../codecs/typed-json.ts";
import type { SessionExpiry, SessionStore } from "../stores/contract.ts";
import type { DjangoVersion, SessionSettings } from "./config.ts";
import { generateSessionKey, isValidSessionKey } from "./keys.ts";

/** The session key under which Django keeps a per-session expiry. */
export const EXPIRY_KEY = "_session_expiry";

/**
 * The shape of session data, for typed access; values must be {@link PyValue}s.
 *
 * @example
 * ```ts
 * import { Session, type SessionShape } from "sessionbridge";
 * interface Cart extends SessionShape { items: string[] }
 * declare const session: Session<Cart>;
 * await session.get("items"); // string[] | undefined
 * ```
 */
export type SessionShape = Record<string, PyValue>;

/**
 * What `setExpiry` takes (Django `set_expiry`).
 *
 * @example
 * ```ts
 * await session.setExpiry(3600); // seconds of inactivity
 * await session.setExpiry(0); // until the browser closes
 * await session.setExpiry(null); // back to the global policy
 * ```
 */
export type ExpiryInput = number | Date | null;

const MAX_CREATE_ATTEMPTS = 100;

/**
 * Conflicts one save retries before giving up with `SessionStoreError`. Each conflict means
 * another save of the same session succeeded, so N requests racing on one session need at
 * most N - 1 retries each; this bounds a pathological writer, not normal contention.
 */
const MAX_MERGE_ATTEMPTS = 200;

/** A key this request deleted, in the change log. */
const DELETED: unique symbol = Symbol("deleted");

/**
 * A session for one request.
 *
 * @typeParam T - the keys and value types the application keeps in the session.
 * @example
 * ```ts
 * const session = new Session<{ visits: number }>(store, cookieValue, settings);
 * const visits = ((await session.get("visits")) ?? 0) + 1;
 * await session.set("visits", visits);
 * if (session.modified) await session.save();
 * ```
 */
export class Session<T extends SessionShape = SessionShape> {
  readonly #store: SessionStore;
  readonly #settings: SessionSettings;
  readonly #now: () => number;
  #key: string | null;
  #cache: SessionData | undefined;
  #loading: Promise<SessionData> | undefined;
  #accessed = false;
  #modified = false;
  /** The stored version the data was loaded from (compare-and-set stores only). */
  #version: string | undefined;
  /** This request's own changes since the load or last save, last one per key. */
  readonly #changes = new Map<string, PyValue | typeof DELETED>();
  /** Whether this request emptied the data (`clear`): the stored keys are not merged back. */
  #cleared = false;
  /** Keys whose (mutable) value the application read: `modified = true` may mean those changed. */
  readonly #read = new Set<string>();
  /** Whether the application set `modified` itself (an in-place change of a read value). */
  #markedModified = false;
  /** The stored record is live but cannot be decoded here: read-only (issue 18 #13). */
  #undecodable = false;

  /**
   * @param store where the session lives.
   * @param key the key the client sent (cookie value); invalid keys count as none.
   * @param settings resolved settings (see `resolveSessionSettings`).
   * @param now clock in milliseconds, for tests.
   */
  constructor(
    store: SessionStore,
    key: string | null | undefined,
    settings: SessionSettings,
    now: () => number = Date.now,
  ) {
    this.#store = store;
    this.#settings = settings;
    this.#now = now;
    this.#key = isValidSessionKey(key) ? key : null;
  }

  /** The current key, or `null` when the session has none (yet). */
  get key(): string | null {
    return this.#key;
  }

  /**
   * Whether the stored session exists but cannot be decoded here (a pickled application class,
   * a `ZoneInfo` datetime, another `SECRET_KEY`): the data reads as empty, the record and its
   * cookie are left as they are, and `save` and `cycleKey` throw `MalformedError` instead of
   * replacing what the other framework may still read. `flush` (logout) still deletes it.
   */
  get undecodable(): boolean {
    return this.#undecodable;
  }

  /** The store this session reads from and writes to. */
  get store(): SessionStore {
    return this.#store;
  }

  /** Whether the data was read or written during this request (drives `Vary: Cookie`). */
  get accessed(): boolean {
    return this.#accessed;
  }

  /** Whether the data changed; set it to `true` after mutating a nested value in place. */
  get modified(): boolean {
    return this.#modified;
  }
  set modified(value: boolean) {
    this.#modified = value;
    this.#markedModified = value;
  }

  /** Whether the data has been loaded (or set) during this request. */
  get loaded(): boolean {
    return this.#cache !== undefined;
  }

  /**
   * Django `is_empty()`: no key and no data. Never touches the store: a session with a key
   * that was never loaded counts as non-empty.
   */
  isEmpty(): boolean {
    return this.#key === null && (this.#cache === undefined || this.#cache.size === 0);
  }

  /** The data, loading it on first use. Marks the session accessed. */
  async #data(): Promise<SessionData> {
    this.#accessed = true;
    if (this.#cache !== undefined) return this.#cache;
    this.#loading ??= this.#load();
    try {
      return await this.#loading;
    } finally {
      this.#loading = undefined;
    }
  }

  async #load(): Promise<SessionData> {
    let data: SessionData | null = null;
    if (this.#key !== null) {
      try {
        if (this.#store.loadVersioned !== undefined) {
          // Also without compare-and-set: it tells an undecodable record from a missing one.
          const loaded = await this.#store.loadVersioned(this.#key);
          data = loaded?.data ?? null;
          if (loaded && this.#merges()) this.#version = loaded.version;
          if (loaded?.undecodable === true) this.#undecodable = true;
        } else {
          data = await this.#store.load(this.#key);
        }
      } catch (err) {
        throw asStoreError(err, this.#store);
      }
    }
    // Django: an unknown or expired key is forgotten, so a new one is made at save time. An
    // undecodable one is kept (read-only): forgetting it would drop the cookie Django reads.
    if (data === null) this.#key = null;
    else if (this.#undecodable) data = new Map();
    else reportForeignExpiry(data.get(EXPIRY_KEY), this.#settings.djangoVersion);
    this.#cache ??= data ?? new Map();
    return this.#cache;
  }

  /** The value stored under `key`, or `undefined`. */
  async get<K extends keyof T & string>(key: K): Promise<T[K] | undefined> {
    const value = (await this.#data()).get(key);
    if (typeof value === "object" && value !== null) this.#read.add(key);
    return value as T[K] | undefined;
  }

  /** Stores `value` under `key`. */
  async set<K extends keyof T & string>(key: K, value: T[K]): Promise<void> {
    (await this.#data()).set(key, value);
    this.#changes.set(key, value);
    this.#modified = true;
  }

  /** Removes `key`; returns whether it was there. Only an actual removal marks the session modified. */
  async delete(key: keyof T & string): Promise<boolean> {
    const removed = (await this.#data()).delete(key);
    if (removed) {
      this.#changes.set(key, DELETED);
      this.#modified = true;
    }
    return removed;
  }

  /** Whether `key` is present. */
  async has(key: keyof T & string): Promise<boolean> {
    return (await this.#data()).has(key);
  }

  /** Removes and returns `key`'s value (Django `pop`). */
  async pop<K extends keyof T & string>(key: K): Promise<T[K] | undefined> {
    const data = await this.#data();
    if (!data.has(key)) return undefined;
    const value = data.get(key) as T[K];
    data.delete(key);
    this.#changes.set(key, DELETED);
    this.#modified = true;
    return value;
  }

  /** Sets several keys at once (Django `update`). */
  async update(values: Partial<T>): Promise<void> {
    const data = await this.#data();
    for (const [key, value] of Object.entries(values) as [string, PyValue | undefined][]) {
      if (value !== undefined) {
        data.set(key, value);
        this.#changes.set(key, value);
      }
    }
    this.#modified = true;
  }

  /** The keys, in insertion order. */
  async keys(): Promise<(keyof T & string)[]> {
    return [...(await this.#data()).keys()] as (keyof T & string)[];
  }

  /** The values, in insertion order. */
  async values(): Promise<PyValue[]> {
    return [...(await this.#data()).values()];
  }

  /** `[key, value]` pairs, in insertion order. */
  async entries(): Promise<[keyof T & string, PyValue][]> {
    return [...(await this.#data()).entries()] as [keyof T & string, PyValue][];
  }

  /** A copy of the whole data as a `Map`. */
  async toMap(): Promise<SessionData> {
    return new Map(await this.#data());
  }

  /** Empties the data but keeps the key (Django `clear`). */
  clear(): void {
    this.#cache = new Map();
    this.#cleared = true;
    this.#changes.clear();
    this.#accessed = true;
    this.#modified = true;
  }

  /** Empties the data, deletes the stored session and forgets the key (Django `flush`; logout). */
  async flush(): Promise<void> {
    this.clear();
    const key = this.#key;
    this.#key = null;
    if (key !== null) await this.#deleteRecord(key);
  }

  /**
   * Moves the data to a new key and deletes the old record (Django `cycle_key`): call it on
   * login so a key known before authentication is worthless after it.
   */
  async cycleKey(): Promise<void> {
    let data = await this.#data();
    this.#refuseUndecodable();
    const old = this.#key;
    // Compare-and-set stores: the old record is first retired (a compare-and-set to an expired,
    // empty value), so a concurrent save of it fails instead of landing in a record about to be
    // deleted, a concurrent cycle (a second login) or logout makes this one fail instead of
    // leaving a second authenticated key behind, and what other requests saved before the
    // retirement is carried to the new key.
    if (old !== null && this.#version !== undefined && this.#merges()) {
      try {
        data = await this.#retire(old, data, this.#version);
      } catch (err) {
        throw asStoreError(err, this.#store);
      }
    }
    await this.#create(data);
    if (old !== null) await this.#deleteRecord(old);
  }

  /**
   * Writes the session. With no key, a new unique key is made (retrying on collision).
   * @throws {SessionStoreError} when the store fails; {@link SessionMissingError} when the
   *   record vanished meanwhile.
   */
  async save(mustCreate = false): Promise<void> {
    this.#refuseUndecodable();
    const data =
      mustCreate || this.#key === null
        ? (this.#cache ?? new Map<string, PyValue>())
        : await this.#peekData();
    // Loading may have dropped an unknown key: then this is a creation. Stores whose key is
    // the data (signed cookies) always "create": the new key is the new signed value.
    if (this.#key === null || this.#store.encodeKey) {
      await this.#create(data);
      return;
    }
    try {
      if (!mustCreate && this.#version !== undefined && this.#merges()) {
        await this.#saveMerging(this.#key, data, this.#version);
      } else {
        await this.#store.save(this.#key, data, { mustCreate, expiry: this.#expiry(data) });
      }
    } catch (err) {
      throw asStoreError(err, this.#store);
    }
  }

  #refuseUndecodable(): void {
    if (this.#undecodable && this.#key !== null) {
      throw new MalformedError(
        `${this.#store.name}: the stored session cannot be decoded here; it is left as it is instead of being overwritten`,
      );
    }
  }

  /** Whether saves are compare-and-set: the setting allows it and the store supports it. */
  #merges(): boolean {
    return (
      this.#settings.concurrentWrites === "merge" &&
      this.#store.loadVersioned !== undefined &&
      this.#store.saveIfUnchanged !== undefined
    );
  }

  /**
   * Compare-and-set against the loaded version; on a conflict, reload, apply this request's
   * own changes on the fresh data and try again. A key gone meanwhile is never written back.
   */
  async #saveMerging(key: string, data: SessionData, version: string): Promise<void> {
    const { saved } = await this.#compareAndSet(key, data, version, (merged) => ({
      value: merged,
      expiry: this.#expiry(merged),
    }));
    // What this request changed is now in the stored version: later saves start from it.
    this.#version = saved;
    this.#changes.clear();
    this.#cleared = false;
    this.#read.clear();
    this.#markedModified = false;
  }

  /**
   * The first step of a key cycle on a compare-and-set store: the old record is written as an
   * empty session with an expiry a day past (which every store deletes or never loads again)
   * if it still holds `version` (merging and retrying as a save does), so no other request can
   * save it any more. Resolves the data to move to the new key: the stored data as of the
   * retirement with this request's changes on top.
   * @throws {SessionMissingError} when the record was deleted meanwhile (a logout, another
   *   cycle): the new key is not made.
   */
  async #retire(key: string, data: SessionData, version: string): Promise<SessionData> {
    const at = this.#now() - 86_400_000;
    const retired = {
      value: new Map<string, PyValue>(),
      expiry: { age: -86_400, date: new Date(at) },
    };
    return (await this.#compareAndSet(key, data, version, () => retired)).data;
  }

  /**
   * Compare-and-set of what `write` makes of the data against `version`; on a conflict,
   * reload, apply this request's own changes on the fresh data and try again. A key gone
   * meanwhile is never written back. Resolves the (merged) data and the version written.
   */
  async #compareAndSet(
    key: string,
    data: SessionData,
    version: string,
    write: (merged: SessionData) => { value: SessionData; expiry: SessionExpiry },
  ): Promise<{ data: SessionData; saved: string }> {
    const store = this.#store;
    for (let attempt = 0; attempt < MAX_MERGE_ATTEMPTS; attempt++) {
      const { value, expiry } = write(data);
      const saved = await store.saveIfUnchanged!(key, value, expiry, version);
      if (saved !== null) return { data, saved };
      const fresh = await store.loadVersioned!(key, true);
      // Deleted (a logout, a revoke, a key cycle) or expired while this request ran: Django's
      // SessionInterrupted. Writing it back would resurrect it.
      if (fresh === null) throw new SessionMissingError();
      if (fresh.undecodable === true) {
        this.#undecodable = true;
        this.#refuseUndecodable();
      }
      data = this.#reapply(fresh.data, data);
      this.#cache = data;
      version = fresh.version;
      this.#version = version;
    }
    throw new SessionStoreError(
      `${store.name}: the session kept changing; ${MAX_MERGE_ATTEMPTS} saves in a row conflicted`,
    );
  }

  /**
   * `fresh` (the stored data as another request left it) with this request's own changes on
   * top: the keys it set and deleted, the values it read and changed in place when `modified`
   * was set, and nothing of `fresh` after `clear()`. For a policy that writes the session
   * itself and merges on a conflicting compare-and-set, as `save` does (Flask-Session's).
   *
   * @example
   * ```ts
   * const fresh = await store.loadVersioned!(key, true);
   * if (fresh) await store.saveIfUnchanged!(key, session.applyChangesTo(fresh.data), expiry, fresh.version);
   * ```
   */
  applyChangesTo(fresh: SessionData): SessionData {
    return this.#reapply(fresh, this.#cache ?? new Map<string, PyValue>());
  }

  /** `fresh` with this request's changes on top (`current` holds in-place changed values). */
  #reapply(fresh: SessionData, current: SessionData): SessionData {
    const merged: SessionData = new Map(this.#cleared ? [] : fresh);
    if (this.#markedModified) {
      // An in-place change is only visible as "a value the application read, then modified".
      for (const key of this.#read) {
        if (current.has(key)) merged.set(key, current.get(key)!);
      }
    }
    for (const [key, value] of this.#changes) {
      if (value === DELETED) merged.delete(key);
      else merged.set(key, value);
    }
    return merged;
  }

  /** Loads without marking the session accessed (saving is not an access). */
  async #peekData(): Promise<SessionData> {
    const accessed = this.#accessed;
    const data = await this.#data();
    this.#accessed = accessed;
    return data;
  }

  async #create(data: SessionData): Promise<void> {
    if (this.#store.encodeKey) {
      this.#key = this.#store.encodeKeyAsync
        ? await this.#store.encodeKeyAsync(data, this.#expiry(data))
        : this.#store.encodeKey(data, this.#expiry(data));
      this.#cache = data;
      this.#modified = true;
      return;
    }
    for (let attempt = 0; attempt < MAX_CREATE_ATTEMPTS; attempt++) {
      const key = generateSessionKey();
      try {
        await this.#store.save(key, data, { mustCreate: true, expiry: this.#expiry(data) });
      } catch (err) {
        if (err instanceof SessionExistsError) continue;
        throw asStoreError(err, this.#store);
      }
      this.#key = key;
      this.#cache = data;
      this.#modified = true;
      // A key made by this request is unknown to any other until the response carries it:
      // later saves in this request write it directly.
      this.#version = undefined;
      return;
    }
    throw new SessionStoreError(`${this.#store.name}: unable to create a new session key`);
  }

  async #deleteRecord(key: string): Promise<void> {
    try {
      await this.#store.delete(key);
    } catch (err) {
      throw asStoreError(err, this.#store);
    }
  }

  // --- expiry (Django `set_expiry` / `get_expiry_age` / `get_expiry_date`) -----------------

  /**
   * Sets when this session expires:
   * - a positive number: that many seconds of inactivity (counted from each save);
   * - `0`: when the browser closes (the server still keeps it for `cookieAge`);
   * - a `Date`: at that instant;
   * - `null`: back to the global policy.
   */
  async setExpiry(value: ExpiryInput): Promise<void> {
    if (value === null) {
      await this.delete(EXPIRY_KEY);
      return;
    }
    if (typeof value === "number") {
      if (!Number.isInteger(value)) throw new InvalidArgumentError("setExpiry takes whole seconds");
      await this.set(EXPIRY_KEY, value as T[string]);
      return;
    }
    const at = PyDateTime.fromDate(value);
    // Django 4.x+ stores `datetime.isoformat()` so the JSON serializer can carry it;
    // 3.2 stores the datetime object itself (only pickle-serialised stores can hold it).
    const stored: PyValue = this.#settings.djangoVersion === "3.2" ? at : at.toISOString();
    await this.set(EXPIRY_KEY, stored as T[string]);
  }

  /** Seconds until expiry, counted from now (Django `get_expiry_age`); may be negative. */
  async getExpiryAge(): Promise<number> {
    return this.#expiry(await this.#data()).age;
  }

  /** The instant the session expires (Django `get_expiry_date`). */
  async getExpiryDate(): Promise<Date> {
    return this.#expiry(await this.#data()).date;
  }

  /** Whether the cookie should be a browser-session cookie (Django `get_expire_at_browser_close`). */
  async getExpireAtBrowserClose(): Promise<boolean> {
    const data = await this.#data();
    if (!data.has(EXPIRY_KEY)) return this.#settings.expireAtBrowserClose;
    return data.get(EXPIRY_KEY) === 0;
  }

  /** Both expiry forms for `data` at the current time. */
  #expiry(data: SessionData): SessionExpiry {
    return computeExpiry(data.get(EXPIRY_KEY), this.#now(), this.#settings.cookieAge);
  }
}

/**
 * Django's `get_expiry_age` and `get_expiry_date` for a stored `_session_expiry` value:
 * none/0 → the cookie age; an int → that many seconds from `nowMs`; a datetime (or its
 * ISO string) → that instant, with the age floored to whole seconds as Django's
 * `days * 86400 + seconds` does.
 */
export function computeExpiry(
  stored: PyValue | undefined,
  nowMs: number,
  cookieAge: number,
): SessionExpiry {
  const absolute = expiryInstant(stored);
  if (absolute !== undefined) {
    return { age: Math.floor((absolute.getTime() - nowMs) / 1000), date: absolute };
  }
  const age = typeof stored === "number" && stored !== 0 ? stored : cookieAge;
  return { age, date: new Date(nowMs + age * 1000) };
}

const reportedForeignExpiry = new Set<string>();

/**
 * What is wrong when a loaded `_session_expiry` has the form another Django version writes (a
 * datetime up to 3.2, ISO text from 4.0), or `undefined` when it has this version's form.
 * Such a value is read either way and never rewritten unless the app calls `setExpiry`, but it
 * says that `djangoVersion` is probably not the Django the sessions are shared with, whose own
 * `get_expiry_age` then fails on it (Django 3.2 answers 500 on the ISO text).
 *
 * @example
 * ```ts
 * foreignExpiryForm("2030-01-02T03:04:05", "3.2"); // "…ISO text, as Django 4.0 and later store it…"
 * ```
 */
export function foreignExpiryForm(
  stored: PyValue | undefined,
  djangoVersion: DjangoVersion,
): string | undefined {
  const foreign =
    djangoVersion === "3.2"
      ? typeof stored === "string" && expiryInstant(stored) !== undefined
      : stored instanceof PyDateTime;
  if (!foreign) return undefined;
  const form =
    djangoVersion === "3.2"
      ? "ISO text, as Django 4.0 and later store it"
      : "a datetime, as Django 3.2 stores it";
  return `a session's ${EXPIRY_KEY} is ${form}, but djangoVersion is "${djangoVersion}": set djangoVersion to the version of the Django these sessions are shared with (the value is read and left as it is)`;
}

/** Says {@link foreignExpiryForm}'s finding once per process and form, never per request. */
function reportForeignExpiry(stored: PyValue | undefined, djangoVersion: DjangoVersion): void {
  const message = foreignExpiryForm(stored, djangoVersion);
  if (message === undefined || reportedForeignExpiry.has(message)) return;
  reportedForeignExpiry.add(message);
  console.warn(`sessionbridge: ${message}`);
}

function expiryInstant(stored: PyValue | undefined): Date | undefined {
  if (stored instanceof PyDateTime) return stored.toDate();
  if (typeof stored !== "string") return undefined;
  try {
    // Django 4.x+ stores `datetime.isoformat()`; a naive value is taken as UTC.
    return parseIsoDateTime(stored).toDate();
  } catch {
    return undefined;
  }
}

/**
 * Wraps what a store throws that is not already typed, so callers can map it to 503.
 * sessionbridge's own errors pass through (a value the serializer cannot hold is an
 * `UnsupportedValueError`, not an outage). Anything else is wrapped, built-in `TypeError`s
 * included: `fetch` reports an unreachable server as `TypeError: fetch failed`, so a custom
 * store over HTTP fails as an outage too; the original stays on `cause`.
 */
function asStoreError(err: unknown, store: SessionStore): SessionBridgeError {
  if (err instanceof SessionBridgeError) return err;
  return new SessionStoreError(`${store.name}: store operation failed`, { cause: err });
}
