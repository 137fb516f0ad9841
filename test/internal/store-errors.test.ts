import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { errorCode, redact } from "../../src/internal/store-errors.ts";

describe("redact", () => {
  it("blanks URL passwords and known secrets", () => {
    assert.equal(redact("at postgres://u:pw@h/db", []), "at postgres://u:***@h/db");
    assert.equal(
      redact("redis://:s3cret@127.0.0.1:6379/0 down", []),
      "redis://:***@127.0.0.1:6379/0 down",
    );
    assert.equal(redact("password hunter2 rejected", ["hunter2"]), "password *** rejected");
  });

  it("leaves secrets shorter than 3 characters alone (they would blank unrelated words)", () => {
    assert.equal(redact("an error in a", ["a"]), "an error in a");
  });
});

describe("errorCode", () => {
  it("reads string and numeric codes, and nothing else", () => {
    assert.equal(
      errorCode(Object.assign(new Error("x"), { code: "ECONNREFUSED" })),
      "ECONNREFUSED",
    );
    assert.equal(errorCode({ code: 1062 }), "1062");
    assert.equal(errorCode({ code: { nested: true } }), undefined);
    assert.equal(errorCode(new Error("no code")), undefined);
    assert.equal(errorCode(null), undefined);
    assert.equal(errorCode("ECONNRESET"), undefined);
  });
});
