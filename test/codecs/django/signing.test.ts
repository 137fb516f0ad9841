import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BadSignatureError, SignatureExpiredError } from "../../../src/errors.ts";
import {
  DjangoSigner,
  DjangoTimestampSigner,
  djangoSignBytes,
  djangoUnsignBytes,
  saltedHmac,
} from "../../../src/codecs/django/signing.ts";

const SECRET = "test-secret-key-for-django-vectors";
const TS = 1700000000;

describe("saltedHmac", () => {
  it("derives the key as H(salt + secret) (reference vector)", () => {
    const mac = saltedHmac("example-key-salt", "example-value", SECRET, "sha256").toString("hex");
    assert.match(mac, /^871a1dea[0-9a-f]{48}fb70a685$/);
  });
});

describe("DjangoTimestampSigner", () => {
  const sessionSigner = new DjangoTimestampSigner({
    secret: SECRET,
    salt: "django.contrib.sessions.SessionStore",
  });

  it("reproduces the §1.6 worked example byte for byte", () => {
    const signed = djangoSignBytes(sessionSigner, Buffer.from('{"foo":"bar"}'), {
      compress: true,
      now: TS,
    });
    assert.equal(signed, "eyJmb28iOiJiYXIifQ:1r31eq:nS3WMxIk864-TZxNTF3tbcDvdEJME5izsdXn0HNCPAA");
  });

  it("reproduces the signed_cookies value with its own salt", () => {
    const signer = new DjangoTimestampSigner({
      secret: SECRET,
      salt: "django.contrib.sessions.backends.signed_cookies",
    });
    const signed = djangoSignBytes(signer, Buffer.from('{"foo":"bar"}'), {
      compress: true,
      now: TS,
    });
    assert.equal(signed, "eyJmb28iOiJiYXIifQ:1r31eq:F2tXAPCdgPstG6x-FbeeYwOghaohlZNBct5Sv8V0L3c");
  });

  it("reproduces set_signed_cookie's signer (salt name+'', key django.http.cookies+SECRET)", () => {
    const signer = new DjangoTimestampSigner({
      secret: `django.http.cookies${SECRET}`,
      salt: "mycookie",
    });
    assert.equal(
      signer.sign("hello", TS),
      "hello:1r31eq:bw6YhnberT7DfpC4GW5C8IIJ54QN2KTbU7D1krCGKrc",
    );
  });

  it("rejects a tampered value, a wrong salt and a wrong key", () => {
    const good = "eyJmb28iOiJiYXIifQ:1r31eq:nS3WMxIk864-TZxNTF3tbcDvdEJME5izsdXn0HNCPAA";
    assert.throws(() => sessionSigner.unsign(good.replace("eyJm", "eyJn")), BadSignatureError);
    const otherSalt = new DjangoTimestampSigner({ secret: SECRET, salt: "other" });
    assert.throws(() => otherSalt.unsign(good), BadSignatureError);
    const otherKey = new DjangoTimestampSigner({
      secret: "nope",
      salt: "django.contrib.sessions.SessionStore",
    });
    assert.throws(() => otherKey.unsign(good), BadSignatureError);
    assert.throws(() => sessionSigner.unsign("no-separator-here"), BadSignatureError);
  });

  it("accepts a fallback key for verification and never signs with it", () => {
    const old = new DjangoTimestampSigner({ secret: "old-key", salt: "s" });
    const rotated = new DjangoTimestampSigner({
      secret: "new-key",
      fallbackSecrets: ["old-key"],
      salt: "s",
    });
    const signedWithOld = old.sign("v", TS);
    assert.equal(rotated.unsign(signedWithOld), "v");
    assert.notEqual(rotated.sign("v", TS), signedWithOld);
    assert.throws(() =>
      new DjangoTimestampSigner({ secret: "new-key", salt: "s" }).unsign(signedWithOld),
    );
  });

  it("accepts SHA-1 signatures only when asked to (Django 3.x)", () => {
    const sha1 = new DjangoSigner({ secret: SECRET, algorithm: "sha1" });
    const signed = sha1.sign("value");
    assert.equal(signed.split(":")[1]!.length, 27);
    assert.throws(() => new DjangoSigner({ secret: SECRET }).unsign(signed), BadSignatureError);
    assert.equal(new DjangoSigner({ secret: SECRET, acceptSha1: true }).unsign(signed), "value");
  });

  it("checks max age like Django: exactly max_age old is valid, one second more is expired", () => {
    const signed = sessionSigner.sign("v", TS);
    assert.equal(sessionSigner.unsign(signed, { maxAge: 10, now: TS + 10 }), "v");
    assert.throws(
      () => sessionSigner.unsign(signed, { maxAge: 10, now: TS + 10.5 }),
      SignatureExpiredError,
    );
  });
});

describe("djangoSignBytes compression", () => {
  const signer = new DjangoTimestampSigner({ secret: SECRET });
  it("compresses only when zlib saves at least two bytes (reference §1.3 boundary)", () => {
    const compressible = Buffer.from(`{"k":"${"a".repeat(60)}"}`);
    const signed = djangoSignBytes(signer, compressible, { compress: true, now: TS });
    assert.ok(signed.startsWith("."));
    assert.deepEqual(djangoUnsignBytes(signer, signed), compressible);
    const small = Buffer.from('{"k":"abcabcabcabc"}');
    assert.ok(!djangoSignBytes(signer, small, { compress: true, now: TS }).startsWith("."));
  });
});
