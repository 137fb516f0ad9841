// The Web seam answers as the Node seam does: same names, same bytes, same errors. The codecs
// on top of it run on the real Web runtimes in test/runtime/portability.test.ts.
import assert from "node:assert/strict";
import { inflateSync } from "node:zlib";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ConfigurationError, InvalidArgumentError } from "../../src/errors.ts";
import * as node from "../../src/runtime/node.ts";
import * as web from "../../src/runtime/web.ts";
import { HASH_ALGORITHMS, type HashAlgorithm } from "../../src/runtime/sha.ts";

const ALGORITHMS = HASH_ALGORITHMS;

describe("runtime/web.ts against runtime/node.ts", () => {
  it("exports the same names", () => {
    assert.deepEqual(Object.keys(web).sort(), Object.keys(node).sort());
    assert.equal(node.RUNTIME, "node");
    assert.equal(web.RUNTIME, "web");
  });

  it("hashes, MACs and HmacKeys equal the Node seam's", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ALGORITHMS),
        fc.uint8Array({ maxLength: 200 }),
        fc.string({ unit: "binary", maxLength: 300 }),
        (algorithm, key, text) => {
          assert.deepEqual([...web.hash(algorithm, text)], [...node.hash(algorithm, text)]);
          assert.deepEqual(
            [...web.hmac(algorithm, key, text)],
            [...node.hmac(algorithm, key, text)],
          );
          const w = new web.HmacKey(algorithm, key);
          const n = new node.HmacKey(algorithm, key);
          assert.equal(w.base64url(text), n.base64url(text));
          assert.deepEqual([...w.digest(text)], [...n.digest(text)]);
        },
      ),
      { numRuns: 300 },
    );
    assert.throws(() => web.hash("sha3-256" as HashAlgorithm, "x"), ConfigurationError);
  });

  it("compares in constant time, false on a length mismatch", () => {
    for (const impl of [web, node]) {
      assert.equal(impl.timingSafeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2)), true);
      assert.equal(impl.timingSafeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3)), false);
      assert.equal(impl.timingSafeEqual(Uint8Array.of(1, 2), Uint8Array.of(1)), false);
    }
  });

  it("draws random bytes, UUIDs and integers in range", () => {
    assert.equal(web.randomBytes(70000).length, 70000);
    assert.notDeepEqual([...web.randomBytes(16)], [...web.randomBytes(16)]);
    assert.match(
      web.randomUUID(),
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const n = web.randomInt(7);
      assert.ok(Number.isInteger(n) && n >= 0 && n < 7);
      seen.add(n);
    }
    assert.equal(seen.size, 7);
    assert.throws(() => web.randomInt(0), InvalidArgumentError);
  });

  it("writes zlib streams that zlib reads back, never shorter than the input", () => {
    for (const size of [0, 1, 100, 65535, 65536, 140000]) {
      const data = Uint8Array.from({ length: size }, (_, i) => i % 251);
      const stream = web.deflate(data);
      assert.deepEqual([...inflateSync(stream)], [...data], `${size} bytes`);
      assert.ok(stream.length > data.length);
    }
    assert.equal(web.inflate, undefined);
    assert.deepEqual([...node.inflate!(node.deflate(Uint8Array.of(1, 2, 3)), 10)], [1, 2, 3]);
  });
});
