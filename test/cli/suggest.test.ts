// The "did you mean" matcher on its own: close typos suggest, far-off words do not.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { closestName, didYouMean } from "../../src/cli/suggest.ts";

const COMMANDS = ["serve", "decode", "encode", "migrate", "sessions", "secret", "users"];

describe("closestName", () => {
  it("finds one slip in a short name and two in a longer one, swaps included", () => {
    assert.equal(closestName("serv", COMMANDS), "serve");
    assert.equal(closestName("usres", COMMANDS), "users");
    assert.equal(closestName("migarte", COMMANDS), "migrate");
    assert.equal(closestName("sesions", COMMANDS), "sessions");
    assert.equal(closestName("DECODE", COMMANDS), "decode");
  });

  it("takes a prefix of three characters or more", () => {
    assert.equal(closestName("mig", COMMANDS), "migrate");
  });

  it("suggests nothing for a word far from every name, an empty or a huge input", () => {
    assert.equal(closestName("frobnicate", COMMANDS), undefined);
    assert.equal(closestName("xy", COMMANDS), undefined);
    assert.equal(closestName("", COMMANDS), undefined);
    assert.equal(closestName("s".repeat(10_000), COMMANDS), undefined);
    assert.equal(didYouMean("frobnicate", COMMANDS), "");
    assert.equal(didYouMean("serv", COMMANDS), '; did you mean "serve"?');
  });
});
