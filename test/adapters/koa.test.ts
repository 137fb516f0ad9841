// The Koa 3 middleware over real HTTP: the behaviour every adapter shows, errors through Koa's
// own error handling (its status, its "error" event), the auth half on ctx.state (guards on
// @koa/router routes, login with key cycling, logout), CSRF with and without @koa/bodyparser,
// and a real Redis store.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import Koa from "koa";
import Router from "@koa/router";
import { bodyParser } from "@koa/bodyparser";
import { createClient } from "redis";
import {
  csrfMiddleware,
  csrfToken,
  getSession,
  sessionMiddleware,
} from "../../src/adapters/koa/index.ts";
import * as auth from "../../src/adapters/koa/auth.ts";
import { MISSING_SESSION_MESSAGE } from "../../src/adapters/shared-auth.ts";
import { ConfigurationError, SessionStoreError } from "../../src/errors.ts";
import { DjangoCacheStore } from "../../src/stores/redis/index.ts";
import { MemoryStore } from "../../src/stores/memory/index.ts";
import type { Fixture } from "../auth/support.ts";
import { downStore } from "../support/stores.ts";
import { CookieJar, koaListener, listen } from "../support/http.ts";
import { authFixture, sharedAdapterBehaviour, sharedAuthBehaviour } from "./shared-behaviour.ts";

declare module "../../src/adapters/koa/index.ts" {
  interface SessionData {
    visits: number;
  }
}

type Server = Awaited<ReturnType<typeof listen>>;

function serve(app: Koa<never, never> | Koa): Promise<Server> {
  return listen(createServer(koaListener(app)));
}

const unreachable = await downStore();

function buildApp(errors: unknown[]): Koa {
  const app = new Koa();
  app.on("error", (error: unknown) => errors.push(error));
  const down = new Router();
  down.use(sessionMiddleware({ djangoVersion: "5.2", store: unreachable }));
  down.get("/outage", async (ctx) => {
    ctx.body = { visits: (await ctx.session.get("visits")) ?? null };
  });
  const router = new Router();
  router.use(sessionMiddleware({ djangoVersion: "5.2", store: new MemoryStore() }));
  router.get("/count", async (ctx) => {
    const visits = ((await ctx.session.get("visits")) ?? 0) + 1; // typed: number
    await ctx.session.set("visits", visits);
    ctx.body = { visits };
  });
  router.get("/read", async (ctx) => {
    ctx.body = { visits: (await getSession(ctx).get("visits")) ?? null };
  });
  router.get("/plain", (ctx) => {
    ctx.body = "plain";
  });
  router.get("/flush", async (ctx) => {
    await ctx.session.flush();
    ctx.body = "flushed";
  });
  router.get("/boom", async (ctx) => {
    await ctx.session.set("visits", 99);
    ctx.status = 500;
    ctx.body = "boom";
  });
  router.get("/throws", async (ctx) => {
    await ctx.session.set("visits", 7);
    throw new Error("handler failed");
  });
  app.use(down.routes());
  app.use(router.routes());
  return app;
}

describe("Koa 3 middleware over real HTTP", () => {
  let server: Server;
  const errors: unknown[] = [];
  before(async () => {
    server = await serve(buildApp(errors));
  });
  after(() => server.close());
  sharedAdapterBehaviour(() => server.url);

  it("sends a store outage through Koa's error handling: 503, emitted on app 'error'", async () => {
    errors.length = 0;
    const jar = new CookieJar();
    jar.cookies.set("sessionid", "abcdefghijklmnopqrstuvwxyz012345");
    const down = await jar.fetch(`${server.url}/outage`);
    assert.equal(down.status, 503);
    assert.equal(await down.text(), "Service Unavailable");
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof SessionStoreError);
  });

  it("saves nothing when the handler throws (Koa's 500)", async () => {
    const thrown = await fetch(`${server.url}/throws`);
    assert.equal(thrown.status, 500);
    assert.deepEqual(thrown.headers.getSetCookie(), []);
  });
});

describe("Koa 3: a save that fails at the end", () => {
  it("is thrown to Koa's error handling: 503 instead of the handler's answer", async () => {
    const errors: unknown[] = [];
    const reported: unknown[] = [];
    const app = new Koa();
    app.on("error", (error: unknown) => errors.push(error));
    app.use(
      sessionMiddleware({
        djangoVersion: "5.2",
        store: await downStore(),
        onError: (e) => reported.push(e),
      }),
    );
    app.use(async (ctx) => {
      await ctx.session.set("visits", 1);
      ctx.status = 201;
      ctx.body = { ok: true };
    });
    const server = await serve(app);
    try {
      const response = await fetch(server.url, { method: "POST" });
      assert.equal(response.status, 503);
      assert.equal(await response.text(), "Service Unavailable");
      assert.deepEqual(response.headers.getSetCookie(), []);
      assert.equal(errors.length, 1);
      assert.equal(reported.length, 1);
    } finally {
      await server.close();
    }
  });
});

