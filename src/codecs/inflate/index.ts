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
import { Buffer } from "#runtime";
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
//   bits 0..4   code length in bits (0: not in the root table → canonical slow path). As the
//               low five bits, the entry itself is the shift count that consumes the code
//               (JavaScript shifts use the low five bits of the count).
//   bits 5..8   number of extra bits that follow the code
//   bits 9..24  literal byte, base length or base distance (VALUE_SHIFT)
//   bits 27..28 kind (below; KIND_SHIFT): literal entries are the ones below 1 << KIND_SHIFT
const KIND_LITERAL = 0;
const KIND_BASE = 1; // a length (lit/len alphabet) or a distance (distance alphabet)
const KIND_END = 2; // end of block, code 256
const KIND_INVALID = 3; // codes 286, 287 and distance codes 30, 31 (RFC 1951 §3.2.6)
const KIND_SHIFT = 27;
const VALUE_SHIFT = 9;
const VALUE_MASK = 0xffff;
/** The smallest entry that is not a literal. */
const NOT_LITERAL = KIND_BASE << KIND_SHIFT;

function info(kind: number, extra: number, value: number): number {
  return (kind << KIND_SHIFT) | (value << VALUE_SHIFT) | (extra << 5);
}

/** Per-symbol entry (without the code length) of the literal/length alphabet 0..287. */
const LITLEN_INFO = new Int32Array(288);
/** Per-symbol entry (without the code length) of the distance alphabet 0..31. */
const DIST_INFO = new Int32Array(32);
/**
 * Per-symbol entry of the code length alphabet 0..18 (RFC 1951 §3.2.7), as a run of `base` +
 * extra bits code lengths of one `length`; the value is `length | base << 4`: a length 0–15
 * once; 16 (kind KIND_BASE): the previous length, 3–6 times; 17: zero 3–10 times; 18: zero
 * 11–138 times.
 */
const CLC_INFO = new Int32Array(19);
for (let s = 0; s < 256; s++) LITLEN_INFO[s] = info(KIND_LITERAL, 0, s);
LITLEN_INFO[256] = info(KIND_END, 0, 0);
for (let s = 257; s < 286; s++) {
  LITLEN_INFO[s] = info(KIND_BASE, LENGTH_EXTRA[s - 257] ?? 0, LENGTH_BASE[s - 257] ?? 0);
}
LITLEN_INFO[286] = LITLEN_INFO[287] = info(KIND_INVALID, 0, 0);
for (let s = 0; s < 30; s++) DIST_INFO[s] = info(KIND_BASE, DIST_EXTRA[s] ?? 0, DIST_BASE[s] ?? 0);
DIST_INFO[30] = DIST_INFO[31] = info(KIND_INVALID, 0, 0);
for (let s = 0; s < 16; s++) CLC_INFO[s] = info(KIND_LITERAL, 0, (1 << 4) | s);
CLC_INFO[16] = info(KIND_BASE, 2, 3 << 4);
CLC_INFO[17] = info(KIND_LITERAL, 3, 3 << 4);
CLC_INFO[18] = info(KIND_LITERAL, 7, 11 << 4);

// Typed-array methods used on hot paths, called as `method.call(array, …)`: V8's optimized
// code (Node 20) loads them from a typed array through a generic inline-cache call each time
// (a few percent of a small decode, measured). Typed as plain properties with a `this`.
type Method<T, A extends unknown[], R> = (this: T, ...args: A) => R;
const { copyWithin } = Int32Array.prototype as {
  copyWithin: Method<Int32Array, [target: number, start: number, end: number], Int32Array>;
};
const { subarray, set: setBytes } = Uint8Array.prototype as {
  subarray: Method<Uint8Array, [begin: number, end: number], Uint8Array>;
  set: Method<Uint8Array, [source: Uint8Array], void>;
};

const MAX_BITS = 15;
/**
 * Root-table bits of the literal/length code; longer codes take the canonical slow path. At
 * most 24 - 15: the decoder looks a code up with the bits left after the previous one.
 */
const LITLEN_ROOT = 9;
/** Root-table bits of the distance code. */
const DIST_ROOT = 8;
/** Root-table bits of the code length code (its codes are at most 7 bits: always direct). */
const CLC_ROOT = 7;

