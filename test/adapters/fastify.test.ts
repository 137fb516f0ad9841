// The Fastify 5 plugin over real HTTP: the behaviour every adapter shows, then what is Fastify's
// own: encapsulation, errors through Fastify's error handling (its JSON reply, the app's
// setErrorHandler), @fastify/cookie present or absent, the auth half (preHandler guards, login
// with key cycling, logout), CSRF with @fastify/formbody, and a real Redis store.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import cookie from "@fastify/cookie";
import formbody from "@fastify/formbody";
import { createClient } from "redis";
import {
  csrfMiddleware,
  csrfToken,
  getSession,
  sessionMiddleware,
} from "../../src/adapters/fastify/index.ts";
import * as auth from "../../src/adapters/fastify/auth.ts";
import { MISSING_SESSION_MESSAGE } from "../../src/adapters/shared-auth.ts";
import { ConfigurationError } from "../../src/errors.ts";
import { DjangoCacheStore } from "../../src/stores/redis/index.ts";
import { MemoryStore } from "../../src/stores/memory/index.ts";
import type { Fixture } from "../auth/support.ts";
import { downStore } from "../support/stores.ts";
import { CookieJar } from "../support/http.ts";
import { authFixture, sharedAdapterBehaviour, sharedAuthBehaviour } from "./shared-behaviour.ts";

declare module "../../src/adapters/fastify/index.ts" {
  interface SessionData {
    visits: number;
  }
}

async function start(app: FastifyInstance): Promise<string> {
  return app.listen({ port: 0, host: "127.0.0.1" });
}

function buildApp(withCookiePlugin: boolean): FastifyInstance {
  const app = Fastify();
  // Two sibling contexts, each with its own store: the plugin is encapsulation-aware.
  void app.register(async (down) => {
    await down.register(sessionMiddleware({ djangoVersion: "5.2", store: await downStore() }));
    down.get("/outage", async (request) => ({
      visits: (await request.session.get("visits")) ?? null,
    }));
  });
  void app.register(async (scope) => {
    if (withCookiePlugin) await scope.register(cookie);
    await scope.register(sessionMiddleware({ djangoVersion: "5.2", store: new MemoryStore() }));
    scope.get("/count", async (request) => {
      const visits = ((await request.session.get("visits")) ?? 0) + 1; // typed: number
      await request.session.set("visits", visits);
      return { visits };
    });
    scope.get("/read", async (request) => ({
      visits: (await getSession(request).get("visits")) ?? null,
    }));
    scope.get("/plain", () => "plain");
    scope.get("/flush", async (request) => {
      await request.session.flush();
      return "flushed";
    });
    scope.get("/boom", async (request, reply) => {
      await request.session.set("visits", 99);
      return reply.code(500).send("boom");
    });
    scope.get("/throws", async (request) => {
      await request.session.set("visits", 7);
      throw new Error("handler failed");
    });
    if (withCookiePlugin) {
      scope.get("/both", async (request, reply) => {
        await request.session.set("visits", 1);
        reply.setCookie("theme", "dark", { path: "/" });
        return "both";
      });
    }
  });
  return app;
}

