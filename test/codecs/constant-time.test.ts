import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { constantTimeEqual } from "../../src/codecs/constant-time.ts";

describe("constantTimeEqual", () => {
  it("is true only for identical strings", () => {
    assert.equal(constantTimeEqual("abc", "abc"), true);
    assert.equal(constantTimeEqual("", ""), true);
    assert.equal(constantTimeEqual("abc", "abd"), false);
    assert.equal(constantTimeEqual("abc", "ab"), false);
    assert.equal(constantTimeEqual("ab", "abc"), false);
    assert.equal(constantTimeEqual("abc", ""), false);
    assert.equal(constantTimeEqual("é", "e"), false);
  });
});
