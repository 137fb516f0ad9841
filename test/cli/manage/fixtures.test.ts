// dumpdata / loaddata / flush / sqlflush against real Django fixtures and databases.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { checkPassword } from "../../../src/auth/hashers/check.ts";
import { runCli } from "../../support/cli.ts";
import { createTempDatabases, type TempDatabases } from "../../support/databases.ts";
import { django, djangoJson, SECRET } from "./support.ts";

let dbs: TempDatabases;
let dir: string;
before(async () => {
  dbs = await createTempDatabases("mgmt_fixtures");
  dir = dbs.sqlitePath.replace(/db\.sqlite3$/, "");
});
after(async () => {
  await dbs.drop();
});

for (const version of ["3.2", "5.2", "6.1"] as const) {
  describe(`fixtures with Django ${version}`, () => {
    // A PostgreSQL database of its own: content type ids follow the order each Django creates
    // them in (6.x sorts them by model name), so one version's fixture does not load over
    // another version's content types, in Django as here.
    let own: TempDatabases;
    before(async () => {
      own = await createTempDatabases(`mgmt_fix${version.replace(".", "")}`);
    });
    after(async () => {
      await own.drop();
    });
    it("Django's dumpdata loads with ours, passwords verify; our dumpdata is byte-identical and Django loads it", async () => {
      const theirs = `sqlite:${join(dir, `django-${version}.sqlite3`)}`;
      await django(version, theirs, ["call", "migrate", "-v0"]);
      const alice = await djangoJson<{ id: number; password: string }>(version, theirs, [
        "create-user",
        "alice",
        "alice-pw-1",
      ]);
      await djangoJson(version, theirs, ["create-user", "bjørn", "bjorn-pw-2"]);
      // Byte-identical output on the same database, with and without --indent.
      for (const extra of [[], ["--indent", "2"], ["--natural-foreign"]]) {
        const theirsOut = await django(version, theirs, [
          "call",
          "dumpdata",
          "contenttypes",
          "auth",
          "sessions",
          ...extra,
        ]);
        const oursOut = await runCli(["dumpdata", "contenttypes", "auth", "sessions", ...extra], {
          env: { DATABASE_URL: theirs, DJANGO_VERSION: version },
        });
        assert.equal(oursOut.code, 0, oursOut.stderr);
        assert.equal(oursOut.stdout, theirsOut, `dumpdata ${extra.join(" ")} differs`);
      }
      const pks = await runCli(["dumpdata", "auth.user", "--pks", String(alice.id)], {
        env: { DATABASE_URL: theirs, DJANGO_VERSION: version },
      });
      assert.equal(
        pks.stdout,
        await django(version, theirs, ["call", "dumpdata", "auth.user", "--pks", String(alice.id)]),
      );

      // Django's fixture → our loaddata into PostgreSQL made by our migrate.
      const fixture = join(dir, `django-${version}.json`);
      writeFileSync(
        fixture,
        await django(version, theirs, [
          "call",
          "dumpdata",
          "contenttypes",
          "auth",
          "--indent",
          "2",
        ]),
      );
      const ours = own.postgresUrl;
      const env = { DATABASE_URL: ours, SECRET_KEY: SECRET, DJANGO_VERSION: version };
      await runCli(["flush", "--no-input"], { env });
      assert.equal((await runCli(["migrate"], { env })).code, 0);
      const loaded = await runCli(["loaddata", fixture], { env });
      assert.equal(loaded.code, 0, loaded.stderr);
      assert.match(loaded.stdout, /Installed \d+ object\(s\) from 1 fixture\(s\)/);
      const client = new pg.Client(ours);
      await client.connect();
      const rows = (await client.query("SELECT username, password FROM auth_user ORDER BY id"))
        .rows as { username: string; password: string }[];
      await client.end();
      assert.deepEqual(
        rows.map((r) => r.username),
        ["alice", "bjørn"],
      );
      assert.equal(
        (await checkPassword("alice-pw-1", rows[0]!.password, { djangoVersion: version })).ok,
        true,
      );
      assert.equal(
        (await checkPassword("bjorn-pw-2", rows[1]!.password, { djangoVersion: version })).ok,
        true,
      );
      // Loading again updates in place (idempotent).
      assert.equal((await runCli(["loaddata", fixture], { env })).code, 0);

      // Our dumpdata → Django's loaddata on a fresh Django database.
      const ourFixture = join(dir, `ours-${version}.json`);
      const dumped = await runCli(["dumpdata", "auth.user", "auth.group", "-o", ourFixture], {
        env,
      });
      assert.equal(dumped.code, 0, dumped.stderr);
      const fresh = `sqlite:${join(dir, `fresh-${version}.sqlite3`)}`;
      await django(version, fresh, ["call", "migrate", "-v0"]);
      await django(version, fresh, ["call", "loaddata", ourFixture, "-v0"]);
      assert.equal(
        (
          await djangoJson<{ ok: boolean }>(version, fresh, [
            "check-password",
            "alice",
            "alice-pw-1",
          ])
        ).ok,
        true,
      );
    });
  });
}

