// The Web (Fetch API) adapter over real HTTP, served by @hono/node-server's Request/Response
// bridge: the behaviour every adapter shares, plus what only a Fetch handler has (immutable
// response headers, `Headers` as the cookie source, guards answering with a Response, CSRF).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createServer } from "node:http";
import { getRequestListener } from "@hono/node-server";
import {
  createCsrf,
  createSessions,
  csrfToken,
  getSession,
  withHeaders,
  withSessions,
} from "../../src/adapters/web/index.ts";
import {
  createAuth,
  getAuth,
  getUser,
  loginRequired,
  permissionRequired,
} from "../../src/adapters/web/auth.ts";
import { ConfigurationError } from "../../src/errors.ts";
import { MemoryStore } from "../../src/stores/memory/index.ts";
import { downStore } from "../support/stores.ts";
import { CookieJar, listen } from "../support/http.ts";
import { fixture, type Fixture } from "../auth/support.ts";
import { sharedAdapterBehaviour } from "./shared-behaviour.ts";

type Shape = { visits: number };
const memory = new MemoryStore();
const reported: unknown[] = [];

const app = withSessions<Shape>(
  { djangoVersion: "5.2", store: memory },
  async (request, session) => {
    assert.equal(getSession(request), session);
    switch (new URL(request.url).pathname) {
      case "/count": {
        const visits = ((await session.get("visits")) ?? 0) + 1;
        await session.set("visits", visits);
        return Response.json({ visits });
      }
      case "/read":
        return Response.json({ visits: (await session.get("visits")) ?? null });
      case "/plain":
        return new Response("plain");
      case "/flush":
        await session.flush();
        return new Response("flushed");
      case "/boom":
        await session.set("visits", 99);
        return new Response("boom", { status: 500 });
      case "/redirect":
        // Response.redirect() has immutable headers: the commit copies the response.
        await session.set("visits", 5);
        return Response.redirect("http://127.0.0.1/next", 302);
      default:
        return new Response(null, { status: 404 });
    }
  },
);
const outage = withSessions(
  { djangoVersion: "5.2", store: await downStore(), onError: (error) => void reported.push(error) },
  async (_request, session) => Response.json({ visits: await session.get("visits") }),
);

describe("Web (Fetch API) adapter over real HTTP", () => {
  let server: Awaited<ReturnType<typeof listen>>;
  before(async () => {
    const listener = getRequestListener((request: Request) =>
      new URL(request.url).pathname === "/outage" ? outage(request) : app(request),
    );
    server = await listen(createServer((req, res) => void listener(req, res)));
  });
  after(() => server.close());
  sharedAdapterBehaviour(() => server.url);

  it("reports the store outage to onError", () => {
    assert.ok(reported.length > 0);
  });

  it("commits to a Response.redirect() by copying it (its headers are immutable)", async () => {
    const jar = new CookieJar();
    const res = await jar.fetch(`${server.url}/redirect`);
    assert.equal(res.status, 302);
    assert.equal(res.headers.get("location"), "http://127.0.0.1/next");
    assert.match(res.headers.getSetCookie()[0] ?? "", /^sessionid=[a-z0-9]{32};/);
    assert.equal((await memory.load(jar.cookies.get("sessionid")!))?.get("visits"), 5);
  });

  it("opens from Headers too, and getSession names the fix when nothing was opened", async () => {
    const sessions = createSessions({ djangoVersion: "5.2", store: memory });
    const headers = new Headers();
    const opened = sessions.open(headers);
    await opened.session.set("visits", 1);
    assert.equal(getSession(headers), opened.session);
    const out = new Headers({ Vary: "Accept" });
    await opened.commitTo(out, 200);
    assert.equal(out.get("vary"), "Accept, Cookie");
    assert.match(out.getSetCookie()[0] ?? "", /^sessionid=/);
    assert.throws(
      () => getSession(new Request("http://x/")),
      (error: unknown) => error instanceof ConfigurationError && /withSessions/.test(error.message),
    );
    assert.equal(withHeaders(new Response("x"), { setCookie: [], varyCookie: false }).status, 200);
  });
});

describe("Web auth and CSRF", () => {
  let f: Fixture;
  before(async () => {
    f = await fixture();
    await f.addUser("alice", "alice-pw");
    f.grantUser(1, f.addPermission("polls", "change_poll"));
  });

  it("logs in, guards with Django's redirect and 403, logs out", async () => {
    const sessions = createSessions({ djangoVersion: "5.2", store: f.store });
    const auth = createAuth(f.config);
    const serve = (request: Request, handler: () => Promise<Response>) =>
      sessions.handle(request, () => {
        auth.open(request);
        return handler();
      });

    const anonymous = new Request("http://app.test/account?tab=1");
    const refused = await serve(anonymous, async () => (await loginRequired(anonymous))!);
    assert.equal(refused.status, 302);
    assert.equal(refused.headers.get("location"), "/accounts/login/?next=/account%3Ftab%3D1");

    const login = new Request("http://app.test/login", { method: "POST" });
    const loggedIn = await serve(login, async () => {
      const result = await getAuth(login).authenticate({ username: "alice", password: "alice-pw" });
      assert.ok(result.ok);
      await getAuth(login).login(result.user);
      return new Response("ok");
    });
    const cookie = loggedIn.headers.getSetCookie()[0]!.split(";")[0]!;

    const page = new Request("http://app.test/account", { headers: { Cookie: cookie } });
    const shown = await serve(page, async () => {
      assert.equal(await loginRequired(page), undefined);
      assert.equal(await permissionRequired(page, "polls.change_poll"), undefined);
      const denied = await permissionRequired(page, "polls.delete_poll", { raise403: true });
      assert.equal(denied?.status, 403);
      const user = await getUser(page.headers);
      return new Response(user.isAuthenticated ? user.username : "anonymous");
    });
    assert.equal(await shown.text(), "alice");

    const logout = new Request("http://app.test/logout", { headers: { Cookie: cookie } });
    const out = await serve(logout, async () => {
      await getAuth(logout).logout();
      return new Response("bye");
    });
    assert.match(out.headers.getSetCookie()[0] ?? "", /^sessionid=; Max-Age=0;/);
    assert.throws(() => createAuth(f.config).open(new Request("http://x/")), ConfigurationError);
  });

  it("CSRF: a token made here passes, a missing one is answered 403 with Django's reason", async () => {
    const csrf = createCsrf({ djangoVersion: "5.2" });
    const page = new Request("http://app.test/form");
    const opened = await csrf.open(page);
    assert.equal(opened.failure, undefined);
    const token = await csrfToken(page);
    const response = opened.commit(new Response("form"));
    const cookie = response.headers.getSetCookie()[0]!.split(";")[0]!;
    assert.match(cookie, /^csrftoken=[A-Za-z0-9]{32}$/);

    const post = (body: string) =>
      new Request("http://app.test/form", {
        method: "POST",
        headers: {
          Cookie: cookie,
          Origin: "http://app.test",
          "Content-Type": "application/x-www-form-urlencoded",
        },
        body,
      });
    const good = post(`csrfmiddlewaretoken=${token}&title=x`);
    assert.equal((await csrf.open(good)).failure, undefined);
    assert.match(await good.text(), /title=x/, "the handler still reads the form");
    const bad = await csrf.open(post("title=x"));
    assert.equal(bad.failure?.status, 403);
    assert.match(await bad.failure.text(), /CSRF token missing/);
  });
});
