// DJANGO_VERSION as the CLI and `serve` read it: every supported release, and a clear refusal
// of a release newer than the newest one whose rules were checked.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UsageError } from "../../src/cli/command.ts";
import {
  parseDjangoVersion,
  readEnvConfig,
  requireDjangoVersion,
} from "../../src/cli/env-config.ts";
import { ConfigurationError } from "../../src/errors.ts";

describe("DJANGO_VERSION", () => {
  it("accepts 3.2, 4.2, 5.2, 6.0 and 6.1, and guesses none", () => {
    for (const v of ["3.2", "4.2", "5.2", "6.0", "6.1"]) {
      assert.equal(readEnvConfig({ DJANGO_VERSION: v }).djangoVersion, v);
    }
    assert.equal(readEnvConfig({}).djangoVersion, undefined);
    assert.equal(readEnvConfig({ DJANGO_VERSION: "" }).djangoVersion, undefined);
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

  it("is required where it changes bytes: a usage error naming the setting, the flag and the values", () => {
    assert.equal(requireDjangoVersion(readEnvConfig({ DJANGO_VERSION: "4.2" }), "x"), "4.2");
    assert.throws(
      () => requireDjangoVersion(readEnvConfig({}), "the password hash"),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message.startsWith("DJANGO_VERSION is not set, and the password hash depends on it") &&
        e.message.includes("--django-version") &&
        e.message.includes("3.2, 4.2, 5.2, 6.0 or 6.1"),
    );
  });
});
