// DJANGO_VERSION as the CLI and `serve` read it: every supported release, and a clear refusal
// of a release newer than the newest one whose rules were checked.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDjangoVersion, readEnvConfig } from "../../src/cli/env-config.ts";
import { ConfigurationError } from "../../src/errors.ts";

describe("DJANGO_VERSION", () => {
  it("accepts 3.2, 4.2, 5.2, 6.0 and 6.1, defaulting to 5.2", () => {
    for (const v of ["3.2", "4.2", "5.2", "6.0", "6.1"]) {
      assert.equal(readEnvConfig({ DJANGO_VERSION: v }).djangoVersion, v);
    }
    assert.equal(readEnvConfig({}).djangoVersion, "5.2");
    assert.equal(parseDjangoVersion("6.1.1"), "6.1");
    assert.equal(parseDjangoVersion("6.0.2"), "6.0");
  });

  it("refuses 6.2 and 7.0, naming 6.1 as the newest supported version", () => {
    for (const v of ["6.2", "7.0"]) {
      assert.throws(
        () => readEnvConfig({ DJANGO_VERSION: v }),
        (e: unknown) =>
          e instanceof ConfigurationError && /newest supported version, 6\.1/.test(e.message),
      );
    }
  });
});
