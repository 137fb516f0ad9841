/**
 * Django's `backends.cached_db` (django-formats.md §3.3) as a composition of two stores: the
 * database (normally the SQL store on `django_session`) is the truth, and a cache (normally a
 * Redis `DjangoCacheStore` with `engine: "cached_db"`, i.e. key prefix
 * `django.contrib.sessions.cached_db`) holds the raw session dict in front of it.
 *
 * ```
 * load    cache hit → data; miss → DB row (expire_date > now) → cache.set(remaining age)
 *         → row still there? (else cache delete, null)
 * save    DB save (create/update rules) → cache.set(get_expiry_age()) → on an update, row
 *         still there? (else cache delete)
 * exists  cache, then DB          delete  DB, then cache          clearExpired  DB's
 * ```
 *
 * Concurrent requests (only when the database store has `loadVersioned`/`saveIfUnchanged`; else
 * the engine saves blindly, as Django does): the database row is what the compare-and-set
 * compares. A load served from the cache has no database version of its own; when it holds
 * exactly the data this store last wrote under that key (a bounded memo of the latest
 * {@link CachedDbStore.saveIfUnchanged} per key: the row's version and a fingerprint of the
 * data), the save is tried against the version written then, with no extra read. Otherwise
 * (another process or Django wrote it, or the memo forgot it) the first save reports a conflict
 * without any I/O and the engine reloads the latest copy (`latest`: the database), merges and
 * saves against the row. Either way the database decides: a guess that is out of date fails
 * the compare-and-set and takes the reload. The cache is then set as Django sets it, and the
 * row looked at again: if another save or a logout reached it since, the copy just cached may
 * have landed after theirs, so it is deleted and the next load reads the row. Django's own
 * cache sets stay blind: one of Django's landing after ours leaves the cache with Django's
 * copy, without our change, until the next save (the database keeps both; our next save
 * reloads the row, a Django save from that copy writes it back without our change).
 *
 * A failing cache read counts as a miss (Django #17810). A failing cache write after the
 * database write propagates in Django 3.2/4.2 and is logged in 5.1+ (`cacheErrors`). A failing
 * cache delete always propagates: a logged-out session must not live on in the cache.
 *
 * @example
 * ```ts
 * import { CachedDbStore } from "sessionbridge/stores/cached-db";
 * const store = new CachedDbStore({ db: sqlStore, cache: redisCachedDbStore });
 * ```
 */
import { DJANGO_VERSIONS, type DjangoVersion } from "../../codecs/django/version.ts";
import { sessionFingerprint } from "../../internal/session-fingerprint.ts";
import { versionOption } from "../../internal/version-option.ts";
import {
  ConfigurationError,
  SessionExistsError,
  SessionMissingError,
  isSessionBridgeError,
} from "../../errors.ts";
import type {
  SaveOptions,
  SessionData,
  SessionExpiry,
  SessionStore,
  StoreLogger,
  StoredSession,
  StoredSessionPage,
  VersionedSessionData,
  WalkOptions,
} from "../contract.ts";
import { inspectEach } from "../walk.ts";

/**
 * The database half. `expiryOf` (the row's `expire_date`, which the SQL store has) lets a
 * cache miss refill the cache with the row's remaining age, as Django does; without it, a
 * miss is served from the database and not cached (a guessed TTL could outlive the row).
 */
export interface CachedDbDatabase extends SessionStore {
  expiryOf?(key: string): Promise<Date | null>;
  /**
   * Whether the row still holds `version` (the SQL store has it): asked after a
   * compare-and-set save set the cache; without it, `loadVersioned` answers.
   */
  holdsVersion?(key: string, version: string): Promise<boolean>;
}

/** What to do when writing the cache fails after the database write succeeded. */
export type CacheErrorPolicy = "raise" | "log";

