// SignedCookieStore, pure: Django's signing.dumps/loads with the signed_cookies salt, the age
// check against SESSION_COOKIE_AGE, secret fallbacks, SHA-1 on 3.2, and the cookie size limit.
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { describe, it } from "node:test";
import { DjangoSessionCodec } from "../../../src/codecs/django/session-encoding.ts";
import { DjangoTimestampSigner, djangoSignBytes } from "../../../src/codecs/django/signing.ts";
import { base62Encode } from "../../../src/codecs/base62.ts";
import { PyDateTime, type PyValue, type SessionData } from "../../../src/codecs/python-values.ts";
import { ConfigurationError, TooLargeError, UnsupportedValueError } from "../../../src/errors.ts";
import {
  DEFAULT_MAX_COOKIE_SIZE,
  SIGNED_COOKIES_SALT,
  SignedCookieStore,
  createSignedCookieStore,
  type SignedCookieLogger,
} from "../../../src/stores/signed-cookies/index.ts";

const SECRET = "signed-cookie-test-secret";
const NOW = 1_700_000_000_000;

function map(entries: Record<string, PyValue>): SessionData {
  return new Map(Object.entries(entries));
}

function recorder(): SignedCookieLogger & { warns: unknown[]; debugs: unknown[] } {
  const warns: unknown[] = [];
  const debugs: unknown[] = [];
  return {
    warns,
    debugs,
    warn(message, detail) {
      warns.push({ message, detail });
    },
    debug(message, detail) {
      debugs.push({ message, detail });
    },
  };
}

