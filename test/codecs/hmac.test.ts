import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import { HmacKey, type HmacAlgorithm } from "../../src/codecs/hmac.ts";

const ALGORITHMS: readonly HmacAlgorithm[] = [
  "md5",
  "sha1",
  "sha224",
  "sha256",
  "sha384",
  "sha512",
];

describe("HmacKey", () => {
  it("equals createHmac for random keys (shorter and longer than the block) and texts", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ALGORITHMS),
        fc.uint8Array({ minLength: 0, maxLength: 200 }),
        fc.string({ unit: "binary", maxLength: 300 }),
        (algorithm, key, text) => {
          const mac = new HmacKey(algorithm, key);
          const expected = createHmac(algorithm, key).update(text, "utf8").digest("base64url");
          assert.equal(mac.base64url(text), expected);
          assert.deepEqual(mac.digest(text), createHmac(algorithm, key).update(text).digest());
        },
      ),
      { numRuns: 600 },
    );
  });

  it("handles texts past its inline buffer, lone surrogates and repeated use", () => {
    const key = randomBytes(32);
    const mac = new HmacKey("sha256", key);
    const texts = [
      "",
      "a",
      "x".repeat(2048),
      "é".repeat(2048),
      "😀".repeat(1500),
      "y".repeat(5000),
      "\ud800z",
      "tail",
    ];
    for (const text of [...texts, ...texts.reverse()]) {
      assert.equal(
        mac.base64url(text),
        createHmac("sha256", key).update(text, "utf8").digest("base64url"),
        `text of ${text.length} units`,
      );
    }
  });

  it("copies the key: later changes to the caller's buffer do not change the MAC", () => {
    const key = Buffer.from("secret-key");
    const mac = new HmacKey("sha1", key);
    const before = mac.base64url("value");
    key.fill(0);
    assert.equal(mac.base64url("value"), before);
  });
});