/** Options of {@link CachedDbStore}. */
export interface CachedDbStoreOptions {
  /** The database store (the truth), e.g. `createSqlStore(…)`. */
  readonly db: CachedDbDatabase;
  /**
   * The cache store holding raw session dicts under Django's `cached_db` prefix. Its `save`
   * must write regardless of `mustCreate` (a cache `set`) or follow the contract's
   * create/update errors, which this store then retries the other way.
   */
  readonly cache: SessionStore;
  /** Which Django's rules to follow where they differ; default `5.2`. */
  readonly djangoVersion?: DjangoVersion;
  /** Cache write failures: default `"log"` for Django 5.2 (5.1+), `"raise"` for 3.2 and 4.2. */
  readonly cacheErrors?: CacheErrorPolicy;
  /** Where cache failures are reported; default `console.warn`. */
  readonly logger?: StoreLogger;
  /** Clock in milliseconds, for tests; default `Date.now`. */
  readonly now?: () => number;
}

const consoleLogger: StoreLogger = {
  warn(message, detail) {
    console.warn(`sessionbridge: ${message}`, detail ?? "");
  },
};

/**
 * The version of a session served from the cache: no database version matches it (those are
 * the stored text or a digest), so the first save goes through a reload from the database.
 */
const FROM_CACHE = "\u0000cache";

/**
 * Keys whose last compare-and-set this store remembers (see the module notes): enough for the
 * sessions in flight at once, a bound on the memory (each entry holds the row's text).
 */
const MEMO_SIZE = 1024;

/** What the memo holds of this store's last successful compare-and-set of a key. */
interface Written {
  /** The database version written. */
  readonly version: string;
  /** {@link sessionFingerprint} of the data written (what the cache was then set to). */
  readonly fingerprint: string;
  /** With a compare-and-set cache: the version of the cache entry written. */
  readonly cacheVersion?: string;
}

/** A cache store's compare-and-set pair, bound to it. */
interface VersionedCache {
  loadVersioned(key: string): Promise<VersionedSessionData | null>;
  saveIfUnchanged(
    key: string,
    data: SessionData,
    expiry: SessionExpiry,
    expected: string,
  ): Promise<string | null>;
}

/** The cache version of an empty entry: a cache compare-and-set against it only creates. */
const NO_ENTRY = "";
/** A cache version no entry has (the cache's state is not known): never compared against. */
const UNKNOWN = "?";

/**
 * A cache version and a database version as one version, opaque to the engine (cache versions
 * are SHA-1 hex or write numbers: never a NUL).
 */
function bothVersions(cache: string, db: string): string {
  return `${cache}\u0000${db}`;
}

function splitVersions(version: string): { cache: string; db: string } {
  const at = version.indexOf("\u0000");
  if (at < 0) return { cache: UNKNOWN, db: version };
  return { cache: version.slice(0, at), db: version.slice(at + 1) };
}

/** Attempts at writing the cache when its store answers "exists"/"missing" (create ⇄ update). */
const CACHE_WRITE_ATTEMPTS = 3;

/**
 * Cached, database-backed sessions, sharing both halves with Django's `cached_db` engine.
 *
 * @example
 * ```ts
 * const store = new CachedDbStore({
 *   db: createSqlStore({ database: await openDatabaseUrl(url), codec }),
 *   cache: new DjangoCacheStore({ client, engine: "cached_db" }),
 *   djangoVersion: "4.2",
 * });
 * ```
 */