describe("SignedCookieStore", () => {
  it("signs like signing.dumps(compress=True, salt=signed_cookies salt) and loads it back", async () => {
    const store = createSignedCookieStore({ secret: SECRET, now: () => NOW });
    const data = map({ user: "zoë", n: 1 });
    const value = store.encodeKey(data);
    // Independent reconstruction of Django's TimestampSigner over the same JSON payload.
    const json = '{"user":"zo\\u00eb","n":1}';
    const payload = Buffer.from(json, "latin1").toString("base64url");
    const signed = `${payload}:${base62Encode(NOW / 1000)}`;
    const key = createHash("sha256").update(`${SIGNED_COOKIES_SALT}signer${SECRET}`).digest();
    const sig = createHmac("sha256", key).update(signed).digest("base64url");
    assert.equal(value, `${signed}:${sig}`);
    assert.deepEqual(await store.load(value), data);
  });

  it("compresses when that saves at least 2 bytes", async () => {
    const store = new SignedCookieStore({ secret: SECRET, now: () => NOW });
    const value = store.encodeKey(map({ list: Array.from({ length: 50 }, () => "repeat") }));
    assert.ok(value.startsWith("."), value);
    assert.equal(((await store.load(value))?.get("list") as string[]).length, 50);
  });

  it("does not accept values signed for another salt (the db/file/cache session format)", async () => {
    const store = new SignedCookieStore({ secret: SECRET, logger: recorder() });
    const other = new DjangoSessionCodec({ secret: SECRET }).encode(map({ a: 1 }));
    assert.equal(await store.load(other), null);
  });

  it("rejects a bad signature, tampering, garbage and another secret, logging no value", async () => {
    const log = recorder();
    const store = new SignedCookieStore({ secret: SECRET, logger: log, now: () => NOW });
    const value = store.encodeKey(map({ secret: "s3cr3t" }));
    const foreign = new SignedCookieStore({ secret: "other", now: () => NOW }).encodeKey(
      map({ a: 1 }),
    );
    const tampered = `${value.slice(0, 3)}${value[3] === "A" ? "B" : "A"}${value.slice(4)}`;
    for (const bad of [tampered, `${value}x`, "not-signed-at-all", foreign, "a:b:c"]) {
      assert.equal(await store.load(bad), null, bad);
    }
    assert.equal(log.warns.length, 1, "the first rejection is reported, the rest counted");
    assert.ok(!JSON.stringify(log.warns).includes(value.slice(0, 20)));
    assert.ok(!JSON.stringify(log.warns).includes("s3cr3t"));
  });

  // Issue 18 #12: one warning per tampered cookie (17,419 lines from 30,000 requests) let any
  // client flood the logs. Now: the first loudly, then one summary per interval with counts.
  it("30,000 forged cookies make one loud warning and one count per minute, never one line each", async () => {
    let now = NOW;
    const log = recorder();
    const store = new SignedCookieStore({ secret: SECRET, logger: log, now: () => now });
    const value = store.encodeKey(map({ a: 1 }));
    for (let i = 0; i < 30_000; i++) {
      const forged = i % 3 === 0 ? `${value}${String(i)}` : `garbage-${String(i)}`;
      assert.equal(await store.load(forged), null);
      if (i % 10_000 === 9_999) now += 60_000; // a minute passes every 10,000 requests
    }
    const warns = log.warns as { message: string; detail: Record<string, unknown> }[];
    assert.equal(warns.length, 3);
    assert.match(warns[0]!.message, /SECRET_KEY or SECRET_KEY_FALLBACKS differ/);
    assert.match(warns[1]!.message, /^Ignored 10000 signed session cookies since the last report$/);
    assert.match(warns[2]!.message, /^Ignored 10000 signed session cookies/);
    const counted = warns.reduce(
      (sum, w) =>
        sum +
        Object.values(w.detail).reduce<number>((a, v) => a + (typeof v === "number" ? v : 0), 0),
      0,
    );
    assert.equal(counted, 20_001, "every rejection up to the last report is counted");
    assert.equal(JSON.stringify(warns).includes(value.slice(0, 20)), false);
  });

  it("enforces SESSION_COOKIE_AGE from the signing time (exactly the age is still valid)", async () => {
    let now = NOW;
    const log = recorder();
    const store = new SignedCookieStore({
      secret: SECRET,
      cookieAge: 60,
      logger: log,
      now: () => now,
    });
    const value = store.encodeKey(map({ a: 1 }));
    now = NOW + 60_000;
    assert.deepEqual(await store.load(value), map({ a: 1 }));
    now = NOW + 60_001;
    assert.equal(await store.load(value), null);
    assert.equal(log.warns.length, 0, "expiry is routine: debug, not warn");
    assert.equal(log.debugs.length, 1);
  });

  it("ignores set_expiry for validation, as Django (ticket #19201)", async () => {
    let now = NOW;
    const store = new SignedCookieStore({ secret: SECRET, cookieAge: 60, now: () => now });
    const far = store.encodeKey(map({ _session_expiry: 86_400 }));
    const past = store.encodeKey(map({ _session_expiry: "2001-01-01T00:00:00+00:00" }));
    assert.ok(await store.load(past), "an absolute date in the past does not invalidate it");
    now = NOW + 61_000;
    assert.equal(await store.load(far), null, "a longer set_expiry does not extend it");
  });

  it("verifies with fallback secrets but always signs with the current one", async () => {
    const old = new SignedCookieStore({ secret: "old-secret", now: () => NOW });
    const rotated = new SignedCookieStore({
      secret: SECRET,
      fallbackSecrets: ["old-secret"],
      now: () => NOW,
    });
    const current = new SignedCookieStore({ secret: SECRET, logger: recorder(), now: () => NOW });
    const oldValue = old.encodeKey(map({ a: 1 }));
    assert.deepEqual(await rotated.load(oldValue), map({ a: 1 }));
    assert.equal(await current.load(oldValue), null);
    const resigned = rotated.encodeKey(map({ a: 1 }));
    assert.deepEqual(await current.load(resigned), map({ a: 1 }), "re-signed with SECRET_KEY");
  });

  it("accepts SHA-1 signatures only with djangoVersion 3.2", async () => {
    const sha1 = new DjangoTimestampSigner({
      secret: SECRET,
      salt: SIGNED_COOKIES_SALT,
      algorithm: "sha1",
    });
    const value = djangoSignBytes(sha1, Buffer.from('{"a":1}'), {
      compress: true,
      now: NOW / 1000,
    });
    const v32 = new SignedCookieStore({ secret: SECRET, djangoVersion: "3.2", now: () => NOW });
    const v52 = new SignedCookieStore({ secret: SECRET, logger: recorder(), now: () => NOW });
    assert.deepEqual(await v32.load(value), map({ a: 1 }));
    assert.equal(await v52.load(value), null);
  });

  it("refuses a session whose cookie would exceed the size limit", () => {
    const store = new SignedCookieStore({ secret: SECRET, now: () => NOW });
    // Hash output barely compresses: 60 × 88 base64 characters is well over 4 KB signed.
    const chunks = Array.from({ length: 60 }, (_, i) =>
      createHash("sha512").update(String(i)).digest("base64"),
    );
    assert.throws(
      () => store.encodeKey(map({ chunks })),
      (err: unknown) =>
        err instanceof TooLargeError &&
        err.code === "too-large" &&
        /^session too large for a signed cookie: \d+ bytes \(limit 4093\)$/.test(err.message),
    );
    assert.equal(DEFAULT_MAX_COOKIE_SIZE, 4093);
  });

  it("counts name=value against the limit, exactly", () => {
    const data = map({ cart: [1, 2, 3], user: "alice" });
    const value = new SignedCookieStore({ secret: SECRET, now: () => NOW }).encodeKey(data);
    const size = "sid=".length + value.length;
    const fits = new SignedCookieStore({
      secret: SECRET,
      cookieName: "sid",
      maxCookieSize: size,
      now: () => NOW,
    });
    assert.equal(fits.encodeKey(data), value);
    const tight = new SignedCookieStore({
      secret: SECRET,
      cookieName: "sid",
      maxCookieSize: size - 1,
      now: () => NOW,
    });
    assert.throws(() => tight.encodeKey(data), new RegExp(`${size} bytes \\(limit ${size - 1}\\)`));
  });

  it("lets values the serializer cannot hold fail with UnsupportedValueError (as json.dumps)", () => {
    const store = new SignedCookieStore({ secret: SECRET });
    assert.throws(
      () => store.encodeKey(map({ at: PyDateTime.fromDate(new Date()) })),
      UnsupportedValueError,
    );
  });

  it("keeps no server state", async () => {
    const store = new SignedCookieStore({ secret: SECRET });
    assert.equal(store.name, "signed_cookies");
    assert.equal(await store.exists(store.encodeKey(map({ a: 1 }))), false);
    await store.delete("anything");
    assert.equal(await store.clearExpired(), 0);
    await assert.rejects(
      store.save("k", map({ a: 1 }), { mustCreate: true, expiry: { age: 1, date: new Date() } }),
      ConfigurationError,
    );
  });

  it("validates its options", () => {
    assert.throws(() => new SignedCookieStore({ secret: "" }), ConfigurationError);
    assert.throws(
      () => new SignedCookieStore({ secret: SECRET, cookieAge: 0 }),
      ConfigurationError,
    );
    assert.throws(
      () => new SignedCookieStore({ secret: SECRET, maxCookieSize: -1 }),
      ConfigurationError,
    );
  });

  it("bounds decompression of incoming cookies", async () => {
    const store = new SignedCookieStore({ secret: SECRET, now: () => NOW });
    const bomb = store.encodeKey(map({ z: "0".repeat(3000) }));
    const bounded = new SignedCookieStore({
      secret: SECRET,
      maxBytes: 1000,
      logger: recorder(),
      now: () => NOW,
    });
    assert.equal(await bounded.load(bomb), null);
  });
});
