import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PyDateTime, type PyValue } from "../../src/codecs/python-values.ts";
import { resolveSessionSettings } from "../../src/engine/config.ts";
import { generateSessionKey, isValidSessionKey } from "../../src/engine/keys.ts";
import { EXPIRY_KEY, Session, computeExpiry } from "../../src/engine/session.ts";
import { MalformedError, SessionExistsError, SessionStoreError } from "../../src/errors.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DjangoSessionCodec } from "../../src/codecs/django/session-encoding.ts";
import { commitResponseSession } from "../../src/engine/http.ts";
import { createSqlStore, sqliteDatabase } from "../../src/stores/sql/index.ts";
import type { SaveOptions, SessionData, SessionStore } from "../../src/stores/contract.ts";
import { MemoryStore } from "../../src/stores/memory/index.ts";

const settings = resolveSessionSettings();
const NOW = 1_700_000_000_000;

/** A MemoryStore that counts calls, to prove laziness. */
class CountingStore extends MemoryStore {
  loads = 0;
  saves: { key: string; options: SaveOptions }[] = [];
  override load(key: string): Promise<SessionData | null> {
    this.loads++;
    return super.load(key);
  }
  override save(key: string, data: SessionData, options: SaveOptions): Promise<void> {
    this.saves.push({ key, options });
    return super.save(key, data, options);
  }
}

async function storedSession(
  store: SessionStore,
  entries: [string, string | number][],
): Promise<string> {
  const s = new Session(store, null, settings);
  for (const [k, v] of entries) await s.set(k, v);
  await s.save();
  return s.key!;
}

describe("session keys", () => {
  it("are 32 chars of [a-z0-9] and unique", () => {
    const keys = new Set(Array.from({ length: 1000 }, () => generateSessionKey()));
    assert.equal(keys.size, 1000);
    for (const k of keys) assert.match(k, /^[a-z0-9]{32}$/);
  });
  it("shorter than 8 characters count as no key", () => {
    assert.equal(isValidSessionKey("1234567"), false);
    assert.equal(isValidSessionKey("12345678"), true);
    assert.equal(new Session(new MemoryStore(), "short", settings).key, null);
  });
});

describe("Session", () => {
  it("does no store I/O until the data is first read", async () => {
    const store = new CountingStore();
    const key = await storedSession(store, [["a", 1]]);
    const s = new Session(store, key, settings);
    assert.equal(store.loads, 0);
    assert.equal(s.accessed, false);
    assert.equal(await s.get("a"), 1);
    await s.get("a");
    assert.equal(store.loads, 1);
    assert.equal(s.accessed, true);
    assert.equal(s.modified, false);
  });

  it("loads once even when reads race", async () => {
    const store = new CountingStore();
    const key = await storedSession(store, [["a", 1]]);
    const s = new Session(store, key, settings);
    await Promise.all([s.get("a"), s.has("a"), s.keys()]);
    assert.equal(store.loads, 1);
  });

  it("marks modified only on real changes, as Django does", async () => {
    const s = new Session(new MemoryStore(), null, settings);
    assert.equal(await s.delete("missing"), false);
    assert.equal(await s.pop("missing"), undefined);
    assert.equal(s.modified, false);
    await s.set("x", 1);
    assert.equal(s.modified, true);
  });

  it("drops an unknown client key, so a fresh one is made at save (no fixation)", async () => {
    const store = new MemoryStore();
    const attackerKey = "attackerchosenkey000000000000000";
    const s = new Session(store, attackerKey, settings);
    await s.set("x", 1);
    assert.equal(s.key, null);
    await s.save();
    assert.notEqual(s.key, attackerKey);
    assert.match(s.key!, /^[a-z0-9]{32}$/);
    assert.equal(await store.exists(attackerKey), false);
  });

  it("cycleKey keeps the data under a new key and deletes the old record", async () => {
    const store = new MemoryStore();
    const key = await storedSession(store, [["cart", "apple"]]);
    const s = new Session(store, key, settings);
    await s.cycleKey();
    assert.notEqual(s.key, key);
    assert.equal(await store.exists(key), false);
    assert.equal((await store.load(s.key!))?.get("cart"), "apple");
    assert.equal(await s.get("cart"), "apple");
  });

  it("flush drops data, record and key", async () => {
    const store = new MemoryStore();
    const key = await storedSession(store, [["a", 1]]);
    const s = new Session(store, key, settings);
    await s.flush();
    assert.equal(s.key, null);
    assert.equal(s.isEmpty(), true);
    assert.equal(await store.exists(key), false);
  });

  it("retries creation on a key collision", async () => {
    let collisions = 2;
    class CollidingStore extends MemoryStore {
      override save(key: string, data: SessionData, options: SaveOptions): Promise<void> {
        if (options.mustCreate && collisions-- > 0) return Promise.reject(new SessionExistsError());
        return super.save(key, data, options);
      }
    }
    const s = new Session(new CollidingStore(), null, settings);
    await s.set("a", 1);
    await s.save();
    assert.equal(collisions, -1);
    assert.notEqual(s.key, null);
  });

  it("wraps an untyped store failure as SessionStoreError without leaking the cause's text", async () => {
    class BrokenStore extends MemoryStore {
      override load(): Promise<SessionData | null> {
        return Promise.reject(new Error("connect ECONNREFUSED password=hunter2"));
      }
    }
    const s = new Session(new BrokenStore(), "abcdefgh12345678", settings);
    await assert.rejects(s.get("a"), (err: unknown) => {
      assert.ok(err instanceof SessionStoreError);
      assert.equal(err.code, "store-unavailable");
      assert.doesNotMatch(err.message, /hunter2/);
      return true;
    });
  });

  it("wraps a built-in TypeError too: fetch's way of saying the server is unreachable", async () => {
    // A store over HTTP whose server is down: a closed port on this machine.
    class HttpStore extends MemoryStore {
      override async load(): Promise<SessionData | null> {
        const response = await fetch("http://127.0.0.1:9/session");
        return (await response.json()) as SessionData;
      }
    }
    const s = new Session(new HttpStore(), "abcdefgh12345678", settings);
    await assert.rejects(s.get("a"), (err: unknown) => {
      assert.ok(err instanceof SessionStoreError);
      assert.ok(err.cause instanceof TypeError, String(err.cause));
      return true;
    });
  });
});

