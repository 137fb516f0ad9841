// sessionbridge/next without a Next build: what Next hands the adapter is an `await cookies()`
// store (read everywhere, `set` throwing Next's own error during a render), `await headers()`,
// a Route Handler's `Request` and `NextResponse.next()`. The stand-ins below follow Next 16's
// contract (next/dist/server/web/spec-extension/adapters/request-cookies.ts); the full app
// under `next start` is test/examples/next-django.test.ts.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import {
  createNextSessions,
  parseSetCookie,
  type NextCookie,
  type NextCookieStore,
  type NextSetCookie,
} from "../../src/adapters/next/index.ts";
import { DjangoCsrf } from "../../src/django/csrf-protection.ts";
import { ConfigurationError, ReadOnlySessionError } from "../../src/errors.ts";
import { MemoryStore } from "../../src/stores/memory/index.ts";
import { createSignedCookieStore } from "../../src/stores/signed-cookies/index.ts";
import { makePassword } from "../../src/auth/hashers/index.ts";
import { downStore } from "../support/stores.ts";
import { listen } from "../support/http.ts";
import { fixture, HASHERS, type Fixture } from "../auth/support.ts";

/** Next's `cookies()` store: `render` seals it as Next does while a Server Component renders. */
class CookieStore implements NextCookieStore {
  readonly jar = new Map<string, string>();
  readonly written: NextSetCookie[] = [];
  constructor(
    cookies: Record<string, string> = {},
    readonly render = false,
  ) {
    for (const [name, value] of Object.entries(cookies)) this.jar.set(name, value);
  }
  getAll(): NextCookie[] {
    return [...this.jar].map(([name, value]) => ({ name, value }));
  }
  set(cookie: NextSetCookie): this {
    if (this.render) {
      // Next 16's ReadonlyRequestCookiesError, word for word.
      throw new Error(
        "Cookies can only be modified in a Server Action or Route Handler. Read more: https://nextjs.org/docs/app/api-reference/functions/cookies#options",
      );
    }
    this.written.push(cookie);
    // Next encodes values with encodeURIComponent when it serializes them.
    this.jar.set(cookie.name, encodeURIComponent(cookie.value));
    return this;
  }
}

/** `NextResponse.next()` as the proxy guard uses it: the request headers to pass on. */
const NextResponse = {
  next(init?: { request?: { headers?: Headers } }): Response {
    const passed = init?.request?.headers ?? new Headers();
    return new Response(null, {
      headers: { "x-middleware-next": "1", "x-passed-user": passed.get("x-django-user-id") ?? "" },
    });
  },
};

