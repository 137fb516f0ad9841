// Auth interop with real Django 3.2, 4.2 and 5.2 on SQLite, PostgreSQL and MariaDB: users made
// by Django's ORM log in through our login() and Django recognises them; Django's login() is
// recognised by our lazy user; Django's password change logs our session out; key cycling,
// permissions and SECRET_KEY_FALLBACKS agree with Django.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  ANONYMOUS_USER,
  DjangoUserSource,
  HASH_SESSION_KEY,
  authenticate,
  createRequestAuth,
  getSessionUser,
  login,
  type AuthConfig,
  type User,
} from "../../../src/auth/index.ts";
import { sessionAuthHash } from "../../../src/auth/hashers/index.ts";
import { DjangoSessionCodec } from "../../../src/codecs/django/session-encoding.ts";
import { resolveSessionSettings } from "../../../src/engine/config.ts";
import { Session } from "../../../src/engine/session.ts";
import {
  createSqlStore,
  openDatabaseUrl,
  type SqlDatabase,
  type SqlSessionStore,
} from "../../../src/stores/sql/index.ts";
import { createTempDatabases, type TempDatabases } from "../../support/databases.ts";
import { runAuthPeer, sessionCookie, startAuthServer } from "../../auth/django-peer.ts";
import { DJANGO_VERSIONS, type DjangoServer } from "./peer.ts";

const SECRET = "auth-interop-secret-key-for-sessionbridge";
const OLD_SECRET = "auth-interop-old-secret-key";

interface WhoAmI {
  id: number | null;
  username: string;
  is_authenticated: boolean;
  key: string | null;
}
interface DjangoGetUser {
  id: number | null;
  username: string;
  is_authenticated: boolean;
  key_after: string | null;
  row_exists: boolean;
}

async function djangoLogin(
  server: DjangoServer,
  username: string,
  password: string,
  cookie?: string,
): Promise<string> {
  const response = await fetch(`${server.url}/auth/login`, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      ...(cookie ? { Cookie: `sessionid=${cookie}` } : {}),
    },
    body: new URLSearchParams({ username, password }).toString(),
  });
  assert.equal(response.status, 200, await response.clone().text());
  const key = sessionCookie(response);
  assert.ok(key, "Django set the session cookie");
  return key;
}

async function whoami(server: DjangoServer, key: string): Promise<WhoAmI> {
  const response = await fetch(`${server.url}/auth/whoami`, {
    headers: { Cookie: `sessionid=${key}` },
  });
  return (await response.json()) as WhoAmI;
}