describe("expiry (Django set_expiry / get_expiry_age / get_expiry_date)", () => {
  const clock = () => NOW;
  it("defaults to the cookie age", async () => {
    const s = new Session(new MemoryStore(), null, settings, clock);
    assert.equal(await s.getExpiryAge(), 1_209_600);
    assert.equal((await s.getExpiryDate()).getTime(), NOW + 1_209_600_000);
    assert.equal(await s.getExpireAtBrowserClose(), false);
  });
  it("takes seconds, 0 for browser close (server keeps the cookie age), and null to reset", async () => {
    const s = new Session(new MemoryStore(), null, settings, clock);
    await s.setExpiry(300);
    assert.equal(await s.getExpiryAge(), 300);
    await s.setExpiry(0);
    assert.equal(await s.getExpireAtBrowserClose(), true);
    assert.equal(await s.getExpiryAge(), 1_209_600);
    await s.setExpiry(null);
    assert.equal(await s.has(EXPIRY_KEY), false);
    assert.equal(await s.getExpireAtBrowserClose(), false);
  });
  it("stores a Date as isoformat (4.x+) or a datetime (3.2), and floors the age", async () => {
    const s = new Session(new MemoryStore(), null, settings, clock);
    await s.setExpiry(new Date(NOW + 60_500));
    assert.equal(await s.get(EXPIRY_KEY), "2023-11-14T22:14:20.500000+00:00");
    assert.equal(await s.getExpiryAge(), 60);
    const old = new Session(
      new MemoryStore(),
      null,
      resolveSessionSettings({ djangoVersion: "3.2" }),
      clock,
    );
    await old.setExpiry(new Date(NOW - 500));
    assert.ok((await old.get(EXPIRY_KEY)) instanceof PyDateTime);
    assert.equal(await old.getExpiryAge(), -1);
  });
  it("reads the forms Django stores: int, iso with and without offset/microseconds", () => {
    assert.equal(computeExpiry(42, NOW, 1209600).age, 42);
    assert.equal(computeExpiry("2023-11-14T23:13:20+00:00", NOW, 1209600).age, 3600);
    assert.equal(computeExpiry("2023-11-14T23:13:20", NOW, 1209600).age, 3600);
    assert.equal(computeExpiry("2023-11-15T00:13:20.250000+01:00", NOW, 1209600).age, 3600);
  });
});