export class CachedDbStore implements SessionStore {
  /** `cached_db(<db name>+<cache name>)`. */
  readonly name: string;
  readonly #db: CachedDbDatabase;
  readonly #cache: SessionStore;
  readonly #cacheErrors: CacheErrorPolicy;
  readonly #logger: StoreLogger;
  readonly #now: () => number;
  /** The cache's compare-and-set pair, when both halves have it (see `#loadBothVersioned`). */
  readonly #cacheCas: VersionedCache | undefined;
  /** The database's `loadVersioned`, when it has the compare-and-set pair. */
  readonly #dbLoadVersioned: SessionStore["loadVersioned"];
  /** The last compare-and-set per key, least recently written first (see the module notes). */
  readonly #written = new Map<string, Written>();
  /** Compare-and-set, present when the database store has it (see the module notes). */
  readonly loadVersioned?: (key: string, latest?: boolean) => Promise<VersionedSessionData | null>;
  /** See {@link CachedDbStore.loadVersioned}. */
  readonly saveIfUnchanged?: (
    key: string,
    data: SessionData,
    expiry: SessionExpiry,
    expected: string,
  ) => Promise<string | null>;

  constructor(options: CachedDbStoreOptions) {
    this.#db = options.db;
    // Taken off the store to call with `.call(db, …)`: checked once, here.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const { loadVersioned, saveIfUnchanged } = options.db;
    if (loadVersioned && saveIfUnchanged) {
      this.#dbLoadVersioned = loadVersioned;
      this.loadVersioned = (key, latest) => this.#loadVersioned(loadVersioned, key, latest);
      this.saveIfUnchanged = (key, data, expiry, expected) =>
        this.#saveIfUnchanged(saveIfUnchanged, key, data, expiry, expected);
    }
    this.#cache = options.cache;
    const cache = options.cache;
    this.#cacheCas =
      this.#dbLoadVersioned !== undefined &&
      cache.loadVersioned !== undefined &&
      cache.saveIfUnchanged !== undefined
        ? {
            loadVersioned: (key) => cache.loadVersioned!(key),
            saveIfUnchanged: (key, data, expiry, expected) =>
              cache.saveIfUnchanged!(key, data, expiry, expected),
          }
        : undefined;
    const djangoVersion = versionOption({
      name: "djangoVersion",
      value: options.djangoVersion,
      allowed: DJANGO_VERSIONS,
      fallback: "5.2",
    });
    const policy: string = options.cacheErrors ?? defaultCacheErrors(djangoVersion);
    if (policy !== "raise" && policy !== "log") {
      throw new ConfigurationError('cacheErrors must be "raise" or "log"');
    }
    this.#cacheErrors = policy;
    this.#logger = options.logger ?? consoleLogger;
    this.#now = options.now ?? Date.now;
    this.name = `cached_db(${this.#db.name}+${this.#cache.name})`;
  }

  /** The database half. */
  get db(): CachedDbDatabase {
    return this.#db;
  }

  /** The cache half. */
  get cache(): SessionStore {
    return this.#cache;
  }

  async load(key: string): Promise<SessionData | null> {
    try {
      const cached = await this.#cache.load(key);
      if (cached !== null) return cached;
    } catch (err) {
      // Django: "Some backends (e.g. memcache) raise an exception on invalid cache keys. If
      // this happens, reset the session. See #17810." — then it reads the database.
      this.#report("Session cache read failed; reading the database", err);
    }
    const row = await this.#loadRow(key);
    if (row === null) return null;
    // Refilled, then the row looked at again: a logout that deleted it meanwhile wins.
    if (row.expiry === null) return row.data;
    const refilled = await this.#refill(key, row.data, row.expiry, false, row.version);
    return refilled === "gone" ? null : row.data;
  }

