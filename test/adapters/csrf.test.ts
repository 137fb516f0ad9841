// csrfMiddleware in every adapter, over real HTTP: the same page-then-post flow a browser makes
// passes on node:http, Express 4, Express 5 and Hono, and the posts a CSRF attack makes (no
// token, a foreign Origin, a token from another secret) get Django's 403, with the secret kept
// in the csrftoken cookie or, as CSRF_USE_SESSIONS, in the session. Django itself is the peer
// in test/interop/django/csrf.test.ts and the README's express-csrf example.
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { serve } from "@hono/node-server";
import express from "express";
import express4 from "express4";
import { Hono } from "hono";
import {
  csrfMiddleware as expressCsrf,
  csrfToken as expressToken,
  sessionMiddleware as expressSessions,
} from "../../src/adapters/express/index.ts";
import {
  csrfMiddleware as honoCsrf,
  csrfToken as honoToken,
  sessionMiddleware as honoSessions,
  type CsrfEnv,
  type SessionEnv,
} from "../../src/adapters/hono/index.ts";
import {
  csrfMiddleware as nodeCsrf,
  csrfToken as nodeToken,
  getSession,
  withSessions,
} from "../../src/adapters/node/index.ts";
import { CSRF_SESSION_KEY } from "../../src/django/csrf-protection.ts";
import { MemoryStore } from "../../src/stores/memory/index.ts";
import { CookieJar, listen } from "../support/http.ts";

interface App {
  readonly url: string;
  readonly store: MemoryStore;
  close(): Promise<void>;
}
/** Serves GET /form (a page with a token) and POST /form ("saved") with the middleware. */
type StartApp = (useSessions: boolean) => Promise<App>;

const SETTINGS = { djangoVersion: "5.2" } as const;

function page(token: string): string {
  return `<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="${token}"></form>`;
}

const startNode: StartApp = async (useSessions) => {
  const store = new MemoryStore();
  const csrf = nodeCsrf({ ...SETTINGS, useSessions });
  const server = createServer(
    withSessions({ store, ...SETTINGS }, (req: IncomingMessage, res: ServerResponse) => {
      csrf(req, res, (error?: unknown) => {
        assert.equal(error, undefined);
        void (async () => {
          if (req.method === "GET") {
            const token = await nodeToken(req);
            await getSession(req).set("seen", true); // a session exists for CSRF_USE_SESSIONS
            res.end(page(token));
          } else res.end("saved");
        })();
      });
    }),
  );
  const { url, close } = await listen(server);
  return { url, store, close };
};

function startExpress(factory: typeof express): StartApp {
  return async (useSessions) => {
    const store = new MemoryStore();
    const app = factory();
    app.use(expressSessions({ store, ...SETTINGS }));
    app.use(factory.urlencoded({ extended: false }));
    app.use(expressCsrf({ ...SETTINGS, useSessions }));
    app.get("/form", async (req, res) => {
      const token = await expressToken(req);
      await getSession(req).set("seen", true);
      res.send(page(token));
    });
    app.post("/form", (_req, res) => {
      res.send("saved");
    });
    const { url, close } = await listen(createServer(app));
    return { url, store, close };
  };
}

const startHono: StartApp = async (useSessions) => {
  const store = new MemoryStore();
  const app = new Hono<SessionEnv & CsrfEnv>();
  app.use(honoSessions({ store, ...SETTINGS }));
  app.use(honoCsrf({ ...SETTINGS, useSessions }));
  app.get("/form", async (c) => {
    const token = await honoToken(c);
    await c.get("session").set("seen", true);
    return c.html(page(token));
  });
  app.post("/form", (c) => c.text("saved"));
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

const ADAPTERS: Record<string, StartApp> = {
  "node:http": startNode,
  "Express 5": startExpress(express),
  "Express 4": startExpress(express4),
  Hono: startHono,
};

/** Loads the form page into the jar and returns the token it carries. */
async function loadForm(app: App, jar: CookieJar): Promise<string> {
  const response = await jar.fetch(`${app.url}/form`);
  assert.equal(response.status, 200);
  const token = /value="([^"]+)"/.exec(await response.text())?.[1];
  assert.ok(token !== undefined, "the page carries a token");
  assert.match(token, /^[A-Za-z0-9]{64}$/, "a masked token, as Django's get_token()");
  return token;
}

function postForm(
  app: App,
  jar: CookieJar,
  body: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return jar.fetch(`${app.url}/form`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: app.url, ...headers },
    body: new URLSearchParams(body),
  });
}

for (const [name, start] of Object.entries(ADAPTERS)) {
  describe(`csrfMiddleware on ${name}`, () => {
    for (const useSessions of [false, true]) {
      const where = useSessions ? "in the session" : "in the csrftoken cookie";
      it(`the secret ${where}: the page's token passes as the form field and as X-CSRFToken`, async () => {
        const app = await start(useSessions);
        try {
          const jar = new CookieJar();
          const token = await loadForm(app, jar);
          assert.equal(jar.cookies.has("csrftoken"), !useSessions);
          if (useSessions) {
            const [key] = [...jar.cookies].find(([cookie]) => cookie === "sessionid") ?? [];
            assert.equal(key, "sessionid");
            const stored = await app.store.load(jar.cookies.get("sessionid")!);
            assert.ok(stored?.has(CSRF_SESSION_KEY), "kept in the session");
          }
          const byField = await postForm(app, jar, { csrfmiddlewaretoken: token });
          assert.equal(byField.status, 200);
          assert.equal(await byField.text(), "saved");
          const byHeader = await jar.fetch(`${app.url}/form`, {
            method: "POST",
            headers: { "Content-Type": "application/json", Origin: app.url, "X-CSRFToken": token },
            body: "{}",
          });
          assert.equal(byHeader.status, 200);
        } finally {
          await app.close();
        }
      });

      it(`the secret ${where}: a post without the token, from another origin, or with another secret's token is a 403`, async () => {
        const app = await start(useSessions);
        try {
          const jar = new CookieJar();
          const token = await loadForm(app, jar);
          const missing = await postForm(app, jar, { note: "x" });
          assert.equal(missing.status, 403);
          assert.match(await missing.text(), /CSRF verification failed[\s\S]*CSRF token missing/);

          const foreign = await postForm(
            app,
            jar,
            { csrfmiddlewaretoken: token },
            { Origin: "https://evil.example" },
          );
          assert.equal(foreign.status, 403);
          assert.match(await foreign.text(), /Origin checking failed/);

          // An attacker's own page gives a valid token for the attacker's secret, not the victim's.
          const attacker = new CookieJar();
          const attackerToken = await loadForm(app, attacker);
          const crossed = await postForm(app, jar, { csrfmiddlewaretoken: attackerToken });
          assert.equal(crossed.status, 403);
          assert.match(await crossed.text(), /CSRF token incorrect/);

          const noSecret = await postForm(app, new CookieJar(), { csrfmiddlewaretoken: token });
          assert.equal(noSecret.status, 403);
        } finally {
          await app.close();
        }
      });
    }

    it("a safe method passes without a token; the page's Vary names Cookie", async () => {
      const app = await start(false);
      try {
        const response = await fetch(`${app.url}/form`);
        assert.equal(response.status, 200);
        assert.match(response.headers.get("vary") ?? "", /Cookie/i);
      } finally {
        await app.close();
      }
    });
  });
}
