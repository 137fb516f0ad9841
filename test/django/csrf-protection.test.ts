// Django's CSRF rules, framework-free: masking, the secret's sources, every check of
// CsrfViewMiddleware.process_view in Django's order, and what the response carries.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  DjangoCsrf,
  maskSecret,
  randomString,
  unmaskToken,
  type CsrfCheck,
} from "../../src/django/csrf-protection.ts";
import { ConfigurationError } from "../../src/errors.ts";
import { Session } from "../../src/engine/session.ts";
import { resolveSessionSettings } from "../../src/engine/config.ts";
import { MemoryStore } from "../../src/stores/memory/index.ts";
import { djangoPeerEnv } from "../interop/django/peer.ts";
import { runPython } from "../support/python.ts";

const SECRET = "abcdefghijklmnopqrstuvwxyzABCDEF";
const post = (extra: Partial<CsrfCheck>): CsrfCheck => ({
  method: "POST",
  host: "app.example.com",
  secure: false,
  ...extra,
});

describe("masking (Django's _mask_cipher_secret / _unmask_cipher_token)", () => {
  it("unmasks what it masks, and never repeats a token", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), () => {
        const secret = randomString(32);
        const a = maskSecret(secret);
        const b = maskSecret(secret);
        assert.equal(a.length, 64);
        assert.match(a, /^[a-zA-Z0-9]{64}$/);
        assert.equal(unmaskToken(a), secret);
        assert.notEqual(a, b);
      }),
    );
  });

  it("matches a token Django 5.2 computed (mask 'a'×32 shifts each character by 0)", () => {
    assert.equal(unmaskToken("a".repeat(32) + SECRET), SECRET);
    // 'b' shifts by one: Django's chars[(x + 1) % 62].
    assert.equal(unmaskToken("b".repeat(32) + "bcdefghijklmnopqrstuvwxyzABCDEFG"), SECRET);
  });
});

