// The behaviour every adapter must show over real HTTP, run against each framework's app.
// Each app exposes: GET /count (increments "visits"), GET /read (reads "visits"),
// GET /plain (never touches the session), GET /flush, GET /boom (writes, then answers 500),
// GET /outage (reads through a store that is down). The auth halves share their users, login
// request and flow too (sharedAuthBehaviour).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { it } from "node:test";
import { fixture, type Fixture } from "../auth/support.ts";
import { CookieJar } from "../support/http.ts";

export function sharedAdapterBehaviour(base: () => string): void {
  it("creates a session on first write and keeps counting with the cookie", async () => {
    const jar = new CookieJar();
    const first = await jar.fetch(`${base()}/count`);
    assert.equal(first.status, 200);
    assert.deepEqual(await first.json(), { visits: 1 });
    const cookie = first.headers.getSetCookie()[0]!;
    assert.match(
      cookie,
      /^sessionid=[a-z0-9]{32}; Max-Age=1209600; Path=\/; Expires=[^;]+ GMT; HttpOnly; SameSite=Lax$/,
    );
    assert.match(first.headers.get("vary") ?? "", /Cookie/);
    const second = await jar.fetch(`${base()}/count`);
    assert.deepEqual(await second.json(), { visits: 2 });
  });

  it("sends no Set-Cookie on a read-only request but Vary: Cookie", async () => {
    const jar = new CookieJar();
    await jar.fetch(`${base()}/count`);
    const read = await jar.fetch(`${base()}/read`);
    assert.deepEqual(await read.json(), { visits: 1 });
    assert.deepEqual(read.headers.getSetCookie(), []);
    assert.match(read.headers.get("vary") ?? "", /Cookie/);
  });

  it("adds nothing to a response that never touched the session", async () => {
    const jar = new CookieJar();
    await jar.fetch(`${base()}/count`);
    const plain = await jar.fetch(`${base()}/plain`);
    assert.equal(await plain.text(), "plain");
    assert.deepEqual(plain.headers.getSetCookie(), []);
    assert.doesNotMatch(plain.headers.get("vary") ?? "", /Cookie/);
  });

  it("deletes the cookie after flush", async () => {
    const jar = new CookieJar();
    await jar.fetch(`${base()}/count`);
    const flushed = await jar.fetch(`${base()}/flush`);
    assert.match(flushed.headers.getSetCookie()[0] ?? "", /^sessionid=; Max-Age=0;/);
    assert.equal(jar.cookies.size, 0);
  });

  it("does not save on a 5xx response", async () => {
    const jar = new CookieJar();
    const boom = await jar.fetch(`${base()}/boom`);
    assert.equal(boom.status, 500);
    assert.deepEqual(boom.headers.getSetCookie(), []);
  });

  it("turns a tampered cookie into a fresh empty session without an error", async () => {
    const jar = new CookieJar();
    jar.cookies.set("sessionid", "tampered:value:ZZZZZZZZZZZZZZZZ");
    const read = await jar.fetch(`${base()}/read`);
    assert.equal(read.status, 200);
    assert.deepEqual(await read.json(), { visits: null });
  });

  it("answers 503 when the store is down, with no secret in the body", async () => {
    const jar = new CookieJar();
    jar.cookies.set("sessionid", "abcdefghijklmnopqrstuvwxyz012345");
    const down = await jar.fetch(`${base()}/outage`);
    assert.equal(down.status, 503);
    assert.doesNotMatch(await down.text(), /secret|password/i);
  });
}

/** The JSON body of every auth app's `POST /login`. */
export function loginBody(username: string, password: string): RequestInit {
  return {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password }),
  };
}

/** The users the auth halves are tried with: alice (id 1, `polls.change_poll`) and bob. */
export async function authFixture(): Promise<Fixture> {
  const f = await fixture();
  await f.addUser("alice", "alice-pw");
  f.grantUser(1, f.addPermission("polls", "change_poll"));
  await f.addUser("bob", "bob-pw");
  return f;
}

/**
 * The behaviour every adapter's auth half must show over real HTTP, against an app on
 * {@link authFixture}'s store and config with: POST /login (JSON, `authenticate` then `login`,
 * 400 on failure), POST /logout, GET /me (`loginRequired({ api: true })`, answers the username),
 * GET /page (`loginRequired()`), GET /polls (`permissionRequired("polls.change_poll",
 * { raise403: true })`) and, when `untouched`, GET /untouched (never reads the session).
 */
export function sharedAuthBehaviour(
  base: () => string,
  fixtureOf: () => Fixture,
  options: { readonly untouched: boolean; readonly user: string },
): void {
  it(`guards, login with key cycling, ${options.user}, logout`, async () => {
    const f = fixtureOf();
    const jar = new CookieJar();
    const page = await jar.fetch(`${base()}/page?x=1`);
    assert.equal(page.status, 302);
    assert.equal(page.headers.get("location"), "/accounts/login/?next=/page%3Fx%3D1");
    const api = await jar.fetch(`${base()}/me`);
    assert.equal(api.status, 401);
    assert.deepEqual(await api.json(), { error: "authentication required" });

    assert.equal((await jar.fetch(`${base()}/login`, loginBody("alice", "nope"))).status, 400);
    // An anonymous session first, so that login has a key to cycle.
    const anonymousKey = randomUUID().replaceAll("-", "");
    await f.store.save(anonymousKey, new Map([["cart", ["book"]]]), {
      mustCreate: true,
      expiry: { age: 60, date: new Date(Date.now() + 60_000) },
    });
    jar.cookies.set("sessionid", anonymousKey);
    assert.equal((await jar.fetch(`${base()}/login`, loginBody("alice", "alice-pw"))).status, 200);
    const key = jar.cookies.get("sessionid");
    assert.ok(key && key !== anonymousKey, "login cycled the session key");
    assert.equal(await f.store.load(anonymousKey), null, "the old key is gone");

    if (options.untouched) {
      const untouched = await jar.fetch(`${base()}/untouched`);
      assert.equal(untouched.headers.get("vary"), null, "the session was never read");
    }
    assert.deepEqual(await (await jar.fetch(`${base()}/me`)).json(), { username: "alice" });
    assert.equal((await jar.fetch(`${base()}/polls`)).status, 200);

    await jar.fetch(`${base()}/logout`, { method: "POST" });
    assert.equal(jar.cookies.get("sessionid"), undefined, "cookie deleted");
    assert.equal(await f.store.load(key), null, "session deleted");
    assert.equal((await jar.fetch(`${base()}/polls`)).status, 403);
  });

  it("bob lacks the permission: 403", async () => {
    const jar = new CookieJar();
    await jar.fetch(`${base()}/login`, loginBody("bob", "bob-pw"));
    assert.equal((await jar.fetch(`${base()}/polls`)).status, 403);
  });
}
