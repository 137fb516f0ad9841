// DjangoUserSource on a custom user model with a UUIDField key, in the tables real Django makes
// for it: MariaDB's native `uuid` (Django 5.0+ on MariaDB 10.7+, `has_native_uuid_field`) and
// `char(32)` hex (the same model under Django 4.2, as tables made before 5.0 stay), plus
// PostgreSQL's `uuid` and SQLite's `char(32)`. Users Django creates are found by any form of
// their key and by username, with their groups and permissions; users createUser writes are
// found by Django by key and username, take Django's password check, and a Node login is
// Django's logged-in user. The databases are the caller's own pools (driver defaults).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
  DjangoUserSource,
  authenticate,
  login,
  type AuthConfig,
  type User,
} from "../../src/auth/index.ts";
import { makePassword } from "../../src/auth/hashers/index.ts";
import { DjangoSessionCodec } from "../../src/codecs/django/session-encoding.ts";
import { resolveSessionSettings } from "../../src/engine/config.ts";
import { Session } from "../../src/engine/session.ts";
import { createSqlStore, type SqlDatabase } from "../../src/stores/sql/index.ts";
import type { DjangoVersion } from "../interop/django/peer.ts";
import { callerPools, type CallerPool } from "../stores/sql/caller-pools.ts";
import { createTempDatabases, type TempDatabases } from "../support/databases.ts";
import { HASHERS } from "./support.ts";
import { djangoInstant, runUserModelPeer, type PeerUser } from "./user-model-peer.ts";
import { placeholders } from "../../src/internal/sql/database.ts";

const SECRET = "django-user-source-uuid-test-secret";

interface Case {
  readonly dialect: "sqlite" | "postgres" | "mysql";
  readonly version: DjangoVersion;
  /** The key column's type as Django makes it here. */
  readonly columnType: "uuid" | "char(32)";
}

const CASES: readonly Case[] = [
  { dialect: "mysql", version: "5.2", columnType: "uuid" },
  { dialect: "mysql", version: "4.2", columnType: "char(32)" },
  { dialect: "postgres", version: "5.2", columnType: "uuid" },
  { dialect: "sqlite", version: "5.2", columnType: "char(32)" },
  // Django 6.1 on Python 3.13 with psycopg 3: a custom user model with a UUID key.
  { dialect: "postgres", version: "6.1", columnType: "uuid" },
];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function collect(users: AsyncIterable<User>): Promise<User[]> {
  const out: User[] = [];
  for await (const user of users) out.push(user);
  return out;
}