describe("sessionbridge/next", () => {
  let f: Fixture;
  let alice: string;
  let sessions: ReturnType<typeof createNextSessions>;

  /** A session key with alice logged in, as Django's login view leaves it. */
  async function loggedIn(): Promise<string> {
    const action = sessions.action(new CookieStore());
    const result = await action.auth.authenticate({ username: "alice", password: "alice-pw" });
    assert.ok(result.ok);
    await action.auth.login(result.user);
    await action.commit();
    return action.session.key!;
  }

  before(async () => {
    f = await fixture();
    await f.addUser("alice", "alice-pw");
    sessions = createNextSessions({
      djangoVersion: "5.2",
      store: f.store,
      auth: f.config,
      loginUrl: "http://django.test/accounts/login/",
    });
    alice = await loggedIn();
  });

  describe("Server Components", () => {
    it("reads lazily from cookies() or headers(), and anonymous without a session", async () => {
      const fromStore = sessions.read(new CookieStore({ sessionid: alice }));
      assert.equal(fromStore.key, alice);
      assert.equal(typeof (await fromStore.get("_auth_user_id")), "string");
      const fromHeaders = sessions.read(new Headers({ cookie: `a=1; sessionid=${alice}` }));
      assert.equal(await fromHeaders.get("_auth_user_id"), await fromStore.get("_auth_user_id"));

      const user = await sessions.user(new CookieStore({ sessionid: alice }));
      assert.ok(user.isAuthenticated);
      assert.equal(user.username, "alice");
      assert.equal((await sessions.user(new CookieStore())).isAuthenticated, false);
      const unknown = new Headers({ cookie: "sessionid=abcdefghijklmnopqrstuvwxyz012345" });
      assert.equal((await sessions.user(unknown)).isAuthenticated, false);
    });

    it("loads the user once per cookies() object; an untouched session sets no cookie", async () => {
      const source = new CookieStore({ sessionid: alice });
      assert.equal(sessions.user(source), sessions.user(source));
      const cookies = new CookieStore({ sessionid: alice });
      await sessions.action(cookies).commit();
      assert.equal(cookies.written.length, 0);
    });

    it("a write is a ReadOnlySessionError that names where writes go", async () => {
      const session = sessions.read(new CookieStore({ sessionid: alice }));
      for (const write of [
        () => session.set("cart", ["book"]),
        () => session.flush(),
        () => session.cycleKey(),
      ]) {
        assert.throws(
          write,
          (error: unknown) =>
            error instanceof ReadOnlySessionError &&
            /Server Action or a Route Handler/.test(error.message),
        );
      }
      assert.equal(await session.has("cart"), false);
    });

    it("follows Django's _auth_user_hash rule: a changed password logs the session out", async () => {
      const key = await loggedIn();
      const { password } = f.raw
        .prepare("SELECT password FROM auth_user WHERE username = 'alice'")
        .get() as { password: string };
      const hash = await makePassword("changed-pw", { ...HASHERS, djangoVersion: "5.2" });
      f.raw.prepare("UPDATE auth_user SET password = ? WHERE username = 'alice'").run(hash);
      try {
        assert.equal(
          (await sessions.user(new CookieStore({ sessionid: key }))).isAuthenticated,
          false,
        );
      } finally {
        f.raw.prepare("UPDATE auth_user SET password = ? WHERE username = 'alice'").run(password);
      }
    });

    it("without auth, user() names the missing option", () => {
      const bare = createNextSessions({ djangoVersion: "5.2", store: new MemoryStore() });
      assert.throws(
        () => bare.user(new CookieStore()),
        (error: unknown) => error instanceof ConfigurationError && /auth/.test(error.message),
      );
    });
  });

  describe("Server Actions", () => {
    it("writes, then commit() sets Django's cookie through cookies()", async () => {
      const cookies = new CookieStore();
      const action = sessions.action(cookies);
      await action.session.set("cart", ["book"]);
      await action.commit();
      assert.equal(cookies.written.length, 1);
      const [cookie] = cookies.written;
      assert.equal(cookie!.name, "sessionid");
      assert.match(cookie!.value, /^[a-z0-9]{32}$/);
      assert.deepEqual(
        { maxAge: cookie!.maxAge, path: cookie!.path, httpOnly: cookie!.httpOnly },
        { maxAge: 1209600, path: "/", httpOnly: true },
      );
      assert.equal(cookie!.sameSite, "lax");
      assert.deepEqual(await f.store.load(cookie!.value).then((d) => d?.get("cart")), ["book"]);

      // The next action sees the cart and adds to it.
      const again = sessions.action(cookies);
      await again.session.set("cart", [...((await again.session.get("cart")) as string[]), "lamp"]);
      await again.commit();
      assert.deepEqual(await f.store.load(cookie!.value).then((d) => d?.get("cart")), [
        "book",
        "lamp",
      ]);
    });

    it("commit() during a render is a ReadOnlySessionError, not Next's bare error", async () => {
      const action = sessions.action(new CookieStore({}, true));
      await action.session.set("cart", ["book"]);
      await assert.rejects(action.commit(), ReadOnlySessionError);
    });

    it("a cookie value Next would percent-encode (signed_cookies) is refused, naming route()", async () => {
      const signed = createNextSessions({
        djangoVersion: "5.2",
        store: createSignedCookieStore({ secret: "next-test-secret" }),
      });
      const action = signed.action(new CookieStore());
      await action.session.set("cart", ["book"]);
      await assert.rejects(
        action.commit(),
        (error: unknown) =>
          error instanceof ConfigurationError && /sessions\.route\(handler\)/.test(error.message),
      );
    });

    it("logs in and out through action.auth", async () => {
      const cookies = new CookieStore();
      const action = sessions.action(cookies);
      const result = await action.auth.authenticate({ username: "alice", password: "alice-pw" });
      assert.ok(result.ok);
      await action.auth.login(result.user);
      assert.equal((await action.user()).isAuthenticated, true);
      await action.commit();
      const key = cookies.jar.get("sessionid")!;
      assert.equal(
        (await sessions.user(new CookieStore({ sessionid: key }))).isAuthenticated,
        true,
      );

      const out = sessions.action(cookies);
      await out.auth.logout();
      await out.commit();
      assert.equal(cookies.written.at(-1)!.maxAge, 0);
      assert.equal(await f.store.exists(key), false);
    });
  });

  describe("Route Handlers", () => {
    it("commits to the Response, Django's signed_cookies included", async () => {
      const signed = createNextSessions({
        djangoVersion: "5.2",
        store: createSignedCookieStore({ secret: "next-test-secret" }),
      });
      const POST = signed.route(async (request, { session }) => {
        const { item } = (await request.json()) as { item: string };
        await session.set("cart", [item]);
        return Response.json({ cart: await session.get("cart") });
      });
      const response = await POST(
        new Request("http://next.test/api/cart", { method: "POST", body: '{"item":"lamp"}' }),
      );
      assert.deepEqual(await response.json(), { cart: ["lamp"] });
      const cookie = response.headers.getSetCookie()[0]!;
      assert.match(cookie, /^sessionid=[\w-]+:[\w]+:[\w-]+; /);
      assert.match(response.headers.get("vary") ?? "", /Cookie/);
      const read = signed.read(new Headers({ cookie: cookie.split(";")[0]! }));
      assert.deepEqual(await read.get("cart"), ["lamp"]);
    });

    it("gives the user and answers a store outage with 503", async () => {
      const GET = sessions.route(async (_request, context) => {
        const current = await context.user();
        return new Response(current.isAuthenticated ? current.username : "anonymous");
      });
      const page = new Request("http://next.test/me", {
        headers: { cookie: `sessionid=${alice}` },
      });
      assert.equal(await (await GET(page)).text(), "alice");
      const down = createNextSessions({
        djangoVersion: "5.2",
        store: await downStore(),
        onError: () => undefined,
      });
      const outage = down.route(async (_request, { session }) =>
        Response.json(await session.get("x")),
      );
      const response = await outage(
        new Request("http://next.test/", {
          headers: { cookie: "sessionid=abcdefghijklmnopqrstuvwxyz012345" },
        }),
      );
      assert.equal(response.status, 503);
    });
  });

  describe("proxy.ts guard", () => {
    const proxy = () =>
      sessions.proxy({
        NextResponse,
        protect: (request) => new URL(request.url).pathname.startsWith("/cart"),
      });

    it("sends an anonymous visitor to Django's LOGIN_URL with next= (the Host header's origin)", async () => {
      const response = await proxy()(
        new Request("http://localhost:3000/cart?tab=1", { headers: { host: "shop.test" } }),
      );
      assert.equal(response.status, 302);
      assert.equal(
        response.headers.get("location"),
        "http://django.test/accounts/login/?next=http%3A//shop.test/cart%3Ftab%3D1",
      );
    });

    it("checks the store, not the cookie's presence, and ignores a forged user-id header", async () => {
      const forged = await proxy()(
        new Request("http://shop.test/cart", {
          headers: {
            cookie: "sessionid=abcdefghijklmnopqrstuvwxyz012345",
            "x-django-user-id": "1",
          },
        }),
      );
      assert.equal(forged.status, 302);
    });

    it("passes a logged-in user on with the user id header; unprotected paths pass as they are", async () => {
      const page = await proxy()(
        new Request("http://shop.test/cart", { headers: { cookie: `sessionid=${alice}` } }),
      );
      assert.equal(page.headers.get("x-middleware-next"), "1");
      assert.equal(page.headers.get("x-passed-user"), "1");
      const open = await proxy()(
        new Request("http://shop.test/about", { headers: { "x-django-user-id": "7" } }),
      );
      assert.equal(open.headers.get("x-middleware-next"), "1");
      assert.equal(open.headers.get("x-passed-user"), "", "the client's header is removed");
    });

    it("without auth, the session's _auth_user_id decides; an outage is a 503", async () => {
      const bare = createNextSessions({ djangoVersion: "5.2", store: f.store });
      const passed = await bare.proxy({ NextResponse })(
        new Request("http://shop.test/", { headers: { cookie: `sessionid=${alice}` } }),
      );
      assert.equal(passed.headers.get("x-passed-user"), "1");
      const down = createNextSessions({
        djangoVersion: "5.2",
        store: await downStore(),
        onError: () => undefined,
      });
      const refused = await down.proxy({ NextResponse })(
        new Request("http://shop.test/", {
          headers: { cookie: "sessionid=abcdefghijklmnopqrstuvwxyz012345" },
        }),
      );
      assert.equal(refused.status, 503);
    });
  });

  describe("fetch to Django", () => {
    let server: Awaited<ReturnType<typeof listen>>;
    const seen: { cookie: string; token: string; origin: string; referer: string }[] = [];
    before(async () => {
      server = await listen(
        createServer((req, res) => {
          seen.push({
            cookie: req.headers.cookie ?? "",
            token: String(req.headers["x-csrftoken"] ?? ""),
            origin: req.headers.origin ?? "",
            referer: req.headers.referer ?? "",
          });
          res.end("ok");
        }),
      );
    });
    after(() => server.close());

    it("forwards the session cookie and a CSRF token Django's checks accept", async () => {
      const withUrl = createNextSessions({
        djangoVersion: "5.2",
        store: f.store,
        djangoUrl: server.url,
      });
      const secret = "a".repeat(16) + "B".repeat(16);
      const cookies = new CookieStore({ sessionid: alice, csrftoken: secret, other: "x" });
      const response = await withUrl.fetch(cookies, "/api/me/", { method: "POST" });
      assert.equal(await response.text(), "ok");
      const sent = seen.at(-1)!;
      assert.equal(sent.cookie, `sessionid=${alice}; csrftoken=${secret}`);
      assert.equal(sent.origin, server.url);
      assert.equal(sent.referer, `${server.url}/`);

      // Django's CsrfViewMiddleware, as sessionbridge implements it bit for bit.
      const csrf = new DjangoCsrf({ djangoVersion: "5.2" });
      const host = new URL(server.url).host;
      const state = await csrf.open(sent.cookie, undefined);
      const verdict = state.verify({
        method: "POST",
        host,
        secure: false,
        origin: sent.origin,
        referer: sent.referer,
        formToken: undefined,
        headerToken: sent.token,
      });
      assert.deepEqual(verdict, { ok: true });
    });

    it("makes a CSRF secret when the visitor has none, and reads headers() too", async () => {
      const withUrl = createNextSessions({
        djangoVersion: "5.2",
        store: f.store,
        djangoUrl: server.url,
      });
      await withUrl.fetch(new Headers({ cookie: `sessionid=${alice}` }), `${server.url}/x`);
      const sent = seen.at(-1)!;
      assert.match(sent.cookie, new RegExp(`^sessionid=${alice}; csrftoken=[A-Za-z0-9]{32}$`));
      assert.equal(sent.token.length, 64);
    });

    it("a path without djangoUrl names the option", () => {
      assert.throws(
        () => sessions.fetch(new CookieStore(), "/api/me/"),
        (error: unknown) => error instanceof ConfigurationError && /djangoUrl/.test(error.message),
      );
    });
  });

  it("parseSetCookie reads every attribute Django's Set-Cookie has", () => {
    assert.deepEqual(
      parseSetCookie(
        "sessionid=abc; expires=Mon, 21 Dec 2026 21:00:00 GMT; Max-Age=60; Domain=.example.com; Path=/; Secure; HttpOnly; SameSite=Strict; Partitioned",
      ),
      {
        name: "sessionid",
        value: "abc",
        expires: new Date("Mon, 21 Dec 2026 21:00:00 GMT"),
        maxAge: 60,
        domain: ".example.com",
        path: "/",
        secure: true,
        httpOnly: true,
        sameSite: "strict",
        partitioned: true,
      },
    );
  });
});