describe("loaddata refusals", () => {
  const cases: [string, unknown, RegExp][] = [
    [
      "unknown model",
      [
        { model: "auth.user", pk: 50, fields: { username: "ok1" } },
        { model: "blog.post", pk: 1, fields: {} },
      ],
      /bad\.json: object #2 \(blog\.post pk 1\): Invalid model identifier: 'blog\.post'/,
    ],
    [
      "unknown field",
      [{ model: "auth.user", pk: 51, fields: { username: "x", shoe_size: 4 } }],
      /object #1 \(auth\.user pk 51\): User has no field named 'shoe_size'/,
    ],
    [
      "bad datetime",
      [{ model: "auth.user", pk: 52, fields: { username: "y", date_joined: "yesterday" } }],
      /object #1 .*invalid format/,
    ],
    [
      "missing reference",
      [{ model: "auth.user", pk: 53, fields: { username: "z", groups: [999] } }],
      /object #1 .*groups.*999/,
    ],
    [
      "too long",
      [{ model: "auth.user", pk: 54, fields: { username: "u".repeat(151) } }],
      /at most 150 characters/,
    ],
  ];
  for (const dialect of ["sqlite", "mysql"] as const) {
    for (const [name, fixture, message] of cases) {
      it(`${name} on ${dialect}: one line naming file and object, nothing written`, async () => {
        const url = dialect === "sqlite" ? `sqlite:${dbs.sqlitePath}` : dbs.mysqlUrl;
        const env = { DATABASE_URL: url };
        assert.equal((await runCli(["migrate"], { env })).code, 0);
        const path = join(dir, "bad.json");
        writeFileSync(path, JSON.stringify(fixture));
        const before = await runCli(["dumpdata", "auth.user"], { env });
        const r = await runCli(["loaddata", path], { env });
        assert.equal(r.code, 1);
        assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
        assert.match(r.stderr, message);
        assert.match(r.stderr, /nothing was loaded/);
        assert.equal((await runCli(["dumpdata", "auth.user"], { env })).stdout, before.stdout);
      });
    }
  }
});

describe("flush / sqlflush", () => {
  it("refuses a database with foreign tables; flushes ours (asks unless --no-input)", async () => {
    const foreign = `sqlite:${join(dir, "foreign.sqlite3")}`;
    assert.equal((await runCli(["migrate"], { env: { DATABASE_URL: foreign } })).code, 0);
    const Database = (await import("better-sqlite3")).default;
    const db = new Database(foreign.slice(7));
    db.exec("CREATE TABLE blog_post (id integer primary key)");
    db.close();
    const refused = await runCli(["flush", "--no-input"], { env: { DATABASE_URL: foreign } });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /not sessionbridge's database .*blog_post/);
    assert.equal((await runCli(["sqlflush"], { env: { DATABASE_URL: foreign } })).code, 1);

    const url = dbs.postgresUrl;
    const env = { DATABASE_URL: url, SESSIONBRIDGE_PASSWORD: "pw-12345678" };
    assert.equal((await runCli(["migrate"], { env })).code, 0);
    await runCli(["createuser", "--no-input", "--username", "tobeflushed"], { env });
    const sql = await runCli(["sqlflush"], { env });
    assert.match(sql.stdout, /TRUNCATE "django_session", .*"auth_user".* RESTART IDENTITY;/);
    const noTty = await runCli(["flush"], { env });
    assert.equal(noTty.code, 1);
    assert.match(noTty.stderr, /--no-input/);
    const r = await runCli(["flush", "--no-input", "--json"], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      (JSON.parse((await runCli(["users", "list", "--json"], { env })).stdout) as unknown[]).length,
      0,
    );
  });
});
