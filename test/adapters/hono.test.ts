import { after, before, describe, it } from "node:test";
import { createServer } from "node:http";
import { Hono } from "hono";
import { getRequestListener } from "@hono/node-server";
import assert from "node:assert/strict";
import { getSession, sessionMiddleware, type SessionEnv } from "../../src/adapters/hono/index.ts";
import { ConfigurationError } from "../../src/errors.ts";
import { MemoryStore } from "../../src/stores/memory/index.ts";
import { DownStore } from "../support/stores.ts";
import { listen } from "../support/http.ts";
import { sharedAdapterBehaviour } from "./shared-behaviour.ts";

type Env = SessionEnv<{ visits: number }>;

function buildApp(): Hono<Env> {
  const app = new Hono<Env>();
  const down = new Hono<Env>();
  down.use(sessionMiddleware({ store: new DownStore() }));
  down.get("/outage", async (c) =>
    c.json({ visits: (await c.get("session").get("visits")) ?? null }),
  );
  app.route("/", down);
  app.use(sessionMiddleware({ store: new MemoryStore() }));
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
