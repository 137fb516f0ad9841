/**
 * A small, allocation-free (except for the result) zlib decoder: RFC 1950 (the zlib wrapper)
 * around RFC 1951 (DEFLATE), tuned for the 100 B – 2 KiB streams of session values and cookies.
 *
 * Node's `zlib.inflateSync` spends most of its ~6–15 µs per call on stream setup (a native
 * handle and a 32 KiB window); the decoding itself is cheap. This decoder keeps every table in
 * module-level typed arrays built once (the fixed code) or rebuilt in place (dynamic codes), and
 * decodes into a reusable scratch buffer, copying the result out once.
 *
 * Behaviour matches zlib's `inflate()` as CPython's `zlib.decompress(data)` and Node's
 * `zlib.inflateSync(data)` use it (default `wbits` 15): the same streams are accepted, with the
 * same bytes out; every stream zlib refuses is refused here with {@link MalformedError}; data
 * after the Adler-32 trailer is ignored, as both of them do. Output beyond `maxOutput` is
 * refused with {@link TooLargeError} as soon as it would be produced (a zlib bomb is never
 * expanded).
 *
 * Not reentrant across threads by construction (each worker has its own module instance) and
 * never re-entered within one: decoding runs synchronously to completion.
 *
 * @example
 * ```ts
 * import { deflateSync } from "node:zlib";
 * import { inflateZlib } from "./codecs/inflate/index.ts";
 * const bytes = inflateZlib(deflateSync('{"user":"alice"}'), 1024 * 1024);
 * new TextDecoder().decode(bytes); // '{"user":"alice"}'
 * ```
 * @module
 */
import { Buffer } from "node:buffer";
import { MalformedError, TooLargeError } from "../../errors.ts";

// ---------------------------------------------------------------------------------------------
// Static tables (RFC 1951 §3.2.5)
// ---------------------------------------------------------------------------------------------

/** RFC 1951 §3.2.5: base lengths of length codes 257..285. */
const LENGTH_BASE = [
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
  163, 195, 227, 258,
] as const;
/** RFC 1951 §3.2.5: extra bits of length codes 257..285. */
const LENGTH_EXTRA = [
  0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
] as const;
/** RFC 1951 §3.2.5: base distances of distance codes 0..29. */
const DIST_BASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049,
  3073, 4097, 6145, 8193, 12289, 16385, 24577,
] as const;
/** RFC 1951 §3.2.5: extra bits of distance codes 0..29. */
const DIST_EXTRA = [
  0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
] as const;
/** RFC 1951 §3.2.7: the order in which code length code lengths are transmitted. */
const CLC_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15] as const;

// A decode-table entry packs everything the hot loop needs into one int32:
//   bits 0..3   code length in bits (0: not in the root table → canonical slow path)
//   bits 4..7   number of extra bits that follow the code
//   bits 8..9   kind (below)
//   bits 10..   literal byte, base length or base distance
const KIND_LITERAL = 0;
const KIND_BASE = 1; // a length (lit/len alphabet) or a distance (distance alphabet)
const KIND_END = 2; // end of block, code 256
const KIND_INVALID = 3; // codes 286, 287 and distance codes 30, 31 (RFC 1951 §3.2.6)

function info(kind: number, extra: number, value: number): number {
  return (value << 10) | (kind << 8) | (extra << 4);
}

