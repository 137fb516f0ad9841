import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import { digest, HASH_ALGORITHMS, HmacState, isHashAlgorithm } from "../../src/runtime/sha.ts";

const ALGORITHMS = HASH_ALGORITHMS;

describe("sha (the Web runtimes' synchronous hashes)", () => {
  it("equals node:crypto on the FIPS 180-4 / RFC 1321 examples and at every padding boundary", () => {
    for (const algorithm of ALGORITHMS) {
      for (const text of ["", "abc", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"]) {
        const bytes = new TextEncoder().encode(text);
        assert.equal(
          Buffer.from(digest(algorithm, bytes)).toString("hex"),
          createHash(algorithm).update(bytes).digest("hex"),
          `${algorithm}(${JSON.stringify(text)})`,
        );
      }
      // Lengths around one and two blocks, where the length field spills into a second block.
      for (let n = 0; n <= 260; n++) {
        const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff);
        assert.equal(
          Buffer.from(digest(algorithm, bytes)).toString("hex"),
          createHash(algorithm).update(bytes).digest("hex"),
          `${algorithm} of ${n} bytes`,
        );
      }
    }
  });

  it("equals node:crypto's hash and HMAC on random inputs and keys", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ALGORITHMS),
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ maxLength: 700 }),
        (algorithm, key, data) => {
          assert.deepEqual(
            Buffer.from(digest(algorithm, data)),
            createHash(algorithm).update(data).digest(),
          );
          const mac = new HmacState(algorithm, key);
          const expected = createHmac(algorithm, key).update(data).digest();
          assert.deepEqual(Buffer.from(mac.mac(data)), expected);
          // The state is reusable: a second MAC with the same key is the same.
          assert.deepEqual(Buffer.from(mac.mac(data)), expected);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("names its algorithms", () => {
    assert.equal(isHashAlgorithm("sha256"), true);
    assert.equal(isHashAlgorithm("sha3-256"), false);
    assert.equal(isHashAlgorithm("toString"), false);
  });
});
