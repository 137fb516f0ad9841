import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import mysql from "mysql2/promise";
import { SessionMissingError, SessionStoreError } from "../../../src/errors.ts";
import {
  createSqlStore,
  mysqlDatabase,
  openDatabaseUrl,
  type SqlDatabase,
} from "../../../src/stores/sql/index.ts";
import { MYSQL_URL, codec, newKey, startProxy, uniqueTable } from "./helpers.ts";
import { expiryAt, sqlStoreSuite } from "./suite.ts";

sqlStoreSuite("mysql", () => openDatabaseUrl(MYSQL_URL));

describe("mysqlDatabase", () => {
  it("detects a missing row on a pool without CLIENT_FOUND_ROWS", async () => {
    // Without FOUND_ROWS, MySQL reports 0 affected rows for an UPDATE that changes nothing.
    const pool = mysql.createPool({ uri: MYSQL_URL, flags: ["-FOUND_ROWS"] });
    const table = uniqueTable("myrows");
    const store = createSqlStore({ database: await mysqlDatabase(pool), codec, table });
    try {
      await store.ensureSessionTable();
      const key = newKey();
      const data = new Map([["same", 1]]);
      const expiry = expiryAt(Date.now() + 60_000, Date.now());
      await store.save(key, data, { mustCreate: true, expiry });
      const [header] = await pool.execute(
        `UPDATE \`${table}\` SET expire_date = expire_date WHERE session_key = ?`,
        [key],
      );
      assert.equal((header as mysql.ResultSetHeader).affectedRows, 0); // the trap is real here
      await store.save(key, data, { mustCreate: false, expiry });
      await store.save(key, data, { mustCreate: false, expiry });
      await assert.rejects(
        store.save(newKey(), data, { mustCreate: false, expiry }),
        SessionMissingError,
      );
      await store.close();
      await pool.execute(`DROP TABLE \`${table}\``); // the caller's pool stays open
    } finally {
      await pool.end();
    }
  });

  it("stores naive UTC whatever the session and pool time zones are", async () => {
    const connection = await mysql.createConnection({ uri: MYSQL_URL, timezone: "+05:00" });
    try {
      await connection.query("SET time_zone = '-03:00'");
      const table = uniqueTable("mytz");
      const store = createSqlStore({
        database: await mysqlDatabase(connection),
        codec,
        table,
        now: () => Date.UTC(2023, 10, 28, 22, 13, 20, 122),
      });
      await store.ensureSessionTable();
      const key = newKey();
      await store.save(key, new Map([["a", 1]]), {
        mustCreate: true,
        expiry: expiryAt(Date.UTC(2023, 10, 28, 22, 13, 20, 123)),
      });
      const [rows] = await connection.query(
        `SELECT CAST(expire_date AS CHAR) AS text FROM \`${table}\` WHERE session_key = ?`,
        [key],
      );
      assert.deepEqual(rows, [{ text: "2023-11-28 22:13:20.123000" }]);
      assert.equal((await store.expiryOf(key))?.toISOString(), "2023-11-28T22:13:20.123Z");
      assert.deepEqual(await store.load(key), new Map([["a", 1]]));
      await connection.query(`DROP TABLE \`${table}\``);
    } finally {
      await connection.end();
    }
  });

  describe("DDL with the default table name (in a private database)", () => {
    const schema = `sb_ddl_${process.pid}_${randomBytes(4).toString("hex")}`;
    let admin: mysql.Connection;
    let database: SqlDatabase;

    before(async () => {
      admin = await mysql.createConnection({ uri: MYSQL_URL });
      await admin.query(`CREATE DATABASE \`${schema}\``);
      const url = new URL(MYSQL_URL);
      url.pathname = `/${schema}`;
      database = await openDatabaseUrl(url.href.replace(/^mysql:/, "mariadb:"));
    });

    after(async () => {
      await database.close();
      await admin.query(`DROP DATABASE \`${schema}\``);
      await admin.end();
    });

    it("matches Django's MySQL schema (django-formats.md §3.1)", async () => {
      const store = createSqlStore({ database, codec });
      await store.ensureSessionTable();
      await store.ensureSessionTable();
      const [columns] = await admin.query(
        `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, COLUMN_KEY AS k
           FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'django_session'
          ORDER BY ORDINAL_POSITION`,
        [schema],
      );
      assert.deepEqual(columns, [
        { name: "session_key", type: "varchar(40)", nullable: "NO", k: "PRI" },
        { name: "session_data", type: "longtext", nullable: "NO", k: "" },
        { name: "expire_date", type: "datetime(6)", nullable: "NO", k: "MUL" },
      ]);
      const [indexes] = await admin.query(
        `SELECT INDEX_NAME AS name, COLUMN_NAME AS col, NON_UNIQUE AS nonUnique
           FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'django_session'
          ORDER BY INDEX_NAME`,
        [schema],
      );
      assert.deepEqual(indexes, [
        { name: "django_session_expire_date_a5c62663", col: "expire_date", nonUnique: 1 },
        { name: "PRIMARY", col: "session_key", nonUnique: 0 },
      ]);
    });
  });

  it("reports an unreachable server as SessionStoreError without the password", async () => {
    const database = await openDatabaseUrl("mysql://root:hunter2-s3cret@127.0.0.1:1/test");
    const store = createSqlStore({ database, codec });
    const err = await store.exists(newKey()).then(
      () => assert.fail("resolved"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof SessionStoreError, String(err));
    assert.match(err.message, /^SQL session store \(mysql\) failed: .*ECONNREFUSED/);
    assert.ok(!err.message.includes("hunter2-s3cret"));
    assert.ok(!err.message.includes("\n"));
    await store.close();
  });

  it("reports wrong credentials without the password", async () => {
    const database = await openDatabaseUrl(
      "mariadb://nosuchuser:hunter2-s3cret@127.0.0.1:3306/test",
    );
    const store = createSqlStore({ database, codec });
    const err = await store.exists(newKey()).then(
      () => assert.fail("resolved"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof SessionStoreError, String(err));
    assert.ok(!err.message.includes("hunter2-s3cret"));
    await store.close();
  });

  it("works again on the next call once the server is back", async () => {
    const proxy = await startProxy(3306);
    const url = new URL(MYSQL_URL);
    url.port = String(proxy.port);
    const database = await openDatabaseUrl(url.href);
    const table = uniqueTable("mydown");
    const store = createSqlStore({ database, codec, table });
    try {
      await store.ensureSessionTable();
      const key = newKey();
      const expiry = expiryAt(Date.now() + 60_000, Date.now());
      await store.save(key, new Map([["a", 1]]), { mustCreate: true, expiry });

      await proxy.stop();
      await assert.rejects(store.load(key), SessionStoreError);
      await assert.rejects(store.load(key), SessionStoreError);

      await proxy.start();
      assert.deepEqual(await store.load(key), new Map([["a", 1]]));
      await database.execute(`DROP TABLE \`${table}\``, []);
    } finally {
      await store.close();
      await proxy.stop();
    }
  });
});
