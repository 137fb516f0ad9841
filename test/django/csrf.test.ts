import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveSessionSettings } from "../../src/engine/config.ts";
import { Session } from "../../src/engine/session.ts";
import { CSRF_SESSION_KEY, csrfToken, rotateCsrfToken, verifyCsrf } from "../../src/django/csrf.ts";
import { MemoryStore } from "../../src/stores/memory/index.ts";
import { djangoPeerEnv } from "../interop/django/peer.ts";
import { runPython } from "../support/python.ts";

const origin = "http://127.0.0.1:8000";
const fresh = () => new Session(new MemoryStore(), null, resolveSessionSettings());

describe("CSRF (Django CSRF_USE_SESSIONS compatible)", () => {
  it("issues masked 64-char tokens that differ each time and verify against the session secret", async () => {
    const s = fresh();
    const a = await csrfToken(s);
    const b = await csrfToken(s);
    assert.match(a, /^[a-zA-Z0-9]{64}$/);
    assert.notEqual(a, b);
    assert.deepEqual(await verifyCsrf(s, { token: a, origin, requestOrigin: origin }), {
      ok: true,
    });
    assert.deepEqual(await verifyCsrf(s, { token: b, origin: undefined, requestOrigin: origin }), {
      ok: true,
    });
    assert.match((await s.get(CSRF_SESSION_KEY)) as string, /^[a-zA-Z0-9]{32}$/);
  });

  it("refuses missing, wrong and cross-origin submissions, and tokens from before a rotation", async () => {
    const s = fresh();
    const token = await csrfToken(s);
    assert.equal((await verifyCsrf(s, { token: "", origin, requestOrigin: origin })).ok, false);
    assert.deepEqual(
      await verifyCsrf(s, { token: "x".repeat(64), origin, requestOrigin: origin }),
      { ok: false, reason: "bad-token" },
    );
    assert.deepEqual(
      await verifyCsrf(s, { token, origin: "https://evil.example", requestOrigin: origin }),
      {
        ok: false,
        reason: "origin-mismatch",
      },
    );
    await rotateCsrfToken(s);
    assert.deepEqual(await verifyCsrf(s, { token, origin, requestOrigin: origin }), {
      ok: false,
      reason: "bad-token",
    });
    assert.deepEqual(await verifyCsrf(fresh(), { token, origin, requestOrigin: origin }), {
      ok: false,
      reason: "no-secret",
    });
  });
});

describe("CSRF tokens against real Django 5.2's masking", () => {
  it("Django unmasks our tokens to our secret, and we accept Django's masked tokens", async () => {
    const s = fresh();
    const ours = await csrfToken(s);
    const secret = (await s.get(CSRF_SESSION_KEY)) as string;
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
    assert.deepEqual(await verifyCsrf(s, { token: theirs, origin, requestOrigin: origin }), {
      ok: true,
    });
  });
});
