// createuser / createsuperuser / changepassword / users list, end to end: real terminals
// (a pseudo-terminal), real Django checking the passwords and the logged-out sessions.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { runCli } from "../../support/cli.ts";
import { createTempDatabases, type TempDatabases } from "../../support/databases.ts";
import { djangoJson, runCliInPty, SECRET } from "./support.ts";

let dbs: TempDatabases;
before(async () => {
  dbs = await createTempDatabases("mgmt_users");
});
after(async () => {
  await dbs.drop();
});

const sqlite = (): string => `sqlite:${dbs.sqlitePath}`;

describe("createsuperuser / createuser", () => {
  for (const dialect of ["sqlite", "postgres", "mysql"] as const) {
    it(`--no-input on ${dialect}: Django verifies the password`, async () => {
      const url =
        dialect === "sqlite" ? sqlite() : dialect === "postgres" ? dbs.postgresUrl : dbs.mysqlUrl;
      const env = { DATABASE_URL: url, SECRET_KEY: SECRET };
      assert.equal((await runCli(["migrate"], { env })).code, 0);
      const r = await runCli(
        [
          "createsuperuser",
          "--no-input",
          "--username",
          "root1",
          "--email",
          "Root@Example.COM",
          "--json",
        ],
        {
          env: { ...env, SESSIONBRIDGE_PASSWORD: "s3cret-pass-1" },
        },
      );
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as {
        username: string;
        email: string;
        is_superuser: boolean;
      };
      assert.equal(doc.username, "root1");
      assert.equal(doc.email, "Root@example.com");
      assert.equal(doc.is_superuser, true);
      const checked = await djangoJson<{ ok: boolean }>("5.2", url, [
        "check-password",
        "root1",
        "s3cret-pass-1",
      ]);
      assert.equal(checked.ok, true);
      // DJANGO_SUPERUSER_PASSWORD as Django reads it; Django 3.2 verifies a 3.2-default hash.
      const r2 = await runCli(
        ["createuser", "--noinput", "--username", "plain1", "--django-version", "3.2"],
        {
          env: { ...env, DJANGO_SUPERUSER_PASSWORD: "other-pass-2" },
        },
      );
      assert.equal(r2.code, 0, r2.stderr);
      assert.equal(
        (
          await djangoJson<{ ok: boolean }>("3.2", url, [
            "check-password",
            "plain1",
            "other-pass-2",
          ])
        ).ok,
        true,
      );
      const taken = await runCli(["createuser", "--no-input", "--username", "plain1"], {
        env: { ...env, SESSIONBRIDGE_PASSWORD: "x" },
      });
      assert.equal(taken.code, 1);
      assert.match(taken.stderr, /already taken/);
      const list = await runCli(["users", "list", "--json"], { env });
      const users = JSON.parse(list.stdout) as { username: string; is_staff: boolean }[];
      assert.deepEqual(
        users.map((u) => [u.username, u.is_staff]),
        [
          ["root1", true],
          ["plain1", false],
        ],
      );
      assert.doesNotMatch(list.stdout, /pbkdf2/);
    });
  }

  it("DJANGO_VERSION=6.1: Django 6.1's 1,500,000 iterations, verified by Django 6.1 with no rehash", async () => {
    const env = { DATABASE_URL: sqlite(), SECRET_KEY: SECRET, DJANGO_VERSION: "6.1" };
    assert.equal((await runCli(["migrate"], { env })).code, 0);
    const r = await runCli(["createsuperuser", "--no-input", "--username", "root61"], {
      env: { ...env, SESSIONBRIDGE_PASSWORD: "s3cret-pass-61" },
    });
    assert.equal(r.code, 0, r.stderr);
    const checked = await djangoJson<{ ok: boolean; must_update: boolean; password: string }>(
      "6.1",
      sqlite(),
      ["check-password", "root61", "s3cret-pass-61"],
    );
    assert.equal(checked.ok, true);
    assert.equal(checked.must_update, false);
    assert.match(checked.password, /^pbkdf2_sha256\$1500000\$/);
    // Django 5.2 still verifies it, and would bring it down to its own 1,000,000 at next login.
    const old = await djangoJson<{ ok: boolean; must_update: boolean }>("5.2", sqlite(), [
      "check-password",
      "root61",
      "s3cret-pass-61",
    ]);
    assert.deepEqual([old.ok, old.must_update], [true, true]);
  });

  it("prompts in a terminal: hidden password, confirmation, validation, retry", async () => {
    const env = { DATABASE_URL: sqlite(), SECRET_KEY: SECRET };
    assert.equal((await runCli(["migrate"], { env })).code, 0);
    const r = await runCliInPty(
      ["createsuperuser"],
      [
        ["Username", "carol\r"],
        ["Email address: ", "carol@example.com\r"],
        ["Password: ", "pw-one-1\r"],
        ["Password (again): ", "pw-two-2\r"],
        ["didn't match", ""],
        ["Password: ", "1234\r"],
        ["Password (again): ", "1234\r"],
        ["[y/N]: ", "n\r"],
        ["Password: ", "Tr0ub4dor&3xyz\r"],
        ["Password (again): ", "Tr0ub4dor&3xyz\r"],
      ],
      env,
    );
    assert.equal(r.timed_out, null, r.output);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /This password is too short/);
    assert.match(r.output, /This password is entirely numeric/);
    assert.match(r.output, /Superuser created successfully/);
    assert.doesNotMatch(r.output, /Tr0ub4dor|pw-one-1|1234\r/); // never echoed
    assert.equal(
      (
        await djangoJson<{ ok: boolean }>("5.2", sqlite(), [
          "check-password",
          "carol",
          "Tr0ub4dor&3xyz",
        ])
      ).ok,
      true,
    );
  });

  it("Ctrl-C at a prompt cancels with exit 1 and creates nothing", async () => {
    const env = { DATABASE_URL: sqlite(), SECRET_KEY: SECRET };
    const r = await runCliInPty(
      ["createuser"],
      [
        ["Username", "dave\r"],
        ["Email address: ", "\x03"],
      ],
      env,
    );
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /cancelled/);
    const list = await runCli(["users", "list", "--json"], { env });
    assert.ok(
      !(JSON.parse(list.stdout) as { username: string }[]).some((u) => u.username === "dave"),
    );
  });

  it("without a terminal and without --no-input, it says what to do (exit 1)", async () => {
    const r = await runCli(["createsuperuser"], { env: { DATABASE_URL: sqlite() } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--no-input/);
    const u = await runCli(["createsuperuser", "--no-input"], { env: { DATABASE_URL: sqlite() } });
    assert.equal(u.code, 2);
  });
});

