// A missing or empty secret stops the app at construction, in every codec, policy and store that
// signs: with `SECRET_KEY ?? ""`, an empty key would sign cookies anyone can forge.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertSecret, assertSecrets } from "../../src/codecs/secret.ts";
import { DjangoSessionCodec } from "../../src/codecs/django/session-encoding.ts";
import { DjangoSigner, DjangoTimestampSigner } from "../../src/codecs/django/signing.ts";
import { decodeRememberCookie, encodeRememberCookie } from "../../src/codecs/flask/flask-login.ts";
import { FlaskSessionCodec } from "../../src/codecs/flask/session-cookie.ts";
import { Signer, URLSafeTimedSerializer } from "../../src/codecs/itsdangerous/index.ts";
import { StarletteSessionCodec } from "../../src/codecs/starlette/session-cookie.ts";
import { ConfigurationError } from "../../src/errors.ts";
import { flaskSessionPolicy } from "../../src/flask/policy.ts";
import { flaskSessionServerPolicy } from "../../src/flask/server-session-policy.ts";
import { starletteSessionPolicy } from "../../src/starlette/policy.ts";
import { SignedCookieStore } from "../../src/stores/signed-cookies/store.ts";
import { MemoryStore } from "../../src/stores/memory/index.ts";

// What `process.env.SECRET_KEY` is when the variable is unset, typed as a caller would pass it.
const unset = undefined as unknown as string;

describe("assertSecret", () => {
  it("accepts a non-empty string or bytes", () => {
    assertSecret("k", "SECRET_KEY");
    assertSecret(new Uint8Array([1]), "SECRET_KEY");
    assertSecrets("k", ["old"], "SECRET_KEY", "SECRET_KEY_FALLBACKS");
    assertSecrets("k", undefined, "SECRET_KEY", "SECRET_KEY_FALLBACKS");
  });

  it("refuses missing, empty and non-key values with a ConfigurationError naming the setting", () => {
    for (const value of [undefined, null, "", new Uint8Array(0), 42, {}]) {
      assert.throws(
        () => assertSecret(value, "SECRET_KEY"),
        (err: unknown) => err instanceof ConfigurationError && /^SECRET_KEY /.test(err.message),
      );
    }
    assert.throws(
      () => assertSecrets("k", ["ok", ""], "SECRET_KEY", "SECRET_KEY_FALLBACKS"),
      /SECRET_KEY_FALLBACKS\[1\] is empty/,
    );
    assert.throws(
      () => assertSecrets("k", "old", "SECRET_KEY", "SECRET_KEY_FALLBACKS"),
      /SECRET_KEY_FALLBACKS must be a list/,
    );
  });
});

describe("every signer refuses a missing or empty secret at construction", () => {
  const constructors: Record<string, (secret: string, fallbacks?: string[]) => unknown> = {
    DjangoSigner: (secret, fallbacks) =>
      new DjangoSigner({ secret, ...(fallbacks ? { fallbackSecrets: fallbacks } : {}) }),
    DjangoTimestampSigner: (secret, fallbacks) =>
      new DjangoTimestampSigner({ secret, ...(fallbacks ? { fallbackSecrets: fallbacks } : {}) }),
    DjangoSessionCodec: (secret, fallbacks) =>
      new DjangoSessionCodec({ secret, ...(fallbacks ? { fallbackSecrets: fallbacks } : {}) }),
    SignedCookieStore: (secret, fallbacks) =>
      new SignedCookieStore({ secret, ...(fallbacks ? { fallbackSecrets: fallbacks } : {}) }),
    "itsdangerous Signer": (secret, fallbacks) =>
      new Signer(fallbacks ? [...fallbacks, secret] : secret),
    URLSafeTimedSerializer: (secret, fallbacks) =>
      new URLSafeTimedSerializer(fallbacks ? [...fallbacks, secret] : secret).dumps("x"),
    FlaskSessionCodec: (secret, fallbacks) =>
      new FlaskSessionCodec({
        secretKey: secret,
        ...(fallbacks ? { secretKeyFallbacks: fallbacks } : {}),
      }),
    flaskSessionPolicy: (secret, fallbacks) =>
      flaskSessionPolicy({
        secretKey: secret,
        ...(fallbacks ? { secretKeyFallbacks: fallbacks } : {}),
      }),
    StarletteSessionCodec: (secret) => new StarletteSessionCodec({ secretKey: secret }),
    starletteSessionPolicy: (secret) =>
      starletteSessionPolicy({ secretKey: secret, starletteVersion: "1.x" }),
    "flaskSessionServerPolicy (SESSION_USE_SIGNER)": (secret) =>
      flaskSessionServerPolicy({
        store: new MemoryStore(),
        flaskSessionVersion: "0.8",
        useSigner: true,
        secretKey: secret,
      }),
    "Flask-Login remember cookie": (secret) => encodeRememberCookie("1", secret),
  };
  for (const [name, make] of Object.entries(constructors)) {
    it(name, () => {
      make("a-real-key"); // the same call with a key works
      assert.throws(() => make(""), ConfigurationError, "empty");
      assert.throws(() => make(unset), ConfigurationError, "unset");
      if (make.length > 1)
        assert.throws(() => make("a-real-key", [""]), ConfigurationError, "empty fallback");
    });
  }

  it("a remember-me cookie is never verified against an empty key", () => {
    const forged = encodeRememberCookie("1", "a-real-key");
    assert.throws(() => decodeRememberCookie(forged, ""), ConfigurationError);
  });
});