/** Per-symbol entry (without the code length) of the literal/length alphabet 0..287. */
const LITLEN_INFO = new Int32Array(288);
/** Per-symbol entry (without the code length) of the distance alphabet 0..31. */
const DIST_INFO = new Int32Array(32);
/** Per-symbol entry of the code length alphabet 0..18 (RFC 1951 §3.2.7): the symbol itself. */
const CLC_INFO = new Int32Array(19);
for (let s = 0; s < 256; s++) LITLEN_INFO[s] = info(KIND_LITERAL, 0, s);
LITLEN_INFO[256] = info(KIND_END, 0, 0);
for (let s = 257; s < 286; s++) {
  LITLEN_INFO[s] = info(KIND_BASE, LENGTH_EXTRA[s - 257] ?? 0, LENGTH_BASE[s - 257] ?? 0);
}
LITLEN_INFO[286] = LITLEN_INFO[287] = info(KIND_INVALID, 0, 0);
for (let s = 0; s < 30; s++) DIST_INFO[s] = info(KIND_BASE, DIST_EXTRA[s] ?? 0, DIST_BASE[s] ?? 0);
DIST_INFO[30] = DIST_INFO[31] = info(KIND_INVALID, 0, 0);
for (let s = 0; s < 19; s++) CLC_INFO[s] = info(KIND_LITERAL, 0, s);

const MAX_BITS = 15;
/** Root-table bits of the literal/length code; longer codes take the canonical slow path. */
const LITLEN_ROOT = 10;
/** Root-table bits of the distance code. */
const DIST_ROOT = 8;
/** Root-table bits of the code length code (its codes are at most 7 bits: always direct). */
const CLC_ROOT = 7;

/**
 * A Huffman decoding table: a direct lookup table indexed by the next `root` input bits
 * (LSB-first, as DEFLATE packs Huffman codes bit-reversed, RFC 1951 §3.1.1), and the canonical
 * `count`/`symbols` arrays of RFC 1951 §3.2.2 for codes longer than `root` bits.
 */
interface HuffmanTable {
  readonly lookup: Int32Array;
  /** `count[len]`: number of codes of each length 0..15. */
  readonly count: Uint16Array;
  /** Symbols ordered by (code length, symbol value): canonical code order. */
  readonly symbols: Uint16Array;
  /** Per-symbol packed info. */
  readonly info: Int32Array;
  root: number;
  mask: number;
}

function newTable(rootBits: number, alphabet: number, symbolInfo: Int32Array): HuffmanTable {
  return {
    lookup: new Int32Array(1 << rootBits),
    count: new Uint16Array(MAX_BITS + 1),
    symbols: new Uint16Array(alphabet),
    info: symbolInfo,
    root: 0,
    mask: 0,
  };
}

const FIXED_LITLEN = newTable(9, 288, LITLEN_INFO);
const FIXED_DIST = newTable(5, 32, DIST_INFO);
const DYN_LITLEN = newTable(LITLEN_ROOT, 288, LITLEN_INFO);
const DYN_DIST = newTable(DIST_ROOT, 32, DIST_INFO);
const DYN_CLC = newTable(CLC_ROOT, 19, CLC_INFO);

/**
 * Code lengths of the current dynamic block, by position: HLIT literal/length lengths, then
 * HDIST distance lengths. Only positions listed in {@link NONZERO} are written and read.
 */
const LENGTHS = new Uint8Array(288 + 32);
/** Positions in {@link LENGTHS} with a non-zero length, in increasing order. */
const NONZERO = new Uint16Array(288 + 32);
/** Code length code lengths (RFC 1951 §3.2.7), indexed by symbol 0..18. */
const CLC_LENGTHS = new Uint8Array(19);
/** Symbols 0..18 with a non-zero code length code length, in increasing order. */
const CLC_NONZERO = new Uint16Array(19);
/** Scratch for table building: next slot in `symbols` for each length. */
const OFFSETS = new Uint16Array(MAX_BITS + 2);

/**
 * Builds `table` for one alphabet (RFC 1951 §3.2.2). The code lengths are
 * `lengths[nonzero[j]]` for `j` in `from..to`: exactly the symbols with a non-zero length, in
 * increasing position order; symbol values are `position - base`. (The decoder collects that
 * list while it reads the lengths, so building never scans the zero lengths.)
 *
 * Completeness rules follow zlib's `inflate_table`, which is what "valid" means in practice:
 * - an over-subscribed set of lengths (Kraft sum > 1) is always refused;
 * - an incomplete set is refused for the code length code, and for the literal/length and
 *   distance codes unless it is a single code of one bit (RFC 1951 §3.2.7: "one distance code
 *   of zero bits means … one distance code of one bit"); the unused code is invalid on use;
 * - no codes at all is accepted for the distance code (a block of literals only); using one is
 *   then an invalid distance code. For the code length code it is refused (zlib then reads only
 *   zero lengths and fails on the missing end-of-block code; the outcome is the same refusal).
 *
 * @returns false when the lengths do not describe an acceptable code.
 */