for (const version of DJANGO_VERSIONS) {
  describe(`Django ${version} auth`, () => {
    let dbs: TempDatabases;
    before(async () => {
      dbs = await createTempDatabases(`auth${version.replace(".", "")}`);
    });
    after(async () => {
      await dbs.drop();
    });

    for (const dialect of ["sqlite", "postgres", "mysql"] as const) {
      describe(dialect, () => {
        let env: Record<string, string>;
        let database: SqlDatabase;
        let store: SqlSessionStore;
        let config: AuthConfig;
        let django: DjangoServer;
        const settings = resolveSessionSettings({ djangoVersion: version });
        const session = (key: string | null = null): Session => new Session(store, key, settings);
        const peer = <T>(args: string[], input?: unknown): Promise<T> =>
          runAuthPeer<T>(version, args, env, input);

        before(async () => {
          const url =
            dialect === "sqlite"
              ? `sqlite:${dbs.sqlitePath}`
              : dialect === "postgres"
                ? dbs.postgresUrl
                : dbs.mysqlUrl;
          env = { DJANGO_DB: url, SECRET_KEY: SECRET };
          await peer(["migrate"]);
          database = await openDatabaseUrl(url);
          store = createSqlStore({
            database,
            codec: new DjangoSessionCodec({ secret: SECRET, readLegacy: version === "3.2" }),
          });
          config = {
            users: new DjangoUserSource({ database }),
            secretKey: SECRET,
            djangoVersion: version,
          };
          for (const username of ["alice", "bob", "carol", "dave"]) {
            await peer(["create-user"], { username, password: `${username}-pw` });
          }
          django = await startAuthServer(version, env);
        });
        after(async () => {
          await django.stop();
          await store.close();
        });

        it("a user created by Django's ORM logs in through our login(); Django sees him", async () => {
          const result = await authenticate({ username: "alice", password: "alice-pw" }, config);
          assert.ok(result.ok, "our hashers accept Django's hash");
          const s = session();
          await login(s, result.user, config);
          await s.save();
          const seen = await whoami(django, s.key!);
          assert.deepEqual(seen, {
            id: Number(result.user.id),
            username: "alice",
            is_authenticated: true,
            key: s.key,
          });
          const row = await peer<{ last_login: string | null }>(["user"], { username: "alice" });
          assert.ok(row.last_login, "last_login written");
          assert.ok(Math.abs(new Date(row.last_login).getTime() - Date.now()) < 60_000);
        });

        it("a user logged in by Django's real login() is recognised by our lazy user", async () => {
          const key = await djangoLogin(django, "bob", "bob-pw");
          const s = session(key);
          const auth = createRequestAuth(s, config);
          assert.equal(s.accessed, false, "lazy: the session is untouched until user()");
          const user = await auth.user();
          assert.equal(user.isAuthenticated, true);
          assert.equal(user.username, "bob");
          assert.equal(await auth.user(), user, "cached per request");
          assert.equal(s.modified, false);
        });

        it("after Django changes the password, our session is anonymous and flushed", async () => {
          const key = await djangoLogin(django, "carol", "carol-pw");
          await peer(["set-password"], { username: "carol", password: "carol-new" });
          const s = session(key);
          assert.equal(await getSessionUser(s, config), ANONYMOUS_USER);
          assert.equal(s.key, null);
          const row = await peer<{ exists: boolean }>(["raw-row", key]);
          assert.equal(row.exists, false, "the row is gone, as Django would have done");
          assert.equal((await whoami(django, key)).is_authenticated, false);
        });

        if (dialect !== "sqlite") return;

        it("login key-cycling rules match Django's (anonymous → login, relogin, other user)", async () => {
          type Step = { cycled: boolean; kept: boolean };
          // Django, over HTTP.
          const djangoSteps: Step[] = [];
          const anon = await fetch(`${django.url}/set?cart=apples`);
          let key = sessionCookie(anon)!;
          for (const [username, password] of [
            ["dave", "dave-pw"],
            ["dave", "dave-pw"],
            ["alice", "alice-pw"],
          ] as const) {
            const next = await djangoLogin(django, username, password, key).catch(() => key);
            const data = await peer<{ data: Record<string, unknown> | null }>([
              "raw-session",
              next,
            ]);
            djangoSteps.push({ cycled: next !== key, kept: data.data?.["cart"] === "apples" });
            key = next;
          }
          // Ours.
          const ourSteps: Step[] = [];
          const s0 = session();
          await s0.set("cart", "apples");
          await s0.save();
          let ourKey = s0.key!;
          for (const username of ["dave", "dave", "alice"]) {
            const s = session(ourKey);
            const user = (await config.users.getUserByUsername(username))!;
            await login(s, user, config);
            await s.save();
            const data = await peer<{ data: Record<string, unknown> | null }>([
              "raw-session",
              s.key!,
            ]);
            ourSteps.push({ cycled: s.key !== ourKey, kept: data.data?.["cart"] === "apples" });
            const old = await peer<{ exists: boolean }>(["raw-row", ourKey]);
            if (s.key !== ourKey) assert.equal(old.exists, false, "old row deleted");
            ourKey = s.key!;
          }
          assert.deepEqual(ourSteps, djangoSteps);
          assert.deepEqual(ourSteps, [
            { cycled: true, kept: true },
            { cycled: false, kept: true },
            { cycled: true, kept: false },
          ]);
        });

        it("hasPerm agrees with Django's user.has_perm (user, group, superuser, inactive superuser)", async () => {
          await peer(["create-user"], { username: "perm-user", password: "x" });
          await peer(["create-user"], { username: "root", password: "x", superuser: true });
          await peer(["create-user"], {
            username: "ghost",
            password: "x",
            superuser: true,
            active: false,
          });
          await peer(["create-user"], { username: "idle", password: "x", active: false });
          for (const username of ["perm-user", "idle"]) {
            await peer(["grant"], {
              username,
              user_perms: ["auth.add_user"],
              groups: { editors: ["auth.change_user", "sessions.view_session"] },
            });
          }
          const perms = [
            "auth.add_user",
            "auth.change_user",
            "sessions.view_session",
            "auth.delete_user",
            "nosuchapp.nosuchperm",
          ];
          for (const username of ["perm-user", "root", "ghost", "idle"]) {
            const theirs = await peer<Record<string, boolean>>(["has-perms"], {
              username,
              perms,
            });
            const user = (await config.users.getUserByUsername(username))!;
            const ours: Record<string, boolean> = {};
            for (const p of perms) ours[p] = await user.hasPerm(p);
            assert.deepEqual(ours, theirs, username);
          }
          const member = (await config.users.getUserByUsername("perm-user"))!;
          assert.deepEqual(await member.groups(), ["editors"]);
        });

        it("a disabled user cannot log in and loses existing sessions (anonymous, not flushed)", async () => {
          await peer(["create-user"], { username: "eve", password: "eve-pw" });
          const result = await authenticate({ username: "eve", password: "eve-pw" }, config);
          assert.ok(result.ok);
          const s = session();
          await login(s, result.user, config);
          await s.save();
          await peer(["set-active"], { username: "eve", active: false });
          const again = session(s.key);
          assert.equal(await getSessionUser(again, config), ANONYMOUS_USER);
          assert.equal(again.key, s.key, "session kept, as Django");
          const theirs = await peer<DjangoGetUser>(["get-user", s.key!]);
          assert.equal(theirs.is_authenticated, false);
          assert.equal(theirs.row_exists, true);
          const refused = await authenticate({ username: "eve", password: "eve-pw" }, config);
          assert.ok(!refused.ok && refused.detail === "inactive");
        });

        if (version === "3.2") return;

        it("SECRET_KEY_FALLBACKS: a hash made with the old key is accepted, key cycled, hash rewritten", async () => {
          const oldEnv = { ...env, SECRET_KEY: OLD_SECRET };
          const oldDjango = await startAuthServer(version, oldEnv);
          let key: string;
          try {
            key = await djangoLogin(oldDjango, "alice", "alice-pw");
          } finally {
            await oldDjango.stop();
          }
          const rotatedStore = createSqlStore({
            database,
            codec: new DjangoSessionCodec({ secret: SECRET, fallbackSecrets: [OLD_SECRET] }),
          });
          const rotated: AuthConfig = { ...config, secretKeyFallbacks: [OLD_SECRET] };
          const s = new Session(rotatedStore, key, settings);
          const user = (await getSessionUser(s, rotated)) as User;
          assert.equal(user.username, "alice");
          assert.notEqual(s.key, key, "key cycled");
          assert.equal(await s.get(HASH_SESSION_KEY), sessionAuthHash(user.password, SECRET));
          await s.save();
          const theirs = await peer<DjangoGetUser>(["get-user", s.key!]);
          assert.deepEqual(
            { username: theirs.username, auth: theirs.is_authenticated, key: theirs.key_after },
            { username: "alice", auth: true, key: s.key },
            "Django (new key) accepts the rewritten hash without cycling again",
          );
          // Without the fallback, the old-key login would have been logged out.
          const key2 = await (async () => {
            const srv = await startAuthServer(version, oldEnv);
            try {
              return await djangoLogin(srv, "bob", "bob-pw");
            } finally {
              await srv.stop();
            }
          })();
          const plainStore = createSqlStore({
            database,
            codec: new DjangoSessionCodec({ secret: SECRET, fallbackSecrets: [OLD_SECRET] }),
          });
          const s2 = new Session(plainStore, key2, settings);
          assert.equal(await getSessionUser(s2, config), ANONYMOUS_USER);
        });
      });
    }
  });
}
