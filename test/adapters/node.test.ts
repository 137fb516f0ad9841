import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createServer } from "node:http";
import { getSession, withSessions } from "../../src/adapters/node/index.ts";
import { MemoryStore } from "../../src/stores/memory/index.ts";
import { downStore } from "../support/stores.ts";
import { CookieJar, listen } from "../support/http.ts";
import { sharedAdapterBehaviour } from "./shared-behaviour.ts";

type Shape = { visits: number };
const memory = new MemoryStore();
const down = await downStore();

const app = withSessions({ djangoVersion: "5.2", store: memory }, async (req, res) => {
  const session = getSession<Shape>(req);
  const json = (value: unknown) => {
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify(value));
  };
  switch (req.url) {
    case "/count": {
      const visits = ((await session.get("visits")) ?? 0) + 1;
      await session.set("visits", visits);
      json({ visits });
      return;
    }
    case "/read": {
      json({ visits: (await session.get("visits")) ?? null });
      return;
    }
    case "/plain":
      return res.end("plain");
    case "/flush":
      await session.flush();
      return res.end("flushed");
    case "/boom":
      await session.set("visits", 99);
      res.statusCode = 500;
      return res.end("boom");
    case "/stream": {
      await session.set("visits", 7);
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.write("a");
      res.write("b");
      return res.end("c");
    }
    default:
      res.statusCode = 404;
      return res.end();
  }
});
const outage = withSessions({ djangoVersion: "5.2", store: down }, async (req, res) => {
  res.end(JSON.stringify(await getSession(req).get("visits")));
});
const handlerErrors: unknown[] = [];
const throwsAtOnce = withSessions(
  {
    djangoVersion: "5.2",
    store: memory,
    onError: (error) => {
      handlerErrors.push(error);
    },
  },
  () => {
    throw new Error("sync failure");
  },
);

describe("node:http adapter over real HTTP", () => {
  let server: Awaited<ReturnType<typeof listen>>;
  before(async () => {
    server = await listen(
      createServer((req, res) => {
        if (req.url === "/outage") outage(req, res);
        else if (req.url === "/throws") throwsAtOnce(req, res);
        else app(req, res);
      }),
    );
  });
  after(() => server.close());
  sharedAdapterBehaviour(() => server.url);

  it("answers a handler that throws synchronously with a bare 500, reported to onError", async () => {
    const res = await fetch(`${server.url}/throws`);
    assert.equal(res.status, 500);
    assert.equal(await res.text(), "Internal Server Error\n");
    assert.equal((handlerErrors[0] as Error).message, "sync failure");
  });

  it("holds a streamed response (writeHead + write) until the session is saved", async () => {
    const jar = new CookieJar();
    const res = await jar.fetch(`${server.url}/stream`);
    assert.equal(await res.text(), "abc");
    assert.equal(res.headers.get("content-type"), "text/plain");
    assert.match(res.headers.getSetCookie()[0] ?? "", /^sessionid=[a-z0-9]{32};/);
    const key = jar.cookies.get("sessionid")!;
    assert.equal((await memory.load(key))?.get("visits"), 7);
  });
});
