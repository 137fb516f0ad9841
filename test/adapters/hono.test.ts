import { after, before, describe, it } from "node:test";
import { createServer } from "node:http";
import { Hono } from "hono";
import { getRequestListener } from "@hono/node-server";
import assert from "node:assert/strict";
import {
  csrfMiddleware,
  csrfToken,
  getSession,
  sessionMiddleware,
  type CsrfEnv,
  type SessionEnv,
} from "../../src/adapters/hono/index.ts";
import {
  csrfToken as webCsrfToken,
  getSession as webSession,
} from "../../src/adapters/web/index.ts";
import { unmaskToken } from "../../src/django/csrf-protection.ts";
import { ConfigurationError } from "../../src/errors.ts";
import { MemoryStore } from "../../src/stores/memory/index.ts";
import { downStore } from "../support/stores.ts";
import { listen } from "../support/http.ts";
import { sharedAdapterBehaviour } from "./shared-behaviour.ts";

type Env = SessionEnv<{ visits: number }>;

const unreachable = await downStore();

function buildApp(): Hono<Env> {
  const app = new Hono<Env>();
  const down = new Hono<Env>();
  down.use(sessionMiddleware({ djangoVersion: "5.2", store: unreachable }));
  down.get("/outage", async (c) =>
    c.json({ visits: (await c.get("session").get("visits")) ?? null }),
  );
  app.route("/", down);
  app.use(sessionMiddleware({ djangoVersion: "5.2", store: new MemoryStore() }));
  app.get("/count", async (c) => {
    // getSession(c), the verb every adapter has; c.get("session") (the other routes) is the same.
    const session = getSession<{ visits: number }>(c);
    assert.equal(session, c.get("session"));
    const visits = ((await session.get("visits")) ?? 0) + 1;
    await session.set("visits", visits);
    return c.json({ visits });
  });
  app.get("/read", async (c) => c.json({ visits: (await c.get("session").get("visits")) ?? null }));
  app.get("/plain", (c) => c.text("plain"));
  app.get("/flush", async (c) => {
    await c.get("session").flush();
    return c.text("flushed");
  });
  app.get("/boom", async (c) => {
    await c.get("session").set("visits", 99);
    return c.text("boom", 500);
  });
  return app;
}

describe("Hono 4 adapter over real HTTP (@hono/node-server)", () => {
  let server: Awaited<ReturnType<typeof listen>>;
  before(async () => {
    const listener = getRequestListener(buildApp().fetch);
    server = await listen(createServer((req, res) => void listener(req, res)));
  });
  after(() => server.close());
  sharedAdapterBehaviour(() => server.url);

  it("getSession(c) without sessionMiddleware names the fix", async () => {
    const app = new Hono();
    app.get("/", (c) => {
      assert.throws(
        () => getSession(c),
        (error: unknown) =>
          error instanceof ConfigurationError &&
          /add sessionMiddleware\(\) first/.test(error.message),
      );
      return c.text("checked");
    });
    assert.equal(await (await app.request("/")).text(), "checked");
  });
});

describe("Hono CSRF on the Web core", () => {
  function csrfApp(onFailure?: Parameters<typeof csrfMiddleware>[0]["onFailure"]) {
    const app = new Hono<Env & CsrfEnv>();
    app.use(sessionMiddleware({ djangoVersion: "5.2", store: new MemoryStore() }));
    app.use(csrfMiddleware({ djangoVersion: "5.2", ...(onFailure ? { onFailure } : {}) }));
    app.get("/form", async (c) => {
      // sessionbridge/web sees the same session and the same CSRF state on c.req.raw.
      assert.equal(webSession(c.req.raw), getSession(c));
      const token = await csrfToken(c);
      const again = await webCsrfToken(c.req.raw);
      assert.equal(unmaskToken(again), unmaskToken(token), "one secret per request");
      return c.text(token);
    });
    app.post("/form", async (c) => c.json(await c.req.parseBody()));
    return app;
  }

  it("a page's token passes a form post whose handler parses the form again", async () => {
    const app = csrfApp();
    const page = await app.request("http://app.test/form");
    assert.equal(page.status, 200);
    const token = await page.text();
    const cookies = page.headers.getSetCookie();
    const csrfCookie = cookies.find((c) => c.startsWith("csrftoken="))!.split(";")[0]!;
    assert.match(page.headers.get("vary") ?? "", /Cookie/);
    const post = await app.request("http://app.test/form", {
      method: "POST",
      headers: {
        Cookie: csrfCookie,
        Origin: "http://app.test",
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ csrfmiddlewaretoken: token, title: "x" }),
    });
    assert.equal(post.status, 200, await post.clone().text());
    assert.deepEqual(await post.json(), { csrfmiddlewaretoken: token, title: "x" });
  });

  it("a post without a token gets Django's 403, or what onFailure makes of the verdict", async () => {
    const refused = await csrfApp().request("http://app.test/form", {
      method: "POST",
      headers: { Origin: "http://app.test" },
    });
    assert.equal(refused.status, 403);
    assert.match(await refused.text(), /CSRF verification failed[^]*CSRF cookie not set/);
    const custom = await csrfApp((c, verdict) =>
      c.json({ reason: verdict.ok ? null : verdict.reason }, 403),
    ).request("http://app.test/form", { method: "POST", headers: { Origin: "http://app.test" } });
    assert.equal(custom.status, 403);
    assert.deepEqual(await custom.json(), { reason: "no-csrf-cookie" });
  });
});
