// One naming scheme for "which upstream release" options (issue 11): djangoVersion, flaskVersion,
// starletteVersion, flaskSessionVersion, flaskLoginVersion; the former names (behaviour, version)
// still work; a disagreement between the two names, a missing required one or an unknown
// release is a ConfigurationError naming the accepted releases, never a silent fallback.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CachedDbStore } from "../../src/stores/cached-db/index.ts";
import { resolveSessionSettings, type DjangoVersion } from "../../src/engine/config.ts";
import { versionOption } from "../../src/internal/version-option.ts";
import { ConfigurationError } from "../../src/errors.ts";
import { flaskSessionPolicy, loginFlaskUser } from "../../src/flask/index.ts";
import { flaskSessionServerPolicy } from "../../src/flask/server-session-policy.ts";
import { starletteSessionPolicy } from "../../src/starlette/index.ts";
import { MemoryStore } from "../../src/stores/memory/index.ts";
import { SignedCookieStore } from "../../src/stores/signed-cookies/index.ts";
import { resolveHasherConfig, verifySessionAuthHash } from "../../src/auth/hashers/index.ts";

// The deprecated names are what this file shows still working.
/* eslint-disable @typescript-eslint/no-deprecated */

const allowed = ["0.x", "1.x"] as const;
const spec = (value?: "0.x" | "1.x", alias?: "0.x" | "1.x", fallback?: "0.x" | "1.x") => ({
  name: "starletteVersion",
  value,
  alias: { name: "behaviour", value: alias },
  allowed,
  ...(fallback === undefined ? {} : { fallback }),
});

describe("versionOption", () => {
  test("takes the option, else its deprecated alias, else the fallback", () => {
    assert.equal(versionOption(spec("1.x")), "1.x");
    assert.equal(versionOption(spec(undefined, "0.x")), "0.x");
    assert.equal(versionOption(spec("0.x", "0.x")), "0.x");
    assert.equal(versionOption(spec(undefined, undefined, "1.x")), "1.x");
  });

  test("refuses two names that disagree, a missing required one, an unknown release", () => {
    assert.throws(() => versionOption(spec("0.x", "1.x")), {
      name: "ConfigurationError",
      message:
        "starletteVersion and behaviour (its deprecated name) disagree: give starletteVersion only",
    });
    assert.throws(() => versionOption(spec()), {
      name: "ConfigurationError",
      message: 'starletteVersion is required: "0.x" or "1.x"',
    });
    assert.throws(() => versionOption(spec("2.x" as "1.x")), {
      name: "ConfigurationError",
      message: 'starletteVersion must be "0.x" or "1.x", not "2.x"',
    });
  });

  test("an option without a deprecated name, and a longer list of releases", () => {
    const allowed3 = ["2.2", "3.0", "3.1"] as const;
    assert.equal(
      versionOption({ name: "flaskVersion", value: undefined, allowed: allowed3, fallback: "3.1" }),
      "3.1",
    );
    assert.equal(versionOption({ name: "flaskVersion", value: "3.0", allowed: allowed3 }), "3.0");
    assert.throws(
      () => versionOption({ name: "flaskVersion", value: "9" as "3.0", allowed: allowed3 }),
      {
        name: "ConfigurationError",
        message: 'flaskVersion must be one of "2.2", "3.0" or "3.1", not "9"',
      },
    );
  });
});

