// Session auth hash (`_auth_user_hash`) vectors of django-formats.md §6.2 and the get_user rules of §6.4.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  legacySessionAuthHash,
  sessionAuthFallbackHashes,
  sessionAuthHash,
  verifySessionAuthHash,
} from "../../../src/auth/hashers/index.ts";

const SECRET = "test-secret-key-for-django-vectors";
const FALLBACK = "old-rotated-secret-key";
// The §6.2 password field (pbkdf2_sha256 of "correct horse battery staple", 3.2 iterations).
const PASSWORD =
  "pbkdf2_sha256$260000$seasalt0123456789ABCDE$mQVJHnltC5pDRjyNLoC9ruo4/Mv5MqCFIrj5/IQ5gXU=";
const CURRENT = "51c1d14a69b3a402add48f0715fa42ba6e953c6730f7a5269a187912c2528ea8";
const LEGACY = "0437a02e6bad558b362d93ab3a473c5610db4e1e";

describe("sessionAuthHash (§6.2 vectors)", () => {
  it("current sha256 hash", () => {
    assert.equal(sessionAuthHash(PASSWORD, SECRET), CURRENT);
  });
  it("fallback secret hash", () => {
    const [fb] = sessionAuthFallbackHashes(PASSWORD, [FALLBACK]);
    assert.match(fb ?? "", /^88c6b1af[0-9a-f]{50}1d56ad$/);
  });
  it("3.2 legacy sha1 hash", () => {
    assert.equal(legacySessionAuthHash(PASSWORD, SECRET), LEGACY);
  });
});

describe("verifySessionAuthHash (§6.4 get_user)", () => {
  const fallback = sessionAuthFallbackHashes(PASSWORD, [FALLBACK])[0]!;
  const base = { secret: SECRET, fallbacks: [FALLBACK] };

  it("5.2 and 4.2: current, fallback; legacy rejected", () => {
    for (const djangoVersion of ["5.2", "4.2"] as const) {
      const o = { ...base, djangoVersion };
      assert.equal(verifySessionAuthHash(CURRENT, PASSWORD, o), "current");
      assert.equal(verifySessionAuthHash(fallback, PASSWORD, o), "fallback");
      assert.equal(verifySessionAuthHash(LEGACY, PASSWORD, o), false);
    }
  });

  it("3.2: current and legacy; no SECRET_KEY_FALLBACKS", () => {
    const o = { ...base, djangoVersion: "3.2" } as const;
    assert.equal(verifySessionAuthHash(CURRENT, PASSWORD, o), "current");
    assert.equal(verifySessionAuthHash(LEGACY, PASSWORD, o), "legacy");
    assert.equal(verifySessionAuthHash(fallback, PASSWORD, o), false);
    // DEFAULT_HASHING_ALGORITHM = "sha1": the current hash is then the sha1 one.
    assert.equal(
      verifySessionAuthHash(LEGACY, PASSWORD, { ...o, hashingAlgorithm: "sha1" }),
      "current",
    );
  });

  it("4.0 has neither legacy hashes nor fallbacks", () => {
    const o = { ...base, djangoVersion: "4.0" } as const;
    assert.equal(verifySessionAuthHash(LEGACY, PASSWORD, o), false);
    assert.equal(verifySessionAuthHash(fallback, PASSWORD, o), false);
  });

  it("missing, empty, non-string, wrong, re-cased and changed-password hashes are false", () => {
    for (const given of [
      undefined,
      null,
      "",
      42,
      CURRENT.toUpperCase(),
      CURRENT.slice(1),
      `${CURRENT} `,
    ]) {
      assert.equal(verifySessionAuthHash(given, PASSWORD, base), false, String(given));
    }
    assert.equal(verifySessionAuthHash(CURRENT, `${PASSWORD}x`, base), false);
  });
});
