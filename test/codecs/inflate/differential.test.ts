// inflateZlib must produce byte-identical output to node:zlib's inflateSync for every stream
// node:zlib's deflate and CPython's zlib produce, at every level and strategy.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { constants, deflateRawSync, deflateSync, inflateSync } from "node:zlib";
import { inflateZlib } from "../../../src/codecs/inflate/index.ts";
import { zlibCompress, zlibDecompress } from "../../../src/codecs/zlib.ts";
import { runPython } from "../../support/python.ts";
import { prng, sampleInput, zlibWrap } from "./support.ts";

const STRATEGIES = [
  constants.Z_DEFAULT_STRATEGY,
  constants.Z_FILTERED,
  constants.Z_HUFFMAN_ONLY,
  constants.Z_RLE,
  constants.Z_FIXED,
] as const;

function assertSame(z: Buffer, label: string): void {
  const expected = inflateSync(z);
  const ours = inflateZlib(z, 1 << 30);
  assert.ok(Buffer.from(ours).equals(expected), `${label}: output differs`);
  assert.equal(ours.length, expected.length, label);
}

describe("inflateZlib vs node:zlib inflateSync (differential)", () => {
  it("3000 random inputs of 0–70 KiB, every level 0–9 and strategy", () => {
    const rand = prng(0x5eed);
    for (let t = 0; t < 3000; t++) {
      const size = Math.floor(rand() ** 3 * 70 * 1024);
      const kind = Math.floor(rand() * 5);
      const input = sampleInput(rand, size, kind);
      const level = t % 10;
      const strategy = STRATEGIES[Math.floor(t / 10) % STRATEGIES.length]!;
      const z = deflateSync(input, { level, strategy });
      const ours = inflateZlib(z, 1 << 30);
      assert.ok(
        Buffer.from(ours).equals(input),
        `case ${t}: size ${size} kind ${kind} level ${level} strategy ${strategy}`,
      );
    }
  });

  it("small inputs exhaustively over levels × strategies × window/memory sizes", () => {
    const rand = prng(7);
    for (const size of [0, 1, 2, 3, 4, 7, 31, 100, 257, 300, 1000, 4096]) {
      for (let kind = 0; kind < 5; kind++) {
        const input = sampleInput(rand, size, kind);
        for (let level = 0; level <= 9; level++) {
          for (const strategy of STRATEGIES) {
            for (const windowBits of [9, 12, 15]) {
              for (const memLevel of [1, 8, 9]) {
                const z = deflateSync(input, { level, strategy, windowBits, memLevel });
                assertSame(z, `size ${size} kind ${kind} l${level} s${strategy} w${windowBits}`);
              }
            }
          }
        }
      }
    }
  });

  it("sizes around the scratch buffer (64 KiB) and output-growth boundaries", () => {
    const rand = prng(11);
    for (const size of [65535, 65536, 65537, 131072, 200_000, 1 << 20]) {
      for (const kind of [0, 1, 2]) {
        const input = sampleInput(rand, size, kind);
        for (const level of [0, 1, 6, 9]) {
          const z = deflateSync(input, { level });
          assert.ok(Buffer.from(inflateZlib(z, 1 << 21)).equals(input), `${size}/${kind}/${level}`);
        }
      }
    }
  });

  it("streams made of many blocks: sync-flushed segments, empty stored blocks", () => {
    const rand = prng(99);
    for (let t = 0; t < 300; t++) {
      const parts = Array.from({ length: 1 + Math.floor(rand() * 6) }, () =>
        sampleInput(rand, Math.floor(rand() * 3000), Math.floor(rand() * 5)),
      );
      // Each non-final segment ends with a sync flush (an empty stored block, non-final);
      // independent segments concatenate into one valid DEFLATE stream.
      const raw = parts.map((part, i) =>
        deflateRawSync(part, {
          level: (t + i) % 10,
          strategy: STRATEGIES[(t + i) % 5]!,
          finishFlush: i === parts.length - 1 ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
        }),
      );
      const z = zlibWrap(Buffer.concat(raw), Buffer.concat(parts));
      assertSame(z, `multi ${t}`);
      assert.ok(Buffer.from(inflateZlib(z, 1 << 30)).equals(Buffer.concat(parts)));
    }
  });

  it("decodes bytes produced by CPython's zlib (levels, wbits, memLevel, strategies, flushes)", async () => {
    const script = String.raw`
import zlib, json, random, base64, sys
random.seed(1234)
words = [b'_auth_user_id', b'django.contrib.auth.backends.ModelBackend', b'"cart":[', b'{"sku":"A-1"}', b'\xc3\xa9', b' ', b'0123456789']
def sample(i):
    k = i % 4
    n = int(random.random() ** 3 * 40000)
    if k == 0: return bytes(random.getrandbits(8) for _ in range(n))
    if k == 1: return b''.join(random.choice(words) for _ in range(n // 8 + 1))[:n]
    if k == 2: return (bytes(random.choice(b'abc') for _ in range(random.randint(1, 9))) * (n + 1))[:n]
    return bytes(random.choice(b'\x00\x01\xff') for _ in range(n))
strategies = [zlib.Z_DEFAULT_STRATEGY, zlib.Z_FILTERED, zlib.Z_HUFFMAN_ONLY, zlib.Z_RLE, zlib.Z_FIXED]
out = []
for i in range(400):
    data = sample(i)
    level = i % 10
    if i % 3 == 0:
        z = zlib.compress(data, level)
    else:
        c = zlib.compressobj(level, zlib.DEFLATED, random.choice([9, 10, 12, 15]), random.randint(1, 9), strategies[i % 5])
        z = b''
        pos = 0
        while pos < len(data):
            step = random.randint(1, 5000)
            z += c.compress(data[pos:pos + step])
            pos += step
            if random.random() < 0.3:
                z += c.flush(random.choice([zlib.Z_SYNC_FLUSH, zlib.Z_FULL_FLUSH]))
        z += c.flush()
    assert zlib.decompress(z) == data
    out.append([base64.b64encode(data).decode(), base64.b64encode(z).decode()])
json.dump(out, sys.stdout)
`;
    const cases = JSON.parse(await runPython(script)) as [string, string][];
    assert.equal(cases.length, 400);
    for (const [i, [raw, z]] of cases.entries()) {
      const data = Buffer.from(raw, "base64");
      const stream = Buffer.from(z, "base64");
      assert.ok(Buffer.from(inflateZlib(stream, 1 << 30)).equals(data), `CPython case ${i}`);
      assert.ok(inflateSync(stream).equals(data), `CPython case ${i} (node)`);
    }
  });

  it("zlibDecompress gives the same bytes on both sides of its size switch", () => {
    const rand = prng(3);
    for (let t = 0; t < 500; t++) {
      const input = sampleInput(rand, Math.floor(rand() ** 2 * 5000), t % 5);
      const z = zlibCompress(input);
      const out = zlibDecompress(z);
      assert.ok(Buffer.isBuffer(out), "a Buffer");
      assert.ok(out.equals(input), `case ${t} (${z.length} bytes in)`);
    }
  });
});
