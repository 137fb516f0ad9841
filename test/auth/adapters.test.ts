// The auth middleware and guards on Express, Hono and node:http over real HTTP: lazy user,
// enrichment, login/logout, guards, and the refusal to run without the session middleware.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import express from "express";
import { Hono } from "hono";
import { serve } from "@hono/node-server";
import {
  sessionErrorHandler,
  sessionMiddleware as expressSessions,
} from "../../src/adapters/express/index.ts";
import { sessionMiddleware as honoSessions } from "../../src/adapters/hono/index.ts";
import { sessionMiddleware as nodeSessions } from "../../src/adapters/node/index.ts";
import * as authExpress from "../../src/adapters/express/auth.ts";
import * as authHono from "../../src/adapters/hono/auth.ts";
import * as authNode from "../../src/adapters/node/auth.ts";
import { MISSING_SESSION_MESSAGE } from "../../src/adapters/shared-auth.ts";
import { createRequestAuth, type User } from "../../src/auth/index.ts";
import { ConfigurationError } from "../../src/errors.ts";
import { CookieJar, listen } from "../support/http.ts";
import { fixture, type Fixture } from "./support.ts";

function form(username: string, password: string): RequestInit {
  return {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password }),
  };
}

describe("auth adapters", () => {
  let f: Fixture;
  before(async () => {
    f = await fixture();
    await f.addUser("alice", "alice-pw");
    const perm = f.addPermission("polls", "change_poll");
    f.grantUser(1, perm);
    await f.addUser("bob", "bob-pw");
  });

  it("refuse an invalid configuration at registration", () => {
    const bad = { users: f.users, secretKey: "", djangoVersion: "5.2" } as const;
    assert.throws(() => authExpress.authMiddleware(bad), ConfigurationError);
    assert.throws(() => authHono.authMiddleware(bad), ConfigurationError);
    assert.throws(() => authNode.authMiddleware(bad), ConfigurationError);
  });

  describe("Express", () => {
    let server: Awaited<ReturnType<typeof listen>>;
    const profileLoads: number[] = [];
    before(async () => {
      const app = express();
      app.use(express.json());
      app.use(expressSessions({ djangoVersion: "5.2", store: f.store }));
      app.use(
        authExpress.authMiddleware({
          ...f.config,
          enrich: {
            profile: (user: User) => {
              profileLoads.push(Number(user.id));
              return { display: `${user.username.toUpperCase()}!` };
            },
          },
        }),
      );
      app.post("/login", async (req, res) => {
        const auth = authExpress.getAuth(req);
        const body = req.body as { username: string; password: string };
        const result = await auth.authenticate({ ...body, ip: req.ip });
        if (!result.ok) {
          res.status(400).json({ error: result.message });
          return;
        }
        await auth.login(result.user);
        res.json({ ok: true });
      });
      app.post("/logout", async (req, res) => {
        await authExpress.getAuth(req).logout();
        res.json({ ok: true });
      });
      app.get("/untouched", (_req, res) => {
        res.send("hi");
      });
      app.get("/me", authExpress.loginRequired(), async (req, res) => {
        const user = await authExpress.getUser<{ profile: () => { display: string } }>(req);
        const again = await authExpress.getUser(req);
        assert.ok((user as unknown) === again, "the same object within a request");
        if (!user.isAuthenticated) throw new Error("unreachable");
        const profile = await user.profile;
        await user.profile;
        res.json({ username: user.username, profile });
      });
      app.get("/bare", async (req, res) => {
        const user = await authExpress.getUser(req);
        res.json(user);
      });
      app.get("/api/me", authExpress.loginRequired({ api: true }), (_req, res) => {
        res.json({ ok: true });
      });
      app.get(
        "/polls/edit",
        authExpress.permissionRequired("polls.change_poll", { raise403: true }),
        (_req, res) => {
          res.send("editing");
        },
      );
      app.use(sessionErrorHandler());
      server = await listen(createServer(app));
    });
    after(async () => {
      await server.close();
    });

    it("guards, login, lazy enriched user, logout", async () => {
      const jar = new CookieJar();
      const redirect = await jar.fetch(`${server.url}/me?tab=1`);
      assert.equal(redirect.status, 302);
      // Django's LOGIN_URL default, /accounts/login/, when none is given.
      assert.equal(redirect.headers.get("location"), "/accounts/login/?next=/me%3Ftab%3D1");
      const api = await jar.fetch(`${server.url}/api/me`);
      assert.equal(api.status, 401);
      assert.deepEqual(await api.json(), { error: "authentication required" });

      const wrong = await jar.fetch(`${server.url}/login`, form("alice", "nope"));
      const unknown = await jar.fetch(`${server.url}/login`, form("nobody", "nope"));
      assert.equal(wrong.status, 400);
      assert.deepEqual(await wrong.json(), await unknown.json());

      const ok = await jar.fetch(`${server.url}/login`, form("alice", "alice-pw"));
      assert.equal(ok.status, 200);
      assert.ok(jar.cookies.get("sessionid"));

      const untouched = await jar.fetch(`${server.url}/untouched`);
      assert.equal(untouched.headers.get("vary"), null, "the session was never read");

      const bare = await jar.fetch(`${server.url}/bare`);
      const bareJson = (await bare.json()) as Record<string, unknown>;
      assert.equal(bareJson["username"], "alice");
      assert.ok(!("password" in bareJson) && !("profile" in bareJson));
      assert.deepEqual(profileLoads, [], "profile not loaded unless read");

      const me = await jar.fetch(`${server.url}/me`);
      assert.deepEqual(await me.json(), { username: "alice", profile: { display: "ALICE!" } });
      assert.deepEqual(profileLoads, [1], "loaded once per request");

      assert.equal((await jar.fetch(`${server.url}/polls/edit`)).status, 200);
      await jar.fetch(`${server.url}/logout`, { method: "POST" });
      assert.equal(jar.cookies.get("sessionid"), undefined, "cookie deleted");
      assert.equal((await jar.fetch(`${server.url}/polls/edit`)).status, 403);
    });

    it("bob lacks the permission: 403", async () => {
      const jar = new CookieJar();
      await jar.fetch(`${server.url}/login`, form("bob", "bob-pw"));
      assert.equal((await jar.fetch(`${server.url}/polls/edit`)).status, 403);
    });
  });

  describe("without the session middleware", () => {
    it("Express and node: 500, the fix logged once", async () => {
      const errors: unknown[] = [];
      const app = express();
      app.use(authExpress.authMiddleware({ ...f.config, onError: (e) => errors.push(e) }));
      app.get("/", (_req, res) => {
        res.send("never");
      });
      const server = await listen(createServer(app));
      try {
        assert.equal((await fetch(server.url)).status, 500);
        assert.equal((await fetch(server.url)).status, 500);
      } finally {
        await server.close();
      }
      assert.equal(errors.length, 1);
      assert.ok(errors[0] instanceof ConfigurationError);
      assert.equal(errors[0].message, MISSING_SESSION_MESSAGE);
      assert.match(MISSING_SESSION_MESSAGE, /sessionMiddleware\(\) before it/);
    });

    it("Hono: 500, the fix logged once", async () => {
      const errors: unknown[] = [];
      const app = new Hono<authHono.AuthEnv>();
      app.use(authHono.authMiddleware({ ...f.config, onError: (e) => errors.push(e) }));
      app.get("/", (c) => c.text("never"));
      assert.equal((await app.request("/")).status, 500);
      assert.equal((await app.request("/")).status, 500);
      assert.equal(errors.length, 1);
    });

    it("Hono: getUser(c) and getAuth(c) without authMiddleware name the fix", async () => {
      const app = new Hono();
      let thrown: unknown;
      app.get("/", async (c) => {
        try {
          await authHono.getUser(c);
        } catch (error) {
          thrown = error;
        }
        assert.throws(() => authHono.getAuth(c), ConfigurationError);
        return c.text("checked");
      });
      assert.equal(await (await app.request("/")).text(), "checked");
      assert.ok(thrown instanceof ConfigurationError);
      assert.match(thrown.message, /add authMiddleware\(\) first/);
    });
  });

  describe("Hono", () => {
    let url: string;
    let close: () => void;
    before(async () => {
      const app = new Hono<authHono.AuthEnv>();
      app.use(honoSessions({ djangoVersion: "5.2", store: f.store }));
      app.use(authHono.authMiddleware(f.config));
      app.post("/login", async (c) => {
        const body = await c.req.json<{ username: string; password: string }>();
        const result = await authHono.getAuth(c).authenticate(body);
        if (!result.ok) return c.json({ error: result.message }, 400);
        await c.get("auth").login(result.user);
        return c.json({ ok: true });
      });
      app.get("/me", authHono.loginRequired({ api: true }), async (c) => {
        const user = await c.get("user");
        // getUser(c), the verb every adapter has, is the same user, loaded once.
        assert.equal(await authHono.getUser(c), user);
        return c.json(user);
      });
      app.get("/page", authHono.loginRequired(), (c) => c.text("page"));
      app.get(
        "/polls",
        authHono.permissionRequired(["polls.change_poll"], { raise403: true }),
        (c) => c.text("ok"),
      );
      app.get("/untouched", (c) => c.text("hi"));
      await new Promise<void>((resolve) => {
        const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => {
          url = `http://127.0.0.1:${info.port}`;
          resolve();
        });
        close = () => s.close();
      });
    });
    after(() => close());

    it("lazy user via c.get('user'), guards, login", async () => {
      const jar = new CookieJar();
      assert.equal((await jar.fetch(`${url}/me`)).status, 401);
      const page = await jar.fetch(`${url}/page?x=1`);
      assert.equal(page.status, 302);
      assert.equal(page.headers.get("location"), "/accounts/login/?next=/page%3Fx%3D1");
      assert.equal((await jar.fetch(`${url}/login`, form("alice", "alice-pw"))).status, 200);
      const me = (await (await jar.fetch(`${url}/me`)).json()) as Record<string, unknown>;
      assert.equal(me["username"], "alice");
      assert.equal((await jar.fetch(`${url}/polls`)).status, 200);
      const untouched = await jar.fetch(`${url}/untouched`);
      assert.equal(untouched.headers.get("vary"), null);
    });
  });

  describe("node:http", () => {
    it("authMiddleware after sessionMiddleware; guards", async () => {
      const sessions = nodeSessions({ djangoVersion: "5.2", store: f.store });
      const auth = authNode.authMiddleware(f.config);
      const guard = authNode.loginRequired({ loginUrl: "/signin" });
      const server = await listen(
        createServer((req, res) => {
          sessions(req, res, () => {
            auth(req, res, () => {
              if (req.url === "/login") {
                void (async () => {
                  const a = authNode.getAuth(req);
                  const r = await a.authenticate({ username: "alice", password: "alice-pw" });
                  if (r.ok) await a.login(r.user);
                  res.end("in");
                })();
                return;
              }
              guard(req, res, () => {
                void authNode.getUser(req).then((u) => res.end(u.username));
              });
            });
          });
        }),
      );
      try {
        const jar = new CookieJar();
        const r = await jar.fetch(`${server.url}/x`);
        assert.equal(r.status, 302);
        assert.equal(r.headers.get("location"), "/signin?next=/x");
        await jar.fetch(`${server.url}/login`);
        assert.equal(await (await jar.fetch(`${server.url}/x`)).text(), "alice");
      } finally {
        await server.close();
      }
    });
  });

  it("createRequestAuth: enrichment names may not hide User members", () => {
    assert.throws(
      () => createRequestAuth(f.session(), { ...f.config, enrich: { username: () => 1 } }),
      ConfigurationError,
    );
  });
});
