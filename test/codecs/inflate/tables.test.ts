// Table building and the decoder's bit bookkeeping at their edges: codes longer than the root
// tables (up to 15 bits, back to back), code length repeats across the literal/length and
// distance alphabets, and Adler-32 around its block sizes. Every stream is checked against
// node:zlib.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deflateSync, inflateSync } from "node:zlib";
import { inflateZlib } from "../../../src/codecs/inflate/index.ts";
import { BitWriter, canonicalCodes, prng, writeDynamicHeader, zlibWrap } from "./support.ts";

const MiB = 1024 * 1024;

function assertDecodes(z: Buffer, expected: Uint8Array, label: string): void {
  assert.ok(inflateSync(z).equals(expected), `${label}: node:zlib disagrees with the test`);
  assert.ok(Buffer.from(inflateZlib(z, MiB)).equals(expected), `${label}: output differs`);
}

/** Code lengths 1, 2, …, 14, 15, 15: a complete code whose longest codes take 15 bits. */
const SKEWED = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 15];

describe("inflateZlib tables and bit bookkeeping", () => {
  it("literal/length codes of 10–15 bits, back to back and between short ones", () => {
    // Literals 0..13 get lengths 1..14, literal 14 and end-of-block get 15 bits.
    const lit = new Array<number>(257).fill(0);
    for (let s = 0; s < 15; s++) lit[s] = SKEWED[s]!;
    lit[256] = 15;
    const rand = prng(5);
    const symbols = Array.from({ length: 400 }, () => {
      const r = rand();
      return r < 0.4 ? 14 : r < 0.6 ? 13 : Math.floor(rand() * 15);
    });
    for (const withDistances of [false, true]) {
      const w = new BitWriter();
      const codes = writeDynamicHeader(w, lit, withDistances ? [1, 1] : [0]);
      for (const s of symbols) w.code(codes.lit[s]!, lit[s]!);
      w.code(codes.lit[256]!, 15);
      const expected = Buffer.from(symbols);
      assertDecodes(
        zlibWrap(w.finish(), expected),
        expected,
        `long literal codes ${withDistances}`,
      );
    }
  });

  it("distance codes of 10–15 bits, with their extra bits, after length codes", () => {
    // Literals: 9 bits each; end-of-block and length codes 257 (3) and 265 (11–12, 1 extra
    // bit): lengths 2, 3, 3. Distance codes 0..15: lengths 1..14, 15, 15.
    const lit = new Array<number>(266).fill(0);
    for (let s = 0; s < 256; s++) lit[s] = 9;
    lit[256] = 2;
    lit[257] = 3;
    lit[265] = 3;
    const dist = SKEWED;
    const distCodes = canonicalCodes(dist);
    const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193];
    const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6];
    const rand = prng(9);
    const w = new BitWriter();
    const codes = writeDynamicHeader(w, lit, dist);
    const out: number[] = [];
    for (let i = 0; i < 300; i++) {
      const b = Math.floor(rand() * 256);
      w.code(codes.lit[b]!, 9);
      out.push(b);
    }
    for (let m = 0; m < 200; m++) {
      const d = m < 60 ? 15 - (m % 3) : Math.floor(rand() * 16);
      const extra = Math.floor(rand() * (1 << DIST_EXTRA[d]!));
      const distance = DIST_BASE[d]! + extra;
      const long = rand() < 0.5;
      const length = long ? 11 + (m & 1) : 3;
      if (long) w.code(codes.lit[265]!, 3).bits(m & 1, 1);
      else w.code(codes.lit[257]!, 3);
      w.code(distCodes[d]!, dist[d]!).bits(extra, DIST_EXTRA[d]!);
      for (let k = 0; k < length; k++) out.push(out[out.length - distance]!);
    }
    w.code(codes.lit[256]!, 2);
    const expected = Buffer.from(out);
    assertDecodes(zlibWrap(w.finish(), expected), expected, "long distance codes");
  });

  it("code length repeats: zero runs, and a repeat (16) across end-of-block into the distances", () => {
    // Code length code: 0..15 five bits each, 16 two bits, 17 and 18 three bits (complete).
    const clcLengths = new Array<number>(19).fill(5);
    clcLengths[16] = 2;
    clcLengths[17] = 3;
    clcLengths[18] = 3;
    const clcCodes = canonicalCodes(clcLengths);
    const order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
    const put = (w: BitWriter, sym: number): BitWriter => w.code(clcCodes[sym]!, clcLengths[sym]!);
    // HLIT 257 (0..256), HDIST 4: literals 254 (1 bit), 255 (2 bits), end-of-block 256 and
    // distance codes 0, 1 from one repeat of the 2, then distance codes 2, 3 (2 bits each).
    const w = new BitWriter()
      .bits(1, 1)
      .bits(2, 2)
      .bits(0, 5)
      .bits(3, 5)
      .bits(19 - 4, 4);
    for (const sym of order) w.bits(clcLengths[sym]!, 3);
    put(w, 18).bits(138 - 11, 7); // positions 0..137: zero
    put(w, 17).bits(10 - 3, 3); // 138..147
    put(w, 18).bits(106 - 11, 7); // 148..253
    put(w, 1); // 254
    put(w, 2); // 255
    put(w, 16).bits(0, 2); // 256 (end-of-block), 257, 258 (distance codes 0, 1): 2
    put(w, 2); // distance code 2
    put(w, 2); // distance code 3
    const lit = new Array<number>(257).fill(0);
    lit[254] = 1;
    lit[255] = 2;
    lit[256] = 2;
    const codes = canonicalCodes(lit);
    const data = [254, 255, 255, 254, 254, 255];
    for (const s of data) w.code(codes[s]!, lit[s]!);
    w.code(codes[256]!, 2);
    const expected = Buffer.from(data);
    assertDecodes(zlibWrap(w.finish(), expected), expected, "repeat across alphabets");
  });

  it("Adler-32 of outputs around its 4-byte words and 1024-byte blocks", () => {
    const rand = prng(17);
    const sizes = [0, 1, 2, 3, 4, 5, 7, 8, 1019, 1020, 1021, 1023, 1024, 1025, 1028, 2047, 2048];
    for (const size of [...sizes, 2049, 4095, 4096, 4099, 5000, 65535, 65536, 65537]) {
      for (const fill of ["random", "ff"] as const) {
        const input = Buffer.alloc(size, 0xff);
        if (fill === "random") for (let i = 0; i < size; i++) input[i] = Math.floor(rand() * 256);
        for (const level of [0, 6]) {
          assertDecodes(deflateSync(input, { level }), input, `${size} ${fill} l${level}`);
        }
      }
    }
  });
});