describe("Koa 3 auth half", () => {
  let f: Fixture;
  let server: Server;
  before(async () => {
    f = await authFixture();
    const app = new Koa<auth.AuthState>();
    app.use(bodyParser());
    app.use(sessionMiddleware({ djangoVersion: "5.2", store: f.store }));
    app.use(auth.authMiddleware(f.config));
    const router = new Router<auth.AuthState>();
    router.post("/login", async (ctx) => {
      const body = ctx.request.body as { username: string; password: string };
      const result = await ctx.state.auth.authenticate({ ...body, ip: ctx.ip });
      if (!result.ok) {
        ctx.status = 400;
        ctx.body = { error: result.message };
        return;
      }
      await ctx.state.auth.login(result.user);
      ctx.body = { ok: true };
    });
    router.post("/logout", async (ctx) => {
      await auth.getAuth(ctx).logout();
      ctx.body = { ok: true };
    });
    router.get("/me", auth.loginRequired({ api: true }), async (ctx) => {
      const user = await ctx.state.user;
      assert.ok(user === (await auth.getUser(ctx)), "the same object within a request");
      ctx.body = { username: user.username };
    });
    router.get("/page", auth.loginRequired(), (ctx) => {
      ctx.body = "page";
    });
    router.get(
      "/polls",
      auth.permissionRequired("polls.change_poll", { raise403: true }),
      (ctx) => {
        ctx.body = "editing";
      },
    );
    router.get("/untouched", (ctx) => {
      ctx.body = "hi";
    });
    app.use(router.routes());
    server = await serve(app);
  });
  after(() => server.close());

  sharedAuthBehaviour(
    () => server.url,
    () => f,
    { untouched: true, user: "lazy user" },
  );

  it("without the session middleware: Koa's 500, the fix in the emitted error", async () => {
    const errors: unknown[] = [];
    const app = new Koa();
    app.on("error", (error: unknown) => errors.push(error));
    app.use(auth.authMiddleware(f.config));
    const bare = await serve(app);
    try {
      assert.equal((await fetch(bare.url)).status, 500);
    } finally {
      await bare.close();
    }
    assert.ok(errors[0] instanceof ConfigurationError);
    assert.equal(errors[0].message, MISSING_SESSION_MESSAGE);
    assert.throws(() => auth.authMiddleware({ ...f.config, secretKey: "" }), ConfigurationError);
  });
});

for (const withBodyParser of [true, false]) {
  describe(`Koa 3 CSRF (${withBodyParser ? "after @koa/bodyparser" : "reading the form itself"})`, () => {
    let server: Server;
    before(async () => {
      const app = new Koa();
      if (withBodyParser) app.use(bodyParser());
      app.use(sessionMiddleware({ djangoVersion: "5.2", store: new MemoryStore() }));
      app.use(csrfMiddleware({ djangoVersion: "5.2" }));
      if (!withBodyParser) app.use(bodyParser()); // leaves the form read by CSRF as it is
      const router = new Router();
      router.get("/form", async (ctx) => {
        ctx.body = { token: await csrfToken(ctx) };
      });
      router.post("/submit", (ctx) => {
        ctx.body = { ok: true, body: ctx.request.body };
      });
      app.use(router.routes());
      server = await serve(app);
    });
    after(() => server.close());

    it("a form with the token passes, one without is refused with Django's reason", async () => {
      const jar = new CookieJar();
      const page = await jar.fetch(`${server.url}/form`);
      const { token } = (await page.json()) as { token: string };
      assert.match(page.headers.getSetCookie()[0] ?? "", /^csrftoken=[A-Za-z0-9]{32};/);
      const form = (fields: Record<string, string>): RequestInit => ({
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(fields),
      });
      const ok = await jar.fetch(
        `${server.url}/submit`,
        form({ csrfmiddlewaretoken: token, a: "1" }),
      );
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), {
        ok: true,
        body: { csrfmiddlewaretoken: token, a: "1" },
      });
      const refused = await jar.fetch(`${server.url}/submit`, form({ a: "1" }));
      assert.equal(refused.status, 403);
      assert.equal(
        await refused.text(),
        "CSRF verification failed. Request aborted.\nCSRF token missing.\n",
      );
      const header = await jar.fetch(`${server.url}/submit`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token },
        body: "{}",
      });
      assert.equal(header.status, 200);
      const noCookie = await fetch(`${server.url}/submit`, form({ csrfmiddlewaretoken: token }));
      assert.equal(noCookie.status, 403);
      assert.equal(
        await noCookie.text(),
        "CSRF verification failed. Request aborted.\nCSRF cookie not set.\n",
      );
    });
  });
}

describe("Koa 3 middleware on a real Redis store (django-redis layout)", () => {
  const client = createClient({ url: "redis://127.0.0.1:6379/0" });
  const prefix = `sb-koa-test-${process.pid}`;
  let server: Server;
  before(async () => {
    await client.connect();
    const app = new Koa();
    app.use(
      sessionMiddleware({
        djangoVersion: "5.2",
        store: new DjangoCacheStore({ client, keyPrefix: prefix }),
      }),
    );
    app.use(async (ctx) => {
      const visits = ((await ctx.session.get("visits")) ?? 0) + 1;
      await ctx.session.set("visits", visits);
      ctx.body = { visits, key: ctx.session.key };
    });
    server = await serve(app);
  });
  after(async () => {
    await server.close();
    for await (const keys of client.scanIterator({ MATCH: `${prefix}:*` })) {
      if (keys.length > 0) await client.del(keys);
    }
    await client.quit();
  });

  it("counts across requests, kept in Redis", async () => {
    const jar = new CookieJar();
    await jar.fetch(server.url);
    const second = (await (await jar.fetch(server.url)).json()) as { visits: number; key: string };
    assert.equal(second.visits, 2);
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${prefix}:*` })) keys.push(...batch);
    assert.equal(keys.length, 1);
    assert.ok(keys[0]!.endsWith(second.key), keys[0]);
  });
});