/**
 * A Huffman decoding table: a direct lookup table indexed by the next `root` input bits
 * (LSB-first, as DEFLATE packs Huffman codes bit-reversed, RFC 1951 §3.1.1), and the symbols of
 * each code length in increasing value order (together, the canonical code order of RFC 1951
 * §3.2.2), which also serve codes longer than `root` bits.
 *
 * The symbols are filled in by whoever reads the code lengths ({@link addSymbol}), so that
 * building never sorts or scans zero lengths. They are kept as their packed entries (without
 * the code length), which is all that decoding needs of them.
 */
interface HuffmanTable {
  readonly lookup: Int32Array;
  /** `count[len]`: number of codes of each length 1..15 (`count[0]`: symbols without one). */
  readonly count: Uint16Array;
  /** `symbols[(len << shift) + k]`: the entry of the `k`-th smallest symbol of `len` bits. */
  readonly symbols: Int32Array;
  /** log2 of the room for each length in `symbols` (at least the alphabet size). */
  readonly shift: number;
  /** Per-symbol packed entry (without the code length). */
  readonly info: Int32Array;
  root: number;
  mask: number;
}

function newTable(rootBits: number, shift: number, symbolInfo: Int32Array): HuffmanTable {
  return {
    lookup: new Int32Array(1 << rootBits),
    count: new Uint16Array(MAX_BITS + 1),
    symbols: new Int32Array((MAX_BITS + 1) << shift),
    shift,
    info: symbolInfo,
    root: 0,
    mask: 0,
  };
}

const FIXED_LITLEN = newTable(9, 9, LITLEN_INFO);
const FIXED_DIST = newTable(5, 5, DIST_INFO);
const DYN_LITLEN = newTable(LITLEN_ROOT, 9, LITLEN_INFO);
const DYN_DIST = newTable(DIST_ROOT, 5, DIST_INFO);
const DYN_CLC = newTable(CLC_ROOT, 5, CLC_INFO);

/** Empties `table`'s symbol lists before its code lengths are read. */
function clearSymbols(table: HuffmanTable): void {
  const count = table.count;
  for (let len = 0; len <= MAX_BITS; len++) count[len] = 0;
}

/**
 * Records a code of `len` bits for `symbol`. Symbols must be added in increasing order (RFC 1951
 * §3.2.2: codes of one length are assigned in increasing symbol order). `len` 0 (no code) is
 * accepted and ignored by building, so that callers need not test for it.
 */
function addSymbol(table: HuffmanTable, symbol: number, len: number): void {
  table.symbols[(len << table.shift) + table.count[len]!++] = table.info[symbol]!;
}

/** Code length code lengths (RFC 1951 §3.2.7), indexed by symbol 0..18. */
const CLC_LENGTHS = new Uint8Array(19);
/** Scratch for table building: the first code of each length (RFC 1951 §3.2.2 step 2). */
const NEXT_CODE = new Uint16Array(MAX_BITS + 1);
/** Largest root-table size in bits (the dynamic literal/length root). */
const REV_BITS = LITLEN_ROOT;
/** `REVERSE[x]`: `x` as a {@link REV_BITS}-bit number with its bits in reverse order. */
const REVERSE = new Uint16Array(1 << REV_BITS);
for (let x = 1; x < 1 << REV_BITS; x++) {
  REVERSE[x] = (REVERSE[x >> 1]! >> 1) | ((x & 1) << (REV_BITS - 1));
}

