// `sessionbridge migrate` against real Django: the schema is Django's own, table for table, on
// SQLite, PostgreSQL and MariaDB, for Django 3.2 and 5.2; Django then takes the database over.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import mysql from "mysql2/promise";
import pg from "pg";
import { runCli } from "../../support/cli.ts";
import { createTempDatabases, type TempDatabases } from "../../support/databases.ts";
import { DIALECTS, django, djangoJson, SECRET, type Dialect } from "./support.ts";

let dbs: TempDatabases;
const extra: string[] = [];

before(async () => {
  dbs = await createTempDatabases("mgmt_migrate");
});
after(async () => {
  const client = new pg.Client("postgres://postgres@127.0.0.1:5432/postgres");
  await client.connect();
  for (const name of extra) await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await client.end();
  const my = await mysql.createConnection({ host: "127.0.0.1", user: "root" });
  for (const name of extra) await my.query(`DROP DATABASE IF EXISTS ${name}`);
  await my.end();
  await dbs.drop();
});

/** A fresh, empty database of `dialect` (its URL). */
async function freshDatabase(dialect: Dialect, tag: string): Promise<string> {
  const name = `sb_mig_${tag}_${process.pid}`.replace(/[^a-z0-9_]/g, "_");
  if (dialect === "sqlite")
    return `sqlite:${dbs.sqlitePath.replace(/db\.sqlite3$/, `${name}.sqlite3`)}`;
  extra.push(name);
  if (dialect === "postgres") {
    const client = new pg.Client("postgres://postgres@127.0.0.1:5432/postgres");
    await client.connect();
    await client.query(`CREATE DATABASE ${name}`);
    await client.end();
    return `postgres://postgres@127.0.0.1:5432/${name}`;
  }
  const my = await mysql.createConnection({ host: "127.0.0.1", user: "root" });
  await my.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
  await my.end();
  return `mysql://root@127.0.0.1:3306/${name}`;
}

type Schema = Record<string, unknown>;
const normalise = (schema: Schema): string =>
  JSON.stringify(schema).replace(/ AUTO_INCREMENT=\d+/g, "");

for (const version of ["3.2", "5.2", "6.1"] as const) {
  for (const dialect of DIALECTS) {
    describe(`migrate on ${dialect}, Django ${version}`, () => {
      it("creates exactly Django's schema, which Django's migrate --fake-initial accepts and uses", async () => {
        const theirs = await freshDatabase(dialect, `d${version.replace(".", "")}${dialect}`);
        const ours = await freshDatabase(dialect, `o${version.replace(".", "")}${dialect}`);
        await django(version, theirs, ["call", "migrate", "-v0"]);
        const r = await runCli(["migrate", "--database-url", ours, "--django-version", version]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /Created table auth_user/);
        const out = await django(version, ours, ["call", "migrate", "--fake-initial", "-v1"]);
        assert.match(out, /No migrations to apply/);
        const expected = await djangoJson<Schema>(version, theirs, ["schema"]);
        const actual = await djangoJson<Schema>(version, ours, ["schema"]);
        assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
        for (const table of Object.keys(expected)) {
          assert.equal(
            normalise(actual[table] as Schema),
            normalise(expected[table] as Schema),
            `${table} differs`,
          );
        }
        // Django works on our tables: a user with a logged-in session.
        const created = await djangoJson<{ id: number; session_key: string }>(version, ours, [
          "create-user",
          "alice",
          "pw-alice-1",
        ]);
        const user = await djangoJson<{ user_id: number | string }>(version, ours, [
          "session-user",
          created.session_key,
        ]);
        assert.equal(user.user_id, created.id);
        // Idempotent.
        const again = await runCli([
          "migrate",
          "--database-url",
          ours,
          "--django-version",
          version,
          "--json",
        ]);
        assert.equal(again.code, 0, again.stderr);
        assert.deepEqual((JSON.parse(again.stdout) as { created: string[] }).created, []);
      });
    });
  }
}