function buildTable(
  table: HuffmanTable,
  lengths: Uint8Array,
  nonzero: Uint16Array,
  from: number,
  to: number,
  base: number,
  maxRoot: number,
  isCodeLengthCode: boolean,
): boolean {
  const { count, symbols, lookup, info: symInfo } = table;
  for (let len = 0; len <= MAX_BITS; len++) count[len] = 0;
  for (let j = from; j < to; j++) count[lengths[nonzero[j]!]!]!++;
  let max = MAX_BITS;
  while (max > 0 && count[max] === 0) max--;
  if (max === 0) {
    if (isCodeLengthCode) return false;
    // No symbols: every lookup lands on the slow path, which finds no code (invalid).
    table.root = 1;
    table.mask = 1;
    lookup[0] = lookup[1] = 0;
    return true;
  }
  let min = 1;
  while (count[min] === 0) min++;
  // RFC 1951 §3.2.2 step 1 with the Kraft check: `left` = unused code space at each length.
  let left = 1;
  for (let len = 1; len <= MAX_BITS; len++) {
    left = (left << 1) - count[len]!;
    if (left < 0) return false; // over-subscribed
  }
  if (left > 0 && (isCodeLengthCode || max !== 1)) return false; // incomplete

  // RFC 1951 §3.2.2 steps 2/3: canonical order is symbols sorted by (length, value); a
  // counting sort of the (already value-ordered) non-zero list.
  OFFSETS[1] = 0;
  for (let len = 1; len < MAX_BITS; len++) OFFSETS[len + 1] = OFFSETS[len]! + count[len]!;
  for (let j = from; j < to; j++) {
    const at = nonzero[j]!;
    symbols[OFFSETS[lengths[at]!]!++] = at - base;
  }

  // Direct lookup of the next `root` bits for codes up to `root` bits. `rev` walks the
  // canonical codes bit-reversed (Huffman codes are packed MSB first into the LSB-first bit
  // stream, RFC 1951 §3.1.1), incremented in reversed order as zlib does. The table is
  // filled length by length: the codes of length `len` are written into its first 2^len
  // entries, which are then doubled, replicating each shorter code over the longer indices.
  const root = max < maxRoot ? max : maxRoot;
  if (min > root) min = root; // (cannot happen for a valid code; kept for safety)
  let size = 1 << min;
  for (let i = 0; i < size; i++) lookup[i] = 0; // entries no code reaches: slow path / invalid
  let k = 0; // index into symbols (canonical order)
  let rev = 0;
  for (let len = min; len <= root; len++) {
    if (len > min) {
      for (let i = 0; i < size; i++) lookup[size + i] = lookup[i]!;
      size <<= 1;
    }
    const end = k + count[len]!;
    for (; k < end; k++) {
      lookup[rev] = symInfo[symbols[k]!]! | len;
      // Reversed increment of `rev` as a `len`-bit number.
      let bit = 1 << (len - 1);
      while ((rev & bit) !== 0) bit >>= 1;
      rev = bit !== 0 ? (rev & (bit - 1)) + bit : 0;
    }
  }
  table.root = root;
  table.mask = size - 1;
  return true;
}

/**
 * Canonical decoding one bit at a time (RFC 1951 §3.2.2; the algorithm of zlib's `puff.c`),
 * for codes longer than the root table. `bits` holds at least 15 upcoming input bits, LSB first.
 * @returns the packed entry (info | length), or -1 when the bits match no code.
 */
