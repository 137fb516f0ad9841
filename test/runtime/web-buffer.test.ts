import assert from "node:assert/strict";
import { Buffer as NodeBuffer, isAscii as nodeIsAscii } from "node:buffer";
import { describe, it } from "node:test";
import fc from "fast-check";
import { InvalidArgumentError } from "../../src/errors.ts";
import { isAscii, WebBuffer } from "../../src/runtime/web-buffer.ts";

// The static side is attached with Object.assign (its signatures differ from Uint8Array's).
const Web = WebBuffer as unknown as typeof NodeBuffer;
const ENCODINGS = ["utf8", "latin1", "ascii", "base64", "base64url", "hex", "utf16le"] as const;

/** The bytes of a buffer, as a plain array, for comparing the two implementations. */
const bytes = (b: Uint8Array): number[] => Array.from(b);

describe("WebBuffer (node:buffer where there is none)", () => {
  it("encodes and decodes every encoding as node:buffer does", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ENCODINGS),
        fc.uint8Array({ maxLength: 200 }),
        fc.string({ unit: "binary", maxLength: 100 }),
        (encoding, data, text) => {
          assert.equal(Web.from(data).toString(encoding), NodeBuffer.from(data).toString(encoding));
          assert.deepEqual(bytes(Web.from(text, encoding)), bytes(NodeBuffer.from(text, encoding)));
          assert.equal(Web.byteLength(text, encoding), NodeBuffer.byteLength(text, encoding));
        },
      ),
      { numRuns: 800 },
    );
  });

  it("decodes lenient base64 and hex input as node:buffer does", () => {
    const texts = ["YWJj", "YW Jj", "YWJ=jZA", "YW-_", "YW+/", "Y", "Y===", "é", "zz", "abx1", "a"];
    for (const text of texts) {
      for (const encoding of ["base64", "base64url", "hex"] as const) {
        assert.deepEqual(
          bytes(Web.from(text, encoding)),
          bytes(NodeBuffer.from(text, encoding)),
          `${encoding} ${JSON.stringify(text)}`,
        );
      }
    }
    // A BOM is kept, and bad UTF-8 becomes U+FFFD, as Node does.
    for (const data of [[0xef, 0xbb, 0xbf, 0x61], [0xc3], [0xff, 0x61], [0xed, 0xa0, 0x80]]) {
      assert.equal(Web.from(data).toString(), NodeBuffer.from(data).toString());
    }
  });

  it("writes, copies, searches, fills and writes numbers as node:buffer does", () => {
    const pair = (size: number) => [Web.alloc(size), NodeBuffer.alloc(size)] as const;
    const [w, n] = pair(32);
    assert.equal(w.write("héllo", 3, "utf8"), n.write("héllo", 3, "utf8"));
    assert.equal(w.write("€€€", 30, "utf8"), n.write("€€€", 30, "utf8"));
    assert.equal(w.write("abc", 10, "latin1"), n.write("abc", 10, "latin1"));
    w.writeUInt32LE(0xdeadbeef, 12);
    n.writeUInt32LE(0xdeadbeef, 12);
    w.writeUInt32BE(7, 16);
    n.writeUInt32BE(7, 16);
    w.writeUInt16LE(513, 20);
    n.writeUInt16LE(513, 20);
    w.writeUInt16BE(513, 22);
    n.writeUInt16BE(513, 22);
    w.writeInt32LE(-5, 24);
    n.writeInt32LE(-5, 24);
    assert.deepEqual(bytes(w), bytes(n));
    const [d, e] = pair(40);
    d.writeDoubleBE(Math.PI, 0);
    e.writeDoubleBE(Math.PI, 0);
    d.writeBigUInt64LE(2n ** 63n + 5n, 8);
    e.writeBigUInt64LE(2n ** 63n + 5n, 8);
    d.writeBigUInt64BE(12345678901234n, 16);
    e.writeBigUInt64BE(12345678901234n, 16);
    d.writeBigInt64BE(-3n, 24);
    e.writeBigInt64BE(-3n, 24);
    assert.deepEqual(bytes(d), bytes(e));
    assert.equal(d.readDoubleBE(0), Math.PI);
    assert.equal(d.readBigInt64BE(24), -3n);

    const source = Web.from("hello, world");
    const target = Web.alloc(5);
    assert.equal(source.copy(target, 1, 7), 4);
    assert.equal(target.toString("latin1"), "\0worl");
    assert.equal(source.indexOf(0x6f), 4);
    assert.equal(source.indexOf(0x6f, 5), 8);
    assert.equal(source.indexOf("world"), 7);
    assert.equal(source.includes("xyz"), false);
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- Node's slice (a view) is what is checked
    assert.equal(source.slice(7).toString(), "world");
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- as above
    source.slice(0, 1)[0] = 0x48; // a view, as Node's slice
    assert.equal(source.toString(), "Hello, world");
    assert.equal(Web.alloc(5, "ab").toString(), "ababa");
    assert.equal(Web.concat([Web.from("ab"), NodeBuffer.from("cd")]).toString(), "abcd");
    assert.equal(Web.concat([Web.from("ab"), Web.from("cd")], 3).toString(), "abc");
    assert.equal(Web.isBuffer(source), true);
    assert.equal(Web.isBuffer(new Uint8Array(1)), false);
    assert.equal(Web.from("abc").equals(NodeBuffer.from("abc")), true);
    assert.equal(Web.compare(Web.from("a"), Web.from("b")), -1);
    assert.deepEqual(JSON.stringify(Web.from([1, 2])), JSON.stringify(NodeBuffer.from([1, 2])));
    const shared = new Uint8Array([1, 2, 3, 4]);
    const view = Web.from(shared.buffer, 1, 2);
    view[0] = 9;
    assert.equal(shared[1], 9);
    assert.throws(() => Web.from("x", "nope" as BufferEncoding), InvalidArgumentError);
  });

  it("answers isAscii as node:buffer does", () => {
    for (const data of [[], [0x7f], [0x80], [0x61, 0xc3, 0xa9]]) {
      assert.equal(isAscii(Uint8Array.from(data)), nodeIsAscii(Uint8Array.from(data)));
    }
  });
});
