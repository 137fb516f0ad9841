import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DjangoSessionCodec } from "../../src/codecs/django/session-encoding.ts";
import { ConfigurationError } from "../../src/errors.ts";
import { PBKDF2_ITERATIONS } from "../../src/auth/hashers/defaults.ts";
import { djangoCodecOptions, djangoPreset } from "../../src/django/presets.ts";

describe("djangoPreset", () => {
  it("maps every release of a series to its supported version", () => {
    assert.equal(djangoPreset("3.2").version, "3.2");
    assert.equal(djangoPreset("3.1").version, "3.2");
    assert.equal(djangoPreset("4").version, "4.2");
    assert.equal(djangoPreset("5.x").version, "5.2");
    assert.equal(djangoPreset("5.1.7").version, "5.2");
    assert.equal(djangoPreset("6.0").version, "6.0");
    assert.equal(djangoPreset("6.0.3").version, "6.0");
    assert.equal(djangoPreset("6.1").version, "6.1");
    assert.equal(djangoPreset("6.1.1").version, "6.1");
    assert.equal(djangoPreset("6").version, "6.1");
    assert.equal(djangoPreset("6.x").version, "6.1");
    assert.throws(() => djangoPreset("2.2"), ConfigurationError);
    assert.throws(() => djangoPreset("latest"), ConfigurationError);
  });

  it("refuses a release newer than the newest verified one, naming it", () => {
    for (const v of ["6.2", "6.2.0", "7", "7.0"]) {
      assert.throws(
        () => djangoPreset(v),
        (e: unknown) =>
          e instanceof ConfigurationError &&
          e.message.includes(`Django ${v} is newer than the newest supported version, 6.1`),
      );
    }
  });

  it("carries the version-specific defaults of the reference", () => {
    assert.deepEqual(
      ["3.2", "4.2", "5.2", "6.0", "6.1"].map((v) => djangoPreset(v).pbkdf2Iterations),
      [260_000, 600_000, 1_000_000, 1_200_000, 1_500_000],
    );
    // The preset and the hashers' own table (auth/hashers/defaults.ts) must agree.
    for (const v of ["3.2", "4.2", "5.2", "6.0", "6.1"] as const) {
      assert.equal(djangoPreset(v).pbkdf2Iterations, PBKDF2_ITERATIONS[v], v);
    }
    const sameAs52 = (v: string): object => ({
      ...djangoPreset(v),
      version: "5.2",
      pbkdf2Iterations: djangoPreset("5.2").pbkdf2Iterations,
      jsonFixtureFinalNewline: false,
    });
    for (const v of ["6.0", "6.1"]) {
      assert.deepEqual(sameAs52(v), djangoPreset("5.2"), `${v}: 5.2's rules but these two`);
      assert.equal(djangoPreset(v).jsonFixtureFinalNewline, true);
    }
    assert.equal(djangoPreset("3.2").readLegacyFormats, true);
    assert.equal(djangoPreset("4.2").readLegacyFormats, false);
    assert.equal(djangoPreset("5.2").cachedDbCacheErrors, "log");
    assert.equal(djangoPreset("4.2").scryptParallelism, 1);
    assert.equal(djangoPreset("5.2").scryptParallelism, 5);
  });

  it("drops SECRET_KEY_FALLBACKS for 3.2 and reads the legacy format there only", () => {
    const legacy = new DjangoSessionCodec({ secret: "k", writeLegacy: true }).encode(
      new Map([["a", 1]]),
    );
    const old = new DjangoSessionCodec(djangoCodecOptions(djangoPreset("3.2"), "k", ["old"]));
    assert.equal(old.decode(legacy).get("a"), 1);
    assert.deepEqual(djangoCodecOptions(djangoPreset("3.2"), "k", ["old"]).fallbackSecrets, []);
    const modern = new DjangoSessionCodec(djangoCodecOptions(djangoPreset("4.2"), "k", ["old"]));
    assert.throws(() => modern.decode(legacy));
  });
});
