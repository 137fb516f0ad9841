// User / AnonymousUser and DjangoUserSource on a real SQLite auth schema: permissions (user ∪
// group, superuser, inactive), groups, serialisation without the password, custom models.
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import {
  ANONYMOUS_USER,
  AnonymousUser,
  DjangoUserSource,
  User,
  getSessionUser,
  login,
} from "../../src/auth/index.ts";
import { ConfigurationError, InvalidArgumentError } from "../../src/errors.ts";
import { sqliteDatabase } from "../../src/stores/sql/index.ts";
import { SECRET, fixture, HASHERS } from "./support.ts";
import { resolveSessionSettings } from "../../src/engine/config.ts";
import { Session } from "../../src/engine/session.ts";
import { MemoryStore } from "../../src/stores/memory/index.ts";

describe("DjangoUserSource on auth_user", () => {
  it("reads every field with the right types", async () => {
    const f = await fixture();
    await f.addUser("alice", "pw", { isStaff: true });
    const user = (await f.users.getUser("1"))!;
    assert.equal(user.id, 1);
    assert.equal(user.username, "alice");
    assert.equal(user.email, "alice@example.com");
    assert.equal(user.isActive, true);
    assert.equal(user.isStaff, true);
    assert.equal(user.isSuperuser, false);
    assert.equal(user.lastLogin, null);
    assert.equal(user.dateJoined?.toISOString(), "2024-01-01T00:00:00.000Z");
    assert.match(user.password, /^pbkdf2_sha256\$/);
    assert.equal(user.sessionId, "1");
    assert.equal(await f.users.getUser("2"), null);
    assert.equal(await f.users.getUser("x"), null);
    assert.equal(await f.users.getUserByUsername("nobody"), null);
  });

  it("converts session ids like Django's IntegerField.to_python", async () => {
    const f = await fixture();
    assert.equal(f.users.normalizeId(" 007 "), "7");
    assert.equal(f.users.normalizeId("+1_000"), "1000");
    assert.equal(f.users.normalizeId("1.0"), null);
    assert.equal(f.users.normalizeId("abc"), null);
    assert.equal(f.users.normalizeId("99999999999999999999"), null);
  });

  it("permissions: user ∪ group; superuser has all; inactive has none", async () => {
    const f = await fixture();
    const alice = await f.addUser("alice", "pw");
    const root = await f.addUser("root", "pw", { isSuperuser: true });
    const ghost = await f.addUser("ghost", "pw", { isSuperuser: true, isActive: false });
    const idle = await f.addUser("idle", "pw", { isActive: false });
    const add = f.addPermission("polls", "add_poll");
    const change = f.addPermission("polls", "change_poll");
    f.addPermission("polls", "delete_poll");
    const view = f.addPermission("blog", "view_post");
    f.grantUser(alice, add);
    f.grantUser(idle, add);
    f.addGroup("editors", [change, view], [alice, idle]);
    assert.ok(root > 0 && ghost > 0);

    const a = (await f.users.getUserByUsername("alice"))!;
    assert.deepEqual([...(await a.getAllPermissions())].sort(), [
      "blog.view_post",
      "polls.add_poll",
      "polls.change_poll",
    ]);
    assert.equal(await a.hasPerm("polls.add_poll"), true);
    assert.equal(await a.hasPerm("polls.change_poll"), true, "via group");
    assert.equal(await a.hasPerm("polls.delete_poll"), false);
    assert.equal(await a.hasPerms(["polls.add_poll", "blog.view_post"]), true);
    assert.equal(await a.hasPerms(["polls.add_poll", "polls.delete_poll"]), false);
    assert.equal(await a.hasModulePerms("blog"), true);
    assert.equal(await a.hasModulePerms("auth"), false);
    assert.deepEqual(await a.groups(), ["editors"]);
    await assert.rejects(a.hasPerms("polls.add_poll" as unknown as string[]), InvalidArgumentError);

    const r = (await f.users.getUserByUsername("root"))!;
    assert.equal(await r.hasPerm("anything.at_all"), true, "active superuser: any name");
    assert.equal((await r.getAllPermissions()).size, 4, "every permission row");

    const g = (await f.users.getUserByUsername("ghost"))!;
    assert.equal(await g.hasPerm("polls.add_poll"), false, "inactive superuser: nothing");
    const i = (await f.users.getUserByUsername("idle"))!;
    assert.equal(await i.hasPerm("polls.add_poll"), false, "inactive: nothing");
    assert.equal(await i.hasModulePerms("polls"), false);
  });

  it("never serialises the password", async () => {
    const f = await fixture();
    await f.addUser("alice", "pw");
    const user = (await f.users.getUser("1"))!;
    const json = JSON.stringify(user);
    assert.ok(!json.includes("pbkdf2"), json);
    assert.ok(!("password" in (JSON.parse(json) as object)));
    assert.ok(!inspect(user).includes("pbkdf2"));
    assert.ok(!JSON.stringify({ ...user }).includes("pbkdf2"));
    assert.ok(!Object.keys(user).includes("password"));
    assert.equal((JSON.parse(json) as { isAuthenticated: boolean }).isAuthenticated, true);
    assert.equal(String(user), "alice");
  });

  it("rejects unsafe identifiers in options", async () => {
    const database = await sqliteDatabase(":memory:");
    assert.throws(
      () => new DjangoUserSource({ database, table: "users; DROP" }),
      ConfigurationError,
    );
    assert.throws(
      () => new DjangoUserSource({ database, extraFields: ['x" --'] }),
      ConfigurationError,
    );
  });

  it("a custom user model with a UUID key and another USERNAME_FIELD plugs in via options", async () => {
    const raw = new Database(":memory:");
    // What `migrate` makes on SQLite for a custom AbstractBaseUser with a UUIDField pk.
    raw
      .prepare(
        `CREATE TABLE "accounts_member" ("password" varchar(128) NOT NULL, "last_login" datetime NULL, "id" char(32) NOT NULL PRIMARY KEY, "email" varchar(254) NOT NULL UNIQUE, "is_active" bool NOT NULL, "nickname" varchar(50) NOT NULL)`,
      )
      .run();
    const { makePassword } = await import("../../src/auth/hashers/index.ts");
    const encoded = await makePassword("pw", { ...HASHERS, djangoVersion: "5.2" });
    raw
      .prepare(`INSERT INTO accounts_member VALUES (?, NULL, ?, ?, 1, ?)`)
      .run(encoded, "1b4e28ba2fa1411d9f0a2b5c3d4e5f60", "zoe@example.com", "Zoë");
    const users = new DjangoUserSource({
      database: await sqliteDatabase(raw),
      table: "accounts_member",
      pkType: "uuid",
      usernameColumn: "email",
      columns: {
        isStaff: null,
        isSuperuser: null,
        email: "email",
        firstName: null,
        lastName: null,
        dateJoined: null,
      },
      extraFields: ["nickname"],
    });
    const user = (await users.getUserByUsername("zoe@example.com"))!;
    assert.equal(user.id, "1b4e28ba-2fa1-411d-9f0a-2b5c3d4e5f60");
    assert.equal(user.sessionId, "1b4e28ba-2fa1-411d-9f0a-2b5c3d4e5f60", "str(uuid)");
    assert.deepEqual(user.fields, { nickname: "Zoë" });
    assert.equal(users.normalizeId("{1B4E28BA2FA1411D9F0A2B5C3D4E5F60}"), user.sessionId);
    assert.equal(users.normalizeId("not-a-uuid"), null);

    const store = new MemoryStore();
    const config = { users, secretKey: SECRET, hashers: HASHERS, djangoVersion: "5.2" } as const;
    const s = new Session(store, null, resolveSessionSettings());
    await login(s, user, config);
    assert.equal(await s.get("_auth_user_id"), "1b4e28ba-2fa1-411d-9f0a-2b5c3d4e5f60");
    const back = await getSessionUser(s, config);
    assert.equal(back.isAuthenticated && back.fields["nickname"], "Zoë");
    const row = raw.prepare("SELECT last_login FROM accounts_member").get() as {
      last_login: string | null;
    };
    assert.ok(row.last_login, "last_login written by the hex key");
  });
});

describe("AnonymousUser", () => {
  it("is Django's AnonymousUser", async () => {
    const a = ANONYMOUS_USER;
    assert.ok(a instanceof AnonymousUser);
    assert.equal(a.id, null);
    assert.equal(a.username, "");
    assert.equal(a.isAuthenticated, false);
    assert.equal(a.isAnonymous, true);
    assert.deepEqual([a.isActive, a.isStaff, a.isSuperuser], [false, false, false]);
    assert.equal(String(a), "AnonymousUser");
    assert.equal(await a.hasPerm("x.y"), false);
    assert.equal(await a.hasPerms([]), true, "all() of nothing");
    assert.equal(await a.hasPerms(["x.y"]), false);
    assert.deepEqual(await a.groups(), []);
    assert.equal((await a.getAllPermissions()).size, 0);
    assert.ok(Object.isFrozen(a));
    assert.deepEqual(JSON.parse(JSON.stringify(a)), {
      id: null,
      username: "",
      isAuthenticated: false,
    });
  });

  it("User without a permission source has no permissions", async () => {
    const u = new User({ id: 5, username: "x", password: "", isActive: true });
    assert.equal(await u.hasPerm("a.b"), false);
    assert.deepEqual(await u.groups(), []);
  });
});
