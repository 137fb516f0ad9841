// What AllauthLogins writes, on an in-memory SQLite table shaped as allauth.usersessions' and a
// memory session store; the proof against real django-allauth is
// test/interop/django/allauth.test.ts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PyFloat } from "../../src/codecs/python-values.ts";
import {
  AUTHENTICATION_METHODS_SESSION_KEY,
  AllauthLogins,
  recordAuthentication,
} from "../../src/django/allauth.ts";
import { Session } from "../../src/engine/session.ts";
import { resolveSessionSettings } from "../../src/engine/config.ts";
import { ConfigurationError, InvalidArgumentError } from "../../src/errors.ts";
import { MemoryStore } from "../../src/stores/memory/index.ts";
import { openDatabaseUrl } from "../../src/stores/sql/index.ts";

const settings = resolveSessionSettings({});
const newSession = (store = new MemoryStore()): Session => new Session(store, null, settings);

// allauth.usersessions' 0001_initial on SQLite.
const USERSESSION_DDL = `CREATE TABLE "usersessions_usersession" (
  "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "created_at" datetime NOT NULL,
  "ip" char(39) NOT NULL, "last_seen_at" datetime NOT NULL,
  "session_key" varchar(40) NOT NULL UNIQUE, "user_agent" varchar(255) NOT NULL,
  "data" text NOT NULL, "user_id" integer NOT NULL)`;

describe("recordAuthentication", () => {
  it("appends allauth's {method, at, ...extra} entries, `at` a float in seconds", async () => {
    const session = newSession();
    await recordAuthentication(session, "password", 1_701_423_602_718, { username: "john" });
    await recordAuthentication(session, "mfa", 1_701_423_700_000, { id: 1, type: null });
    assert.deepEqual(await session.get(AUTHENTICATION_METHODS_SESSION_KEY), [
      { method: "password", at: 1_701_423_602.718, username: "john" },
      { method: "mfa", at: new PyFloat(1_701_423_700), id: 1 },
    ]);
  });

  it("refuses a session whose entry is not a list", async () => {
    const session = newSession();
    await session.set(AUTHENTICATION_METHODS_SESSION_KEY, "nope");
    await assert.rejects(recordAuthentication(session, "password", 0), ConfigurationError);
  });
});

describe("AllauthLogins", () => {
  it("without a database, records the method only", async () => {
    const session = newSession();
    await new AllauthLogins({ now: () => 5_000 }).recordLogin({
      session,
      userId: "1",
      method: "password",
      username: "alice",
    });
    assert.deepEqual(await session.get(AUTHENTICATION_METHODS_SESSION_KEY), [
      { method: "password", at: new PyFloat(5), username: "alice" },
    ]);
    assert.equal(session.key, null, "nothing saved");
  });

  it("saves a keyless session and creates, then updates, its UserSession row", async () => {
    const database = await openDatabaseUrl("sqlite::memory:");
    try {
      await database.execute(USERSESSION_DDL, []);
      let now = Date.UTC(2026, 0, 2, 3, 4, 5, 600);
      const logins = new AllauthLogins({ database, now: () => now });
      const session = newSession();
      const login = {
        session,
        userId: "7",
        method: "password",
        ip: "198.51.100.2",
        userAgent: `agent ${"x".repeat(300)}`,
      };
      await logins.recordLogin(login);
      assert.ok(session.key !== null, "saved so the row has a key");
      now += 60_000;
      await logins.recordLogin({ ...login, ip: "198.51.100.3", userId: "8" });
      const rows = await database.query(
        `SELECT user_id, ip, user_agent, session_key, created_at, last_seen_at, data FROM usersessions_usersession`,
        [],
      );
      assert.deepEqual(rows, [
        {
          user_id: 8,
          ip: "198.51.100.3",
          user_agent: `agent ${"x".repeat(249)}`,
          session_key: session.key,
          created_at: "2026-01-02 03:04:05.600000",
          last_seen_at: "2026-01-02 03:05:05.600000",
          data: "{}",
        },
      ]);
      await assert.rejects(
        logins.recordLogin({ session: newSession(), userId: "7", method: "password" }),
        InvalidArgumentError,
      );
    } finally {
      await database.close();
    }
  });
});
