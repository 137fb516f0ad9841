import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { SessionStoreError } from "../../../src/errors.ts";
import { createSqlStore, sqliteDatabase } from "../../../src/stores/sql/index.ts";
import { codec, newKey, recordingLogger } from "./helpers.ts";
import { expiryAt, sqlStoreSuite } from "./suite.ts";

const dir = mkdtempSync(join(tmpdir(), "sessionbridge-sql-"));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

sqlStoreSuite("sqlite", () => sqliteDatabase(join(dir, "suite.sqlite3")));

describe("sqliteDatabase", () => {
  it("creates Django's exact DDL (django-formats.md §3.1)", async () => {
    const path = join(dir, "ddl.sqlite3");
    const database = await sqliteDatabase(path);
    const store = createSqlStore({ database, codec });
    await store.ensureSessionTable();
    await store.ensureSessionTable();
    const rows = await database.query(
      "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'django_session' AND sql IS NOT NULL ORDER BY type DESC",
      [],
    );
    assert.deepEqual(
      rows.map((r) => r["sql"]),
      [
        'CREATE TABLE "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY, "session_data" text NOT NULL, "expire_date" datetime NOT NULL)',
        'CREATE INDEX "django_session_expire_date_a5c62663" ON "django_session" ("expire_date")',
      ],
    );
    const mode = await database.query("PRAGMA journal_mode", []);
    assert.equal(mode[0]?.["journal_mode"], "wal");
    await store.close();
  });

  it("stores expire_date as Django's naive UTC text", async () => {
    const database = await sqliteDatabase(join(dir, "dates.sqlite3"));
    const store = createSqlStore({ database, codec, now: () => Date.UTC(2023, 0, 1) });
    await store.ensureSessionTable();
    const whole = newKey();
    const millis = newKey();
    await store.save(whole, new Map(), {
      mustCreate: true,
      expiry: expiryAt(1701209600000),
    });
    await store.save(millis, new Map(), {
      mustCreate: true,
      expiry: expiryAt(1701209600123),
    });
    const text = async (key: string): Promise<unknown> =>
      (
        await database.query(
          "SELECT expire_date, typeof(expire_date) AS t FROM django_session WHERE session_key = ?",
          [key],
        )
      )[0];
    assert.deepEqual(await text(whole), { expire_date: "2023-11-28 22:13:20", t: "text" });
    assert.deepEqual(await text(millis), { expire_date: "2023-11-28 22:13:20.123000", t: "text" });
    await store.close();
  });

  it("reads rows Django wrote with microseconds", async () => {
    const database = await sqliteDatabase(":memory:");
    const store = createSqlStore({
      database,
      codec,
      now: () => Date.UTC(2023, 10, 28, 22, 13, 20),
    });
    await store.ensureSessionTable();
    const key = newKey();
    await database.execute("INSERT INTO django_session VALUES (?, ?, ?)", [
      key,
      codec.encode(new Map([["foo", "bar"]])),
      "2023-11-28 22:13:20.000001",
    ]);
    assert.deepEqual(await store.load(key), new Map([["foo", "bar"]]));
    assert.equal((await store.expiryOf(key))?.toISOString(), "2023-11-28T22:13:20.000Z");
    await store.close();
  });

  it("leaves a caller's Database open on close", async () => {
    const db = new Database(":memory:");
    const store = createSqlStore({ database: await sqliteDatabase(db), codec });
    await store.ensureSessionTable();
    await store.close();
    assert.equal(db.open, true);
    db.close();
  });

  it("fails with SessionStoreError on a path it cannot open", async () => {
    await assert.rejects(
      sqliteDatabase(join(dir, "no", "such", "dir", "db.sqlite3")),
      (err: unknown) => err instanceof SessionStoreError && /\(sqlite\)/.test(err.message),
    );
  });

  it("reports a closed database as SessionStoreError", async () => {
    const db = new Database(":memory:");
    const store = createSqlStore({
      database: await sqliteDatabase(db),
      codec,
      logger: recordingLogger(),
    });
    await store.ensureSessionTable();
    db.close();
    await assert.rejects(store.exists(newKey()), SessionStoreError);
  });
});
