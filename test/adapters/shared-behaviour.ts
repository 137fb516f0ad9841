// The behaviour every adapter must show over real HTTP, run against each framework's app.
// Each app exposes: GET /count (increments "visits"), GET /read (reads "visits"),
// GET /plain (never touches the session), GET /flush, GET /boom (writes, then answers 500),
// GET /outage (reads through a store that is down).
import assert from "node:assert/strict";
import { it } from "node:test";
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
