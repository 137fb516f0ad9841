// CachedDbStore over a real SQLite SQL store and a MemoryStore cache: Django's cached_db order
// of operations, round trips, cache refill with the row's remaining age, and the cache error
// policies of Django 3.2/4.2 (raise) and 5.1+ (log).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { DjangoSessionCodec } from "../../../src/codecs/django/session-encoding.ts";
import type { PyValue, SessionData } from "../../../src/codecs/python-values.ts";
import { resolveSessionSettings } from "../../../src/engine/config.ts";
import { Session } from "../../../src/engine/session.ts";
import {
  ConfigurationError,
  SessionExistsError,
  SessionMissingError,
  SessionStoreError,
} from "../../../src/errors.ts";
import {
  CachedDbStore,
  createCachedDbStore,
  defaultCacheErrors,
  type CacheErrorPolicy,
} from "../../../src/stores/cached-db/index.ts";
import type {
  SaveOptions,
  SessionExpiry,
  SessionStore,
  StoreLogger,
  VersionedSessionData,
} from "../../../src/stores/contract.ts";
import { MemoryStore } from "../../../src/stores/memory/index.ts";
import {
  createSqlStore,
  openDatabaseUrl,
  type SqlSessionStore,
} from "../../../src/stores/sql/index.ts";

const codec = new DjangoSessionCodec({ secret: "cached-db-test-secret" });
const DAY = 86_400_000;

type Op =
  | "load"
  | "exists"
  | "save"
  | "delete"
  | "clearExpired"
  | "expiryOf"
  | "loadVersioned"
  | "saveIfUnchanged"
  | "holdsVersion";

/** Wraps a store, records every call, and fails the operations listed in `failing`. */
class Spy implements SessionStore {
  readonly calls: { op: Op; key?: string; options?: SaveOptions }[] = [];
  readonly failing = new Set<Op>();
  readonly name: string;
  constructor(readonly inner: SessionStore & { expiryOf?(key: string): Promise<Date | null> }) {
    this.name = `spy:${inner.name}`;
  }
  #call<T>(op: Op, run: () => Promise<T>, key?: string, options?: SaveOptions): Promise<T> {
    this.calls.push({ op, ...(key === undefined ? {} : { key }), ...(options ? { options } : {}) });
    if (this.failing.has(op)) return Promise.reject(new SessionStoreError(`${this.name}: down`));
    return run();
  }
  ops(): Op[] {
    return this.calls.map((c) => c.op);
  }
  reset(): void {
    this.calls.length = 0;
    this.failing.clear();
  }
  load(key: string): Promise<SessionData | null> {
    return this.#call("load", () => this.inner.load(key), key);
  }
  exists(key: string): Promise<boolean> {
    return this.#call("exists", () => this.inner.exists(key), key);
  }
  save(key: string, data: SessionData, options: SaveOptions): Promise<void> {
    return this.#call("save", () => this.inner.save(key, data, options), key, options);
  }
  delete(key: string): Promise<void> {
    return this.#call("delete", () => this.inner.delete(key), key);
  }
  clearExpired(): Promise<number> {
    return this.#call("clearExpired", () => this.inner.clearExpired());
  }
}

/** A Spy that also exposes the SQL store's `expiryOf`. */
class DbSpy extends Spy {
  declare readonly inner: SqlSessionStore;
  expiryOf(key: string): Promise<Date | null> {
    this.calls.push({ op: "expiryOf", key });
    return this.inner.expiryOf(key);
  }
}

/** A DbSpy with the SQL store's compare-and-set pair, so the cached_db store has it too. */
class VersionedDbSpy extends DbSpy {
  loadVersioned(key: string): Promise<VersionedSessionData | null> {
    this.calls.push({ op: "loadVersioned", key });
    return this.inner.loadVersioned(key);
  }
  saveIfUnchanged(
    key: string,
    data: SessionData,
    expiry: SessionExpiry,
    expected: string,
  ): Promise<string | null> {
    this.calls.push({ op: "saveIfUnchanged", key });
    return this.inner.saveIfUnchanged(key, data, expiry, expected);
  }
  holdsVersion(key: string, version: string): Promise<boolean> {
    this.calls.push({ op: "holdsVersion", key });
    return this.inner.holdsVersion(key, version);
  }
}