for (const c of CASES) {
  const server =
    c.dialect === "mysql" ? "MariaDB" : c.dialect === "postgres" ? "PostgreSQL" : "SQLite";
  describe(`DjangoUserSource, UUID key as Django ${c.version} makes it on ${server} (${c.columnType})`, () => {
    let dbs: TempDatabases;
    let pool: CallerPool;
    let database: SqlDatabase;
    let members: DjangoUserSource;
    let config: AuthConfig;
    let db: string;
    const django = <T>(args: string[], input?: unknown): Promise<T> =>
      runUserModelPeer<T>(
        { version: c.version, db, userModel: "uuidaccounts.Member", secretKey: SECRET },
        args,
        input,
      );
    const p = placeholders(c.dialect);
    /** The key as the column holds it, in text. */
    const storedKey = async (username: string): Promise<string> => {
      const text =
        c.dialect === "mysql" ? "CAST(id AS CHAR)" : c.dialect === "postgres" ? "id::text" : "id";
      const rows = await database.query(
        `SELECT ${text} AS k FROM uuidaccounts_member WHERE username = ${p(1)}`,
        [username],
      );
      return String(rows[0]?.["k"]);
    };

    before(async () => {
      dbs = await createTempDatabases(`uuid_${c.dialect}_${c.version.replace(".", "")}`);
      const url = dbs.location(c.dialect);
      db = dbs.url(c.dialect);
      const made = await django<{ pk_db_type: string }>(["setup"]);
      assert.equal(made.pk_db_type, c.columnType, "Django's own column type for the key");
      const open = Object.values(callerPools(c.dialect, url))[0]!;
      pool = await open();
      database = pool.database;
      members = new DjangoUserSource({
        database,
        table: "uuidaccounts_member",
        pkType: "uuid",
        userGroupsTable: "uuidaccounts_member_groups",
        userPermissionsTable: "uuidaccounts_member_user_permissions",
        userFkColumn: "member_id",
      });
      config = { users: members, secretKey: SECRET, hashers: HASHERS, djangoVersion: c.version };
    });
    after(async () => {
      await pool.close();
      await dbs.drop();
    });

    if (c.dialect === "mysql") {
      it(`the key and both foreign keys are ${c.columnType} columns`, async () => {
        const rows = await database.query(
          `SELECT TABLE_NAME AS t, COLUMN_NAME AS c, COLUMN_TYPE AS type FROM information_schema.COLUMNS
            WHERE TABLE_SCHEMA = DATABASE() AND COLUMN_NAME IN ('id', 'member_id')
              AND TABLE_NAME LIKE 'uuidaccounts%' ORDER BY TABLE_NAME, COLUMN_NAME`,
          [],
        );
        assert.deepEqual(
          rows.filter((r) => r["t"] === "uuidaccounts_member" || r["c"] === "member_id"),
          [
            { t: "uuidaccounts_member", c: "id", type: c.columnType },
            { t: "uuidaccounts_member_groups", c: "member_id", type: c.columnType },
            { t: "uuidaccounts_member_user_permissions", c: "member_id", type: c.columnType },
          ],
        );
      });
    }

    it("users Django creates: found by any form of the key and by username, with their groups and permissions", async () => {
      const alice = await django<PeerUser>(["create-user"], {
        username: "alice",
        password: "alice-pw",
        email: "alice@example.com",
      });
      assert.match(alice.id, UUID);
      await django(["grant"], {
        username: "alice",
        group: "editors",
        group_perms: ["uuidaccounts.change_member"],
        user_perms: ["uuidaccounts.view_member"],
      });
      const hex = alice.id.replace(/-/g, "");
      assert.equal(await storedKey("alice"), c.columnType === "uuid" ? alice.id : hex);

      const byName = await members.getUserByUsername("alice");
      assert.ok(byName !== null);
      assert.equal(byName.id, alice.id, "str(uuid), whatever the column holds");
      assert.equal(byName.sessionId, alice.id);
      assert.equal(byName.email, "alice@example.com");
      assert.equal(byName.dateJoined?.toISOString(), djangoInstant(alice.date_joined!));
      for (const form of [
        alice.id,
        hex,
        hex.toUpperCase(),
        `{${alice.id}}`,
        `urn:uuid:${alice.id}`,
      ]) {
        assert.equal((await members.getUser(form))?.username, "alice", form);
      }
      assert.equal(await members.getUser(randomUUID()), null);
      assert.equal(await members.getUser("not-a-uuid"), null);
      assert.deepEqual(await members.getGroupNames(byName), ["editors"]);
      assert.deepEqual([...(await members.getPermissions(byName))].sort(), [
        "uuidaccounts.change_member",
        "uuidaccounts.view_member",
      ]);
      const result = await authenticate({ username: "alice", password: "alice-pw" }, config);
      assert.ok(result.ok && result.user.id === alice.id);
    });

    it("users createUser writes: Django finds them by key and username, checks their password, and sees a Node login", async () => {
      const bob = await members.createUser({
        username: "bob",
        email: "Bob@Example.COM",
        password: await makePassword("bob-pw", { ...HASHERS, djangoVersion: c.version }),
      });
      assert.match(String(bob.id), UUID);
      const hex = String(bob.id).replace(/-/g, "");
      assert.equal(await storedKey("bob"), c.columnType === "uuid" ? bob.id : hex);
      for (const form of [bob.id, hex]) {
        const seen = await django<PeerUser | null>(["user"], { id: form, password: "bob-pw" });
        assert.deepEqual(
          seen && [seen.id, seen.username, seen.email, seen.password_ok],
          [bob.id, "bob", "Bob@example.com", true],
          String(form),
        );
      }
      assert.equal((await django<PeerUser>(["user"], { username: "bob" })).id, bob.id);
      assert.equal(
        djangoInstant((await django<PeerUser>(["user"], { username: "bob" })).date_joined!),
        bob.dateJoined?.toISOString(),
      );

      // A key given in another form is stored as the column wants it.
      const given = "{0D1E2F30-4152-4637-8899-AABBCCDDEEFF}";
      const carol = await members.createUser({ id: given, username: "carol", password: "!" });
      assert.equal(carol.id, "0d1e2f30-4152-4637-8899-aabbccddeeff");
      assert.equal((await django<PeerUser>(["user"], { id: carol.id })).username, "carol");

      // Logged in here, into django_session: Django's get_user() is bob, and last_login is
      // the instant login() wrote. (Read again first: Django's check_password above upgraded
      // the hash to its own iteration count, and the session auth hash follows the password.)
      const current = await members.getUser(String(bob.id));
      assert.ok(current !== null);
      assert.notEqual(current.password, bob.password, "Django upgraded the hash");
      const store = createSqlStore({ database, codec: new DjangoSessionCodec({ secret: SECRET }) });
      const session = new Session(store, null, resolveSessionSettings());
      await login(session, current, config);
      await session.save();
      const key = session.key;
      assert.ok(key !== null);
      assert.deepEqual(await django(["session-user", key]), {
        id: bob.id,
        username: "bob",
        is_authenticated: true,
      });
      const stored = (await members.getUser(String(bob.id)))?.lastLogin?.toISOString();
      assert.equal(stored, current.lastLogin?.toISOString());
      assert.equal(
        djangoInstant((await django<PeerUser>(["user"], { id: bob.id })).last_login!),
        stored,
      );

      // A new password written here is the one Django checks.
      await members.setPassword(
        current,
        await makePassword("bob-pw-2", { ...HASHERS, djangoVersion: c.version }),
      );
      assert.equal(
        (await django<PeerUser>(["user"], { id: bob.id, password: "bob-pw-2" })).password_ok,
        true,
      );
    });

    it("listUsers pages through in the database's own key order", async () => {
      for (let i = 0; i < 3; i++) {
        await django(["create-user"], { username: `dj${i}`, password: "x" });
        await members.createUser({ username: `node${i}`, password: "!" });
      }
      const expected = (
        await database.query("SELECT id FROM uuidaccounts_member ORDER BY id", [])
      ).map((r) => members.normalizeId(String(r["id"])));
      assert.ok(expected.length >= 9);
      for (const batchSize of [2, 4, 100]) {
        const listed = await collect(members.listUsers({ batchSize }));
        assert.deepEqual(
          listed.map((u) => u.id),
          expected,
          `batchSize ${batchSize}`,
        );
      }
    });
  });
}
