// DjangoUserSource.createUser and listUsers on real SQLite, PostgreSQL and MariaDB: the row is
// the one Django's create_user / create_superuser writes (compared with rows Django wrote on
// the same table), real Django logs the created users in, a taken username is a typed error
// (also when another writer gets in between the check and the INSERT), listing pages through
// the table in key order, and custom models (UUID and text keys, renamed columns) work too.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  DjangoUserSource,
  authenticate,
  type AuthConfig,
  type User,
} from "../../src/auth/index.ts";
import { normalizeEmail, normalizeUsername } from "../../src/auth/django-user-source.ts";
import { makePassword } from "../../src/auth/hashers/index.ts";
import {
  ConfigurationError,
  InvalidArgumentError,
  UserExistsError,
  isSessionBridgeError,
} from "../../src/errors.ts";
import {
  openDatabaseUrl,
  SqlDuplicateKeyError,
  type SqlDatabase,
} from "../../src/stores/sql/index.ts";
import { createTempDatabases, type TempDatabases } from "../support/databases.ts";
import { runAuthPeer, sessionCookie, startAuthServer } from "./django-peer.ts";
import { HASHERS } from "./support.ts";
import { placeholders } from "../../src/internal/sql/database.ts";

const SECRET = "django-user-source-test-secret-key";
const DJANGO = "5.2";
const DIALECTS = ["sqlite", "postgres", "mysql"] as const;
type Dialect = (typeof DIALECTS)[number];

const encode = (password: string): Promise<string> =>
  makePassword(password, { ...HASHERS, djangoVersion: DJANGO });

/** Rejects with a UserExistsError for `username`. */
function isTaken(username: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof UserExistsError, String(error));
    assert.ok(isSessionBridgeError(error));
    assert.equal(error.code, "user-exists");
    assert.equal(error.username, username);
    assert.equal(error.message, "A user with that username already exists.");
    return true;
  };
}

/** The real database, counting the statements that go through it (nothing is faked). */
function counting(database: SqlDatabase): { database: SqlDatabase; queries: string[] } {
  const queries: string[] = [];
  return {
    queries,
    database: {
      dialect: database.dialect,
      query: (sql, params) => {
        queries.push(sql);
        return database.query(sql, params);
      },
      execute: (sql, params) => database.execute(sql, params),
      close: () => Promise.resolve(),
    },
  };
}

async function collect(users: AsyncIterable<User>): Promise<User[]> {
  const out: User[] = [];
  for await (const user of users) out.push(user);
  return out;
}

/** What Django's `migrate` makes for two custom user models (UUID key; text key, renamed fields). */
function customDdl(dialect: Dialect): string[] {
  const [uuid, bool, datetime] =
    dialect === "postgres"
      ? ["uuid", "boolean", "timestamp with time zone"]
      : dialect === "mysql"
        ? ["char(32)", "bool", "datetime(6)"]
        : ["char(32)", "bool", "datetime"];
  const q = (name: string): string => (dialect === "mysql" ? `\`${name}\`` : `"${name}"`);
  return [
    `CREATE TABLE ${q("accounts_member")} (${q("password")} varchar(128) NOT NULL, ${q("last_login")} ${datetime} NULL, ${q("id")} ${uuid} NOT NULL PRIMARY KEY, ${q("email")} varchar(254) NOT NULL UNIQUE, ${q("is_active")} ${bool} NOT NULL, ${q("nickname")} varchar(50) NOT NULL)`,
    `CREATE TABLE ${q("shop_customer")} (${q("code")} varchar(20) NOT NULL PRIMARY KEY, ${q("login")} varchar(150) NOT NULL UNIQUE, ${q("pass_hash")} varchar(128) NOT NULL, ${q("active")} ${bool} NOT NULL, ${q("staff")} ${bool} NOT NULL, ${q("superuser")} ${bool} NOT NULL, ${q("mail")} varchar(254) NOT NULL, ${q("given_name")} varchar(150) NOT NULL, ${q("family_name")} varchar(150) NOT NULL, ${q("seen")} ${datetime} NULL, ${q("joined")} ${datetime} NOT NULL)`,
  ];
}

