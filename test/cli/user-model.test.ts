// AUTH_USER_MODEL in the CLI and `serve`: a custom user model with a UUID key
// (test/auth/django_apps/uuidaccounts, Member), its tables made by real Django 5.2, then
// createsuperuser / users list / changepassword / serve on them, checked by Django itself.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { runUserModelPeer, type PeerUser } from "../auth/user-model-peer.ts";
import { runCli } from "../support/cli.ts";
import { createTempDatabases, type TempDatabases } from "../support/databases.ts";
import { CookieJar } from "../support/http.ts";
import { csrfTokenIn, formPost, startServe } from "../support/serve.ts";

const SECRET = "user-model-cli-test-secret";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface DjangoUser extends PeerUser {
  readonly is_staff: boolean;
  readonly is_superuser: boolean;
}

for (const dialect of ["sqlite", "postgres", "mysql"] as const) {
  describe(`AUTH_USER_MODEL=uuidaccounts.Member on ${dialect} (tables by Django 5.2)`, () => {
    let dbs: TempDatabases;
    let db: string;
    let env: Record<string, string>;
    const django = <T>(args: string[], input?: unknown): Promise<T> =>
      runUserModelPeer<T>(
        { version: "5.2", db, userModel: "uuidaccounts.Member", secretKey: SECRET },
        args,
        input,
      );

    before(async () => {
      dbs = await createTempDatabases(`cli_user_model_${dialect}`);
      db = dbs.url(dialect);
      await django(["setup"]);
      env = {
        DATABASE_URL: db,
        SECRET_KEY: SECRET,
        AUTH_USER_MODEL: "uuidaccounts.Member",
        AUTH_USER_PK: "uuid",
      };
    });
    after(async () => {
      await dbs.drop();
    });

    it("createsuperuser --no-input, users list, changepassword: Django agrees", async () => {
      const made = await django<PeerUser>(["create-user"], {
        username: "dj-alice",
        password: "alice-pw-1",
        email: "alice@example.com",
      });
      const created = await runCli(["createsuperuser", "--no-input", "--json"], {
        env: {
          ...env,
          DJANGO_SUPERUSER_USERNAME: "root",
          DJANGO_SUPERUSER_EMAIL: "Root@Example.COM",
          DJANGO_SUPERUSER_PASSWORD: "first-pass-1",
        },
      });
      assert.equal(created.code, 0, created.stderr);
      const doc = JSON.parse(created.stdout) as { id: string; username: string };
      assert.match(doc.id, UUID);
      assert.equal(doc.username, "root");

      const seen = await django<DjangoUser | null>(["authenticate"], {
        username: "root",
        password: "first-pass-1",
      });
      assert.ok(seen, "Django authenticates the created user");
      assert.equal(seen.id, doc.id);
      assert.equal(seen.email, "Root@example.com");
      assert.equal(seen.is_superuser, true);
      assert.equal(seen.is_staff, true);

      const list = await runCli(["users", "list", "--json"], { env });
      assert.equal(list.code, 0, list.stderr);
      const users = JSON.parse(list.stdout) as { id: string; username: string }[];
      assert.deepEqual(
        users.map((u) => [u.id, u.username]).sort(),
        [
          [made.id, "dj-alice"],
          [doc.id, "root"],
        ].sort(),
      );
      const table = await runCli(["users", "list", "--user-model", "uuidaccounts.Member"], {
        env: { ...env, AUTH_USER_MODEL: "" },
      });
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, new RegExp(`^${doc.id}\troot\t`, "m"));

      const changed = await runCli(["changepassword", "root", "--json"], {
        env: { ...env, SESSIONBRIDGE_PASSWORD: "second-pass-2" },
      });
      assert.equal(changed.code, 0, changed.stderr);
      assert.equal((JSON.parse(changed.stdout) as { id: string }).id, doc.id);
      assert.equal(
        await django(["authenticate"], { username: "root", password: "first-pass-1" }),
        null,
      );
      const after = await django<DjangoUser | null>(["authenticate"], {
        username: "root",
        password: "second-pass-2",
      });
      assert.equal(after?.id, doc.id);

      const taken = await runCli(["createuser", "--no-input", "--username", "dj-alice"], {
        env: { ...env, SESSIONBRIDGE_PASSWORD: "x-pass-3" },
      });
      assert.equal(taken.code, 1);
      assert.match(taken.stderr, /already taken: dj-alice/);
    });

    it("serve logs the user in over HTTP; Django's get_user() sees the same user", async () => {
      await django(["create-user"], { username: "bob", password: "bob-pass-1" });
      await django(["grant"], { username: "bob", group: "editors" });
      const bob = await django<PeerUser>(["user"], { username: "bob" });
      const dir = mkdtempSync(join(tmpdir(), "sb-user-model-"));
      const server = await startServe(dir, env);
      try {
        const jar = new CookieJar();
        const page = await (await jar.fetch(`${server.url}/login`)).text();
        const ok = await jar.fetch(
          `${server.url}/login`,
          formPost({
            csrfmiddlewaretoken: csrfTokenIn(page),
            username: "bob",
            password: "bob-pass-1",
          }),
        );
        assert.equal(ok.status, 302, await ok.clone().text());
        const whoami = (await (await jar.fetch(`${server.url}/whoami`)).json()) as {
          id: string;
          username: string;
        };
        assert.equal(whoami.id, bob.id);
        assert.equal(whoami.username, "bob");
        const verify = await jar.fetch(`${server.url}/auth/verify`);
        assert.equal(verify.status, 200);
        assert.equal(verify.headers.get("x-auth-user-id"), bob.id);
        // The groups come through uuidaccounts_member_groups.member_id, as Django made it.
        assert.equal(verify.headers.get("x-auth-groups"), "editors");
        const key = jar.cookies.get("sessionid") ?? "";
        const sessionUser = await django<{ id: string; is_authenticated: boolean }>([
          "session-user",
          key,
        ]);
        assert.deepEqual(sessionUser, { id: bob.id, username: "bob", is_authenticated: true });
      } finally {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      }
      if (dialect === "sqlite") {
        const sqlite = new Database(dbs.sqlitePath, { readonly: true });
        const authUser = sqlite
          .prepare("SELECT name FROM sqlite_master WHERE name = 'auth_user'")
          .get();
        sqlite.close();
        assert.equal(authUser, undefined, "serve made no auth_user for a custom model");
      }
    });
  });
}