describe("changepassword", () => {
  it("changes the password (interactive) and deletes the user's db sessions; Django agrees", async () => {
    const url = dbs.postgresUrl;
    const env = { DATABASE_URL: url, SECRET_KEY: SECRET };
    assert.equal((await runCli(["migrate"], { env })).code, 0);
    const erin = await djangoJson<{ id: number; session_key: string }>("5.2", url, [
      "create-user",
      "erin",
      "old-pass-1",
    ]);
    const frank = await djangoJson<{ id: number; session_key: string }>("5.2", url, [
      "create-user",
      "frank",
      "old-pass-2",
    ]);
    await djangoJson("5.2", url, ["create-user", "erin2", "x-pass-3"]);
    const r = await runCliInPty(
      ["changepassword", "erin"],
      [
        ["Password: ", "new-pass-9x\r"],
        ["Password (again): ", "nope\r"],
        ["do not match", ""],
        ["Password: ", "new-pass-9x\r"],
        ["Password (again): ", "new-pass-9x\r"],
      ],
      env,
    );
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /Password changed successfully for user 'erin'/);
    assert.match(r.output, /Deleted 1 session of user 'erin'/);
    assert.equal(
      (await djangoJson<{ ok: boolean }>("5.2", url, ["check-password", "erin", "new-pass-9x"])).ok,
      true,
    );
    assert.equal(
      (await djangoJson<{ user_id: unknown }>("5.2", url, ["session-user", erin.session_key]))
        .user_id,
      "",
    );
    assert.equal(
      (await djangoJson<{ user_id: unknown }>("5.2", url, ["session-user", frank.session_key]))
        .user_id,
      frank.id,
    );
  });

  it("with SESSIONBRIDGE_PASSWORD, on a Redis cache store (SCAN), and fails cleanly for an unknown user", async () => {
    const url = dbs.mysqlUrl;
    const prefix = `cp${process.pid}`;
    const redisUrl = "redis://127.0.0.1:6379/0";
    const env = {
      DATABASE_URL: url,
      SECRET_KEY: SECRET,
      SESSION_STORE: "cache",
      REDIS_URL: redisUrl,
      CACHE_KEY_PREFIX: prefix,
    };
    assert.equal((await runCli(["migrate"], { env })).code, 0);
    const made = await runCli(["createuser", "--no-input", "--username", "gina", "--json"], {
      env: { ...env, SESSIONBRIDGE_PASSWORD: "gina-pass-1" },
    });
    const id = (JSON.parse(made.stdout) as { id: number }).id;
    // Django (django-redis cache engine) logs gina in twice and someone else once.
    const redis = new Redis(redisUrl);
    try {
      const { dumpsPickle } = await import("../../../src/codecs/pickle/index.ts");
      const put = (key: string, user: string): Promise<unknown> =>
        redis.set(
          `${prefix}:1:django.contrib.sessions.cache${key}`,
          Buffer.from(dumpsPickle(new Map([["_auth_user_id", user]]), { protocol: 4 })),
          "EX",
          600,
        );
      await put("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1", String(id));
      await put("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2", String(id));
      await put("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa3", String(id + 1000));
      const r = await runCli(["changepassword", "gina", "--json"], {
        env: { ...env, SESSIONBRIDGE_PASSWORD: "gina-pass-2" },
      });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), {
        username: "gina",
        id,
        sessions_deleted: 2,
        sessions_via: "walk", // no user index on this store
      });
      const left = await redis.keys(`${prefix}:*`);
      assert.deepEqual(left, [
        `${prefix}:1:django.contrib.sessions.cacheaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa3`,
      ]);
      await redis.del(left);
      assert.equal(
        (await djangoJson<{ ok: boolean }>("5.2", url, ["check-password", "gina", "gina-pass-2"]))
          .ok,
        true,
      );
    } finally {
      redis.disconnect();
    }
    const missing = await runCli(["changepassword", "nobody"], {
      env: { ...env, SESSIONBRIDGE_PASSWORD: "x" },
    });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /user 'nobody' does not exist/);
  });
});
