import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigurationError } from "../../../src/errors.ts";
import {
  createSqlStore,
  openDatabaseUrl,
  parseDatabaseUrl,
} from "../../../src/stores/sql/index.ts";
import { codec, newKey } from "../../stores/sql/helpers.ts";
import { expiryAt } from "../../stores/sql/suite.ts";

describe("parseDatabaseUrl", () => {
  const sqlite: [string, string][] = [
    ["sqlite:./app.sqlite3", "./app.sqlite3"],
    ["sqlite:app.sqlite3", "app.sqlite3"],
    ["sqlite:/srv/app.sqlite3", "/srv/app.sqlite3"],
    ["sqlite:///relative.sqlite3", "relative.sqlite3"],
    ["sqlite:///data/relative.sqlite3", "data/relative.sqlite3"],
    ["sqlite:////abs/path.sqlite3", "/abs/path.sqlite3"],
    ["sqlite:////abs/with%20space.sqlite3", "/abs/with space.sqlite3"],
    ["sqlite::memory:", ":memory:"],
    ["sqlite://", ":memory:"],
    ["sqlite://:memory:", ":memory:"],
    ["SQLite:./x.db", "./x.db"],
  ];
  for (const [url, path] of sqlite) {
    it(`reads ${url}`, () => {
      assert.deepEqual(parseDatabaseUrl(url), { dialect: "sqlite", path });
    });
  }

  it("keeps postgres:// and postgresql:// URLs for pg", () => {
    for (const url of [
      "postgres://postgres@127.0.0.1:5432/test",
      "postgresql://u:p%40ss@db.example/app?sslmode=require",
    ]) {
      assert.deepEqual(parseDatabaseUrl(url), { dialect: "postgres", connectionString: url });
    }
  });

  it("turns mysql:// and mariadb:// URLs into mysql2 options", () => {
    assert.deepEqual(parseDatabaseUrl("mysql://root@127.0.0.1:3306/test"), {
      dialect: "mysql",
      options: { host: "127.0.0.1", port: 3306, user: "root", database: "test" },
    });
    assert.deepEqual(
      parseDatabaseUrl("mariadb://app:p%40ss@db.example/app?charset=utf8mb4&connectionLimit=5"),
      {
        dialect: "mysql",
        options: {
          charset: "utf8mb4",
          connectionLimit: 5,
          host: "db.example",
          user: "app",
          password: "p@ss",
          database: "app",
        },
      },
    );
  });

  const bad = [
    "",
    "not a url s3cretpw",
    "redis://:s3cretpw@127.0.0.1:6379/0",
    "postgres://user:s3cretpw@host:99999/db",
    "postgres://user:s3cretpw@[::1/db",
    "mysql://user:s3cretpw@/db",
    "mysql://user:s3cretpw@host:notaport/db",
    "mysql://user:%E0%A4%A@host/db?x=s3cretpw",
    "mariadb:user:s3cretpw@host",
    "sqlite:",
    "sqlite://host/s3cretpw.db",
    "sqlite:////bad%E0%A4%A-s3cretpw",
  ];
  for (const url of bad) {
    it(`rejects ${JSON.stringify(url.replace("s3cretpw", "…"))} without echoing it`, () => {
      assert.throws(
        () => parseDatabaseUrl(url),
        (err: unknown) => {
          assert.ok(err instanceof ConfigurationError, String(err));
          assert.equal(err.code, "configuration");
          assert.ok(!err.message.includes("s3cretpw"), err.message);
          assert.ok(!err.message.includes("\n"));
          const cause: unknown = err.cause;
          assert.ok(!(cause instanceof Error) || !cause.message.includes("s3cretpw"));
          assert.ok(!JSON.stringify(cause ?? null).includes("s3cretpw"));
          return true;
        },
      );
    });
  }

  it("openDatabaseUrl rejects a bad URL with ConfigurationError", async () => {
    await assert.rejects(openDatabaseUrl("ftp://x:s3cretpw@h"), ConfigurationError);
  });
});

describe("openDatabaseUrl", () => {
  it("opens sqlite::memory: end to end", async () => {
    const database = await openDatabaseUrl("sqlite::memory:");
    assert.equal(database.dialect, "sqlite");
    const store = createSqlStore({ database, codec });
    await store.ensureSessionTable();
    const key = newKey();
    await store.save(key, new Map([["a", "b"]]), {
      mustCreate: true,
      expiry: expiryAt(Date.now() + 60_000, Date.now()),
    });
    assert.deepEqual(await store.load(key), new Map([["a", "b"]]));
    await store.close();
  });

  it("opens postgres and mysql URLs with the matching dialect", async () => {
    const pgDb = await openDatabaseUrl("postgresql://postgres@127.0.0.1:5432/test");
    const myDb = await openDatabaseUrl("mariadb://root@127.0.0.1:3306/test");
    assert.equal(pgDb.dialect, "postgres");
    assert.equal(myDb.dialect, "mysql");
    assert.deepEqual(await pgDb.query("SELECT 1 AS one", []), [{ one: 1 }]);
    assert.deepEqual(await myDb.query("SELECT 1 AS one", []), [{ one: 1 }]);
    await pgDb.close();
    await myDb.close();
  });
});
