// The store behaviour every dialect must share, run by each dialect's test file against its
// real database, in a table of its own.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  ConfigurationError,
  SessionExistsError,
  SessionMissingError,
  SessionStoreError,
} from "../../../src/errors.ts";
import type { PyValue, SessionData } from "../../../src/codecs/python-values.ts";
import type { SessionExpiry } from "../../../src/stores/contract.ts";
import {
  createSqlStore,
  type SqlDatabase,
  type SqlDialect,
  type SqlSessionStore,
} from "../../../src/stores/sql/index.ts";
import { quoteIdentifier } from "../../../src/internal/sql/identifiers.ts";
import { codec, newKey, recordingLogger, testClock, uniqueTable } from "./helpers.ts";

const NOW = Date.UTC(2023, 10, 28, 22, 0, 0);
const DAY = 86_400_000;

/** An expiry at `ms` as the engine would compute it. */
export function expiryAt(ms: number, now = NOW): SessionExpiry {
  return { age: Math.floor((ms - now) / 1000), date: new Date(ms) };
}

/** `?` or `$n` for raw SQL in tests. */
export function placeholder(dialect: SqlDialect, n: number): string {
  return dialect === "postgres" ? `$${n}` : "?";
}

export function sqlStoreSuite(dialect: SqlDialect, open: () => Promise<SqlDatabase>): void {
  describe(`SqlSessionStore contract (${dialect})`, () => {
    const table = uniqueTable(dialect);
    const q = (name: string): string => quoteIdentifier(dialect, name);
    const p = (n: number): string => placeholder(dialect, n);
    const clock = testClock(NOW);
    const logger = recordingLogger();
    let database: SqlDatabase;
    let store: SqlSessionStore;
    const later = expiryAt(NOW + 14 * DAY);

    before(async () => {
      database = await open();
      store = createSqlStore({ database, codec, table, logger, now: clock.now });
      await store.ensureSessionTable();
      await store.ensureSessionTable(); // idempotent
    });

    after(async () => {
      await database.execute(`DROP TABLE ${q(table)}`, []);
      await store.close();
    });

    it("is named after its dialect", () => {
      assert.equal(store.name, `sql:${dialect}`);
      assert.equal(store.table, table);
    });

    it("creates, loads, updates and deletes", async () => {
      const key = newKey();
      assert.equal(await store.exists(key), false);
      await store.save(key, new Map([["foo", "bar"]]), { mustCreate: true, expiry: later });
      assert.equal(await store.exists(key), true);
      assert.deepEqual(await store.load(key), new Map([["foo", "bar"]]));

      const updated: SessionData = new Map<string, PyValue>([
        ["foo", "baz"],
        ["n", 1],
      ]);
      await store.save(key, updated, { mustCreate: false, expiry: later });
      assert.deepEqual(await store.load(key), updated);

      // The stored value is exactly what Django's SessionBase.encode produces.
      const rows = await database.query(
        `SELECT session_data FROM ${q(table)} WHERE session_key = ${p(1)}`,
        [key],
      );
      assert.deepEqual(codec.decode(String(rows[0]?.["session_data"])), await store.load(key));

      await store.delete(key);
      assert.equal(await store.load(key), null);
      assert.equal(await store.exists(key), false);
      await store.delete(key); // a missing key is not an error
    });

    it("rejects a mustCreate save on a taken key with SessionExistsError", async () => {
      const key = newKey();
      await store.save(key, new Map([["a", 1]]), { mustCreate: true, expiry: later });
      await assert.rejects(
        store.save(key, new Map([["a", 2]]), { mustCreate: true, expiry: later }),
        SessionExistsError,
      );
      assert.deepEqual(await store.load(key), new Map([["a", 1]]));
    });

    it("rejects an update of a missing row with SessionMissingError", async () => {
      await assert.rejects(
        store.save(newKey(), new Map([["a", 1]]), { mustCreate: false, expiry: later }),
        SessionMissingError,
      );
    });

    it("accepts an update that writes identical values", async () => {
      const key = newKey();
      const data = new Map([["same", true]]);
      await store.save(key, data, { mustCreate: true, expiry: later });
      await store.save(key, data, { mustCreate: false, expiry: later });
      await store.save(key, data, { mustCreate: false, expiry: later });
      assert.deepEqual(await store.load(key), data);
    });

    it("hides expired rows from load but not from exists; clearExpired removes < now", async (t) => {
      t.after(() => {
        clock.set(NOW);
      });
      clock.set(NOW + DAY);
      const now = clock.now();
      const past = newKey();
      const exact = newKey();
      const future = newKey();
      await store.save(past, new Map([["k", "past"]]), {
        mustCreate: true,
        expiry: expiryAt(now - 1, now),
      });
      await store.save(exact, new Map([["k", "exact"]]), {
        mustCreate: true,
        expiry: expiryAt(now, now),
      });
      await store.save(future, new Map([["k", "future"]]), {
        mustCreate: true,
        expiry: expiryAt(now + 1, now),
      });
      // load: expire_date > now (the row expiring exactly now is already gone for load)
      assert.equal(await store.load(past), null);
      assert.equal(await store.load(exact), null);
      assert.deepEqual(await store.load(future), new Map([["k", "future"]]));
      assert.equal(await store.exists(past), true);
      assert.equal(await store.exists(exact), true);
      // clear_expired: expire_date < now; every other row of this table expires later
      assert.equal(await store.clearExpired(), 1);
      assert.equal(await store.exists(past), false);
      assert.equal(await store.exists(exact), true);
      assert.equal(await store.exists(future), true);
      clock.set(now + 2);
      assert.equal(await store.clearExpired(), 2);
      assert.equal(await store.exists(exact), false);
    });

    it("reads expire_date back to the millisecond", async () => {
      const key = newKey();
      const date = Date.UTC(2023, 10, 28, 22, 13, 20, 123);
      await store.save(key, new Map(), { mustCreate: true, expiry: expiryAt(date) });
      assert.equal((await store.expiryOf(key))?.toISOString(), "2023-11-28T22:13:20.123Z");
      assert.equal(await store.expiryOf(newKey()), null);
    });

    it("touch rewrites expire_date only, and never creates a row", async () => {
      const key = newKey();
      await store.save(key, new Map([["x", "y"]]), { mustCreate: true, expiry: later });
      const moved = Date.UTC(2024, 0, 2, 3, 4, 5, 6);
      await store.touch(key, expiryAt(moved));
      assert.equal((await store.expiryOf(key))?.getTime(), moved);
      assert.deepEqual(await store.load(key), new Map([["x", "y"]]));
      const missing = newKey();
      await store.touch(missing, expiryAt(moved));
      assert.equal(await store.exists(missing), false);
    });

    it("answers null and warns (without key or data) for an undecodable row", async () => {
      const key = newKey();
      const bad = "eyJmb28iOiJiYXIifQ:1r31eq:not-the-signature";
      await database.execute(
        `INSERT INTO ${q(table)} (session_key, session_data, expire_date) VALUES (${p(1)}, ${p(2)}, ${p(3)})`,
        [key, bad, dialect === "postgres" ? "2099-01-01 00:00:00+00" : "2099-01-01 00:00:00"],
      );
      const before = logger.calls.length;
      assert.equal(await store.load(key), null);
      assert.equal(logger.calls.length, before + 1);
      const logged = JSON.stringify(logger.calls.at(-1));
      assert.ok(!logged.includes(key), "full key in log");
      assert.ok(!logged.includes(bad) && !logged.includes("eyJmb28"), "session data in log");
      assert.equal(await store.exists(key), true);
    });

    it("refuses a row over the codec's bound as too-large before any parsing, and keeps it (issue 18 #7)", async () => {
      const key = newKey();
      const huge = "}".repeat(4 * 1024 * 1024);
      await database.execute(
        `INSERT INTO ${q(table)} (session_key, session_data, expire_date) VALUES (${p(1)}, ${p(2)}, ${p(3)})`,
        [key, huge, dialect === "postgres" ? "2099-01-01 00:00:00+00" : "2099-01-01 00:00:00"],
      );
      assert.equal(await store.load(key), null);
      assert.equal(
        (logger.calls.at(-1)?.detail as { reason?: string } | undefined)?.reason,
        "too-large",
      );
      assert.equal(await store.exists(key), true);
      await store.delete(key);
    });

    it("walks every row in key order, resumably, and inspects and counts them", async () => {
      // A table of its own, so that the walk sees exactly these rows.
      const walkTable = uniqueTable(`${dialect}_walk`);
      const walked = createSqlStore({ database, codec, table: walkTable, logger, now: clock.now });
      await walked.ensureSessionTable();
      try {
        const keys = Array.from({ length: 5 }, () => newKey()).sort();
        for (const [i, key] of keys.entries()) {
          // The second one expired a second ago; the others expire i days ahead.
          const at = i === 1 ? NOW - 1000 : NOW + (i + 1) * DAY;
          await walked.save(key, new Map([["i", i]]), { mustCreate: true, expiry: expiryAt(at) });
        }
        const bad = "eyJmb28iOiJiYXIifQ:1r31eq:not-the-signature";
        const badKey = `${keys[4]!}z`; // sorts last
        await database.execute(
          `INSERT INTO ${q(walkTable)} (session_key, session_data, expire_date) VALUES (${p(1)}, ${p(2)}, ${p(3)})`,
          [badKey, bad, dialect === "postgres" ? "2099-01-01 00:00:00+00" : "2099-01-01 00:00:00"],
        );
        const pages = [];
        for await (const page of walked.walk({ batchSize: 2 })) pages.push(page);
        assert.deepEqual(
          pages.map((page) => page.sessions.map((session) => session.key)),
          [keys.slice(0, 2), keys.slice(2, 4), [keys[4], badKey]],
        );
        assert.deepEqual(
          pages.map((page) => page.position),
          [keys[1], keys[3], ""],
        );
        const all = pages.flatMap((page) => page.sessions);
        assert.deepEqual(all[0], {
          key: keys[0],
          data: new Map([["i", 0]]),
          expireDate: new Date(NOW + DAY),
        });
        assert.equal(all[5]?.data, null, "an undecodable row is listed with null data");
        // Resumed after the first page, in another walk; activeOnly skips the expired row.
        const resumed = [];
        for await (const page of walked.walk({ position: keys[1]!, activeOnly: true })) {
          resumed.push(...page.sessions.map((session) => session.key));
        }
        assert.deepEqual(resumed, [keys[2], keys[3], keys[4], badKey]);
        const active = [];
        for await (const page of walked.walk({ activeOnly: true })) {
          active.push(...page.sessions.map((session) => session.key));
        }
        assert.deepEqual(active, [keys[0], keys[2], keys[3], keys[4], badKey]);
        assert.equal(await walked.count(), 6);
        assert.equal(await walked.count({ activeOnly: true }), 5);
        assert.deepEqual(await walked.inspect(keys[1]!), {
          key: keys[1],
          data: new Map([["i", 1]]),
          expireDate: new Date(NOW - 1000),
        });
        assert.equal(await walked.inspect(newKey()), null);
        await assert.rejects(
          walked.walk({ batchSize: 0 })[Symbol.asyncIterator]().next(),
          ConfigurationError,
        );
      } finally {
        await database.execute(`DROP TABLE ${q(walkTable)}`, []);
      }
    });

    it("treats keys longer than Django's 40 characters as absent", async () => {
      assert.equal(await store.load("k".repeat(41)), null);
      assert.equal(await store.exists("k".repeat(41)), false);
    });

    it("reports SQL failures as SessionStoreError and works again once fixed", async () => {
      const missingTable = uniqueTable(`${dialect}_missing`);
      const other = createSqlStore({ database, codec, table: missingTable, logger });
      const err = await other.load(newKey()).then(
        () => assert.fail("load on a missing table resolved"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof SessionStoreError);
      assert.equal(err.code, "store-unavailable");
      assert.match(err.message, new RegExp(`\\(${dialect}\\)`));
      assert.ok(!err.message.includes("\n"));
      assert.ok(err.cause !== undefined);
      await other.ensureSessionTable();
      assert.equal(await other.load(newKey()), null);
      await database.execute(`DROP TABLE ${q(missingTable)}`, []);
    });
  });
}