describe("AUTH_USER_MODEL errors", () => {
  it("bad values are usage errors, exit 2, one line", async () => {
    for (const [args, env, message] of [
      [["users", "list"], { AUTH_USER_MODEL: "nodot" }, /AUTH_USER_MODEL must be of the form/],
      [["users", "list"], { AUTH_USER_PK: "float" }, /AUTH_USER_PK must be one of int, uuid/],
      [["createsuperuser", "--no-input", "--user-model", "a.b.c"], {}, /AUTH_USER_MODEL/],
      [["changepassword", "x"], { AUTH_USERNAME_FIELD: "e-mail" }, /AUTH_USERNAME_FIELD/],
      [["serve", "--port", "0"], { AUTH_USER_MODEL: "nodot" }, /AUTH_USER_MODEL must be/],
      [["serve", "--port", "0"], { AUTH_USER_PK: "float" }, /AUTH_USER_PK must be one of/],
      [["serve", "--user-model", "x"], {}, /AUTH_USER_MODEL must be/],
    ] as const) {
      const dir = mkdtempSync(join(tmpdir(), "sb-user-model-"));
      const r = await runCli(args, {
        cwd: dir,
        env: { SECRET_KEY: SECRET, SESSIONBRIDGE_PASSWORD: "p", ...env },
      });
      rmSync(dir, { recursive: true, force: true });
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      const [first, ...rest] = r.stderr.trim().split("\n");
      assert.match(first ?? "", message);
      assert.deepEqual(rest, [`Run 'sessionbridge ${args[0]} --help' for usage.`]);
    }
  });

  it("a custom model's missing table is a clear failure, and no auth_user is made", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sb-user-model-"));
    try {
      // An empty database (a missing file is refused before any table is looked for).
      writeFileSync(join(dir, "db.sqlite3"), "");
      const env = {
        DATABASE_URL: `sqlite:${join(dir, "db.sqlite3")}`,
        SECRET_KEY: SECRET,
        AUTH_USER_MODEL: "shop.Customer",
        SESSIONBRIDGE_PASSWORD: "p-pass-1",
      };
      for (const args of [
        ["createsuperuser", "--no-input", "--username", "x"],
        ["users", "list"],
        ["changepassword", "x"],
        ["serve", "--port", "0"],
      ]) {
        const r = await runCli(args, { cwd: dir, env });
        assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
        assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
        assert.match(
          r.stderr,
          /there is no shop_customer table \(AUTH_USER_MODEL=shop\.Customer\) in .*Django's migrate/,
        );
      }
      const withTable = await runCli(["users", "list"], {
        cwd: dir,
        env: { ...env, AUTH_USER_TABLE: "customers" },
      });
      assert.equal(withTable.code, 1);
      assert.match(withTable.stderr, /there is no customers table/);
      const file = join(dir, "db.sqlite3");
      if (existsSync(file)) {
        const sqlite = new Database(file, { readonly: true });
        const names = sqlite
          .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
          .all() as { name: string }[];
        sqlite.close();
        assert.ok(!names.some((n) => n.name.startsWith("auth_")), JSON.stringify(names));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
