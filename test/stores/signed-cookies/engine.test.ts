// The engine with a store whose key is the data: Django's SessionMiddleware rules end to end
// (cookie set on save, unchanged sessions send nothing, cycle_key = save, flush deletes the
// cookie, bad or expired cookies give an empty session), directly and over node:http.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import { parse as parseCookie } from "cookie";
import { getSession, withSessions } from "../../../src/adapters/node/index.ts";
import { resolveSessionSettings } from "../../../src/engine/config.ts";
import { commitResponseSession, openRequestSession } from "../../../src/engine/http.ts";
import { TooLargeError } from "../../../src/errors.ts";
import { SignedCookieStore } from "../../../src/stores/signed-cookies/index.ts";
import { CookieJar, listen } from "../../support/http.ts";

const SECRET = "signed-cookie-engine-secret";
const silent = { warn: () => undefined };

/** The value of `sessionid` in a Set-Cookie line. */
function cookieValue(setCookie: string): string {
  return parseCookie(setCookie.split(";")[0]!, { decode: (v) => v })["sessionid"]!;
}

describe("signed cookies through the engine", () => {
  let clock = 1_700_000_000_000;
  const now = (): number => clock;
  const store = new SignedCookieStore({ secret: SECRET, logger: silent, now });
  const settings = resolveSessionSettings();

  /** One request: optional cookie in, a handler, the response headers out. */
  async function request(
    cookie: string | undefined,
    handler: (s: ReturnType<typeof openRequestSession>["session"]) => Promise<void>,
    status = 200,
  ): Promise<{ setCookie: readonly string[]; varyCookie: boolean }> {
    const rs = openRequestSession(
      cookie === undefined ? undefined : `sessionid=${cookie}`,
      store,
      settings,
      now,
    );
    await handler(rs.session);
    return commitResponseSession(rs, settings, status, now);
  }

  it("sets the signed value as the cookie when the session is modified", async () => {
    const res = await request(undefined, (s) => s.set("user", "alice"));
    assert.equal(res.setCookie.length, 1);
    const line = res.setCookie[0]!;
    assert.match(line, /Max-Age=1209600/);
    assert.match(line, /HttpOnly/);
    const value = cookieValue(line);
    assert.deepEqual(await store.load(value), new Map([["user", "alice"]]));
  });

  it("sends no cookie for a read-only request, only Vary: Cookie", async () => {
    const value = store.encodeKey(new Map([["user", "alice"]]));
    let seen: unknown;
    const res = await request(value, async (s) => {
      seen = await s.get("user");
    });
    assert.equal(seen, "alice");
    assert.deepEqual(res.setCookie, []);
    assert.equal(res.varyCookie, true);
  });

  it("re-signs on every change: a new timestamp, the same data", async () => {
    const first = store.encodeKey(new Map([["n", 1]]));
    clock += 5000;
    const res = await request(first, async (s) => {
      await s.set("n", Number(await s.get("n")) + 1);
    });
    const second = cookieValue(res.setCookie[0]!);
    assert.notEqual(second, first);
    assert.deepEqual(await store.load(second), new Map([["n", 2]]));
  });

  it("cycle_key is a save: data kept, new value", async () => {
    const first = store.encodeKey(new Map([["cart", [1, 2]]]));
    clock += 1000;
    const res = await request(first, (s) => s.cycleKey());
    const cycled = cookieValue(res.setCookie[0]!);
    assert.notEqual(cycled, first);
    assert.deepEqual(await store.load(cycled), new Map([["cart", [1, 2]]]));
  });

  it("flush deletes the cookie", async () => {
    const value = store.encodeKey(new Map([["user", "alice"]]));
    const res = await request(value, (s) => s.flush());
    assert.equal(res.setCookie.length, 1);
    assert.match(res.setCookie[0]!, /^sessionid=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970/);
  });

  it("an expired or forged cookie is an empty session, and the cookie is deleted", async () => {
    const old = store.encodeKey(new Map([["user", "alice"]]));
    clock += 1_209_601_000;
    const forged = new SignedCookieStore({ secret: "not-ours", now }).encodeKey(
      new Map([["user", "root"]]),
    );
    for (const value of [old, forged]) {
      let seen: unknown = "unset";
      const res = await request(value, async (s) => {
        seen = await s.get("user");
      });
      assert.equal(seen, undefined);
      // Django re-issues a cookie holding a signed `{}` here (its key stays set); an empty
      // session without a cookie is equivalent, and this engine deletes the cookie instead.
      assert.match(res.setCookie[0] ?? "", /^sessionid=; Max-Age=0/);
    }
  });

  it("set_expiry(0) gives a browser-session cookie", async () => {
    const res = await request(undefined, async (s) => {
      await s.set("a", 1);
      await s.setExpiry(0);
    });
    assert.doesNotMatch(res.setCookie[0]!, /Max-Age|Expires/);
  });

  it("does not save on a 5xx", async () => {
    const res = await request(undefined, (s) => s.set("a", 1), 503);
    assert.deepEqual(res.setCookie, []);
  });

  it("fails the commit with TooLargeError when the session outgrows a cookie", async () => {
    const rs = openRequestSession(undefined, store, settings, now);
    await rs.session.set("blob", randomBytes(4000).toString("base64"));
    await assert.rejects(commitResponseSession(rs, settings, 200, now), TooLargeError);
  });
});

describe("signed cookies over node:http", () => {
  const store = new SignedCookieStore({ secret: SECRET, logger: silent });
  let server: Awaited<ReturnType<typeof listen>>;
  const errors: unknown[] = [];
  before(async () => {
    server = await listen(
      createServer(
        withSessions(
          {
            djangoVersion: "5.2",
            store,
            onError: (e) => {
              errors.push(e);
            },
          },
          async (req, res) => {
            const session = getSession(req);
            if (req.url === "/bump") {
              await session.set("count", Number((await session.get("count")) ?? 0) + 1);
            } else if (req.url === "/huge") {
              await session.set("huge", randomBytes(4000).toString("base64"));
            } else if (req.url === "/logout") {
              await session.flush();
            }
            res.setHeader("Content-Type", "application/json");
            res.end(JSON.stringify({ count: (await session.get("count")) ?? null }));
          },
        ),
      ),
    );
  });
  after(async () => {
    await server.close();
  });

  it("keeps the whole session in the cookie across requests", async () => {
    const jar = new CookieJar();
    for (let i = 1; i <= 3; i++) {
      const body = (await (await jar.fetch(`${server.url}/bump`)).json()) as { count: number };
      assert.equal(body.count, i);
    }
    const value = jar.cookies.get("sessionid")!;
    assert.deepEqual(await store.load(value), new Map([["count", 3]]));
    await jar.fetch(`${server.url}/logout`);
    assert.equal(jar.cookies.has("sessionid"), false);
  });

  it("answers with an error, not a dropped cookie, when the session is too large", async () => {
    const jar = new CookieJar();
    await jar.fetch(`${server.url}/bump`);
    const before = jar.cookies.get("sessionid");
    const res = await jar.fetch(`${server.url}/huge`);
    assert.equal(res.status, 500);
    assert.equal(jar.cookies.get("sessionid"), before, "the previous cookie is left alone");
    assert.ok(errors.some((e) => e instanceof TooLargeError));
  });
});