/**
 * Builds `table`'s lookup from its symbol lists (RFC 1951 §3.2.2).
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
function buildTable(table: HuffmanTable, maxRoot: number, isCodeLengthCode: boolean): boolean {
  const { count, symbols, shift, lookup } = table;
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
  // RFC 1951 §3.2.2 steps 1/2 with the Kraft check: `left` = unused code space at each length,
  // `code` = the first code of each length.
  let left = 1;
  let code = 0;
  for (let len = 1; len <= max; len++) {
    const c = count[len]!;
    left = (left << 1) - c;
    if (left < 0) return false; // over-subscribed
    NEXT_CODE[len] = code;
    code = (code + c) << 1;
  }
  // (Past `max`, `left` only doubles: the set is complete exactly when it is 0 here.)
  if (left > 0 && (isCodeLengthCode || max !== 1)) return false; // incomplete

  // Direct lookup of the next `root` input bits for codes up to `root` bits. A Huffman code is
  // packed MSB first into the LSB-first bit stream (RFC 1951 §3.1.1), so a code of `len` bits
  // belongs at index `reverse(code)` of a table of 2^len entries, and at every index with the
  // same low `len` bits in a bigger one. The table is built length by length: the codes of
  // each length are written into the first 2^len entries, which are then doubled (copied
  // above themselves), replicating them over the longer indices.
  const root = max < maxRoot ? max : maxRoot;
  let min = 1;
  while (count[min] === 0) min++;
  if (min > root) min = root; // (cannot happen for an accepted code; kept for safety)
  let size = 1 << min;
  // Entries no code reaches (an incomplete code, or codes longer than `root`) stay 0, the slow
  // path (or invalid); for a complete code every entry is overwritten.
  if (left > 0 || max > root) lookup.fill(0, 0, size);
  for (let len = min; len <= root; len++) {
    if (len > min) {
      // (A loop for small tables, where the call costs more than the copy.)
      if (size < 16) for (let i = 0; i < size; i++) lookup[size + i] = lookup[i]!;
      else copyWithin.call(lookup, size, 0, size);
      size <<= 1;
    }
    // RFC 1951 §3.2.2 step 3: consecutive codes for the symbols of one length, in value order;
    // `code` is kept left-aligned to REV_BITS bits, so that REVERSE gives it reversed as `len`
    // bits.
    const first = len << shift;
    const end = first + count[len]!;
    const inc = 1 << (REV_BITS - len);
    let aligned = NEXT_CODE[len]! << (REV_BITS - len);
    for (let k = first; k < end; k++, aligned = (aligned + inc) | 0) {
      lookup[REVERSE[aligned]!] = symbols[k]! | len;
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
  const { count, symbols, shift } = table;
  let code = 0; // the code read so far
  let first = 0; // the first code of length `len`
  for (let len = 1; len <= MAX_BITS; len++) {
    code |= (bits >> (len - 1)) & 1;
    const c = count[len]!;
    if (code - first < c) return symbols[(len << shift) + code - first]! | len;
    first = (first + c) << 1;
    code <<= 1;
  }
  return -1;
}

// RFC 1951 §3.2.6: the fixed Huffman code. Lit/len 0-143: 8 bits, 144-255: 9, 256-279: 7,
// 280-287: 8; distance codes 0-31: 5 bits. Built once.
{
  clearSymbols(FIXED_LITLEN);
  for (let sym = 0; sym < 288; sym++) {
    addSymbol(FIXED_LITLEN, sym, sym < 144 ? 8 : sym < 256 ? 9 : sym < 280 ? 7 : 8);
  }
  buildTable(FIXED_LITLEN, 9, false);
  clearSymbols(FIXED_DIST);
  for (let sym = 0; sym < 32; sym++) addSymbol(FIXED_DIST, sym, 5);
  buildTable(FIXED_DIST, 5, false);
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

/**
 * Adler-32 (RFC 1950 §2.2, §9) of `buf[0..len)`, as a signed 32-bit integer. `view` is a
 * DataView of `buf` (which starts at offset 0 of its buffer).
 */
