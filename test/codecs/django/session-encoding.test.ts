// Issue 18 #7: a large stored value (4 MiB of `}` written by anyone with access to the store)
// was read through signature checks and parsing before any bound applied. The codec now refuses
// a stored value over its bound (default 1 MiB) at once, as TooLargeError.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { DjangoSessionCodec } from "../../../src/codecs/django/session-encoding.ts";
import { TooLargeError } from "../../../src/errors.ts";

const SECRET = "session-encoding-test-secret";

describe("DjangoSessionCodec value bound (issue 18 #7)", () => {
  it("a stored value over 1 MiB is TooLargeError before its signature is looked at", () => {
    const codec = new DjangoSessionCodec({ secret: SECRET });
    assert.equal(codec.maxValueBytes, 1024 * 1024);
    for (const legacy of [false, true]) {
      const c = new DjangoSessionCodec({ secret: SECRET, readLegacy: legacy });
      assert.throws(() => c.decode("}".repeat(4 * 1024 * 1024)), TooLargeError);
      assert.throws(() => c.decode("}".repeat(1024 * 1024 + 1)), TooLargeError);
    }
  });

  it("maxBytes sets the bound; a session within it decodes", () => {
    const codec = new DjangoSessionCodec({ secret: SECRET, maxBytes: 300 });
    const fits = codec.encode(new Map([["a", 1]]));
    assert.deepEqual(codec.decode(fits), new Map([["a", 1]]));
    const big = new DjangoSessionCodec({ secret: SECRET }).encode(
      new Map([["a", randomBytes(300).toString("hex")]]),
    );
    assert.ok(big.length > 300);
    assert.throws(() => codec.decode(big), TooLargeError);
  });
});