/** A Spy on a MemoryStore with the memory store's compare-and-set pair (a Redis cache has it). */
class VersionedCacheSpy extends Spy {
  declare readonly inner: MemoryStore;
  loadVersioned(key: string): Promise<VersionedSessionData | null> {
    this.calls.push({ op: "loadVersioned", key });
    return this.inner.loadVersioned(key);
  }
  saveIfUnchanged(
    key: string,
    data: SessionData,
    expiry: SessionExpiry,
    expected: string,
  ): Promise<string | null> {
    this.calls.push({ op: "saveIfUnchanged", key });
    if (this.failing.has("saveIfUnchanged")) {
      return Promise.reject(new SessionStoreError(`${this.name}: down`));
    }
    return this.inner.saveIfUnchanged(key, data, expiry, expected);
  }
}

function newKey(): string {
  return randomBytes(16).toString("hex");
}

function map(entries: Record<string, PyValue>): SessionData {
  return new Map(Object.entries(entries));
}

/** A session `{ n: 0 }` written through `s` by the engine, and its key. */
async function counter(s: CachedDbStore): Promise<string> {
  const session = new Session(s, null, resolveSessionSettings());
  await session.set("n", 0);
  await session.save();
  return session.key!;
}

/** One request through the engine: load, `n` + 1, save. */
async function increment(s: CachedDbStore, key: string): Promise<void> {
  const session = new Session(s, key, resolveSessionSettings());
  await session.set("n", ((await session.get("n")) as number) + 1);
  await session.save();
}

/**
 * A request loads the session, another logs out (flush), then the first saves: refused as
 * Django's `SessionInterrupted`, and neither the row nor the cache entry comes back.
 */
async function assertLogoutNotSavedBack(
  s: CachedDbStore,
  key: string,
  stores: { readonly sql: SqlSessionStore; readonly cache: SessionStore },
): Promise<void> {
  const stale = new Session(s, key, resolveSessionSettings());
  await stale.get("n");
  await new Session(s, key, resolveSessionSettings()).flush();
  await stale.set("late", 1);
  await assert.rejects(stale.save(), SessionMissingError);
  assert.equal(await stores.sql.exists(key), false);
  assert.equal(await stores.cache.exists(key), false);
}

function expiryIn(ms: number): SessionExpiry {
  return { age: Math.floor(ms / 1000), date: new Date(Date.now() + ms) };
}

function recordingLogger(): StoreLogger & { calls: { message: string; detail: unknown }[] } {
  const calls: { message: string; detail: unknown }[] = [];
  return {
    calls,
    warn(message, detail) {
      calls.push({ message, detail });
    },
  };
}