function adler32(buf: Uint8Array, view: DataView, len: number): number {
  let a = 1;
  let b = 0;
  let i = 0;
  const whole = len & ~7;
  while (i < whole) {
    // Per 4-byte word x0..x3: b += 4a + 4x0 + 3x1 + 2x2 + x3, then a += x0 + x1 + x2 + x3 (= s).
    // Over a block of `words` words this sums to b += 4·(words·a + Σ_k Σ_{j<k} s_j) + 4Σx0 +
    // 3Σx1 + 2Σx2 + Σx3 and a += Σs: two running sums, and the byte sums of each position,
    // two to an int32 (16-bit lanes, which cannot overflow in a block of 1024 bytes). All
    // stays far below 2^31 before the modulo. Two words per iteration.
    const end = i + 1024 < whole ? i + 1024 : whole;
    const words = (end - i) >> 2;
    let even = 0; // Σx0 | Σx2 << 16
    let odd = 0; // Σx1 | Σx3 << 16
    let sum = 0; // Σs
    let prefix = 0; // Σ_k Σ_{j<k} s_j
    for (; i < end; i = (i + 8) | 0) {
      const v = view.getInt32(i, true);
      const w = view.getInt32(i + 4, true);
      const ev = v & 0x00ff00ff;
      const ov = (v >>> 8) & 0x00ff00ff;
      const ew = w & 0x00ff00ff;
      const ow = (w >>> 8) & 0x00ff00ff;
      even = (even + ev + ew) | 0;
      odd = (odd + ov + ow) | 0;
      const pv = (ev + ov) | 0;
      const pw = (ew + ow) | 0;
      const sv = (pv & 0xffff) + (pv >>> 16);
      const sw = (pw & 0xffff) + (pw >>> 16);
      prefix = (prefix + 2 * sum + sv) | 0;
      sum = (sum + sv + sw) | 0;
    }
    b += 4 * (words * a + prefix);
    b += 4 * (even & 0xffff) + 3 * (odd & 0xffff) + 2 * (even >>> 16) + (odd >>> 16);
    a = (a + sum) % 65521;
    b %= 65521;
  }
  for (; i < len; i++) {
    a += buf[i]!;
    b += a;
  }
  return ((b % 65521) << 16) | (a % 65521); // as a signed 32-bit integer
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
  let k = 0;
  for (; k < ncode; k++) {
    if (bc < 3) {
      if (pos < n) bb |= data[pos]! << bc;
      else if (pos >= n + 4) throw truncated();
      pos++;
      bc += 8;
    }
    CLC_LENGTHS[CLC_ORDER[k]!] = bb & 7;
    bb >>= 3;
    bc -= 3;
  }
  for (; k < 19; k++) CLC_LENGTHS[CLC_ORDER[k]!] = 0;
  clearSymbols(DYN_CLC);
  for (let sym = 0; sym < 19; sym++) addSymbol(DYN_CLC, sym, CLC_LENGTHS[sym]!);
  if (!buildTable(DYN_CLC, CLC_ROOT, true)) throw malformed("invalid code lengths set");
  // HLIT + HDIST code lengths, one sequence (repeats may cross from the literal/length into
  // the distance lengths). Each position goes straight into the symbol list of its alphabet
  // and length (what addSymbol does, inlined); zero lengths into the unused list 0, which
  // keeps the common case (one length) free of data-dependent branches.
  const total = nlen + ndist;
  const clc = DYN_CLC.lookup;
  const clcMask = DYN_CLC.mask;
  const litCount = DYN_LITLEN.count;
  const litSymbols = DYN_LITLEN.symbols;
  const litShift = DYN_LITLEN.shift;
  const distCount = DYN_DIST.count;
  const distSymbols = DYN_DIST.symbols;
  const distShift = DYN_DIST.shift;
  for (let len = 0; len <= MAX_BITS; len++) litCount[len] = distCount[len] = 0;
  let endLength = 0; // the code length of the end-of-block code, 256
  let i = 0;
  let prev = -1; // the length being repeated: the previous one, for code 16
  while (i < total) {
    while (bc < 16) {
      if (pos < n) bb |= data[pos]! << bc;
      else if (pos >= n + 4) throw truncated();
      pos++;
      bc += 8;
    }
    // The code length code is complete, so every lookup entry is a real code.
    const e = clc[bb & clcMask]!;
    const len = e & 31;
    bb >>= len;
    bc -= len;
    const extra = (e >> 5) & 15;
    const end = i + ((e >> (VALUE_SHIFT + 4)) & 0xfff) + (bb & ((1 << extra) - 1));
    bb >>= extra;
    bc -= extra;
    if (e >> KIND_SHIFT === KIND_BASE) {
      // 16: copy the previous code length 3–6 times (2 extra bits); needs a previous one.
      if (prev < 0) throw malformed("invalid bit length repeat");
    } else {
      // 0–15: that code length once; 17: 3–10 zero lengths (3 extra bits); 18: 11–138 zero
      // lengths (7 extra bits).
      prev = (e >> VALUE_SHIFT) & 15;
    }
    if (end > total) throw malformed("invalid bit length repeat");
    // A run of zero lengths only records its first position (in the unused list).
    do {
      if (i < nlen) {
        litSymbols[(prev << litShift) + litCount[prev]!++] = LITLEN_INFO[i]!;
        if (i === 256) endLength = prev;
      } else {
        distSymbols[(prev << distShift) + distCount[prev]!++] = DIST_INFO[i - nlen]!;
      }
      i++;
    } while (i < end && prev !== 0);
    i = end;
  }
  s.pos = pos;
  s.bb = bb;
  s.bc = bc;
  // zlib: the end-of-block code must have a length (a block must be able to end).
  if (endLength === 0) throw malformed("invalid code -- missing end-of-block");
  if (!buildTable(DYN_LITLEN, LITLEN_ROOT, false)) throw malformed("invalid literal/lengths set");
  if (!buildTable(DYN_DIST, DIST_ROOT, false)) throw malformed("invalid distances set");
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
  // (Integer arithmetic below is written `(x + y) | 0`, which lets the JIT drop overflow
  // checks.) Refills bring `bb` to ≥ 24 bits: a code (≤ 15 bits) and its length extra bits
  // (≤ 5). Loads happen with bc ≤ 23, so a load 4 bytes past the end means consumed bits past
  // the end: truncated.
  while (bc < 24) {
    if (pos < n) bb |= data[pos]! << bc;
    else if (pos >= n + 4) throw truncated();
    pos = (pos + 1) | 0;
    bc = (bc + 8) | 0;
  }
  for (;;) {
    // The code is looked up before the refill: it needs LITLEN_ROOT bits, and a code takes at
    // most 15 of the ≥ 24 bits of the last refill. So the lookup does not wait for the loads.
    let e = litLookup[bb & litMask]!;
    while (bc < 24) {
      if (pos < n) bb |= data[pos]! << bc;
      else if (pos >= n + 4) throw truncated();
      pos = (pos + 1) | 0;
      bc = (bc + 8) | 0;
    }
    if ((e & 31) === 0) {
      e = decodeSlow(lit, bb);
      if (e < 0) throw malformed("invalid literal/length code");
    }
    bb >>= e; // consumes the code (see the entry layout)
    bc = (bc - (e & 31)) | 0;
    if (e < NOT_LITERAL) {
      if (op >= cap) {
        s.op = op;
        growOutput(s, op, op + 1, pos, bc);
        out = s.out;
        cap = s.cap;
        view = s.view;
      }
      out[op] = e >> VALUE_SHIFT;
      op = (op + 1) | 0;
      continue;
    }
    const kind = e >> KIND_SHIFT;
    if (kind === KIND_END) break; // 256: end of block
    if (kind === KIND_INVALID) throw malformed("invalid literal/length code");
    // A length code (257–285): base length plus extra bits.
    let extra = (e >> 5) & 15;
    const length = (((e >> VALUE_SHIFT) & VALUE_MASK) + (bb & ((1 << extra) - 1))) | 0;
    bb >>= extra;
    bc = (bc - extra) | 0;
    // A distance code (≤ 15 bits) and up to 13 extra bits.
    while (bc < 24) {
      if (pos < n) bb |= data[pos]! << bc;
      else if (pos >= n + 4) throw truncated();
      pos = (pos + 1) | 0;
      bc = (bc + 8) | 0;
    }
    e = distLookup[bb & distMask]!;
    if ((e & 31) === 0) {
      e = decodeSlow(dist, bb);
      if (e < 0) throw malformed("invalid distance code");
    }
    bb >>= e;
    bc = (bc - (e & 31)) | 0;
    if (e >> KIND_SHIFT === KIND_INVALID) throw malformed("invalid distance code");
    extra = (e >> 5) & 15;
    if (bc < extra) {
      while (bc < 24) {
        if (pos < n) bb |= data[pos]! << bc;
        else if (pos >= n + 4) throw truncated();
        pos = (pos + 1) | 0;
        bc = (bc + 8) | 0;
      }
    }
    const distance = (((e >> VALUE_SHIFT) & VALUE_MASK) + (bb & ((1 << extra) - 1))) | 0;
    bb >>= extra;
    bc = (bc - extra) | 0;
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
    let from = (op - distance) | 0;
    const end = (op + length) | 0;
    if (distance >= 4) {
      while (op + 4 <= end) {
        view.setInt32(op, view.getInt32(from, true), true);
        op = (op + 4) | 0;
        from = (from + 4) | 0;
      }
    }
    while (op < end) {
      out[op] = out[from]!;
      op = (op + 1) | 0;
      from = (from + 1) | 0;
    }
    // Refill for the next lookup (see the top of the loop).
    while (bc < 24) {
      if (pos < n) bb |= data[pos]! << bc;
      else if (pos >= n + 4) throw truncated();
      pos = (pos + 1) | 0;
      bc = (bc + 8) | 0;
    }
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
    if (adler32(out, s.view, op) !== expected) throw malformed("incorrect data check");
    // Anything after the trailer is ignored, as zlib (Python, Node) does.
    const result = Buffer.allocUnsafe(op);
    setBytes.call(result, subarray.call(out, 0, op));
    return result;
  } finally {
    // Drop references to the caller's input and any oversized output buffer.
    s.data = SCRATCH;
    s.out = SCRATCH;
    s.view = SCRATCH_VIEW;
  }
}
