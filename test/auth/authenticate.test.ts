// authenticate() through ModelBackend: same answer for unknown users and wrong passwords,
// inactive users, broken stored hashes, rehash on login, and the failed-login rate limits.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  INVALID_LOGIN_MESSAGE,
  MemoryRateLimiter,
  RATE_LIMITED_MESSAGE,
  authenticate,
  getSessionUser,
  login,
  loginRateLimit,
  type AuthenticateResult,
} from "../../src/auth/index.ts";
import { makePassword } from "../../src/auth/hashers/index.ts";
import { fixture } from "./support.ts";
import { ConfigurationError } from "../../src/errors.ts";

/** The client-visible part of a result. */
function visible(r: AuthenticateResult): unknown {
  return r.ok
    ? { ok: true }
    : { ok: r.ok, reason: r.reason, message: r.message, retryAfter: r.retryAfter };
}

describe("authenticate()", () => {
  it("accepts the right password and sets user.backend", async () => {
    const f = await fixture();
    await f.addUser("alice", "correct horse");
    const r = await authenticate({ username: "alice", password: "correct horse" }, f.config);
    assert.ok(r.ok);
    assert.equal(r.user.username, "alice");
    assert.equal(r.user.backend, "django.contrib.auth.backends.ModelBackend");
  });

  it("unknown user and wrong password: same shape, same message", async () => {
    const f = await fixture();
    await f.addUser("alice", "pw");
    const wrong = await authenticate({ username: "alice", password: "nope" }, f.config);
    const unknown = await authenticate({ username: "mallory", password: "nope" }, f.config);
    assert.deepEqual(visible(wrong), visible(unknown));
    assert.deepEqual(Object.keys(wrong).sort(), Object.keys(unknown).sort());
    assert.ok(!wrong.ok && !unknown.ok);
    assert.equal(wrong.message, INVALID_LOGIN_MESSAGE);
    assert.equal(wrong.detail, "mismatch");
    assert.equal(unknown.detail, "unknown-user");
  });

  it("missing credentials are refused the same way", async () => {
    const f = await fixture();
    const r = await authenticate({ username: "alice" }, f.config);
    assert.ok(!r.ok);
    assert.equal(r.reason, "invalid-credentials");
    assert.equal(r.detail, "missing-credentials");
  });

  it("an inactive user cannot log in (even with the right password)", async () => {
    const f = await fixture();
    await f.addUser("ghost", "pw", { isActive: false });
    const r = await authenticate({ username: "ghost", password: "pw" }, f.config);
    assert.ok(!r.ok);
    assert.equal(r.message, INVALID_LOGIN_MESSAGE);
    assert.equal(r.detail, "inactive");
  });

  it("a malformed or unusable hash in the database: that user cannot log in, typed reason", async () => {
    const f = await fixture();
    await f.addUser("broken", null, { encoded: "pbkdf2_sha256$notanumber$salt$hash" });
    await f.addUser("weird", null, { encoded: "nosuchalgo$1$2" });
    await f.addUser("unusable", null);
    await f.addUser("empty", null, { encoded: "" });
    const details: Record<string, string> = {};
    for (const username of ["broken", "weird", "unusable", "empty"]) {
      const r = await authenticate({ username, password: "pw" }, f.config);
      assert.ok(!r.ok);
      assert.equal(r.message, INVALID_LOGIN_MESSAGE);
      details[username] = r.detail;
    }
    assert.deepEqual(details, {
      broken: "malformed-hash",
      weird: "unknown-algorithm",
      unusable: "unusable",
      empty: "missing-hash",
    });
  });

  it("rehashes an outdated hash on success and saves it (Django's setter)", async () => {
    const f = await fixture();
    const old = await makePassword("pw", {
      djangoVersion: "5.2",
      params: { pbkdf2Iterations: 500 },
    });
    await f.addUser("alice", null, { encoded: old });
    const r = await authenticate({ username: "alice", password: "pw" }, f.config);
    assert.ok(r.ok);
    const stored = (f.raw.prepare("SELECT password FROM auth_user").get() as { password: string })
      .password;
    assert.notEqual(stored, old);
    assert.match(stored, /^pbkdf2_sha256\$1000\$/);
    assert.equal(r.user.password, stored, "the in-memory user has the new hash");
    // The session hash is made from the new hash, so the login survives getSessionUser.
    const s = f.session();
    await login(s, r.user, f.config);
    assert.equal((await getSessionUser(s, f.config)).username, "alice");
  });

  it("does not rehash on a wrong password", async () => {
    const f = await fixture();
    const old = await makePassword("pw", {
      djangoVersion: "5.2",
      params: { pbkdf2Iterations: 500 },
    });
    await f.addUser("alice", null, { encoded: old });
    await authenticate({ username: "alice", password: "wrong" }, f.config);
    const row = f.raw.prepare("SELECT password FROM auth_user").get() as { password: string };
    assert.equal(row.password, old);
  });
});

