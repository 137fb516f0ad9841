import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigurationError, InvalidArgumentError, MalformedError } from "../../../src/errors.ts";
import {
  expireDateParam,
  formatNaiveUtc,
  parseExpireDate,
  sessionTableDdl,
} from "../../../src/stores/sql/index.ts";
import { djangoIndexName } from "../../../src/internal/sql/identifiers.ts";
import { importDriver } from "../../../src/internal/sql/database.ts";

describe("sessionTableDdl", () => {
  it("is Django's DDL, statement for statement (django-formats.md §3.1)", () => {
    assert.deepEqual(
      sessionTableDdl("sqlite").map((s) => s.sql),
      [
        'CREATE TABLE "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY, "session_data" text NOT NULL, "expire_date" datetime NOT NULL)',
        'CREATE INDEX "django_session_expire_date_a5c62663" ON "django_session" ("expire_date")',
      ],
    );
    assert.deepEqual(
      sessionTableDdl("postgres").map((s) => s.sql),
      [
        'CREATE TABLE "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY, "session_data" text NOT NULL, "expire_date" timestamp with time zone NOT NULL)',
        'CREATE INDEX "django_session_session_key_c0390e0f_like" ON "django_session" ("session_key" varchar_pattern_ops)',
        'CREATE INDEX "django_session_expire_date_a5c62663" ON "django_session" ("expire_date")',
      ],
    );
    assert.deepEqual(
      sessionTableDdl("mysql").map((s) => s.sql),
      [
        "CREATE TABLE `django_session` (`session_key` varchar(40) NOT NULL PRIMARY KEY, `session_data` longtext NOT NULL, `expire_date` datetime(6) NOT NULL)",
        "CREATE INDEX `django_session_expire_date_a5c62663` ON `django_session` (`expire_date`)",
      ],
    );
  });

  it("derives index names for other tables as Django does", () => {
    const names = sessionTableDdl("postgres", "my_sessions").map((s) => s.name);
    assert.equal(names[0], "my_sessions");
    assert.match(names[1] ?? "", /^my_sessions_session_key_[0-9a-f]{8}_like$/);
    assert.match(names[2] ?? "", /^my_sessions_expire_date_[0-9a-f]{8}$/);
  });

  it("shortens long index names with Django's rule", () => {
    const table = `t${"x".repeat(60)}`;
    const name = djangoIndexName(table, ["expire_date"], "", 63);
    assert.equal(name.length <= 63, true);
    // other_length = (63 - 8) // 2 - 1 = 26
    assert.match(name, /^tx{25}_expire_date_[0-9a-f]{8}$/);
    assert.match(djangoIndexName("_t", ["c"], "", 200), /^_t_c_[0-9a-f]{8}$/);
  });

  it("refuses table names that would need escaping", () => {
    for (const table of ['a"b', "a`b", "a b", "1abc", "", "x".repeat(64), "s.t"]) {
      assert.throws(() => sessionTableDdl("sqlite", table), ConfigurationError);
    }
  });
});

describe("expire_date text", () => {
  it("is Python's str(datetime) in UTC", () => {
    assert.equal(formatNaiveUtc(new Date(1701209600000)), "2023-11-28 22:13:20");
    assert.equal(formatNaiveUtc(new Date(1701209600123)), "2023-11-28 22:13:20.123000");
    assert.equal(formatNaiveUtc(new Date(1701209600001)), "2023-11-28 22:13:20.001000");
    assert.equal(formatNaiveUtc(new Date(Date.UTC(999, 0, 2))), "0999-01-02 00:00:00");
    assert.throws(() => formatNaiveUtc(new Date(Number.NaN)), InvalidArgumentError);
  });

  it("carries +00:00 for PostgreSQL only", () => {
    const date = new Date(1701209600123);
    assert.equal(expireDateParam("postgres", date), "2023-11-28 22:13:20.123000+00:00");
    assert.equal(expireDateParam("mysql", date), "2023-11-28 22:13:20.123000");
    assert.equal(expireDateParam("sqlite", date), "2023-11-28 22:13:20.123000");
  });

  it("parses naive UTC, offsets and driver dates", () => {
    assert.equal(parseExpireDate("2023-11-28 22:13:20").getTime(), 1701209600000);
    assert.equal(parseExpireDate("2023-11-28 22:13:20.123456").getTime(), 1701209600123);
    assert.equal(parseExpireDate("2023-11-28T23:13:20.5+01:00").getTime(), 1701209600500);
    assert.equal(parseExpireDate("2023-11-28 22:13:20Z").getTime(), 1701209600000);
    assert.equal(parseExpireDate(new Date(5)).getTime(), 5);
    assert.equal(parseExpireDate("0050-01-01 00:00:00").getUTCFullYear(), 50);
    assert.throws(() => parseExpireDate("yesterday"), MalformedError);
  });
});

describe("importDriver", () => {
  it("turns a missing optional package into ConfigurationError", async () => {
    const specifier = "sessionbridge-no-such-driver";
    await assert.rejects(
      importDriver("postgres", specifier, () => import(specifier)),
      (err: unknown) =>
        err instanceof ConfigurationError && err.message.includes(`npm install ${specifier}`),
    );
  });
});