describe("migrate refusals and errors", () => {
  it("refuses a table whose shape differs, naming it and why, and creates nothing", async () => {
    const url = await freshDatabase("postgres", "shape");
    const client = new pg.Client(url.replace(/\?.*$/, ""));
    await client.connect();
    await client.query(
      'CREATE TABLE "auth_user" ("id" serial PRIMARY KEY, "username" varchar(30) NOT NULL)',
    );
    await client.end();
    const r = await runCli(["migrate", "--database-url", url]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split("\n").length, 1);
    assert.match(r.stderr, /table auth_user .*username is varchar\(30\), expected varchar\(150\)/);
    const check = new pg.Client(url);
    await check.connect();
    const tables = await check.query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
    );
    await check.end();
    assert.deepEqual(
      tables.rows.map((row: { table_name: string }) => row.table_name),
      ["auth_user"],
    );
  });

  it("before migrate, says to run it (creating no SQLite file); migrate names the database it set up, and Django sees all 15 migrations", async () => {
    const url = await freshDatabase("sqlite", "existing");
    const path = url.slice("sqlite:".length);
    const before = await runCli(["sessions", "list"], {
      env: { DATABASE_URL: url, SECRET_KEY: SECRET },
    });
    assert.equal(before.code, 1);
    assert.equal(before.stderr.trim().split("\n").length, 1, before.stderr);
    assert.match(before.stderr, /no SQLite database at .*: run 'sessionbridge migrate'/);
    assert.equal(existsSync(path), false, "a read-only command created an empty SQLite file");
    const r = await runCli(["migrate"], { env: { DATABASE_URL: url } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split("\n")[0], `Database: SQLite ${resolve(path)} (new file)`);
    const out = await django("5.2", url, ["migrations"]);
    assert.equal((JSON.parse(out) as unknown[]).length, 15);
    const again = await runCli(["migrate", "--json"], { env: { DATABASE_URL: url } });
    assert.equal(
      (JSON.parse(again.stdout) as { database: string }).database,
      `SQLite ${resolve(path)}`,
    );
  });

  it("a database without Django's tables: sessions, users and clearsessions say to run migrate", async () => {
    const url = await freshDatabase("postgres", "notables");
    const env = { DATABASE_URL: url, SECRET_KEY: SECRET };
    for (const args of [
      ["sessions", "list"],
      ["sessions", "show", "k"],
      ["clearsessions"],
      ["users", "list"],
    ]) {
      const r = await runCli(args, { env });
      assert.equal(r.code, 1, args.join(" "));
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.match(
        r.stderr,
        /no (django_session|auth_user) table in PostgreSQL .*run 'sessionbridge migrate'/,
        r.stderr,
      );
    }
    const r = await runCli(["migrate"], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout.split("\n")[0]!,
      /^Database: PostgreSQL 127\.0\.0\.1:5432\/sb_mig_notables_/,
    );
  });

  it("wrong credentials and an unreachable server fail with one line, exit 1, no password shown", async () => {
    const bad = await runCli([
      "migrate",
      "--database-url",
      "postgres://nobody:s3cr3tpw@127.0.0.1:5432/nowhere",
    ]);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr.trim().split("\n").length, 1);
    assert.doesNotMatch(bad.stderr, /s3cr3tpw/);
    const down = await runCli(["migrate", "--database-url", "mysql://root:hunter2x@127.0.0.1:1/x"]);
    assert.equal(down.code, 1);
    assert.equal(down.stderr.trim().split("\n").length, 1);
    assert.match(down.stderr, /ECONNREFUSED/);
    assert.doesNotMatch(down.stderr, /hunter2x/);
  });

  it("unknown options and commands are usage errors (exit 2)", async () => {
    const r = await runCli(["migrate", "--nope"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--help/);
    const c = await runCli(["migrat"]);
    assert.equal(c.code, 2);
    assert.match(c.stderr, /unknown command/);
    const h = await runCli(["migrate", "--help"]);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /Usage: sessionbridge migrate/);
    assert.match(h.stdout, /Environment:/);
    assert.match(h.stdout, /Examples:/);
  });

  it("--config FILE supplies settings below flags and the environment", async () => {
    const url = await freshDatabase("sqlite", "config");
    const { writeFileSync } = await import("node:fs");
    const path = url.slice("sqlite:".length).replace(/\.sqlite3$/, ".json");
    writeFileSync(path, JSON.stringify({ DATABASE_URL: url, DJANGO_VERSION: "4.2" }));
    const r = await runCli(["migrate", "--config", path, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { created: string[] }).created.length, 9);
    const bad = await runCli(["migrate", "--config", `${path}.missing`]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /no such file/);
  });
});
