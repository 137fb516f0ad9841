// Helpers for the inflate tests: a deterministic PRNG, input generators, a tiny DEFLATE bit
// writer for hand-made (valid and invalid) streams, and the reference outcome from node:zlib.
import { inflateSync } from "node:zlib";
import { MalformedError, TooLargeError } from "../../../src/errors.ts";
import { inflateZlib } from "../../../src/codecs/inflate/index.ts";

/** mulberry32: small deterministic PRNG so failures reproduce. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  "_auth_user_id",
  "_auth_user_backend",
  "django.contrib.auth.backends.ModelBackend",
  "_auth_user_hash",
  "cart",
  "sku",
  "qty",
  "price",
  "true",
  "false",
  "null",
  "csrf",
  "messages",
  "é",
  "日本",
];

/** Inputs of several shapes: random bytes, JSON-ish text, repetitive text, runs. */
export function sampleInput(rand: () => number, size: number, kind: number): Buffer {
  const b = Buffer.alloc(size);
  switch (kind % 5) {
    case 0: // random bytes
      for (let i = 0; i < size; i++) b[i] = Math.floor(rand() * 256);
      return b;
    case 1: {
      // JSON-ish text
      const parts: string[] = ["{"];
      let len = 1;
      while (len < size) {
        const w = WORDS[Math.floor(rand() * WORDS.length)]!;
        const piece = `"${w}":${rand() < 0.5 ? Math.floor(rand() * 1e6) : `"${w}${Math.floor(rand() * 100)}"`},`;
        parts.push(piece);
        len += Buffer.byteLength(piece);
      }
      return Buffer.from(parts.join("")).subarray(0, size);
    }
    case 2: {
      // highly repetitive text with a short period
      const period = 1 + Math.floor(rand() * 12);
      const unit = Array.from({ length: period }, () => 97 + Math.floor(rand() * 26));
      for (let i = 0; i < size; i++) b[i] = unit[i % period]!;
      return b;
    }
    case 3: {
      // runs of a few symbols
      let i = 0;
      while (i < size) {
        const v = Math.floor(rand() * 4);
        const run = 1 + Math.floor(rand() ** 2 * 300);
        for (let j = 0; j < run && i < size; j++) b[i++] = v;
      }
      return b;
    }
    default: {
      // skewed alphabet (long Huffman codes for rare symbols)
      for (let i = 0; i < size; i++) {
        const r = rand();
        b[i] = r < 0.9 ? 65 + Math.floor(r * 4) : Math.floor(rand() * 256);
      }
      return b;
    }
  }
}

/** The outcome of decoding: bytes, or the typed error's class name. */
export type Outcome = { ok: true; bytes: Buffer } | { ok: false; error: string };

/** node:zlib's outcome (the reference), with the same bound. */
export function nodeOutcome(data: Uint8Array, maxOutput = 64 << 20): Outcome {
  try {
    return { ok: true, bytes: inflateSync(data, { maxOutputLength: maxOutput }) };
  } catch (err) {
    if (err instanceof RangeError) return { ok: false, error: "TooLargeError" };
    return { ok: false, error: "MalformedError" };
  }
}

/** Our outcome; anything but our two typed errors is rethrown (a test failure). */
export function ourOutcome(data: Uint8Array, maxOutput = 64 << 20): Outcome {
  try {
    return { ok: true, bytes: Buffer.from(inflateZlib(data, maxOutput)) };
  } catch (err) {
    if (err instanceof MalformedError || err instanceof TooLargeError) {
      return { ok: false, error: err.constructor.name };
    }
    throw err;
  }
}

/** Adler-32 (RFC 1950), straightforward. */
export function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const x of data) {
    a = (a + x) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** Wraps raw DEFLATE bytes in a zlib header (78 9C) and an Adler-32 of `output`. */
export function zlibWrap(deflate: Uint8Array, output: Uint8Array): Buffer {
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32BE(adler32(output));
  return Buffer.concat([Buffer.from([0x78, 0x9c]), deflate, trailer]);
}

/** LSB-first bit writer (RFC 1951 §3.1.1). */
export class BitWriter {
  readonly #bytes: number[] = [];
  #acc = 0;
  #n = 0;

  /** Writes `n` bits of `value`, least significant first (header fields, extra bits). */
  bits(value: number, n: number): this {
    for (let i = 0; i < n; i++) {
      this.#acc |= ((value >>> i) & 1) << this.#n;
      if (++this.#n === 8) this.#flushByte();
    }
    return this;
  }

  /** Writes a Huffman code of `len` bits, most significant bit first. */
  code(code: number, len: number): this {
    for (let i = len - 1; i >= 0; i--) this.bits((code >>> i) & 1, 1);
    return this;
  }

  /** Pads to a byte boundary with zero bits. */
  align(): this {
    if (this.#n > 0) this.#flushByte();
    return this;
  }

  bytes(values: Iterable<number>): this {
    this.align();
    for (const v of values) this.#bytes.push(v);
    return this;
  }

  finish(): Buffer {
    this.align();
    return Buffer.from(this.#bytes);
  }

  #flushByte(): void {
    this.#bytes.push(this.#acc);
    this.#acc = 0;
    this.#n = 0;
  }
}

/** Canonical Huffman codes for `lengths` (RFC 1951 §3.2.2); 0 = unused. */
export function canonicalCodes(lengths: readonly number[]): number[] {
  const count = new Array<number>(16).fill(0);
  for (const l of lengths) if (l) count[l]!++;
  const next = new Array<number>(16).fill(0);
  let code = 0;
  for (let len = 1; len < 16; len++) {
    code = (code + count[len - 1]!) << 1;
    next[len] = code;
  }
  next[0] = 0;
  return lengths.map((l) => (l ? next[l]!++ : 0));
}

/**
 * Writes a dynamic-block header (RFC 1951 §3.2.7) for the given code lengths, with a code
 * length code of sixteen 4-bit codes for lengths 0–15 (no repeat codes unless `raw` overrides).
 * Returns the literal/length and distance codes for writing symbols.
 */
export function writeDynamicHeader(
  w: BitWriter,
  litLengths: readonly number[],
  distLengths: readonly number[],
  final = true,
): { lit: number[]; dist: number[] } {
  w.bits(final ? 1 : 0, 1).bits(2, 2);
  w.bits(litLengths.length - 257, 5)
    .bits(distLengths.length - 1, 5)
    .bits(19 - 4, 4);
  const order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
  for (const sym of order) w.bits(sym < 16 ? 4 : 0, 3);
  // Code length code: symbols 0..15 all 4 bits long → code = symbol value.
  for (const l of [...litLengths, ...distLengths]) w.code(l, 4);
  return { lit: canonicalCodes(litLengths), dist: canonicalCodes(distLengths) };
}