  /**
   * A cache hit (unless `latest`) has the version this store last wrote when it holds the data
   * written then, else {@link FROM_CACHE}, which no save matches; a miss, or `latest`, is the
   * database's `loadVersioned` (a miss refills the cache as `load` does; `latest`, the reload
   * before a compare-and-set save, leaves the cache to that save).
   */
  async #loadVersioned(
    loadVersioned: NonNullable<SessionStore["loadVersioned"]>,
    key: string,
    latest = false,
  ): Promise<VersionedSessionData | null> {
    const cas = this.#cacheCas;
    if (cas !== undefined) return this.#loadBothVersioned(loadVersioned, cas, key, latest);
    if (!latest) {
      try {
        const cached = await this.#cache.load(key);
        if (cached !== null) return { data: cached, version: this.#versionOf(key, cached) };
      } catch (err) {
        this.#report("Session cache read failed; reading the database", err);
      }
    }
    const [row, date] = await Promise.all([
      loadVersioned.call(this.#db, key),
      latest ? Promise.resolve(null) : this.#expiryDate(key),
    ]);
    if (row === null) return null;
    // `latest` is the engine's reload before a compare-and-set save, which sets the cache; an
    // undecodable row is never copied into the cache as an empty session.
    if (latest || date === null || row.undecodable === true) return row;
    const refilled = await this.#refill(key, row.data, this.#expiryAt(date), false, row.version);
    return refilled === "gone" ? null : row;
  }

  /**
   * The database's compare-and-set, then the cache set, then the row looked at again; a
   * cache-served version this store did not write conflicts with no I/O.
   */
  async #saveIfUnchanged(
    saveIfUnchanged: NonNullable<SessionStore["saveIfUnchanged"]>,
    key: string,
    data: SessionData,
    expiry: SessionExpiry,
    expected: string,
  ): Promise<string | null> {
    const cas = this.#cacheCas;
    if (cas !== undefined) return this.#saveBoth(saveIfUnchanged, cas, key, data, expiry, expected);
    if (expected === FROM_CACHE) return null;
    this.#written.delete(key);
    const version = await saveIfUnchanged.call(this.#db, key, data, expiry, expected);
    if (version === null) return null;
    // Fingerprinted before the cache write: the data is what the cache is set to.
    const fingerprint = expiry.age > 0 ? sessionFingerprint(data) : undefined;
    const refilled = await this.#refill(key, data, expiry, true, version);
    if (refilled === "held" && fingerprint !== undefined) {
      this.#remember(key, { version, fingerprint });
    }
    return version;
  }

  /**
   * {@link CachedDbStore.loadVersioned} with a cache that has compare-and-set too: the version
   * is the cache entry's version (`""`: none) and the row's, joined (see {@link bothVersions}).
   * A hit takes the row version from the memo when the entry is the one this store last wrote
   * (same cache version), else {@link FROM_CACHE}. A miss refills the cache only if it is still
   * empty (a cache set of a newer save that landed meanwhile is never overwritten), then looks
   * at the row. `latest` reads the row and the entry's version at once.
   */
  async #loadBothVersioned(
    loadVersioned: NonNullable<SessionStore["loadVersioned"]>,
    cas: VersionedCache,
    key: string,
    latest: boolean,
  ): Promise<VersionedSessionData | null> {
    let cacheVersion = NO_ENTRY;
    if (!latest) {
      try {
        const cached = await cas.loadVersioned(key);
        if (cached !== null) {
          const written = this.#written.get(key);
          const db = written?.cacheVersion === cached.version ? written.version : FROM_CACHE;
          return { data: cached.data, version: bothVersions(cached.version, db) };
        }
      } catch (err) {
        this.#report("Session cache read failed; reading the database", err);
        cacheVersion = UNKNOWN;
      }
    }
    const [row, date, entry] = await Promise.all([
      loadVersioned.call(this.#db, key),
      latest ? Promise.resolve(null) : this.#expiryDate(key),
      latest ? this.#cacheVersionNow(cas, key) : Promise.resolve(cacheVersion),
    ]);
    if (row === null) return null;
    if (latest || date === null)
      return { data: row.data, version: bothVersions(entry, row.version) };
    // The refill, only into an entry still empty; then the row looked at again: changed or
    // deleted meanwhile (a save, a logout), the copy just cached goes.
    if (entry === NO_ENTRY) {
      const refilled = await this.#cacheSetIf(cas, key, row.data, this.#expiryAt(date), NO_ENTRY);
      if (refilled !== null) {
        if (await this.#holds(key, row.version)) {
          return { data: row.data, version: bothVersions(refilled, row.version) };
        }
        await this.#cache.delete(key);
        if (!(await this.#db.exists(key))) return null;
      }
    }
    return { data: row.data, version: bothVersions(UNKNOWN, row.version) };
  }

  /**
   * {@link CachedDbStore.saveIfUnchanged} with a cache that has compare-and-set: the row's
   * compare-and-set, then the cache entry set only if it still holds what it held when the
   * session was loaded (else deleted). So no copy of ours ever lands over a later save's: that
   * save wrote the row after ours, and its cache set either comes after ours or has already
   * changed the entry, which makes ours a delete. An entry that was empty or unknown at the
   * load is deleted (never created: a logout's delete may be what emptied it).
   */
  async #saveBoth(
    saveIfUnchanged: NonNullable<SessionStore["saveIfUnchanged"]>,
    cas: VersionedCache,
    key: string,
    data: SessionData,
    expiry: SessionExpiry,
    expected: string,
  ): Promise<string | null> {
    const { cache, db } = splitVersions(expected);
    if (db === FROM_CACHE) return null;
    this.#written.delete(key);
    const version = await saveIfUnchanged.call(this.#db, key, data, expiry, db);
    if (version === null) return null;
    if (expiry.age <= 0) {
      // Django: a cache set with a timeout <= 0 deletes (a key cycle retiring the old record).
      await this.#cacheDrop(key);
      return bothVersions(UNKNOWN, version);
    }
    const written =
      cache === NO_ENTRY || cache === UNKNOWN
        ? null
        : await this.#cacheSetIf(cas, key, data, expiry, cache);
    if (written === null) await this.#cacheDrop(key);
    else this.#remember(key, { version, fingerprint: "", cacheVersion: written });
    return bothVersions(written ?? UNKNOWN, version);
  }

  /**
   * The cache delete that stands for a cache set after a saved row (the database write is
   * done): a failure follows the cache error policy, as a failed set does in Django.
   */
  async #cacheDrop(key: string): Promise<void> {
    try {
      await this.#cache.delete(key);
    } catch (err) {
      if (this.#cacheErrors === "raise") throw err;
      this.#report("Error saving to cache", err);
    }
  }

  /** The cache entry's version now: {@link NO_ENTRY} when empty, {@link UNKNOWN} if unreadable. */
  async #cacheVersionNow(cas: VersionedCache, key: string): Promise<string> {
    try {
      return (await cas.loadVersioned(key))?.version ?? NO_ENTRY;
    } catch (err) {
      this.#report("Session cache read failed; reading the database", err);
      return UNKNOWN;
    }
  }

  /**
   * The cache's compare-and-set (`expected` {@link NO_ENTRY}: only into an empty entry), with
   * the cache error policy; resolves the entry's new version, or `null` when it was not written.
   */
  async #cacheSetIf(
    cas: VersionedCache,
    key: string,
    data: SessionData,
    expiry: SessionExpiry,
    expected: string,
  ): Promise<string | null> {
    try {
      return await cas.saveIfUnchanged(key, data, expiry, expected);
    } catch (err) {
      if (this.#cacheErrors === "raise") throw err;
      this.#report("Error saving to cache", err);
      return null;
    }
  }

  /** The version last written under `key` if `cached` is the data written then, else {@link FROM_CACHE}. */
  #versionOf(key: string, cached: SessionData): string {
    const written = this.#written.get(key);
    if (written === undefined || sessionFingerprint(cached) !== written.fingerprint) {
      return FROM_CACHE;
    }
    return written.version;
  }

  #remember(key: string, written: Written): void {
    this.#written.set(key, written);
    if (this.#written.size > MEMO_SIZE) {
      const oldest = this.#written.keys().next();
      if (oldest.done !== true) this.#written.delete(oldest.value);
    }
  }

  async exists(key: string): Promise<boolean> {
    // Django: `(prefix + key) in self._cache or super().exists(key)`.
    if (await this.#cache.exists(key)) return true;
    return this.#db.exists(key);
  }

  async save(key: string, data: SessionData, options: SaveOptions): Promise<void> {
    this.#written.delete(key);
    await this.#db.save(key, data, options);
    // Django: `self._cache.set(self.cache_key, self._session, self.get_expiry_age())`. An
    // update then looks at the row (a new key is unknown to any logout).
    if (options.mustCreate) await this.#cacheWrite(key, data, options.expiry, false);
    else await this.#refill(key, data, options.expiry, true, undefined);
  }

  async delete(key: string): Promise<void> {
    this.#written.delete(key);
    await this.#db.delete(key);
    await this.#cache.delete(key);
  }

  /**
   * The database's walk: the table is the truth for listing (a cache entry whose row is gone
   * still loads until it expires; walk {@link CachedDbStore.cache} to reach those too).
   *
   * @throws {ConfigurationError} when the database half cannot walk.
   */
  walk(options: WalkOptions = {}): AsyncIterable<StoredSessionPage> {
    if (this.#db.walk === undefined) {
      throw new ConfigurationError(`${this.#db.name} cannot walk its sessions`);
    }
    return this.#db.walk(options);
  }

  /** The database's row, expired or not (the truth, as for {@link CachedDbStore.walk}). */
  inspect(key: string): Promise<StoredSession | null> {
    if (this.#db.inspect === undefined) {
      return Promise.reject(new ConfigurationError(`${this.#db.name} cannot inspect a session`));
    }
    return this.#db.inspect(key);
  }

  /**
   * The database's rows for many keys, in one query where the database store batches
   * (`inspectMany` of the SQL store), the truth as for {@link CachedDbStore.inspect}.
   */
  inspectMany(keys: readonly string[]): Promise<Map<string, StoredSession>> {
    const db = this.#db;
    if (db.inspectMany !== undefined) return db.inspectMany(keys);
    if (db.inspect === undefined) {
      return Promise.reject(new ConfigurationError(`${db.name} cannot inspect a session`));
    }
    return inspectEach(keys, (key) => db.inspect!(key));
  }

  /** The database's count. */
  count(options: { readonly activeOnly?: boolean } = {}): Promise<number> {
    if (this.#db.count === undefined) {
      return Promise.reject(new ConfigurationError(`${this.#db.name} cannot count its sessions`));
    }
    return this.#db.count(options);
  }

  /** The database's (cache entries expire by their TTL). */
  clearExpired(): Promise<number> {
    return this.#db.clearExpired();
  }

  /**
   * The row (with its version when the database has one) and, when the database can tell, its
   * remaining life as Django's `get_expiry_age(expiry=s.expire_date)`. Both queries run at once.
   */
  async #loadRow(key: string): Promise<{
    data: SessionData;
    version: string | undefined;
    expiry: SessionExpiry | null;
  } | null> {
    const loadVersioned = this.#dbLoadVersioned;
    const [row, date] = await Promise.all([
      loadVersioned === undefined
        ? this.#db.load(key).then((data) => (data === null ? null : { data, version: undefined }))
        : loadVersioned.call(this.#db, key),
      this.#expiryDate(key),
    ]);
    if (row === null) return null;
    return { ...row, expiry: date === null ? null : this.#expiryAt(date) };
  }

  /** The row's `expire_date`, when the database store can tell it. */
  #expiryDate(key: string): Promise<Date | null> {
    const expiryOf = this.#db.expiryOf?.bind(this.#db);
    return expiryOf === undefined ? Promise.resolve(null) : expiryOf(key);
  }

  /** Django's `get_expiry_age(expiry=s.expire_date)` for a row's date. */
  #expiryAt(date: Date): SessionExpiry {
    return { age: Math.floor((date.getTime() - this.#now()) / 1000), date };
  }

  /**
   * Django's `cache.set(key, data, age)`: an age ≤ 0 deletes (django-redis and `RedisCache`
   * both do). With a cache store that distinguishes create from update, the likely one is
   * tried first and the other on `SessionExistsError`/`SessionMissingError`.
   */
  async #cacheWrite(
    key: string,
    data: SessionData,
    expiry: SessionExpiry,
    likelyExists: boolean,
  ): Promise<void> {
    try {
      if (expiry.age <= 0) {
        await this.#cache.delete(key);
        return;
      }
      let mustCreate = !likelyExists;
      for (let attempt = 1; ; attempt++) {
        try {
          await this.#cache.save(key, data, { mustCreate, expiry });
          return;
        } catch (err) {
          const flip = err instanceof SessionExistsError || err instanceof SessionMissingError;
          if (!flip || attempt >= CACHE_WRITE_ATTEMPTS) throw err;
          mustCreate = !mustCreate;
        }
      }
    } catch (err) {
      // Django 5.1+: `logger.exception("Error saving to cache (%s)", self._cache)`; before: raised.
      if (this.#cacheErrors === "raise") throw err;
      this.#report("Error saving to cache", err);
    }
  }

  /**
   * The cache write after a database save or a database read, then a look at the row: if a
   * logout deleted it meanwhile (database, then cache), the copy just cached is deleted again,
   * so a deleted session never lives on in the cache (Django's cached_db can refill it). With
   * the `version` the data was read or written as (compare-and-set databases), a row changed
   * meanwhile (another save, Django's included) drops the copy just cached too: it may have
   * landed after that save's own cache write and be the older one, which Django would load
   * and save back. The order is what makes it hold: either the look sees the change, or the
   * other side's cache write or delete comes after this one. Resolves `"held"` (the row is as
   * written or read), `"changed"` (cache entry dropped) or `"gone"`.
   */
  async #refill(
    key: string,
    data: SessionData,
    expiry: SessionExpiry,
    likelyExists: boolean,
    version: string | undefined,
  ): Promise<"held" | "changed" | "gone"> {
    await this.#cacheWrite(key, data, expiry, likelyExists);
    if (version !== undefined && (await this.#holds(key, version))) return "held";
    const exists = await this.#db.exists(key);
    if (exists && version === undefined) return "held";
    await this.#cache.delete(key);
    return exists ? "changed" : "gone";
  }

  /** Whether the row still holds `version` (see {@link CachedDbDatabase.holdsVersion}). */
  async #holds(key: string, version: string): Promise<boolean> {
    if (this.#db.holdsVersion !== undefined) return this.#db.holdsVersion(key, version);
    const loadVersioned = this.#dbLoadVersioned;
    if (loadVersioned === undefined) return this.#db.exists(key);
    return (await loadVersioned.call(this.#db, key))?.version === version;
  }

  #report(message: string, err: unknown): void {
    // Only the error's class and code: a driver's message might quote a key.
    this.#logger.warn(message, {
      store: this.#cache.name,
      reason: err instanceof Error ? err.name : "unknown",
      ...(isSessionBridgeError(err) ? { code: err.code } : {}),
    });
  }
}

/**
 * Creates a {@link CachedDbStore}.
 *
 * @example
 * ```ts
 * const store = createCachedDbStore({ db: sqlStore, cache: new MemoryStore() });
 * ```
 */
export function createCachedDbStore(options: CachedDbStoreOptions): CachedDbStore {
  return new CachedDbStore(options);
}

/**
 * Django's own behaviour for a failed cache write after the database write: raised up to 5.0,
 * logged from 5.1 (`Error saving to cache`).
 *
 * @example
 * ```ts
 * defaultCacheErrors("4.2"); // "raise"
 * ```
 */
export function defaultCacheErrors(version: DjangoVersion): CacheErrorPolicy {
  return version === "3.2" || version === "4.2" ? "raise" : "log";
}