describe("_session_expiry written by another Django version (issue 19 #2)", () => {
  it("is recognised, read, said once per process, and never rewritten by an unrelated change", async () => {
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (message: string) => void warnings.push(message);
    try {
      const store = new MemoryStore();
      const expiry = { age: 3600, date: new Date(Date.now() + 3_600_000) };
      const iso = "2030-01-02T03:04:05.000006";
      const key = generateSessionKey();
      await store.save(
        key,
        new Map<string, PyValue>([
          ["cart", 1],
          [EXPIRY_KEY, iso],
        ]),
        { mustCreate: true, expiry },
      );
      const on32 = resolveSessionSettings({ djangoVersion: "3.2" });
      for (let i = 0; i < 3; i++) {
        const s = new Session(store, key, on32);
        assert.equal((await s.getExpiryDate()).toISOString(), "2030-01-02T03:04:05.000Z");
        await s.set("cart", i + 2);
        await s.save();
        assert.equal((await store.load(key))!.get(EXPIRY_KEY), iso, "left as Django 4+ wrote it");
      }
      assert.equal(warnings.length, 1, warnings.join("\n"));
      assert.match(
        warnings[0]!,
        /^sessionbridge: a session's _session_expiry is ISO text, as Django 4\.0 and later store it, but djangoVersion is "3\.2": set djangoVersion/,
      );
      // The other way round: a datetime (a pickled 3.2 session) read with 4.2's rules.
      const key2 = generateSessionKey();
      const dt = PyDateTime.fromDate(new Date("2030-01-02T03:04:05Z"));
      await store.save(key2, new Map([[EXPIRY_KEY, dt]]), { mustCreate: true, expiry });
      const s = new Session(store, key2, resolveSessionSettings({ djangoVersion: "4.2" }));
      await s.get("cart");
      assert.equal(warnings.length, 2);
      assert.match(
        warnings[1]!,
        /is a datetime, as Django 3\.2 stores it, but djangoVersion is "4\.2"/,
      );
      // This version's own forms say nothing.
      const own = new Session(store, null, resolveSessionSettings({ djangoVersion: "4.2" }));
      await own.setExpiry(new Date("2031-01-01T00:00:00Z"));
      await own.save();
      await new Session(store, own.key, resolveSessionSettings({ djangoVersion: "4.2" })).get("x");
      assert.equal(warnings.length, 2);
    } finally {
      console.warn = warn;
    }
  });
});

// Issue 18 #13: a live stored session that cannot be decoded here (here: signed with the Django
// project's SECRET_KEY while Node was given another) reads as empty but keeps its key, so the
// response neither deletes the cookie nor makes a new key; saves and key cycles are refused and
// the row stays as it is; a logout (flush) still deletes it.
describe("Session: a stored session that cannot be decoded here", () => {
  it("is empty and read-only, keeps its key and row; flush still deletes it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sb-undecodable-"));
    const database = await sqliteDatabase(join(dir, "db.sqlite3"));
    let warnings = 0;
    try {
      const djangoSide = createSqlStore({
        database,
        codec: new DjangoSessionCodec({ secret: "the-django-project-key" }),
      });
      await djangoSide.ensureSessionTable();
      const store = createSqlStore({
        database,
        codec: new DjangoSessionCodec({ secret: "another-key" }),
        logger: {
          warn: () => {
            warnings++;
          },
        },
      });
      const key = generateSessionKey();
      const expiry = { age: 3600, date: new Date(Date.now() + 3_600_000) };
      await djangoSide.save(key, new Map([["_auth_user_id", "1"]]), { mustCreate: true, expiry });
      const row = async (): Promise<unknown> =>
        (
          await database.query("SELECT session_data FROM django_session WHERE session_key = ?", [
            key,
          ])
        )[0]?.["session_data"];
      const stored = await row();
      const settings = resolveSessionSettings({ djangoVersion: "5.2", saveEveryRequest: true });
      for (const concurrentWrites of ["merge", "overwrite"] as const) {
        const session = new Session(store, key, { ...settings, concurrentWrites });
        assert.equal(await session.get("_auth_user_id"), undefined);
        assert.equal(session.undecodable, true);
        assert.equal(session.key, key);
        assert.equal(session.isEmpty(), false, "no deleting Set-Cookie");
        const rs = { session, hadCookie: true };
        assert.deepEqual(await commitResponseSession(rs, settings, 200), {
          setCookie: [],
          varyCookie: true,
        });
        await session.set("cart", [1]);
        await assert.rejects(session.save(), MalformedError);
        await assert.rejects(session.cycleKey(), MalformedError);
        assert.equal(await row(), stored);
      }
      assert.equal(warnings, 1, "logged once, not on every request");
      const logout = new Session(store, key, settings);
      await logout.get("x");
      await logout.flush();
      assert.equal(await row(), undefined);
    } finally {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