describe("CachedDbStore (SQLite + MemoryStore)", () => {
  let dir: string;
  let sql: SqlSessionStore;
  let db: DbSpy;
  let cache: Spy;
  const logger = recordingLogger();

  function store(cacheErrors?: CacheErrorPolicy): CachedDbStore {
    return createCachedDbStore({
      db,
      cache,
      logger,
      ...(cacheErrors ? { cacheErrors } : {}),
    });
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "sb-cached-db-"));
    sql = createSqlStore({
      database: await openDatabaseUrl(`sqlite:${join(dir, "db.sqlite3")}`),
      codec,
      logger: { warn: () => undefined },
    });
    await sql.ensureSessionTable();
    db = new DbSpy(sql);
    cache = new Spy(new MemoryStore());
  });
  after(async () => {
    await sql.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    db.reset();
    cache.reset();
    logger.calls.length = 0;
  });

  it("is named after both halves", () => {
    assert.equal(store().name, "cached_db(spy:sql:sqlite+spy:memory)");
  });

  it("create: one DB insert, one cache write; load then hits only the cache", async () => {
    const s = store();
    const key = newKey();
    const expiry = expiryIn(14 * DAY);
    await s.save(key, map({ user: "alice" }), { mustCreate: true, expiry });
    assert.deepEqual(db.ops(), ["save"]);
    assert.deepEqual(cache.ops(), ["save"]);
    assert.equal(cache.calls[0]!.options!.mustCreate, true);
    assert.equal(cache.calls[0]!.options!.expiry, expiry, "Django: get_expiry_age() at save");
    db.reset();
    cache.reset();
    assert.deepEqual(await s.load(key), map({ user: "alice" }));
    assert.deepEqual(cache.ops(), ["load"]);
    assert.deepEqual(db.ops(), [], "a cache hit never reaches the database");
  });

  it("update: one DB update, one cache write (update first)", async () => {
    const s = store();
    const key = newKey();
    await s.save(key, map({ n: 1 }), { mustCreate: true, expiry: expiryIn(DAY) });
    db.reset();
    cache.reset();
    await s.save(key, map({ n: 2 }), { mustCreate: false, expiry: expiryIn(DAY) });
    // Then the row is looked at again (a logout meanwhile must not leave the cache filled).
    assert.deepEqual(db.ops(), ["save", "exists"]);
    assert.deepEqual(cache.ops(), ["save"]);
    assert.equal(cache.calls[0]!.options!.mustCreate, false);
    assert.deepEqual(await sql.load(key), map({ n: 2 }));
    assert.deepEqual(await cache.inner.load(key), map({ n: 2 }));
  });

  it("writes the cache even when its entry was evicted (update → create)", async () => {
    const s = store();
    const key = newKey();
    await s.save(key, map({ n: 1 }), { mustCreate: true, expiry: expiryIn(DAY) });
    await cache.inner.delete(key);
    await s.save(key, map({ n: 2 }), { mustCreate: false, expiry: expiryIn(DAY) });
    assert.deepEqual(await cache.inner.load(key), map({ n: 2 }));
  });

  it("propagates the DB's create/update errors and then leaves the cache alone", async () => {
    const s = store();
    const key = newKey();
    await s.save(key, map({ n: 1 }), { mustCreate: true, expiry: expiryIn(DAY) });
    cache.reset();
    await assert.rejects(
      s.save(key, map({ n: 9 }), { mustCreate: true, expiry: expiryIn(DAY) }),
      SessionExistsError,
    );
    await assert.rejects(
      s.save(newKey(), map({ n: 9 }), { mustCreate: false, expiry: expiryIn(DAY) }),
      SessionMissingError,
    );
    assert.deepEqual(cache.ops(), []);
    assert.deepEqual(await s.load(key), map({ n: 1 }));
  });

  it("miss: reads the DB (row + expire_date at once) and refills the cache with the remaining age", async () => {
    const s = store();
    const key = newKey();
    const expiry = expiryIn(3 * DAY);
    await sql.save(key, map({ from: "django" }), { mustCreate: true, expiry });
    assert.deepEqual(await s.load(key), map({ from: "django" }));
    assert.deepEqual(cache.ops(), ["load", "save"]);
    assert.deepEqual(db.ops().sort(), ["exists", "expiryOf", "load"]);
    assert.equal(db.ops().at(-1), "exists", "the row is looked at after the cache write");
    const fill = cache.calls[1]!.options!;
    assert.equal(fill.mustCreate, true);
    // Django: `get_expiry_age(expiry=s.expire_date)` (floored seconds).
    assert.ok(Math.abs(fill.expiry.age - 3 * 86_400) <= 1, String(fill.expiry.age));
    assert.equal(fill.expiry.date.getTime(), expiry.date.getTime());
    assert.deepEqual(await cache.inner.load(key), map({ from: "django" }));
  });

  it("miss on an expired or unknown row: null and nothing cached", async () => {
    const s = store();
    const key = newKey();
    await sql.save(key, map({ a: 1 }), { mustCreate: true, expiry: expiryIn(-1000) });
    assert.equal(await s.load(key), null);
    assert.equal(await s.load(newKey()), null);
    assert.ok(!cache.ops().includes("save"));
  });

  it("does not cache a miss when the DB cannot tell its expiry", async () => {
    const plainDb = new Spy(sql);
    const s = new CachedDbStore({ db: plainDb, cache });
    const key = newKey();
    await sql.save(key, map({ a: 1 }), { mustCreate: true, expiry: expiryIn(DAY) });
    assert.deepEqual(await s.load(key), map({ a: 1 }));
    assert.deepEqual(cache.ops(), ["load"]);
  });

  it("saving an already expired session deletes the cache entry (cache.set with timeout <= 0)", async () => {
    const s = store();
    const key = newKey();
    await s.save(key, map({ a: 1 }), { mustCreate: true, expiry: expiryIn(DAY) });
    cache.reset();
    const past: SessionExpiry = { age: -5, date: new Date(Date.now() - 5000) };
    await s.save(key, map({ a: 2 }), { mustCreate: false, expiry: past });
    assert.deepEqual(cache.ops(), ["delete"]);
    assert.equal(await cache.inner.exists(key), false);
  });

  it("a logout landing before the cache write leaves nothing in the cache (Django's refill)", async () => {
    /** Deletes the session (database, then cache: a logout) just before each cache write. */
    class LogoutFirst extends Spy {
      override async save(key: string, data: SessionData, options: SaveOptions): Promise<void> {
        await sql.delete(key);
        await this.inner.delete(key);
        await super.save(key, data, options);
      }
    }
    const racing = new LogoutFirst(new MemoryStore());
    const s = new CachedDbStore({ db, cache: racing, logger });
    // A cache miss read the row, then the logout, then the refill: no session, nothing cached.
    const missed = newKey();
    await sql.save(missed, map({ user: "alice" }), { mustCreate: true, expiry: expiryIn(DAY) });
    assert.equal(await s.load(missed), null);
    assert.equal(await racing.inner.exists(missed), false);
    // An update saved the row, then the logout, then the cache set: nothing cached.
    const updated = newKey();
    await sql.save(updated, map({ user: "alice" }), { mustCreate: true, expiry: expiryIn(DAY) });
    await s.save(updated, map({ user: "alice", n: 1 }), {
      mustCreate: false,
      expiry: expiryIn(DAY),
    });
    assert.equal(await racing.inner.exists(updated), false);
    assert.equal(await s.load(updated), null, "the logged-out session stays logged out");
  });

  it("exists: cache first, then DB", async () => {
    const s = store();
    const key = newKey();
    await s.save(key, map({ a: 1 }), { mustCreate: true, expiry: expiryIn(DAY) });
    db.reset();
    cache.reset();
    assert.equal(await s.exists(key), true);
    assert.deepEqual(db.ops(), []);
    await cache.inner.delete(key);
    assert.equal(await s.exists(key), true);
    assert.deepEqual(db.ops(), ["exists"]);
    assert.equal(await s.exists(newKey()), false);
  });

  it("delete: DB then cache", async () => {
    const s = store();
    const key = newKey();
    await s.save(key, map({ a: 1 }), { mustCreate: true, expiry: expiryIn(DAY) });
    const order: string[] = [];
    db.calls.length = 0;
    cache.calls.length = 0;
    await s.delete(key);
    order.push(...db.calls.map((c) => `db:${c.op}`), ...cache.calls.map((c) => `cache:${c.op}`));
    assert.deepEqual(order, ["db:delete", "cache:delete"]);
    assert.equal(await s.load(key), null);
  });

  it("clearExpired is the database's", async () => {
    const s = store();
    await sql.save(newKey(), map({ a: 1 }), { mustCreate: true, expiry: expiryIn(-DAY) });
    const removed = await s.clearExpired();
    assert.ok(removed >= 1);
    assert.deepEqual(cache.ops(), []);
  });

  describe("cache failures", () => {
    it("a failing cache read is a miss: the DB answers (Django #17810)", async () => {
      const s = store();
      const key = newKey();
      await sql.save(key, map({ a: 1 }), { mustCreate: true, expiry: expiryIn(DAY) });
      cache.failing.add("load");
      assert.deepEqual(await s.load(key), map({ a: 1 }));
      assert.equal(logger.calls.length, 1);
      assert.match(logger.calls[0]!.message, /cache read failed/);
    });

    it("Django 3.2/4.2 raise a failing cache write after the DB write", async () => {
      for (const version of ["3.2", "4.2"] as const) {
        assert.equal(defaultCacheErrors(version), "raise");
        const s = new CachedDbStore({ db, cache, logger, djangoVersion: version });
        const key = newKey();
        cache.failing.add("save");
        await assert.rejects(
          s.save(key, map({ a: 1 }), { mustCreate: true, expiry: expiryIn(DAY) }),
          SessionStoreError,
        );
        assert.deepEqual(await sql.load(key), map({ a: 1 }), "the DB write stands");
        cache.failing.clear();
      }
    });

    it("Django 5.1+ log it and succeed (the default)", async () => {
      assert.equal(defaultCacheErrors("5.2"), "log");
      const s = store();
      const key = newKey();
      cache.failing.add("save");
      await s.save(key, map({ a: 1 }), { mustCreate: true, expiry: expiryIn(DAY) });
      assert.equal(logger.calls.length, 1);
      assert.equal(logger.calls[0]!.message, "Error saving to cache");
      assert.ok(!JSON.stringify(logger.calls).includes(key));
      cache.failing.clear();
      assert.deepEqual(await s.load(key), map({ a: 1 }), "served from the DB afterwards");
    });

    it("an explicit policy overrides the version's", async () => {
      const s = new CachedDbStore({ db, cache, logger, djangoVersion: "4.2", cacheErrors: "log" });
      cache.failing.add("save");
      await s.save(newKey(), map({ a: 1 }), { mustCreate: true, expiry: expiryIn(DAY) });
      assert.throws(
        () => new CachedDbStore({ db, cache, cacheErrors: "ignore" as CacheErrorPolicy }),
        ConfigurationError,
      );
    });

    it("a failing cache delete always propagates (a logged-out session must not survive in the cache)", async () => {
      const s = store("log");
      const key = newKey();
      await s.save(key, map({ a: 1 }), { mustCreate: true, expiry: expiryIn(DAY) });
      cache.failing.add("delete");
      await assert.rejects(s.delete(key), SessionStoreError);
    });

    it("a failing database fails the operation, whatever the cache", async () => {
      const s = store("log");
      db.failing.add("save");
      await assert.rejects(
        s.save(newKey(), map({ a: 1 }), { mustCreate: true, expiry: expiryIn(DAY) }),
        SessionStoreError,
      );
      assert.deepEqual(cache.ops(), []);
    });
  });

  describe("compare-and-set (a database store that has it)", () => {
    it("a cache-served load of what this store last wrote saves with no database read", async () => {
      const versioned = new VersionedDbSpy(sql);
      const s = new CachedDbStore({ db: versioned, cache });
      const key = await counter(s);
      versioned.reset();
      // Created by a plain insert: the first save after a cache-served load reads the row.
      await increment(s, key);
      assert.deepEqual(versioned.ops(), ["loadVersioned", "saveIfUnchanged", "holdsVersion"]);
      versioned.reset();
      cache.reset();
      // Then the cache holds what `s` wrote: compared against the version written then.
      await increment(s, key);
      await increment(s, key);
      assert.deepEqual(versioned.ops(), [
        "saveIfUnchanged",
        "holdsVersion",
        "saveIfUnchanged",
        "holdsVersion",
      ]);
      assert.deepEqual(cache.ops(), ["load", "save", "load", "save"]);
      assert.deepEqual(await sql.load(key), map({ n: 3 }));
      assert.deepEqual(await cache.inner.load(key), map({ n: 3 }));
    });

    it("the database decides: a row changed behind an unchanged cache is reloaded and merged", async () => {
      const versioned = new VersionedDbSpy(sql);
      const s = new CachedDbStore({ db: versioned, cache });
      const key = await counter(s);
      await increment(s, key);
      // Django's save reached the row, its cache write has not (yet): the cache still holds
      // exactly what `s` wrote, the version `s` remembers is out of date.
      await sql.save(key, map({ n: 1, django: "yes" }), {
        mustCreate: false,
        expiry: expiryIn(DAY),
      });
      versioned.reset();
      await increment(s, key);
      assert.deepEqual(versioned.ops(), [
        "saveIfUnchanged",
        "loadVersioned",
        "saveIfUnchanged",
        "holdsVersion",
      ]);
      assert.deepEqual(await sql.load(key), map({ n: 2, django: "yes" }));
    });

    it("a cache another writer set is not taken for this store's version", async () => {
      const versioned = new VersionedDbSpy(sql);
      const s = new CachedDbStore({ db: versioned, cache });
      const key = await counter(s);
      await increment(s, key);
      // Django wrote both halves: other data in the cache than `s` wrote.
      const theirs = map({ n: 5, django: "yes" });
      await sql.save(key, theirs, { mustCreate: false, expiry: expiryIn(DAY) });
      await cache.inner.save(key, theirs, { mustCreate: false, expiry: expiryIn(DAY) });
      versioned.reset();
      await increment(s, key);
      // No compare-and-set bound to fail: the row is read first.
      assert.deepEqual(versioned.ops(), ["loadVersioned", "saveIfUnchanged", "holdsVersion"]);
      assert.deepEqual(await sql.load(key), map({ n: 6, django: "yes" }));
    });

    it("drops its cache set when another save reached the row before it landed", async () => {
      const theirs = map({ n: 7, django: "yes" });
      /** Django's whole save (row, then cache) lands just before our cache set, once. */
      class DjangoFirst extends Spy {
        armed = false;
        override async save(key: string, data: SessionData, options: SaveOptions): Promise<void> {
          if (this.armed) {
            this.armed = false;
            await sql.save(key, theirs, { mustCreate: false, expiry: expiryIn(DAY) });
            await this.inner.save(key, theirs, options);
          }
          await super.save(key, data, options);
        }
      }
      const racing = new DjangoFirst(new MemoryStore());
      const s = new CachedDbStore({ db: new VersionedDbSpy(sql), cache: racing });
      const key = await counter(s);
      racing.armed = true;
      await increment(s, key);
      // Our copy landed last in the cache but is older than the row: dropped, so the next
      // load reads the row (Django's) instead of ours.
      assert.equal(await racing.inner.exists(key), false);
      assert.deepEqual(await s.load(key), theirs);
      await increment(s, key);
      assert.deepEqual(await sql.load(key), map({ n: 8, django: "yes" }));
    });

    it("a logout forgets the version: a stale cached copy is never saved back", async () => {
      const s = new CachedDbStore({ db: new VersionedDbSpy(sql), cache });
      const key = await counter(s);
      await increment(s, key);
      await assertLogoutNotSavedBack(s, key, { sql, cache: cache.inner });
    });
  });

  describe("compare-and-set on both halves (a cache that has it too)", () => {
    it("after its first save, a request is one cache read, the row's and the cache's compare-and-set", async () => {
      const db = new VersionedDbSpy(sql);
      const versioned = new VersionedCacheSpy(new MemoryStore());
      const s = new CachedDbStore({ db, cache: versioned });
      const key = await counter(s);
      await increment(s, key);
      db.reset();
      versioned.reset();
      await increment(s, key);
      assert.deepEqual(db.ops(), ["saveIfUnchanged"], "no row read, no look at the row after");
      assert.deepEqual(versioned.ops(), ["loadVersioned", "saveIfUnchanged"]);
      assert.deepEqual(await sql.load(key), map({ n: 2 }));
      assert.deepEqual(await versioned.inner.load(key), map({ n: 2 }));
    });

    it("never sets its copy over the cache set of a save that reached the row after it", async () => {
      const theirs = map({ n: 7, django: "yes" });
      /** Django's whole save (row, then cache) lands just before our conditional cache set, once. */
      class DjangoFirst extends VersionedCacheSpy {
        armed = false;
        override async saveIfUnchanged(
          key: string,
          data: SessionData,
          expiry: SessionExpiry,
          expected: string,
        ): Promise<string | null> {
          if (this.armed) {
            this.armed = false;
            await sql.save(key, theirs, { mustCreate: false, expiry: expiryIn(DAY) });
            await this.inner.save(key, theirs, { mustCreate: false, expiry: expiryIn(DAY) });
          }
          return super.saveIfUnchanged(key, data, expiry, expected);
        }
      }
      const racing = new DjangoFirst(new MemoryStore());
      const s = new CachedDbStore({ db: new VersionedDbSpy(sql), cache: racing });
      const key = await counter(s);
      await increment(s, key);
      racing.armed = true;
      await increment(s, key);
      // Ours would have been the older copy: the entry is dropped, the next load reads the row.
      assert.equal(await racing.inner.exists(key), false);
      assert.deepEqual(await s.load(key), theirs);
      await increment(s, key);
      assert.deepEqual(await sql.load(key), map({ n: 8, django: "yes" }));
    });

    it("a cache down while saving: Django 5.1+ log it and the row is saved, 3.2/4.2 raise", async () => {
      for (const cacheErrors of ["log", "raise"] as const) {
        const versioned = new VersionedCacheSpy(new MemoryStore());
        const s = new CachedDbStore({
          db: new VersionedDbSpy(sql),
          cache: versioned,
          logger,
          cacheErrors,
        });
        const key = await counter(s);
        await increment(s, key);
        versioned.failing.add("saveIfUnchanged");
        versioned.failing.add("delete");
        logger.calls.length = 0;
        if (cacheErrors === "log") {
          await increment(s, key);
          // The conditional set, then the delete that stands for it: both reported.
          assert.deepEqual(
            logger.calls.map((c) => c.message),
            ["Error saving to cache", "Error saving to cache"],
          );
        } else {
          await assert.rejects(increment(s, key), SessionStoreError);
        }
        assert.deepEqual(await sql.load(key), map({ n: 2 }), "the row is saved either way");
      }
    });

    it("refills an empty entry only while it is empty, and never saves a logged-out session back", async () => {
      const versioned = new VersionedCacheSpy(new MemoryStore());
      const s = new CachedDbStore({ db: new VersionedDbSpy(sql), cache: versioned });
      const key = await counter(s);
      await versioned.inner.delete(key);
      const loaded = await s.loadVersioned!(key);
      assert.deepEqual(loaded?.data, map({ n: 0 }));
      assert.deepEqual(await versioned.inner.load(key), map({ n: 0 }), "refilled");
      await assertLogoutNotSavedBack(s, key, { sql, cache: versioned.inner });
    });
  });

  describe("with the engine", () => {
    it("creates, reads, cycles and flushes through Session", async () => {
      const s = store();
      const settings = resolveSessionSettings();
      const a = new Session(s, null, settings);
      await a.set("user", "alice");
      await a.save();
      const key = a.key!;
      const b = new Session(s, key, settings);
      assert.equal(await b.get("user"), "alice");
      await b.cycleKey();
      assert.notEqual(b.key, key);
      assert.equal(await sql.exists(key), false);
      assert.equal(await cache.inner.exists(key), false);
      const cycled = b.key!;
      assert.equal(await new Session(s, cycled, settings).get("user"), "alice");
      await b.flush();
      assert.equal(await sql.exists(cycled), false);
      assert.equal(await cache.inner.exists(cycled), false);
    });
  });
});