describe("DjangoCsrf, cookie mode (Django 4.0+)", () => {
  const csrf = new DjangoCsrf({ djangoVersion: "5.2", trustedOrigins: ["https://*.example.org"] });

  it("a safe method passes without a token; a token() makes the secret and the cookie", async () => {
    const state = await csrf.open(undefined);
    assert.deepEqual(state.verify({ ...post({}), method: "GET" }), { ok: true });
    assert.deepEqual(state.responseHeaders(), { setCookie: [], varyCookie: false });
    const token = await state.token();
    const headers = state.responseHeaders();
    assert.equal(headers.varyCookie, true);
    const cookie = headers.setCookie[0]!;
    const secret = /^csrftoken=([a-zA-Z0-9]{32});/.exec(cookie)?.[1];
    assert.ok(secret, cookie);
    assert.equal(unmaskToken(token), secret);
    assert.match(cookie, /Max-Age=31449600/);
    assert.match(cookie, /Path=\//);
    assert.match(cookie, /SameSite=Lax/);
    assert.doesNotMatch(cookie, /HttpOnly/);
  });

  it("accepts the form field, the header, masked and unmasked tokens, and a masked (pre-4.0) cookie", async () => {
    for (const cookie of [SECRET, maskSecret(SECRET)]) {
      const state = await csrf.open(`other=1; csrftoken=${cookie}`);
      assert.deepEqual(state.verify(post({ formToken: maskSecret(SECRET) })), { ok: true });
      assert.deepEqual(state.verify(post({ headerToken: SECRET })), { ok: true });
      assert.deepEqual(state.verify(post({ formToken: "", headerToken: maskSecret(SECRET) })), {
        ok: true,
      });
      // PUT has no form: only the header counts.
      assert.equal(state.verify({ ...post({ formToken: SECRET }), method: "PUT" }).ok, false);
    }
  });

  it("rejects as Django does, with Django's reasons", async () => {
    const state = await csrf.open(`csrftoken=${SECRET}`);
    const reason = (check: CsrfCheck): string | undefined => {
      const verdict = state.verify(check);
      return verdict.ok ? undefined : verdict.reason;
    };
    assert.equal(reason(post({})), "token-missing");
    assert.equal(reason(post({ headerToken: "short" })), "token-malformed");
    assert.equal(reason(post({ headerToken: `${SECRET.slice(1)}!` })), "token-malformed");
    assert.equal(reason(post({ headerToken: randomString(32) })), "token-incorrect");
    assert.equal(reason(post({ headerToken: maskSecret(randomString(32)) })), "token-incorrect");
    // Origin: this site's own, a trusted wildcard, or rejected (before the token is looked at).
    const ok = { headerToken: SECRET };
    assert.equal(reason(post({ ...ok, origin: "http://app.example.com" })), undefined);
    assert.equal(reason(post({ ...ok, origin: "https://app.example.com" })), "bad-origin");
    assert.equal(reason(post({ ...ok, origin: "https://a.b.example.org" })), undefined);
    assert.equal(reason(post({ ...ok, origin: "http://a.example.org" })), "bad-origin");
    assert.equal(reason(post({ ...ok, origin: "null" })), "bad-origin");
    assert.equal(reason(post({ ...ok, origin: "https://evil.example" })), "bad-origin");
    // HTTPS without Origin: the Referer must be on this host (or a trusted one), over HTTPS.
    const tls = { ...ok, secure: true };
    assert.equal(reason(post(tls)), "no-referer");
    assert.equal(reason(post({ ...tls, referer: "not a url" })), "malformed-referer");
    assert.equal(reason(post({ ...tls, referer: "http://app.example.com/" })), "insecure-referer");
    assert.equal(reason(post({ ...tls, referer: "https://evil.example/" })), "bad-referer");
    assert.equal(reason(post({ ...tls, referer: "https://app.example.com/form" })), undefined);
    assert.equal(reason(post({ ...tls, referer: "https://x.example.org/" })), undefined);
  });

  it("no cookie, or a malformed one, fails the request; a malformed one is replaced", async () => {
    const none = await csrf.open("sessionid=x");
    assert.equal(
      (none.verify(post({ headerToken: SECRET })) as { reason: string }).reason,
      "no-csrf-cookie",
    );
    const bad = await csrf.open("csrftoken=bad!");
    assert.equal(
      (bad.verify(post({ headerToken: SECRET })) as { reason: string }).reason,
      "bad-csrf-cookie",
    );
    assert.match(bad.responseHeaders().setCookie[0]!, /^csrftoken=[a-zA-Z0-9]{32};/);
  });

  it("Django reads the last of duplicate cookies", async () => {
    const state = await csrf.open(`csrftoken=${randomString(32)}; csrftoken=${SECRET}`);
    assert.deepEqual(state.verify(post({ headerToken: SECRET })), { ok: true });
  });

  it("rotate() replaces the secret: a token from before stops passing", async () => {
    const state = await csrf.open(`csrftoken=${SECRET}`);
    await state.rotate();
    assert.equal(state.verify(post({ headerToken: SECRET })).ok, false);
    assert.equal(state.verify(post({ headerToken: await state.token() })).ok, true);
  });

  it("refuses a trusted origin without a scheme, as Django 4.0's check does", () => {
    assert.throws(
      () => new DjangoCsrf({ djangoVersion: "4.2", trustedOrigins: ["app.example.com"] }),
      ConfigurationError,
    );
  });
});

describe("DjangoCsrf, Django 3.2 rules", () => {
  const csrf = new DjangoCsrf({ djangoVersion: "3.2", trustedOrigins: [".example.org"] });

  it("stores the secret masked, checks no Origin, and takes hosts as trusted origins", async () => {
    const state = await csrf.open(undefined);
    await state.token();
    const value = /^csrftoken=([a-zA-Z0-9]+);/.exec(state.responseHeaders().setCookie[0]!)?.[1];
    assert.equal(value?.length, 64);
    const next = await csrf.open(`csrftoken=${value}`);
    const token = maskSecret(unmaskToken(value));
    assert.deepEqual(next.verify(post({ formToken: token, origin: "https://evil.example" })), {
      ok: true,
    });
    assert.deepEqual(
      next.verify(post({ formToken: token, secure: true, referer: "https://a.example.org/" })),
      { ok: true },
    );
  });
});

describe("DjangoCsrf, CSRF_USE_SESSIONS", () => {
  it("keeps the secret in the session under _csrftoken", async () => {
    const csrf = new DjangoCsrf({ djangoVersion: "5.2", useSessions: true });
    const store = new MemoryStore();
    const session = new Session(store, null, resolveSessionSettings({}));
    const state = await csrf.open(undefined, session);
    const token = await state.token();
    assert.deepEqual(state.responseHeaders(), { setCookie: [], varyCookie: false });
    const stored = await session.get("_csrftoken");
    assert.equal(typeof stored, "string");
    assert.equal(unmaskToken(token), stored);
    const again = await csrf.open(undefined, session);
    assert.deepEqual(again.verify(post({ formToken: token })), { ok: true });
    await assert.rejects(() => csrf.open(undefined), ConfigurationError);
  });
});

describe("DjangoCsrf tokens against real Django 5.2's masking (CSRF_USE_SESSIONS)", () => {
  it("Django unmasks our tokens to our secret, and we accept Django's masked tokens", async () => {
    const csrf = new DjangoCsrf({ djangoVersion: "5.2", useSessions: true });
    const session = new Session(new MemoryStore(), null, resolveSessionSettings({}));
    const ours = await (await csrf.open(undefined, session)).token();
    const secret = (await session.get("_csrftoken")) as string;
    const code = `
import sys, django
from django.conf import settings
settings.configure(SECRET_KEY="x")
django.setup()
from django.middleware.csrf import _unmask_cipher_token, _mask_cipher_secret
token, secret = sys.stdin.read().split()
print(_unmask_cipher_token(token))
print(_mask_cipher_secret(secret))
`;
    const [unmasked, theirs] = (await runPython(code, `${ours} ${secret}`, djangoPeerEnv("5.2")))
      .trim()
      .split("\n");
    assert.equal(unmasked, secret);
    const state = await csrf.open(undefined, session);
    assert.deepEqual(state.verify(post({ formToken: theirs })), { ok: true });
  });
});
