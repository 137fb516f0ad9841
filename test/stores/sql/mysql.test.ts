import assert from "node:assert/strict";
import { it } from "node:test";
import mysql from "mysql2/promise";
import { SessionMissingError } from "../../../src/errors.ts";
import { createSqlStore, mysqlDatabase, openDatabaseUrl } from "../../../src/stores/sql/index.ts";
import { MYSQL_URL, codec, newKey, uniqueTable } from "./helpers.ts";
import {
  checkUtcExpiry,
  describeDefaultTableDdl,
  sqlServerSuite,
  storeError,
} from "./server-suite.ts";
import { expiryAt } from "./suite.ts";

const server = { dialect: "mysql", url: MYSQL_URL, port: 3306 } as const;

sqlServerSuite(server, "mysql://root:hunter2-s3cret@127.0.0.1:1/test", () => {
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
      await checkUtcExpiry(await mysqlDatabase(connection), "mysql", async (table, key) => {
        const [rows] = await connection.query(
          `SELECT CAST(expire_date AS CHAR) AS text FROM \`${table}\` WHERE session_key = ?`,
          [key],
        );
        assert.deepEqual(rows, [{ text: "2023-11-28 22:13:20.123000" }]);
      });
    } finally {
      await connection.end();
    }
  });

  describeDefaultTableDdl(
    "database",
    async (schema) => {
      const admin = await mysql.createConnection({ uri: MYSQL_URL });
      await admin.query(`CREATE DATABASE \`${schema}\``);
      const url = new URL(MYSQL_URL);
      url.pathname = `/${schema}`;
      const database = await openDatabaseUrl(url.href.replace(/^mysql:/, "mariadb:"));
      const drop = async (): Promise<void> => {
        await admin.query(`DROP DATABASE \`${schema}\``);
        await admin.end();
      };
      return { admin, database, drop };
    },
    "matches Django's MySQL schema (django-formats.md §3.1)",
    async (admin, schema) => {
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
    },
  );

  it("reports wrong credentials without the password", async () => {
    const database = await openDatabaseUrl(
      "mariadb://nosuchuser:hunter2-s3cret@127.0.0.1:3306/test",
    );
    const store = createSqlStore({ database, codec });
    const err = await storeError(store.exists(newKey()));
    assert.ok(!err.message.includes("hunter2-s3cret"));
    await store.close();
  });
});
