// Flask-Login's _load_user() with its session protection, on a memory store: the identifier
// formula itself is checked against Flask-Login in test/codecs/flask/flask-extensions.test.ts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flaskLoginIdentifier } from "../../src/codecs/flask/flask-login.ts";
import { resolveSessionSettings } from "../../src/engine/config.ts";
import { Session } from "../../src/engine/session.ts";
import { ConfigurationError } from "../../src/errors.ts";
import { flaskLoginUser } from "../../src/flask/login.ts";
import { MemoryStore } from "../../src/stores/memory/index.ts";

const HOME = { remoteAddr: "198.51.100.4", userAgent: "Firefox" };
const ELSEWHERE = { remoteAddr: "203.0.113.9", userAgent: "curl/8" };
const loader = (id: string) => ({ id });

/** A session Flask-Login logged in from `HOME`. */
async function loggedIn(): Promise<Session> {
  const session = new Session(new MemoryStore(), null, resolveSessionSettings({}));
  await session.set("_user_id", "42");
  await session.set("_fresh", true);
  await session.set("_id", flaskLoginIdentifier(HOME, "0.6"));
  return session;
}

describe("flaskLoginUser and SESSION_PROTECTION", () => {
  it("needs the request unless protection is null, as Flask-Login protects by default", async () => {
    const session = await loggedIn();
    await assert.rejects(flaskLoginUser(session, loader), ConfigurationError);
    await assert.rejects(flaskLoginUser(session, loader, { protection: "strong" }), /request/);
    assert.deepEqual(await flaskLoginUser(session, loader, { protection: null }), { id: "42" });
  });

  it("the same client keeps the user, fresh", async () => {
    const session = await loggedIn();
    assert.deepEqual(await flaskLoginUser(session, loader, { request: HOME }), { id: "42" });
    assert.equal(await session.get("_fresh"), true);
  });

  it("an IPv4 client a dual-stack Node server sees as ::ffff:a.b.c.d is the same client", async () => {
    const session = await loggedIn();
    const mapped = { ...HOME, remoteAddr: `::ffff:${HOME.remoteAddr}` };
    assert.deepEqual(await flaskLoginUser(session, loader, { request: mapped }), { id: "42" });
    assert.equal(await session.get("_fresh"), true);
  });

  it('"basic": another client keeps the user but the login is no longer fresh', async () => {
    const session = await loggedIn();
    assert.deepEqual(await flaskLoginUser(session, loader, { request: ELSEWHERE }), { id: "42" });
    assert.equal(await session.get("_fresh"), false);
  });

  it('"strong": another client is logged out, and the remember cookie is cleared', async () => {
    const session = await loggedIn();
    const user = await flaskLoginUser(session, loader, {
      request: ELSEWHERE,
      protection: "strong",
    });
    assert.equal(user, null);
    assert.equal(await session.get("_user_id"), undefined);
    assert.equal(await session.get("_remember"), "clear");
  });
});
