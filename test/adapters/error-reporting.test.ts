// A save that fails after the handler has finished (the store goes away mid-request) is never a
// silent 500: node:http and Hono report it (stderr by default) and answer 503; Express hands it
// to its own error path, where the app's error middleware sees it. Real Redis, real clients: the
// outage is the route closing the store's connection before it answers.
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { describe, it, type TestContext } from "node:test";
import { serve } from "@hono/node-server";
import express, { type ErrorRequestHandler } from "express";
import express4 from "express4";
import { Hono } from "hono";
import { createClient } from "redis";
import {
  getSession as expressSession,
  sessionErrorHandler,
  sessionMiddleware as expressMiddleware,
} from "../../src/adapters/express/index.ts";
import {
  sessionMiddleware as honoMiddleware,
  type SessionEnv,
} from "../../src/adapters/hono/index.ts";
import { getSession, withSessions } from "../../src/adapters/node/index.ts";
import { isSessionBridgeError } from "../../src/errors.ts";
import { DjangoCacheStore } from "../../src/stores/redis/index.ts";
import { listen } from "../support/http.ts";

async function redisStore() {
  const client = createClient({
    socket: { host: "127.0.0.1", port: 6379 },
    disableOfflineQueue: true,
  });
  client.on("error", () => {});
  await client.connect();
  return { client, store: new DjangoCacheStore({ client, keyPrefix: "sb-error-reporting" }) };
}

/** Captures what the default reporter prints, for the length of one test. */
function captureStderr(t: TestContext): unknown[][] {
  const lines: unknown[][] = [];
  t.mock.method(console, "error", (...args: unknown[]) => {
    lines.push(args);
  });
  return lines;
}

describe("a failed save is reported", () => {
  it("node:http (withSessions): 503 and one stderr line by default", async (t) => {
    const { client, store } = await redisStore();
    const printed = captureStderr(t);
    const server = await listen(
      createServer(
        withSessions(
          { djangoVersion: "5.2", store },
          async (req: IncomingMessage, res: ServerResponse) => {
            await getSession(req).set("cart", ["book"]);
            client.destroy(); // the store goes away before the response is saved
            res.end("ok");
          },
        ),
      ),
    );
    try {
      const response = await fetch(`${server.url}/`);
      assert.equal(response.status, 503);
      assert.equal(await response.text(), "Service Unavailable\n");
      assert.equal(printed.length, 1);
      assert.match(String(printed[0]![0]), /^sessionbridge: store-unavailable: /);
    } finally {
      await server.close();
    }
  });

  it("node:http: an onError of the app's replaces the default", async (t) => {
    const { client, store } = await redisStore();
    const printed = captureStderr(t);
    const seen: unknown[] = [];
    const server = await listen(
      createServer(
        withSessions(
          { djangoVersion: "5.2", store, onError: (e) => seen.push(e) },
          async (req, res) => {
            await getSession(req).set("cart", ["book"]);
            client.destroy();
            res.end("ok");
          },
        ),
      ),
    );
    try {
      assert.equal((await fetch(`${server.url}/`)).status, 503);
      assert.equal(seen.length, 1);
      assert.ok(isSessionBridgeError(seen[0]) && seen[0].code === "store-unavailable");
      assert.equal(printed.length, 0);
    } finally {
      await server.close();
    }
  });

  for (const [name, framework] of [
    ["Express 5", express],
    ["Express 4", express4],
  ] as const) {
    it(`${name}: the app's own error middleware receives it`, async () => {
      const { client, store } = await redisStore();
      const app = framework();
      app.use(expressMiddleware({ djangoVersion: "5.2", store }));
      app.get("/", (req, res, next) => {
        void (async () => {
          await expressSession(req).set("cart", ["book"]);
          client.destroy();
          res.send("ok");
        })().catch(next);
      });
      const received: unknown[] = [];
      // Express recognises error middleware by its four parameters.
      // eslint-disable-next-line @typescript-eslint/no-unused-vars
      const appErrors: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
        received.push(error);
        res.status(599).send("handled by the app");
      };
      app.use(appErrors);
      const server = await listen(createServer(app));
      try {
        const response = await fetch(`${server.url}/`);
        assert.equal(response.status, 599);
        assert.equal(await response.text(), "handled by the app");
        assert.equal(response.headers.get("set-cookie"), null, "no cookie for a session not saved");
        assert.equal(received.length, 1);
        assert.ok(isSessionBridgeError(received[0]) && received[0].code === "store-unavailable");
      } finally {
        await server.close();
      }
    });

    it(`${name}: sessionErrorHandler() answers 503 and reports it on stderr`, async (t) => {
      const { client, store } = await redisStore();
      const printed = captureStderr(t);
      const app = framework();
      app.use(expressMiddleware({ djangoVersion: "5.2", store }));
      app.get("/", (req, res, next) => {
        void (async () => {
          await expressSession(req).set("cart", ["book"]);
          client.destroy();
          res.send("ok");
        })().catch(next);
      });
      app.use(sessionErrorHandler());
      const server = await listen(createServer(app));
      try {
        const response = await fetch(`${server.url}/`);
        assert.equal(response.status, 503);
        assert.equal(await response.text(), "Service Unavailable\n");
        assert.equal(printed.length, 1);
        assert.match(String(printed[0]![0]), /^sessionbridge: store-unavailable: /);
      } finally {
        await server.close();
      }
    });
  }

  it("Hono: 503 and one stderr line by default", async (t) => {
    const { client, store } = await redisStore();
    const printed = captureStderr(t);
    const app = new Hono<SessionEnv>();
    app.use(honoMiddleware({ djangoVersion: "5.2", store }));
    app.get("/", async (c) => {
      await c.get("session").set("cart", ["book"]);
      client.destroy();
      return c.text("ok");
    });
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
    await new Promise<void>((resolve) => server.once("listening", resolve));
    const { port } = server.address() as { port: number };
    try {
      const response = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(response.status, 503);
      assert.equal(printed.length, 1);
      assert.match(String(printed[0]![0]), /^sessionbridge: store-unavailable: /);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
