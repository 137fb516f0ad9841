// Issue 19 #2: `djangoVersion` is stated, never guessed, wherever the library writes bytes that
// depend on it. Omitted (a JavaScript caller, or a cast) it stops the app at construction with a
// ConfigurationError naming the option and every accepted release: the Django session policy
// and so every adapter's session middleware, the realtime gate, and the auth options (the
// password hash a login upgrades, the session auth hash).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as express from "../../src/adapters/express/index.ts";
import * as expressAuth from "../../src/adapters/express/auth.ts";
import * as hono from "../../src/adapters/hono/index.ts";
import * as node from "../../src/adapters/node/index.ts";
import { createRealtimeGate, djangoUsers } from "../../src/adapters/realtime/index.ts";
import * as web from "../../src/adapters/web/index.ts";
import { login } from "../../src/auth/login.ts";
import { djangoSessionPolicy, type DjangoPolicyOptions } from "../../src/django/policy.ts";
import { resolveSessionSettings } from "../../src/engine/config.ts";
import { Session } from "../../src/engine/session.ts";
import { ConfigurationError } from "../../src/errors.ts";
import { MemoryStore } from "../../src/stores/memory/index.ts";
import { fixture } from "../auth/support.ts";

const store = new MemoryStore();
const SAYS =
  /^djangoVersion \(your Django's version\) is required: one of "3\.2", "4\.2", "5\.2", "6\.0" or "6\.1"$/;
const refused = (e: unknown): boolean => e instanceof ConfigurationError && SAYS.test(e.message);
// What a JavaScript caller (no types) passes.
const untyped = { store } as unknown as DjangoPolicyOptions;

describe("djangoVersion is required where it changes bytes", () => {
  it("the Django policy and every adapter's session middleware refuse to start without it", () => {
    assert.throws(() => djangoSessionPolicy(untyped), refused);
    assert.throws(() => node.sessionMiddleware(untyped), refused);
    assert.throws(() => express.sessionMiddleware(untyped), refused);
    assert.throws(() => hono.sessionMiddleware(untyped), refused);
    assert.throws(() => web.createSessions(untyped), refused);
    assert.throws(
      () =>
        createRealtimeGate({
          ...untyped,
          users: { identify: () => Promise.resolve(null) },
        } as never),
      refused,
    );
  });

  it("a version no Django release has is refused too, naming the accepted ones", () => {
    assert.throws(
      () => djangoSessionPolicy({ store, djangoVersion: "5.0" } as unknown as DjangoPolicyOptions),
      (e: unknown) => e instanceof ConfigurationError && /must be one of "3\.2"/.test(e.message),
    );
  });

  it("given, it picks the bytes: setExpiry(date) is a datetime for 3.2, ISO text for 4.2+", async () => {
    for (const [djangoVersion, stored] of [
      ["3.2", "PyDateTime"],
      ["4.2", "string"],
    ] as const) {
      const policy = djangoSessionPolicy({ store, djangoVersion });
      const { session } = policy.open(null);
      await session.setExpiry(new Date("2030-01-02T03:04:05Z"));
      const value = await session.get("_session_expiry");
      assert.equal(typeof value === "string" ? "string" : value?.constructor.name, stored);
    }
  });

  it("the auth options refuse to start without it: login, the middleware, the realtime users", async () => {
    const f = await fixture();
    const loose = { ...f.config, djangoVersion: undefined } as unknown as typeof f.config;
    const authSays = (e: unknown): boolean =>
      e instanceof ConfigurationError &&
      /^auth: djangoVersion \(your Django's version\) is required: one of "3\.2", .*"6\.1"$/.test(
        e.message,
      );
    await f.addUser("dora", "dora-pw");
    const user = (await f.users.getUserByUsername("dora"))!;
    const session = new Session(new MemoryStore(), null, resolveSessionSettings());
    await assert.rejects(login(session, user, loose), authSays);
    assert.throws(() => expressAuth.authMiddleware(loose), authSays);
    assert.throws(() => djangoUsers(loose), authSays);
  });
});