function decodeSlow(table: HuffmanTable, bits: number): number {
  const { count, symbols, info: symInfo } = table;
  let code = 0;
  let first = 0;
  let index = 0;
  for (let len = 1; len <= MAX_BITS; len++) {
    code |= (bits >> (len - 1)) & 1;
    const c = count[len] ?? 0;
    if (code - c < first) return (symInfo[symbols[index + (code - first)] ?? 0] ?? 0) | len;
    index += c;
    first = (first + c) << 1;
    code <<= 1;
  }
  return -1;
}

// RFC 1951 §3.2.6: the fixed Huffman code. Lit/len 0-143: 8 bits, 144-255: 9, 256-279: 7,
// 280-287: 8; distance codes 0-31: 5 bits. Built once.
{
  const fixed = new Uint8Array(288);
  const all = new Uint16Array(288).map((_, i) => i);
  fixed.fill(8, 0, 144);
  fixed.fill(9, 144, 256);
  fixed.fill(7, 256, 280);
  fixed.fill(8, 280, 288);
  buildTable(FIXED_LITLEN, fixed, all, 0, 288, 0, 9, false);
  fixed.fill(5, 0, 32);
  buildTable(FIXED_DIST, fixed, all, 0, 32, 0, 5, false);
}

// ---------------------------------------------------------------------------------------------
// Decoder state
// ---------------------------------------------------------------------------------------------

/** Reused output scratch; outputs that outgrow it use a per-call buffer that is not retained. */
const SCRATCH_BYTES = 64 * 1024;
const SCRATCH = new Uint8Array(SCRATCH_BYTES);
const SCRATCH_VIEW = new DataView(SCRATCH.buffer);

/**
 * The state of the one decode in progress, shared by the block decoders (module-level, so a
 * call allocates nothing). The hot loops copy it into locals and store it back when done.
 * Bits are consumed LSB first (RFC 1951 §3.1.1): `bb` holds `bc` not yet consumed bits.
 */
const state = {
  data: SCRATCH as Uint8Array,
  n: 0,
  /** Next input byte to load into `bb`; may run up to 4 past `n` (those read as zero). */
  pos: 0,
  bb: 0,
  bc: 0,
  out: SCRATCH as Uint8Array,
  /** A DataView of `out` (which always starts at offset 0 of its own buffer). */
  view: SCRATCH_VIEW,
  op: 0,
  /** Writable bytes of `out`: min(out.length, limit). */
  cap: 0,
  limit: 0,
  maxOutput: 0,
};
type State = typeof state;

function malformed(reason: string): MalformedError {
  return new MalformedError(`Invalid zlib data: ${reason}`);
}

function truncated(): MalformedError {
  return malformed("incomplete or truncated stream");
}

/**
 * Makes room for `need` output bytes: a bigger buffer (doubling, at most `limit`) holding a copy
 * of the output so far, or a refusal when `need` exceeds `limit`. A stream that has consumed
 * bits past its end (read as zeros) is reported truncated instead: its output means nothing.
 */
function growOutput(s: State, op: number, need: number, pos: number, bc: number): void {
  if (need > s.limit) {
    if (pos * 8 - bc > s.n * 8) throw truncated();
    throw new TooLargeError(`Decompressed data exceeds ${s.maxOutput} bytes`);
  }
  let size = s.out.length * 2;
  while (size < need) size *= 2;
  if (size > s.limit) size = s.limit;
  const bigger = new Uint8Array(size);
  bigger.set(s.out.subarray(0, op));
  s.out = bigger;
  s.view = new DataView(bigger.buffer);
  s.cap = size;
}