describe("failed-login rate limits", () => {
  it("locks a username after N failures, with the same answer for unknown users", async () => {
    let now = 1_000_000;
    const rateLimit = loginRateLimit({
      perUsername: { limit: 3, windowMs: 60_000 },
      now: () => now,
    });
    const f = await fixture({ rateLimit });
    await f.addUser("alice", "pw");
    for (let i = 0; i < 3; i++) {
      await authenticate({ username: "alice", password: "x" }, f.config);
      await authenticate({ username: "nobody", password: "x" }, f.config);
    }
    const known = await authenticate({ username: "alice", password: "pw" }, f.config);
    const unknown = await authenticate({ username: "nobody", password: "pw" }, f.config);
    assert.deepEqual(visible(known), visible(unknown));
    assert.ok(!known.ok);
    assert.equal(known.reason, "rate-limited");
    assert.equal(known.message, RATE_LIMITED_MESSAGE);
    assert.equal(known.retryAfter, 60);
    // Case variants share the budget.
    const upper = await authenticate({ username: "ALICE", password: "pw" }, f.config);
    assert.ok(!upper.ok && upper.reason === "rate-limited");
    // The window slides: once the oldest failure is older than the window, one more try.
    now += 60_001;
    const r = await authenticate({ username: "alice", password: "pw" }, f.config);
    assert.ok(r.ok);
    // Success resets the username's failures.
    await authenticate({ username: "alice", password: "x" }, f.config);
    assert.ok((await authenticate({ username: "alice", password: "pw" }, f.config)).ok);
  });

  it("limits per IP across usernames", async () => {
    const rateLimit = loginRateLimit({ perIp: { limit: 2, windowMs: 60_000 } });
    const f = await fixture({ rateLimit });
    await f.addUser("alice", "pw");
    await authenticate({ username: "a", password: "x", ip: "10.0.0.1" }, f.config);
    await authenticate({ username: "b", password: "x", ip: "10.0.0.1" }, f.config);
    const blocked = await authenticate(
      { username: "alice", password: "pw", ip: "10.0.0.1" },
      f.config,
    );
    assert.ok(!blocked.ok && blocked.reason === "rate-limited");
    const elsewhere = await authenticate(
      { username: "alice", password: "pw", ip: "10.0.0.2" },
      f.config,
    );
    assert.ok(elsewhere.ok);
  });

  it("accepts any RateLimiter implementation (e.g. a shared one)", async () => {
    const calls: string[] = [];
    const limiter = {
      retryAfter: (key: string) => {
        calls.push(`check ${key}`);
        return Promise.resolve(0);
      },
      hit: (key: string) => {
        calls.push(`hit ${key}`);
        return Promise.resolve();
      },
      reset: (key: string) => {
        calls.push(`reset ${key}`);
        return Promise.resolve();
      },
    };
    const f = await fixture({ rateLimit: { byUsername: limiter, byIp: limiter } });
    await f.addUser("alice", "pw");
    await authenticate({ username: "Alice", password: "x", ip: "1.2.3.4" }, f.config);
    await authenticate({ username: "alice", password: "pw", ip: "1.2.3.4" }, f.config);
    assert.deepEqual(calls, [
      "check username:alice",
      "check ip:1.2.3.4",
      "hit username:alice",
      "hit ip:1.2.3.4",
      "check username:alice",
      "check ip:1.2.3.4",
      "reset username:alice",
    ]);
  });

  it("reserves before hashing: of concurrent wrong passwords, at most the limit are checked", async () => {
    const rateLimit = loginRateLimit({
      perUsername: { limit: 3, windowMs: 60_000 },
      perIp: { limit: 5, windowMs: 60_000 },
    });
    const f = await fixture({ rateLimit });
    await f.addUser("alice", "pw");
    const results = await Promise.all(
      Array.from({ length: 12 }, () =>
        authenticate({ username: "alice", password: "x", ip: "10.0.0.9" }, f.config),
      ),
    );
    const details = results.map((r) => (r.ok ? "ok" : r.detail));
    assert.equal(details.filter((d) => d === "rate-limited").length, 9, details.join(","));
    // The refused attempts took nothing from the address: 2 of its 5 remain.
    const spray = await Promise.all(
      ["b", "c", "d"].map((u) =>
        authenticate({ username: u, password: "x", ip: "10.0.0.9" }, f.config),
      ),
    );
    assert.deepEqual(
      spray.map((r) => (r.ok ? "ok" : r.reason)),
      ["invalid-credentials", "invalid-credentials", "rate-limited"],
    );
  });

  it("MemoryRateLimiter: reserve checks and records in one step; cancel withdraws one record", async () => {
    let now = 0;
    const limiter = new MemoryRateLimiter({ limit: 2, windowMs: 100, now: () => now });
    const first = await limiter.reserve("k");
    const second = await limiter.reserve("k");
    const third = await limiter.reserve("k");
    assert.ok(first.granted && second.granted);
    assert.deepEqual(third, { granted: false, retryAfter: 100 });
    await second.cancel();
    await second.cancel(); // a second cancel of the same record finds nothing to remove
    now = 10;
    const again = await limiter.reserve("k");
    assert.ok(again.granted, "the cancelled attempt's place is free");
    assert.equal(await limiter.retryAfter("k"), 90, "the first record still counts");
  });

  it("MemoryRateLimiter: sliding window, bounded keys, validation", async () => {
    let now = 0;
    const limiter = new MemoryRateLimiter({ limit: 2, windowMs: 100, maxKeys: 2, now: () => now });
    await limiter.hit("a");
    now = 50;
    await limiter.hit("a");
    assert.equal(await limiter.retryAfter("a"), 50);
    now = 101;
    assert.equal(await limiter.retryAfter("a"), 0, "the first failure aged out");
    await limiter.hit("a");
    assert.equal(await limiter.retryAfter("a"), 49);
    await limiter.hit("b");
    await limiter.hit("c"); // evicts "a", the least recently failed
    await limiter.hit("c");
    assert.equal(await limiter.retryAfter("a"), 0);
    assert.ok((await limiter.retryAfter("c")) > 0);
    await limiter.reset("c");
    assert.equal(await limiter.retryAfter("c"), 0);
    assert.throws(() => new MemoryRateLimiter({ limit: 0, windowMs: 1 }), ConfigurationError);
    assert.throws(() => new MemoryRateLimiter({ limit: 1, windowMs: 0 }), ConfigurationError);
  });
});