for (const withCookiePlugin of [false, true]) {
  describe(`Fastify 5 plugin over real HTTP (${withCookiePlugin ? "with" : "without"} @fastify/cookie)`, () => {
    let app: FastifyInstance;
    let url: string;
    before(async () => {
      app = buildApp(withCookiePlugin);
      url = await start(app);
    });
    after(() => app.close());
    sharedAdapterBehaviour(() => url);

    it("answers a store outage with Fastify's own JSON error reply", async () => {
      const jar = new CookieJar();
      jar.cookies.set("sessionid", "abcdefghijklmnopqrstuvwxyz012345");
      const down = await jar.fetch(`${url}/outage`);
      assert.equal(down.status, 503);
      const body = (await down.json()) as Record<string, unknown>;
      assert.deepEqual(
        { ...body, message: undefined },
        {
          statusCode: 503,
          code: "store-unavailable",
          error: "Service Unavailable",
          message: undefined,
        },
      );
      assert.match(
        String(body["message"]),
        /^SQL session store \(postgres\) failed: connect ECONNREFUSED /,
      );
    });

    it("does not save when the handler throws (Fastify's 500)", async () => {
      const thrown = await fetch(`${url}/throws`);
      assert.equal(thrown.status, 500);
      assert.deepEqual(thrown.headers.getSetCookie(), []);
    });

    if (withCookiePlugin) {
      it("keeps @fastify/cookie's cookies beside the session cookie", async () => {
        const both = await fetch(`${url}/both`);
        const cookies = both.headers.getSetCookie();
        assert.equal(cookies.length, 2, cookies.join(" | "));
        assert.ok(cookies.some((c) => c.startsWith("theme=dark")));
        assert.ok(cookies.some((c) => /^sessionid=[a-z0-9]{32};/.test(c)));
      });
    }
  });
}

describe("Fastify 5 plugin: errors and registration", () => {
  it("a save that fails at the end goes to the app's setErrorHandler as a 503", async () => {
    const seen: unknown[] = [];
    const reported: unknown[] = [];
    const app = Fastify();
    app.setErrorHandler((error, _request, reply) => {
      seen.push(error);
      return reply.send({ failed: (error as { code?: string }).code });
    });
    // No cookie, so nothing is loaded: only the save, after the handler, meets the outage.
    const store = await downStore();
    await app.register(
      sessionMiddleware({ djangoVersion: "5.2", store, onError: (e) => reported.push(e) }),
    );
    app.post("/write", async (request, reply) => {
      await request.session.set("visits", 1);
      return reply.code(201).send({ ok: true });
    });
    const url = await start(app);
    try {
      const response = await fetch(`${url}/write`, { method: "POST" });
      assert.equal(response.status, 503, "our status, not the handler's 201");
      assert.deepEqual(await response.json(), { failed: "store-unavailable" });
      assert.deepEqual(response.headers.getSetCookie(), []);
      assert.equal(seen.length, 1);
      assert.equal(reported.length, 1);
    } finally {
      await app.close();
    }
  });

  it("refuses a second session plugin in the same context", async () => {
    const app = Fastify();
    app.decorateRequest("session", null as never);
    await assert.rejects(
      async () => {
        await app.register(sessionMiddleware({ djangoVersion: "5.2", store: new MemoryStore() }));
        await app.ready();
      },
      (error: unknown) =>
        error instanceof ConfigurationError && /already decorated/.test(error.message),
    );
  });
});

describe("Fastify 5 auth half", () => {
  let f: Fixture;
  let app: FastifyInstance;
  let url: string;
  before(async () => {
    f = await authFixture();
    app = Fastify();
    await app.register(sessionMiddleware({ djangoVersion: "5.2", store: f.store }));
    await app.register(auth.authMiddleware(f.config));
    app.post("/login", async (request, reply) => {
      const body = request.body as { username: string; password: string };
      const result = await request.auth.authenticate({ ...body, ip: request.ip });
      if (!result.ok) return reply.code(400).send({ error: result.message });
      await request.auth.login(result.user);
      return { ok: true };
    });
    app.post("/logout", async (request) => {
      await auth.getAuth(request).logout();
      return { ok: true };
    });
    app.get("/me", { preHandler: auth.loginRequired({ api: true }) }, async (request) => {
      const user = await request.user;
      assert.ok(user === (await auth.getUser(request)), "the same object within a request");
      return { username: user.username };
    });
    app.get("/page", { preHandler: auth.loginRequired() }, () => "page");
    app.get(
      "/polls",
      { preHandler: auth.permissionRequired("polls.change_poll", { raise403: true }) },
      () => "editing",
    );
    app.get("/untouched", () => "hi");
    url = await start(app);
  });
  after(() => app.close());

  sharedAuthBehaviour(
    () => url,
    () => f,
    { untouched: true, user: "lazy user" },
  );

  it("refuses to register without the session plugin, naming the fix", async () => {
    const bare = Fastify();
    await assert.rejects(
      async () => {
        await bare.register(auth.authMiddleware(f.config));
        await bare.ready();
      },
      (error: unknown) =>
        error instanceof ConfigurationError && error.message === MISSING_SESSION_MESSAGE,
    );
    assert.throws(() => auth.authMiddleware({ ...f.config, secretKey: "" }), ConfigurationError);
  });
});