describe("an unknown release is refused where each knob is read", () => {
  const djangoChoices = 'one of "3.2", "4.2", "5.2", "6.0" or "6.1", not "7.0"';
  const unknownDjango = "7.0" as DjangoVersion;

  test("flaskSessionPolicy: flaskVersion", () => {
    flaskSessionPolicy({ secretKey: "s3cret", flaskVersion: "2.2" });
    assert.throws(() => flaskSessionPolicy({ secretKey: "s3cret", flaskVersion: "3.0" as "3.1" }), {
      name: "ConfigurationError",
      message: 'flaskVersion must be "2.2" or "3.1", not "3.0"',
    });
  });

  test("the other version knobs", () => {
    const store = new MemoryStore();
    assert.throws(
      () => starletteSessionPolicy({ secretKey: "s3cret", starletteVersion: "2.x" as "1.x" }),
      {
        name: "ConfigurationError",
        message: 'starletteVersion must be "0.x" or "1.x", not "2.x"',
      },
    );
    assert.throws(() => flaskSessionServerPolicy({ store, flaskSessionVersion: "0.9" as "0.8" }), {
      name: "ConfigurationError",
      message: 'flaskSessionVersion must be "0.3" or "0.8", not "0.9"',
    });
  });

  test("djangoVersion: session settings, the signed_cookies and cached_db stores", () => {
    assert.equal(resolveSessionSettings({ djangoVersion: "3.2" }).djangoVersion, "3.2");
    assert.throws(() => resolveSessionSettings({ djangoVersion: unknownDjango }), {
      name: "ConfigurationError",
      message: `djangoVersion must be ${djangoChoices}`,
    });
    assert.throws(() => new SignedCookieStore({ secret: "s3cret", djangoVersion: unknownDjango }), {
      name: "ConfigurationError",
      message: `djangoVersion must be ${djangoChoices}`,
    });
    const store = new MemoryStore();
    assert.throws(
      () => new CachedDbStore({ db: store, cache: store, djangoVersion: unknownDjango }),
      {
        name: "ConfigurationError",
        message: `djangoVersion must be ${djangoChoices}`,
      },
    );
  });

  test("djangoVersion of the auth layer: hashers and the session auth hash", () => {
    const unknown = "4.3" as "4.2";
    const message =
      'djangoVersion must be one of "3.2", "4.0", "4.1", "4.2", "5.0", "5.1", "5.2", "6.0" or "6.1", not "4.3"';
    assert.throws(() => resolveHasherConfig({ djangoVersion: unknown }), {
      name: "ConfigurationError",
      message,
    });
    assert.throws(
      () =>
        verifySessionAuthHash("h", "pbkdf2_sha256$1$s$h", { secret: "s", djangoVersion: unknown }),
      {
        name: "ConfigurationError",
        message,
      },
    );
  });
});

describe("the policies read their version knob through it", () => {
  test("starletteSessionPolicy: starletteVersion, or the deprecated behaviour", async () => {
    for (const options of [{ starletteVersion: "1.x" }, { behaviour: "1.x" }] as const) {
      const policy = starletteSessionPolicy({ secretKey: "s3cret", ...options });
      const rs = policy.open(undefined);
      await rs.session.get("a");
      // 1.x answers `Vary: Cookie` to an accessed session; 0.x never does.
      assert.equal((policy.plan(rs, 200) ?? (await policy.commit(rs, 200))).varyCookie, true);
    }
    assert.throws(() => starletteSessionPolicy({ secretKey: "s3cret" }), ConfigurationError);
    assert.throws(
      () =>
        starletteSessionPolicy({ secretKey: "s3cret", starletteVersion: "1.x", behaviour: "0.x" }),
      ConfigurationError,
    );
  });

  test("flaskSessionServerPolicy: flaskSessionVersion, or the deprecated version", () => {
    const store = new MemoryStore();
    flaskSessionServerPolicy({ store, flaskSessionVersion: "0.8" });
    flaskSessionServerPolicy({ store, version: "0.3" });
    assert.throws(() => flaskSessionServerPolicy({ store }), ConfigurationError);
    assert.throws(
      () => flaskSessionServerPolicy({ store, flaskSessionVersion: "0.8", version: "0.3" }),
      ConfigurationError,
    );
  });

  test("loginFlaskUser: flaskLoginVersion, or the deprecated version; 0.6 by default", async () => {
    const info = { remoteAddr: "10.0.0.1", forwardedFor: "1.2.3.4", userAgent: "ua" };
    const idWith = async (options: object): Promise<unknown> => {
      const { session } = flaskSessionPolicy({ secretKey: "s3cret" }).open(undefined);
      await loginFlaskUser(session, "7", { identifier: info, ...options });
      return session.get("_id");
    };
    const v07 = await idWith({ flaskLoginVersion: "0.7" });
    assert.equal(await idWith({ version: "0.7" }), v07);
    assert.notEqual(await idWith({}), v07);
    assert.equal(await idWith({}), await idWith({ flaskLoginVersion: "0.6" }));
    await assert.rejects(idWith({ flaskLoginVersion: "0.6", version: "0.7" }), ConfigurationError);
  });
});
