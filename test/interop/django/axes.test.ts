// django-axes' lockout shared with Node, against real django-axes 5.39 on Django 5.2 and 6.1
// (apps_project.py: AXES_FAILURE_LIMIT=5, AXES_COOLOFF_TIME=1, AXES_ONLY_USER_FAILURES, i.e.
// AXES_LOCKOUT_PARAMETERS=["username"]), on one SQLite database: five wrong passwords through
// Node lock the user out of Django's login, and five through Django's login lock Node's.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { getAuth } from "../../../src/adapters/express/auth.ts";
import { AxesLockout, axes5LockoutParameters } from "../../../src/django/axes.ts";
import type { SqlDatabase } from "../../../src/stores/sql/index.ts";
import { createTempDatabases, type TempDatabases } from "../../support/databases.ts";
import { CookieJar } from "../../support/http.ts";
import { postDjangoAdminLogin } from "./project.ts";
import {
  APPS_DJANGO_VERSIONS,
  APPS_USER,
  startNodeBesideApps,
  type AppsProject,
  type NodeBesideApps,
} from "./apps.ts";

/** One POST to Django's admin login form as alice; resolves with the status. */
async function djangoLogin(url: string, password: string): Promise<number> {
  return (await postDjangoAdminLogin(url, APPS_USER.username, password, "axes-interop")).status;
}

// SQLite beside both Djangos, and axes' tables on PostgreSQL (5.2) and MariaDB (6.1).
const RUNS = [
  ...APPS_DJANGO_VERSIONS.map((version) => ({ version, dialect: "sqlite" as const })),
  { version: "5.2" as const, dialect: "postgres" as const },
  { version: "6.1" as const, dialect: "mysql" as const },
];

for (const { version, dialect } of RUNS) {
  describe(`django-axes lockout shared with Django ${version} on ${dialect}`, () => {
    let beside: NodeBesideApps;
    let django: AppsProject;
    let node: { url: string; close(): Promise<void> };
    let database: SqlDatabase;
    let databases: TempDatabases | undefined;

    before(async () => {
      databases = dialect === "sqlite" ? undefined : await createTempDatabases(`axes_${dialect}`);
      beside = await startNodeBesideApps(
        version,
        ({ app }) => {
          app.post("/login", async (req, res) => {
            const { username, password } = req.body as { username: string; password: string };
            const auth = getAuth(req);
            const result = await auth.authenticate({
              username,
              password,
              ip: req.socket.remoteAddress,
              userAgent: req.headers["user-agent"],
            });
            if (result.ok) await auth.login(result.user);
            res.status(result.ok ? 200 : result.reason === "rate-limited" ? 429 : 400).json({});
          });
          app.post("/logout", async (req, res) => {
            await getAuth(req).logout();
            res.json({});
          });
        },
        {
          settings: { AXES_LOCKOUT: "username" },
          ...(databases === undefined ? {} : { databaseUrl: databases.url(dialect) }),
          auth: (db) => ({
            lockout: new AxesLockout({
              database: db,
              failureLimit: 5,
              cooloffHours: 1,
              lockoutParameters: axes5LockoutParameters({ onlyUserFailures: true }),
              resetOnSuccess: true,
            }),
          }),
        },
      );
      ({ django, node, database } = beside);
    });
    beforeEach(async () => {
      await database.execute("DELETE FROM axes_accessattempt", []);
      await database.execute("DELETE FROM axes_accesslog", []);
    });
    after(async () => {
      await beside.stop();
      await databases?.drop();
    });

    const nodeLogin = async (password: string, jar = new CookieJar()): Promise<number> => {
      const response = await jar.fetch(`${node.url}/login`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "User-Agent": "axes-interop" },
        body: JSON.stringify({ username: APPS_USER.username, password }),
      });
      await response.arrayBuffer();
      return response.status;
    };

    it("a Node login and logout are in axes' access log, as Django's are", async () => {
      const jar = new CookieJar();
      assert.equal(await nodeLogin(APPS_USER.password, jar), 200);
      const logs = async () =>
        database.query(
          "SELECT username, ip_address, user_agent, path_info, logout_time FROM axes_accesslog",
          [],
        );
      const [opened] = await logs();
      assert.equal(opened?.["username"], APPS_USER.username);
      assert.equal(opened["ip_address"], "127.0.0.1");
      assert.equal(opened["user_agent"], "axes-interop");
      assert.equal(opened["path_info"], "/login");
      assert.equal(opened["logout_time"], null);
      const out = await jar.fetch(`${node.url}/logout`, { method: "POST" });
      assert.equal(out.status, 200);
      const [closed] = await logs();
      assert.ok(closed?.["logout_time"] !== null, "logout_time set by Node's logout");
      // Django's own login writes the same table: one more row, still open.
      assert.equal(await djangoLogin(django.url, APPS_USER.password), 302);
      assert.equal((await logs()).length, 2);
    });

    it("a right password resets the count on both sides; four failures lock nobody", async () => {
      for (let i = 0; i < 4; i++) assert.equal(await nodeLogin("wrong"), 400);
      assert.equal(await djangoLogin(django.url, APPS_USER.password), 302, "Django: 4 < 5");
      for (let i = 0; i < 4; i++) assert.equal(await djangoLogin(django.url, "wrong"), 200);
      assert.equal(await nodeLogin(APPS_USER.password), 200, "Node: 4 < 5");
      const rows = await database.query("SELECT COUNT(*) AS n FROM axes_accessattempt", []);
      assert.equal(Number(rows[0]?.["n"]), 0, "AXES_RESET_ON_SUCCESS on both sides");
    });

    it("five wrong passwords through Node lock the user out of Django's login", async () => {
      for (let i = 0; i < 5; i++) assert.equal(await nodeLogin("wrong"), 400);
      assert.equal(await nodeLogin(APPS_USER.password), 429, "Node: locked, right password or not");
      const status = await djangoLogin(django.url, APPS_USER.password);
      assert.ok(status === 403 || status === 429, `Django's lockout answer, got ${status}`);
    });

    it("five wrong passwords through Django's login lock Node's login", async () => {
      for (let i = 0; i < 4; i++) assert.equal(await djangoLogin(django.url, "wrong"), 200);
      const fifth = await djangoLogin(django.url, "wrong");
      assert.ok(fifth === 403 || fifth === 429, `the fifth is axes' lockout, got ${fifth}`);
      assert.equal(await nodeLogin(APPS_USER.password), 429);
      const [row] = await database.query(
        "SELECT failures_since_start AS n FROM axes_accessattempt",
        [],
      );
      assert.ok(Number(row?.["n"]) >= 6, "Node's refused attempt is recorded too");
    });
  });
}