describe("normalizeUsername / normalizeEmail (Django's managers)", () => {
  it("NFKC for usernames; the email domain lowercased, stripped only when split", () => {
    assert.equal(normalizeUsername("ｂｏｂ\uFB01"), "bobfi");
    assert.equal(normalizeEmail("Bob.Smith@Example.COM"), "Bob.Smith@example.com");
    assert.equal(normalizeEmail(" a@B.org "), "a@b.org");
    assert.equal(normalizeEmail("a@b@C.ORG"), "a@b@c.org", "rsplit on the last @");
    assert.equal(normalizeEmail(" NoAt "), " NoAt ");
    assert.equal(normalizeEmail(""), "");
  });
});

describe("DjangoUserSource.createUser / listUsers", () => {
  let dbs: TempDatabases;
  before(async () => {
    dbs = await createTempDatabases("user_source");
  });
  after(async () => {
    await dbs.drop();
  });

  for (const dialect of DIALECTS) {
    describe(dialect, () => {
      let url: string;
      let env: Record<string, string>;
      let database: SqlDatabase;
      let users: DjangoUserSource;
      let config: AuthConfig;
      const p = placeholders(dialect);
      const rowOf = async (username: string): Promise<Record<string, unknown>> => {
        const rows = await database.query(
          `SELECT id, password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined FROM auth_user WHERE username = ${p(1)}`,
          [username],
        );
        assert.equal(rows.length, 1, `one row for ${username}`);
        return { ...rows[0] };
      };

      before(async () => {
        url = dbs.url(dialect);
        env = { DJANGO_DB: url, SECRET_KEY: SECRET };
        await runAuthPeer(DJANGO, ["migrate"], env); // Django's own auth_user
        database = await openDatabaseUrl(url);
        for (const sql of customDdl(dialect)) await database.execute(sql, []);
        users = new DjangoUserSource({ database });
        config = { users, secretKey: SECRET, hashers: HASHERS, djangoVersion: DJANGO };
      });
      after(async () => {
        await database.close();
      });

      it("writes the row Django's create_user / create_superuser writes; Django logs them in", async () => {
        const start = Date.now();
        const admin = await users.createUser({
          username: "admin",
          email: "Admin@Example.COM",
          password: await encode("admin-pw-1"),
          isStaff: true,
          isSuperuser: true,
        });
        const plain = await users.createUser({
          username: "plain",
          email: "plain@example.com",
          password: await encode("plain-pw-2"),
        });
        // The real key the database assigned, as a number (AutoField).
        for (const [user, name] of [
          [admin, "admin"],
          [plain, "plain"],
        ] as const) {
          assert.equal(typeof user.id, "number");
          assert.equal(user.id, Number((await rowOf(name))["id"]));
          assert.deepEqual(
            JSON.stringify(await users.getUserByUsername(name)),
            JSON.stringify(user),
          );
          assert.equal((await users.getUser(String(user.id)))?.username, name);
        }
        assert.notEqual(admin.id, plain.id);
        assert.deepEqual(
          [admin.email, admin.isActive, admin.isStaff, admin.isSuperuser],
          ["Admin@example.com", true, true, true],
        );
        assert.deepEqual(
          [plain.isActive, plain.isStaff, plain.isSuperuser, plain.firstName, plain.lastName],
          [true, false, false, "", ""],
        );
        assert.equal(plain.lastLogin, null);
        const joined = plain.dateJoined?.getTime() ?? 0;
        assert.ok(joined >= start - 1 && joined <= Date.now(), "date_joined is now");

        // Side by side with rows Django's own managers wrote into the same table.
        await runAuthPeer(DJANGO, ["create-user"], env, { username: "djplain", password: "x" });
        await runAuthPeer(DJANGO, ["create-user"], env, {
          username: "djroot",
          password: "x",
          superuser: true,
        });
        for (const [ours, django] of [
          ["plain", "djplain"],
          ["admin", "djroot"],
        ] as const) {
          const a = await rowOf(ours);
          const b = await rowOf(django);
          for (const column of [
            "is_superuser",
            "is_staff",
            "is_active",
            "first_name",
            "last_name",
            "last_login",
          ]) {
            assert.deepEqual(a[column], b[column], `${ours}.${column} as Django writes it`);
          }
          assert.equal(typeof a["date_joined"], typeof b["date_joined"]);
          if (dialect === "sqlite") {
            // Django's str(datetime) of naive UTC: space, no offset, .ffffff unless zero.
            const format = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$/;
            assert.match(String(a["date_joined"]), format);
            assert.match(String(b["date_joined"]), format);
          } else {
            assert.ok(a["date_joined"] instanceof Date && b["date_joined"] instanceof Date);
          }
          assert.ok(String(a["password"]).startsWith("pbkdf2_sha256$1000$"));
        }

        // Our authenticate() accepts them …
        const ok = await authenticate({ username: "admin", password: "admin-pw-1" }, config);
        assert.ok(ok.ok && ok.user.id === admin.id);
        const bad = await authenticate({ username: "plain", password: "wrong" }, config);
        assert.equal(bad.ok, false);
        // … and so does real Django: its permission rules read the flags as we wrote them …
        assert.deepEqual(
          await runAuthPeer(DJANGO, ["has-perms"], env, {
            username: "admin",
            perms: ["auth.add_user"],
          }),
          { "auth.add_user": true },
        );
        assert.deepEqual(
          await runAuthPeer(DJANGO, ["has-perms"], env, {
            username: "plain",
            perms: ["auth.add_user"],
          }),
          { "auth.add_user": false },
        );
        // … and its authenticate() + login() over HTTP log the created user in.
        const django = await startAuthServer(DJANGO, env);
        try {
          const response = await fetch(`${django.url}/auth/login`, {
            method: "POST",
            headers: { "Content-Type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams({ username: "plain", password: "plain-pw-2" }).toString(),
          });
          assert.equal(response.status, 200, await response.clone().text());
          assert.equal(((await response.json()) as { id: unknown }).id, plain.id);
          const key = sessionCookie(response);
          assert.ok(key);
          const me = await fetch(`${django.url}/auth/whoami`, {
            headers: { Cookie: `sessionid=${key}` },
          });
          assert.deepEqual(
            { ...((await me.json()) as Record<string, unknown>), key: null },
            { id: plain.id, username: "plain", is_authenticated: true, key: null },
          );
        } finally {
          await django.stop();
        }
        const seen = (await users.getUser(String(plain.id)))!;
        assert.ok(seen.lastLogin !== null, "Django's login wrote last_login on our row");
      });

      it("a taken username is a UserExistsError, also when another writer gets in first", async () => {
        await users.createUser({ username: "dup", password: await encode("pw") });
        await assert.rejects(
          users.createUser({ username: "dup", password: await encode("pw2") }),
          isTaken("dup"),
        );
        // NFKC first, as Django's normalize_username: full-width "ｄｕｐ" is "dup".
        await assert.rejects(
          users.createUser({ username: "ｄｕｐ", password: await encode("pw") }),
          isTaken("dup"),
        );
        // Another writer inserts the same username between our check and our INSERT: the
        // unique constraint decides, and the driver's duplicate-key error becomes the typed one.
        let raced = false;
        const racing = new DjangoUserSource({
          database: {
            dialect: database.dialect,
            query: (sql, params) => database.query(sql, params),
            execute: async (sql, params) => {
              if (!raced && sql.startsWith("INSERT")) {
                raced = true;
                await users.createUser({ username: "race", password: await encode("first") });
              }
              return database.execute(sql, params);
            },
            close: () => Promise.resolve(),
          },
        });
        await assert.rejects(
          racing.createUser({ username: "race", password: await encode("second") }),
          (error) => {
            isTaken("race")(error);
            assert.ok((error as Error).cause instanceof SqlDuplicateKeyError);
            return true;
          },
        );
        // Two concurrent creations (a pool on PostgreSQL and MariaDB): one wins, one is told.
        const results = await Promise.allSettled([
          users.createUser({ username: "twin", password: await encode("a") }),
          users.createUser({ username: "twin", password: await encode("b") }),
        ]);
        assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
        const lost = results.find((r) => r.status === "rejected");
        assert.ok(lost && isTaken("twin")(lost.reason));
        for (const name of ["dup", "race", "twin"]) {
          const rows = await database.query(
            `SELECT COUNT(*) AS n FROM auth_user WHERE username = ${p(1)}`,
            [name],
          );
          assert.equal(Number(rows[0]?.["n"]), 1, `one ${name}`);
        }
        assert.equal(
          await authenticate({ username: "race", password: "first" }, config).then((r) => r.ok),
          true,
          "the first writer's row stands",
        );
        await assert.rejects(
          users.createUser({ username: "", password: "!" }),
          InvalidArgumentError,
          "Django: the given username must be set",
        );
      });

      it("listUsers: every user in primary-key order, in keyset batches, lazily", async () => {
        const bulk: User[] = [];
        for (let i = 0; i < 13; i++) {
          bulk.push(
            await users.createUser({
              username: `bulk${String(i).padStart(2, "0")}`,
              password: "!x",
            }),
          );
        }
        // A freed key given explicitly, inserted last: key order is not insertion order.
        const gap = Number(bulk[4]!.id);
        await database.execute(`DELETE FROM auth_user WHERE id = ${p(1)}`, [gap]);
        const late = await users.createUser({ id: gap, username: "late", password: "!x" });
        assert.equal(late.id, gap);
        const expected = (await database.query("SELECT id FROM auth_user ORDER BY id", [])).map(
          (r) => Number(r["id"]),
        );
        assert.ok(expected.length > 8, "more rows than two batches");
        assert.notEqual(expected.at(-1), gap);
        assert.ok(expected.includes(gap));

        for (const batchSize of [4, expected.length, expected.length + 1, 1]) {
          const { database: db, queries } = counting(database);
          const listed = await collect(
            new DjangoUserSource({ database: db }).listUsers({ batchSize }),
          );
          assert.deepEqual(
            listed.map((u) => u.id),
            expected,
            `batchSize ${batchSize}`,
          );
          // Full pages, then the short (possibly empty) one that ends it.
          assert.equal(queries.length, Math.floor(expected.length / batchSize) + 1);
          assert.ok(queries.every((sql) => sql.includes(`LIMIT ${batchSize}`)));
        }
        // Each listed user is what getUser reads.
        const all = await collect(users.listUsers());
        assert.deepEqual(
          all.map((u) => u.id),
          expected,
        );
        for (const user of all) {
          assert.equal(JSON.stringify(user), JSON.stringify(await users.getUser(String(user.id))));
          assert.equal(user.password, (await users.getUser(String(user.id)))?.password);
        }
        // Lazy: one page is read per batch consumed.
        const { database: db, queries } = counting(database);
        const pages = new DjangoUserSource({ database: db }).listUsers({ batchSize: 3 });
        const iterator = pages[Symbol.asyncIterator]();
        assert.equal(queries.length, 0);
        for (let i = 0; i < 3; i++) await iterator.next();
        assert.equal(queries.length, 1);
        await iterator.next();
        assert.equal(queries.length, 2);
        await iterator.return?.();
        for (const batchSize of [0, -1, 1.5, Number.NaN]) {
          assert.throws(() => users.listUsers({ batchSize }), ConfigurationError);
        }
      });

      it("a custom model with a UUID key and the email as USERNAME_FIELD", async () => {
        const members = new DjangoUserSource({
          database,
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
        const zoe = await members.createUser({
          username: "Zoe@Example.COM",
          password: await encode("zoe-pw"),
          fields: { nickname: "Zoë" },
        });
        assert.match(
          String(zoe.id),
          /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/,
        );
        assert.equal(zoe.username, "Zoe@example.com", "normalised as an email");
        assert.equal(zoe.email, "Zoe@example.com");
        assert.equal(zoe.isActive, true);
        assert.deepEqual(zoe.fields, { nickname: "Zoë" });
        const raw = await database.query(`SELECT id, last_login FROM accounts_member`, []);
        assert.equal(raw.length, 1);
        // Stored as Django's UUIDField stores it: uuid on PostgreSQL, 32 hex digits elsewhere.
        assert.equal(
          String(raw[0]?.["id"]),
          dialect === "postgres" ? zoe.id : String(zoe.id).replace(/-/g, ""),
        );
        assert.equal(raw[0]?.["last_login"], null);
        const given = await members.createUser({
          id: "{1B4E28BA-2FA1-411D-9F0A-2B5C3D4E5F60}",
          username: "ann@example.com",
          password: await encode("ann-pw"),
          fields: { nickname: "Ann" },
        });
        assert.equal(given.id, "1b4e28ba-2fa1-411d-9f0a-2b5c3d4e5f60");
        assert.equal((await members.getUser(given.sessionId))?.username, "ann@example.com");
        for (let i = 0; i < 4; i++) {
          await members.createUser({
            username: `m${i}@example.com`,
            password: "!x",
            fields: { nickname: `m${i}` },
          });
        }
        const expected = (
          await database.query("SELECT id FROM accounts_member ORDER BY id", [])
        ).map((r) => members.normalizeId(String(r["id"])));
        const listed = await collect(members.listUsers({ batchSize: 2 }));
        assert.equal(listed.length, 6);
        assert.deepEqual(
          listed.map((u) => u.id),
          expected,
        );
        assert.equal(listed.find((u) => u.id === given.id)?.fields["nickname"], "Ann");

        await assert.rejects(
          members.createUser({
            username: "Zoe@EXAMPLE.com",
            password: "!x",
            fields: { nickname: "" },
          }),
          isTaken("Zoe@example.com"),
        );
        await assert.rejects(
          members.createUser({
            username: "staff@example.com",
            password: "!x",
            isStaff: true,
            fields: { nickname: "" },
          }),
          /no isStaff column/,
        );
        await assert.rejects(
          members.createUser({ id: "not-a-uuid", username: "x@example.com", password: "!x" }),
          InvalidArgumentError,
        );
        const memberConfig = {
          users: members,
          secretKey: SECRET,
          hashers: HASHERS,
          djangoVersion: "5.2",
        } as const;
        const r = await authenticate(
          { username: "Zoe@example.com", password: "zoe-pw" },
          memberConfig,
        );
        assert.ok(r.ok && r.user.id === zoe.id);
      });

      it("a custom model with a text key and renamed columns", async () => {
        const customers = new DjangoUserSource({
          database,
          table: "shop_customer",
          pkColumn: "code",
          pkType: "string",
          usernameColumn: "login",
          columns: {
            password: "pass_hash",
            isActive: "active",
            isStaff: "staff",
            isSuperuser: "superuser",
            email: "mail",
            firstName: "given_name",
            lastName: "family_name",
            lastLogin: "seen",
            dateJoined: "joined",
          },
        });
        await assert.rejects(
          customers.createUser({ username: "nokey", password: "!x" }),
          /text primary key has no default/,
        );
        const joined = new Date(Date.UTC(2024, 4, 6, 7, 8, 9, 120));
        const made: User[] = [];
        for (const code of ["m", "c", "x", "a", "k"]) {
          made.push(
            await customers.createUser({
              id: code,
              username: `user-${code}`,
              password: await encode(`pw-${code}`),
              email: `${code}@Shop.Example`,
              firstName: code.toUpperCase(),
              isActive: code !== "x",
              isStaff: code === "a",
              dateJoined: joined,
            }),
          );
        }
        assert.deepEqual(
          made.map((u) => u.id),
          ["m", "c", "x", "a", "k"],
        );
        const row = (
          await database.query(
            `SELECT code, login, pass_hash, active, staff, superuser, mail, given_name, family_name, seen, joined FROM shop_customer WHERE code = ${p(1)}`,
            ["a"],
          )
        )[0]!;
        assert.equal(row["login"], "user-a");
        assert.match(String(row["pass_hash"]), /^pbkdf2_sha256\$/);
        assert.equal(row["mail"], "a@shop.example");
        assert.deepEqual([row["given_name"], row["family_name"], row["seen"]], ["A", "", null]);
        assert.equal(Boolean(row["staff"]), true);
        assert.equal(Boolean(row["superuser"]), false);
        assert.equal(
          dialect === "sqlite" ? row["joined"] : (row["joined"] as Date).toISOString(),
          dialect === "sqlite" ? "2024-05-06 07:08:09.120000" : joined.toISOString(),
        );
        const a = made[3]!;
        assert.deepEqual(
          [a.username, a.email, a.isStaff, a.isActive, a.dateJoined?.toISOString()],
          ["user-a", "a@shop.example", true, true, joined.toISOString()],
        );
        assert.equal(made[2]!.isActive, false);

        const listed = await collect(customers.listUsers({ batchSize: 2 }));
        assert.deepEqual(
          listed.map((u) => u.id),
          ["a", "c", "k", "m", "x"],
        );
        await assert.rejects(
          customers.createUser({ id: "z", username: "user-a", password: "!x" }),
          isTaken("user-a"),
        );
        const customerConfig = {
          users: customers,
          secretKey: SECRET,
          hashers: HASHERS,
          djangoVersion: "5.2",
        } as const;
        const r = await authenticate({ username: "user-k", password: "pw-k" }, customerConfig);
        assert.ok(r.ok && r.user.id === "k");
        const inactive = await authenticate(
          { username: "user-x", password: "pw-x" },
          customerConfig,
        );
        assert.equal(inactive.ok, false, "is_active false: ModelBackend refuses");
      });
    });
  }
});
