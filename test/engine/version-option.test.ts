// One naming scheme for "which upstream release" options (issue 11): starletteVersion,
// flaskSessionVersion, flaskLoginVersion; the former names (behaviour, version) still work,
// a disagreement between the two names or a missing required one is a ConfigurationError.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { versionOption } from "../../src/engine/version-option.ts";
import { ConfigurationError } from "../../src/errors.ts";
import { flaskSessionPolicy, loginFlaskUser } from "../../src/flask/index.ts";
import { flaskSessionServerPolicy } from "../../src/flask/server-session-policy.ts";
import { starletteSessionPolicy } from "../../src/starlette/index.ts";
import { MemoryStore } from "../../src/stores/memory/index.ts";

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
      message: 'starletteVersion must be "0.x" or "1.x"',
    });
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