/** Adler-32 (RFC 1950 §2.2, §9) of `buf[0..len)`, as a signed 32-bit integer. */
function adler32(buf: Uint8Array, len: number): number {
  let a = 1;
  let b = 0;
  let i = 0;
  while (i < len) {
    // Defer the modulo for up to 3800 bytes: the largest run that keeps `b` below 2^31
    // (255·n(n+1)/2 + (n+1)·65520 < 2^31), so the sums stay small integers for the JIT.
    const end = i + 3800 < len ? i + 3800 : len;
    for (; i + 4 <= end; i += 4) {
      const x0 = buf[i]!;
      const x1 = buf[i + 1]!;
      const x2 = buf[i + 2]!;
      const x3 = buf[i + 3]!;
      b += 4 * a + 4 * x0 + 3 * x1 + 2 * x2 + x3;
      a += x0 + x1 + x2 + x3;
    }
    for (; i < end; i++) {
      a += buf[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return (b << 16) | a; // as a signed 32-bit integer
}

/**
 * Reads a dynamic block's code descriptions (RFC 1951 §3.2.7) after BFINAL/BTYPE and builds
 * `DYN_LITLEN` and `DYN_DIST`.
 */
function readDynamicTables(s: State): void {
  const data = s.data;
  const n = s.n;
  let pos = s.pos;
  let bb = s.bb;
  let bc = s.bc;
  // Every bit read below happens with bc ≤ 15 before the load, so reading 4 bytes past the end
  // means bits past the end were consumed: truncated.
  while (bc < 16) {
    if (pos < n) bb |= data[pos]! << bc;
    else if (pos >= n + 4) throw truncated();
    pos++;
    bc += 8;
  }
  // HLIT (5 bits) + 257, HDIST (5) + 1, HCLEN (4) + 4.
  const nlen = (bb & 31) + 257;
  const ndist = ((bb >> 5) & 31) + 1;
  const ncode = ((bb >> 10) & 15) + 4;
  bb >>= 14;
  bc -= 14;
  // RFC 1951 §3.2.7 gives HLIT 257–286; distance codes 30, 31 never occur in data (§3.2.6),
  // and zlib refuses HDIST > 30 too.
  if (nlen > 286 || ndist > 30) throw malformed("too many length or distance symbols");
  // Code length code lengths, 3 bits each, in CLC_ORDER; the rest are zero.
  for (let i = 0; i < 19; i++) CLC_LENGTHS[i] = 0;
  for (let i = 0; i < ncode; i++) {
    if (bc < 3) {
      if (pos < n) bb |= data[pos]! << bc;
      else if (pos >= n + 4) throw truncated();
      pos++;
      bc += 8;
    }
    CLC_LENGTHS[CLC_ORDER[i]!] = bb & 7;
    bb >>= 3;
    bc -= 3;
  }
  let clcCount = 0;
  for (let sym = 0; sym < 19; sym++) if (CLC_LENGTHS[sym] !== 0) CLC_NONZERO[clcCount++] = sym;
  if (!buildTable(DYN_CLC, CLC_LENGTHS, CLC_NONZERO, 0, clcCount, 0, CLC_ROOT, true)) {
    throw malformed("invalid code lengths set");
  }
  // HLIT + HDIST code lengths, one sequence (repeats may cross from the literal/length into
  // the distance lengths). Only non-zero lengths are stored; their positions are listed in
  // NONZERO, split at HLIT into the two alphabets.
  const total = nlen + ndist;
  const clc = DYN_CLC.lookup;
  const clcMask = DYN_CLC.mask;
  let i = 0;
  let nz = 0;
  let litNz = -1; // NONZERO index of the first distance length
  let prev = -1; // previous length, for code 16
  while (i < total) {
    while (bc < 16) {
      if (pos < n) bb |= data[pos]! << bc;
      else if (pos >= n + 4) throw truncated();
      pos++;
      bc += 8;
    }
    if (litNz < 0 && i >= nlen) litNz = nz;
    const e = clc[bb & clcMask]!;
    // The code length code is complete, so every lookup entry is a real code.
    const len = e & 15;
    bb >>= len;
    bc -= len;
    const sym = e >> 10;
    if (sym < 16) {
      // 0–15: a code length.
      if (sym !== 0) {
        LENGTHS[i] = sym;
        NONZERO[nz++] = i;
      }
      prev = sym;
      i++;
      continue;
    }
    let repeat: number;
    if (sym === 16) {
      // 16: copy the previous code length 3–6 times (2 extra bits); needs a previous one.
      if (prev < 0) throw malformed("invalid bit length repeat");
      repeat = 3 + (bb & 3);
      bb >>= 2;
      bc -= 2;
      if (i + repeat > total) throw malformed("invalid bit length repeat");
      if (prev !== 0) {
        for (const end = i + repeat; i < end; i++) {
          if (litNz < 0 && i >= nlen) litNz = nz;
          LENGTHS[i] = prev;
          NONZERO[nz++] = i;
        }
      } else {
        i += repeat;
      }
      continue;
    }
    if (sym === 17) {
      // 17: 3–10 zero lengths (3 extra bits).
      repeat = 3 + (bb & 7);
      bb >>= 3;
      bc -= 3;
    } else {
      // 18: 11–138 zero lengths (7 extra bits).
      repeat = 11 + (bb & 127);
      bb >>= 7;
      bc -= 7;
    }
    if (i + repeat > total) throw malformed("invalid bit length repeat");
    prev = 0;
    i += repeat;
  }
  if (litNz < 0) litNz = nz;
  s.pos = pos;
  s.bb = bb;
  s.bc = bc;
  // zlib: the end-of-block code must have a length (a block must be able to end).
  let hasEnd = false;
  for (let j = litNz - 1; j >= 0; j--) {
    const at = NONZERO[j]!;
    if (at <= 256) {
      hasEnd = at === 256;
      break;
    }
  }
  if (!hasEnd) throw malformed("invalid code -- missing end-of-block");
  if (!buildTable(DYN_LITLEN, LENGTHS, NONZERO, 0, litNz, 0, LITLEN_ROOT, false)) {
    throw malformed("invalid literal/lengths set");
  }
  if (!buildTable(DYN_DIST, LENGTHS, NONZERO, litNz, nz, nlen, DIST_ROOT, false)) {
    throw malformed("invalid distances set");
  }
}

/** Decodes the symbols of one Huffman block (RFC 1951 §3.2.5) up to its end-of-block code. */
function inflateHuffmanBlock(s: State, lit: HuffmanTable, dist: HuffmanTable): void {
  const data = s.data;
  const n = s.n;
  let pos = s.pos;
  let bb = s.bb;
  let bc = s.bc;
  let out = s.out;
  let op = s.op;
  let cap = s.cap;
  let view = s.view;
  const litLookup = lit.lookup;
  const litMask = lit.mask;
  const distLookup = dist.lookup;
  const distMask = dist.mask;
  for (;;) {
    // Refill to ≥ 24 bits: a code (≤ 15 bits) and its length extra bits (≤ 5). Loads happen
    // with bc ≤ 23, so a load 4 bytes past the end means consumed bits past the end.
    while (bc < 24) {
      if (pos < n) bb |= data[pos]! << bc;
      else if (pos >= n + 4) throw truncated();
      pos++;
      bc += 8;
    }
    let e = litLookup[bb & litMask]!;
    if ((e & 15) === 0) {
      e = decodeSlow(lit, bb);
      if (e < 0) throw malformed("invalid literal/length code");
    }
    let len = e & 15;
    bb >>= len;
    bc -= len;
    const kind = (e >> 8) & 3;
    if (kind === KIND_LITERAL) {
      if (op >= cap) {
        s.op = op;
        growOutput(s, op, op + 1, pos, bc);
        out = s.out;
        cap = s.cap;
        view = s.view;
      }
      out[op++] = e >> 10;
      continue;
    }
    if (kind === KIND_END) break; // 256: end of block
    if (kind === KIND_INVALID) throw malformed("invalid literal/length code");
    // A length code (257–285): base length plus extra bits.
    let extra = (e >> 4) & 15;
    const length = (e >> 10) + (bb & ((1 << extra) - 1));
    bb >>= extra;
    bc -= extra;
    // A distance code (≤ 15 bits) and up to 13 extra bits.
    while (bc < 24) {
      if (pos < n) bb |= data[pos]! << bc;
      else if (pos >= n + 4) throw truncated();
      pos++;
      bc += 8;
    }
    e = distLookup[bb & distMask]!;
    if ((e & 15) === 0) {
      e = decodeSlow(dist, bb);
      if (e < 0) throw malformed("invalid distance code");
    }
    len = e & 15;
    bb >>= len;
    bc -= len;
    if (((e >> 8) & 3) === KIND_INVALID) throw malformed("invalid distance code");
    extra = (e >> 4) & 15;
    if (bc < extra) {
      while (bc < 24) {
        if (pos < n) bb |= data[pos]! << bc;
        else if (pos >= n + 4) throw truncated();
        pos++;
        bc += 8;
      }
    }
    const distance = (e >> 10) + (bb & ((1 << extra) - 1));
    bb >>= extra;
    bc -= extra;
    // RFC 1951 §3.2.5 / §2: a distance cannot refer past the beginning of the output.
    if (distance > op) throw malformed("invalid distance too far back");
    if (op + length > cap) {
      s.op = op;
      growOutput(s, op, op + length, pos, bc);
      out = s.out;
      cap = s.cap;
      view = s.view;
    }
    // The copy may overlap its source (distance < length): byte by byte repeats it, as
    // RFC 1951 §3.2.3 requires.
    // Four bytes at a time when the source is at least four bytes back (each 4-byte read is
    // then already written); the JIT turns DataView accesses into plain unaligned loads/stores.
    let from = op - distance;
    const end = op + length;
    if (distance >= 4) {
      while (op + 4 <= end) {
        view.setInt32(op, view.getInt32(from, true), true);
        op += 4;
        from += 4;
      }
    }
    while (op < end) out[op++] = out[from++]!;
  }
  s.pos = pos;
  s.bb = bb;
  s.bc = bc;
  s.op = op;
}

/** Copies a stored block (RFC 1951 §3.2.4); BFINAL/BTYPE have been consumed. */
function copyStoredBlock(s: State): void {
  const data = s.data;
  const n = s.n;
  // Skip to the byte boundary (the skipped bits' values are ignored, as zlib does), giving
  // back whole buffered bytes.
  let pos = s.pos - ((s.bc - (s.bc & 7)) >> 3);
  s.bb = 0;
  s.bc = 0;
  // LEN, NLEN (one's complement of LEN), little-endian, then LEN bytes.
  if (pos + 4 > n) throw truncated();
  const len = data[pos]! | (data[pos + 1]! << 8);
  const nlen = data[pos + 2]! | (data[pos + 3]! << 8);
  if ((len ^ 0xffff) !== nlen) throw malformed("invalid stored block lengths");
  pos += 4;
  if (pos + len > n) throw truncated();
  if (s.op + len > s.cap) growOutput(s, s.op, s.op + len, pos, 0);
  s.out.set(data.subarray(pos, pos + len), s.op);
  s.op += len;
  s.pos = pos + len;
}

/**
 * Decompresses a zlib stream (RFC 1950 wrapping RFC 1951 DEFLATE), like CPython's
 * `zlib.decompress(data)` / Node's `zlib.inflateSync(data)`, refusing output larger than
 * `maxOutput` bytes.
 *
 * Preset dictionaries (FDICT) are refused. Bytes after the Adler-32 trailer are ignored (as
 * zlib does). The result is a new `Buffer` (a `Uint8Array`) of exactly the output length.
 *
 * @param data the complete zlib stream.
 * @param maxOutput the largest acceptable output length in bytes.
 * @throws {TooLargeError} as soon as the output would exceed `maxOutput`.
 * @throws {MalformedError} for anything that is not a complete, valid zlib stream.
 *
 * @example
 * ```ts
 * import { deflateSync } from "node:zlib";
 * const out = inflateZlib(deflateSync(Buffer.from("hello hello hello")), 1 << 20);
 * Buffer.from(out).toString(); // "hello hello hello"
 * inflateZlib(deflateSync(Buffer.alloc(10 << 20)), 1 << 20); // throws TooLargeError
 * ```
 */
export function inflateZlib(data: Uint8Array, maxOutput: number): Uint8Array {
  const n = data.length;
  // RFC 1950 §2.2: CMF, FLG.
  if (n < 2) throw truncated();
  const cmf = data[0]!;
  const flg = data[1]!;
  // RFC 1950 §2.2 FCHECK: CMF*256 + FLG is a multiple of 31.
  if ((cmf * 256 + flg) % 31 !== 0) throw malformed("incorrect header check");
  // RFC 1950 §2.2 CM: 8 = deflate is the only method defined.
  if ((cmf & 0x0f) !== 8) throw malformed("unknown compression method");
  // RFC 1950 §2.2 CINFO: window size 2^(CINFO+8) ≤ 32 KiB; CINFO > 7 is not allowed. (zlib
  // then accepts any distance within the output, as does this decoder.)
  if (cmf >> 4 > 7) throw malformed("invalid window size");
  // RFC 1950 §2.2 FDICT: a preset dictionary we do not have (zlib: Z_NEED_DICT) → refuse.
  if ((flg & 0x20) !== 0) throw malformed("preset dictionary required");
  // FLEVEL (RFC 1950 §2.2) is informational and ignored.

  const s = state;
  const limit = maxOutput > 0 ? Math.floor(maxOutput) : 0;
  s.data = data;
  s.n = n;
  s.pos = 2;
  s.bb = 0;
  s.bc = 0;
  s.out = SCRATCH;
  s.view = SCRATCH_VIEW;
  s.op = 0;
  s.cap = limit < SCRATCH_BYTES ? limit : SCRATCH_BYTES;
  s.limit = limit;
  s.maxOutput = maxOutput;
  try {
    let final = 0;
    do {
      // RFC 1951 §3.2.3: block header, BFINAL (1 bit) and BTYPE (2 bits).
      let bb = s.bb;
      let bc = s.bc;
      let pos = s.pos;
      while (bc < 16) {
        if (pos < n) bb |= data[pos]! << bc;
        else if (pos >= n + 4) throw truncated();
        pos++;
        bc += 8;
      }
      // At a block boundary, the input consumed so far must exist.
      if (pos * 8 - bc > n * 8) throw truncated();
      final = bb & 1;
      const type = (bb >> 1) & 3;
      s.bb = bb >> 3;
      s.bc = bc - 3;
      s.pos = pos;
      if (type === 0) {
        copyStoredBlock(s); // RFC 1951 §3.2.4
      } else if (type === 1) {
        inflateHuffmanBlock(s, FIXED_LITLEN, FIXED_DIST); // RFC 1951 §3.2.6: fixed codes
      } else if (type === 2) {
        readDynamicTables(s); // RFC 1951 §3.2.7: dynamic codes
        inflateHuffmanBlock(s, DYN_LITLEN, DYN_DIST);
      } else {
        throw malformed("invalid block type"); // RFC 1951 §3.2.3: BTYPE 11 is reserved
      }
    } while (final === 0);

    // RFC 1950 §2.2: ADLER32 follows, byte-aligned, most significant byte first.
    const pos = s.pos - ((s.bc - (s.bc & 7)) >> 3);
    if (pos + 4 > n) throw truncated();
    // (Compared as signed 32-bit integers, like adler32's result.)
    const expected =
      (data[pos]! << 24) | (data[pos + 1]! << 16) | (data[pos + 2]! << 8) | data[pos + 3]!;
    const out = s.out;
    const op = s.op;
    if (adler32(out, op) !== expected) throw malformed("incorrect data check");
    // Anything after the trailer is ignored, as zlib (Python, Node) does.
    const result = Buffer.allocUnsafe(op);
    result.set(out.subarray(0, op));
    return result;
  } finally {
    // Drop references to the caller's input and any oversized output buffer.
    s.data = SCRATCH;
    s.out = SCRATCH;
    s.view = SCRATCH_VIEW;
  }
}