describe("Fastify 5 CSRF", () => {
  let app: FastifyInstance;
  let url: string;
  before(async () => {
    app = Fastify();
    await app.register(formbody);
    await app.register(sessionMiddleware({ djangoVersion: "5.2", store: new MemoryStore() }));
    await app.register(csrfMiddleware({ djangoVersion: "5.2" }));
    app.get("/form", async (request) => ({ token: await csrfToken(request) }));
    app.post("/submit", (request) => ({ ok: true, body: request.body }));
    url = await start(app);
  });
  after(() => app.close());

  it("a form with the token passes, one without is refused with Django's reason", async () => {
    const jar = new CookieJar();
    const page = await jar.fetch(`${url}/form`);
    const { token } = (await page.json()) as { token: string };
    assert.match(page.headers.getSetCookie()[0] ?? "", /^csrftoken=[A-Za-z0-9]{32};/);
    const form = (fields: Record<string, string>): RequestInit => ({
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields),
    });
    const ok = await jar.fetch(`${url}/submit`, form({ csrfmiddlewaretoken: token, a: "1" }));
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { ok: true, body: { csrfmiddlewaretoken: token, a: "1" } });
    const refused = await jar.fetch(`${url}/submit`, form({ a: "1" }));
    assert.equal(refused.status, 403);
    assert.equal(
      await refused.text(),
      "CSRF verification failed. Request aborted.\nCSRF token missing.\n",
    );
    const header = await jar.fetch(`${url}/submit`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: "{}",
    });
    assert.equal(header.status, 200);
    const noCookie = await fetch(`${url}/submit`, form({ csrfmiddlewaretoken: token }));
    assert.equal(noCookie.status, 403);
    assert.equal(
      await noCookie.text(),
      "CSRF verification failed. Request aborted.\nCSRF cookie not set.\n",
    );
  });
});

describe("Fastify 5 plugin on a real Redis store (django-redis layout)", () => {
  const client = createClient({ url: "redis://127.0.0.1:6379/0" });
  const prefix = `sb-fastify-test-${process.pid}`;
  let app: FastifyInstance;
  let url: string;
  before(async () => {
    await client.connect();
    app = Fastify();
    await app.register(
      sessionMiddleware({
        djangoVersion: "5.2",
        store: new DjangoCacheStore({ client, keyPrefix: prefix }),
      }),
    );
    app.get("/count", async (request) => {
      const visits = ((await request.session.get("visits")) ?? 0) + 1;
      await request.session.set("visits", visits);
      return { visits, key: request.session.key };
    });
    url = await start(app);
  });
  after(async () => {
    await app.close();
    for await (const keys of client.scanIterator({ MATCH: `${prefix}:*` })) {
      if (keys.length > 0) await client.del(keys);
    }
    await client.quit();
  });

  it("counts across requests, kept in Redis", async () => {
    const jar = new CookieJar();
    await jar.fetch(`${url}/count`);
    const second = (await (await jar.fetch(`${url}/count`)).json()) as {
      visits: number;
      key: string;
    };
    assert.equal(second.visits, 2);
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${prefix}:*` })) keys.push(...batch);
    assert.equal(keys.length, 1);
    assert.ok(keys[0]!.endsWith(second.key), keys[0]);
  });
});
