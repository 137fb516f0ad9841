// django-axes' lockout shared with Node, against real django-axes 5.39 on Django 5.2 and 6.1
// (apps_project.py: AXES_FAILURE_LIMIT=5, AXES_COOLOFF_TIME=1, AXES_ONLY_USER_FAILURES, i.e.
// AXES_LOCKOUT_PARAMETERS=["username"]), on one SQLite database: five wrong passwords through
// Node lock the user out of Django's login, and five through Django's login lock Node's.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, beforeEach, describe, it } from "node:test";
import express from "express";
import { authenticate } from "../../../src/auth/authenticate.ts";
import { DjangoUserSource } from "../../../src/auth/django-user-source.ts";
import { AxesLockout, axes5LockoutParameters } from "../../../src/django/axes.ts";
import { openDatabaseUrl, type SqlDatabase } from "../../../src/stores/sql/index.ts";
import { listen } from "../../support/http.ts";
import {
  APPS_DJANGO_VERSIONS,
  APPS_SECRET,
  APPS_USER,
  startAppsProject,
  type AppsProject,
} from "./apps.ts";

/** One POST to Django's admin login form (with its CSRF token); resolves with the status. */
async function djangoLogin(url: string, password: string): Promise<number> {
  const page = await fetch(`${url}/admin/login/`);
  const csrf = /csrftoken=([^;]+)/.exec(page.headers.getSetCookie().join("\n"))?.[1] ?? "";
  const token = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(await page.text())?.[1] ?? "";
  const response = await fetch(`${url}/admin/login/`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Cookie: `csrftoken=${csrf}`,
      "User-Agent": "axes-interop",
    },
    body: new URLSearchParams({
      csrfmiddlewaretoken: token,
      username: APPS_USER.username,
      password,
    }),
  });
  await response.arrayBuffer();
  return response.status;
}

for (const version of APPS_DJANGO_VERSIONS) {
  describe(`django-axes lockout shared with Django ${version}`, () => {
    let django: AppsProject;
    let node: { url: string; close(): Promise<void> };
    let database: SqlDatabase;

    before(async () => {
      django = await startAppsProject(version, { AXES_LOCKOUT: "username" });
      database = await openDatabaseUrl(django.databaseUrl);
      const config = {
        users: new DjangoUserSource({ database }),
        secretKey: APPS_SECRET,
        djangoVersion: version,
        lockout: new AxesLockout({
          database,
          failureLimit: 5,
          cooloffHours: 1,
          lockoutParameters: axes5LockoutParameters({ onlyUserFailures: true }),
          resetOnSuccess: true,
        }),
      };
      const app = express();
      app.use(express.json());
      app.post("/login", async (req, res) => {
        const { username, password } = req.body as { username: string; password: string };
        const result = await authenticate(
          {
            username,
            password,
            ip: req.socket.remoteAddress,
            userAgent: req.headers["user-agent"],
          },
          config,
        );
        res.status(result.ok ? 200 : result.reason === "rate-limited" ? 429 : 400).json({});
      });
      node = await listen(createServer(app));
    });
    beforeEach(async () => {
      await database.execute("DELETE FROM axes_accessattempt", []);
    });
    after(async () => {
      await node.close();
      await database.close();
      await django.stop();
    });

    const nodeLogin = async (password: string): Promise<number> => {
      const response = await fetch(`${node.url}/login`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "User-Agent": "axes-interop" },
        body: JSON.stringify({ username: APPS_USER.username, password }),
      });
      await response.arrayBuffer();
      return response.status;
    };

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
