/**
 * MD5 (RFC 1321), SHA-1 and the SHA-2 family (FIPS 180-4) in plain TypeScript, synchronous, for
 * the Web runtimes, where the only native hash (`crypto.subtle.digest`) is asynchronous and the
 * codecs' signing API is not.
 *
 * Sized for what is hashed here: keys, cookie payloads and session values of a few hundred
 * bytes. The compression functions use only additions, rotations and boolean operations on
 * 32-bit integers, no table indexed by the data, so their time depends on the length of the
 * input alone. HMAC keys keep the state after their padded key block ({@link HashState}), so a
 * MAC costs the message blocks plus one outer block, as a native HMAC context does.
 *
 * Checked bit for bit against `node:crypto` on random inputs (test/runtime/sha.test.ts).
 * @module
 */

/** The hash algorithms the runtime seam offers. */
export type HashAlgorithm = "md5" | "sha1" | "sha224" | "sha256" | "sha384" | "sha512";

/** One algorithm: its sizes, initial state and compression function. */
interface Algorithm {
  /** Block size in bytes (64 or 128). */
  readonly block: number;
  /** Digest size in bytes. */
  readonly digest: number;
  /** Bytes of the message-length field of the padding (8 or 16). */
  readonly lengthBytes: number;
  /** Whether words and the length are little-endian (MD5) rather than big-endian. */
  readonly littleEndian: boolean;
  /** The initial state, as 32-bit words (SHA-384/512: high, low pairs). */
  readonly initial: Int32Array;
  /** Folds `blocks` whole blocks of `data` from `offset` into `state`. */
  compress(state: Int32Array, data: Uint8Array, offset: number, blocks: number): void;
}

const W32 = new Int32Array(80);

/** Adds the working variables into the state, word by word (mod 2^32). */
function fold(state: Int32Array, ...words: number[]): void {
  for (let i = 0; i < words.length; i++) state[i] = (state[i]! + words[i]!) | 0;
}
const W64 = new Int32Array(160);

// ---------------------------------------------------------------------------------------------
// MD5 (RFC 1321 §3.4)
// ---------------------------------------------------------------------------------------------

const MD5_S = [
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14,
  20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6,
  10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
];
const MD5_K = Int32Array.from({ length: 64 }, (_, i) =>
  Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32),
);

function md5Compress(state: Int32Array, data: Uint8Array, offset: number, blocks: number): void {
  const w = W32;
  for (let b = 0; b < blocks; b++, offset += 64) {
    for (let i = 0; i < 16; i++) {
      const j = offset + i * 4;
      w[i] = data[j]! | (data[j + 1]! << 8) | (data[j + 2]! << 16) | (data[j + 3]! << 24);
    }
    let a = state[0]!;
    let bb = state[1]!;
    let c = state[2]!;
    let d = state[3]!;
    for (let i = 0; i < 64; i++) {
      let f: number;
      let g: number;
      if (i < 16) {
        f = (bb & c) | (~bb & d);
        g = i;
      } else if (i < 32) {
        f = (d & bb) | (~d & c);
        g = (5 * i + 1) & 15;
      } else if (i < 48) {
        f = bb ^ c ^ d;
        g = (3 * i + 5) & 15;
      } else {
        f = c ^ (bb | ~d);
        g = (7 * i) & 15;
      }
      const t = d;
      d = c;
      c = bb;
      const x = (a + f + MD5_K[i]! + w[g]!) | 0;
      const s = MD5_S[i]!;
      bb = (bb + ((x << s) | (x >>> (32 - s)))) | 0;
      a = t;
    }
    fold(state, a, bb, c, d);
  }
}

// ---------------------------------------------------------------------------------------------
// SHA-1 (FIPS 180-4 §6.1)
// ---------------------------------------------------------------------------------------------

function readBigEndian(w: Int32Array, data: Uint8Array, offset: number, words: number): void {
  for (let i = 0; i < words; i++) {
    const j = offset + i * 4;
    w[i] = (data[j]! << 24) | (data[j + 1]! << 16) | (data[j + 2]! << 8) | data[j + 3]!;
  }
}

function sha1Compress(state: Int32Array, data: Uint8Array, offset: number, blocks: number): void {
  const w = W32;
  for (let b = 0; b < blocks; b++, offset += 64) {
    readBigEndian(w, data, offset, 16);
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
      w[i] = (x << 1) | (x >>> 31);
    }
    let a = state[0]!;
    let bb = state[1]!;
    let c = state[2]!;
    let d = state[3]!;
    let e = state[4]!;
    for (let i = 0; i < 80; i++) {
      let f: number;
      let k: number;
      if (i < 20) {
        f = (bb & c) | (~bb & d);
        k = 0x5a827999;
      } else if (i < 40) {
        f = bb ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (i < 60) {
        f = (bb & c) | (bb & d) | (c & d);
        k = 0x8f1bbcdc | 0;
      } else {
        f = bb ^ c ^ d;
        k = 0xca62c1d6 | 0;
      }
      const t = (((a << 5) | (a >>> 27)) + f + e + k + w[i]!) | 0;
      e = d;
      d = c;
      c = (bb << 30) | (bb >>> 2);
      bb = a;
      a = t;
    }
    fold(state, a, bb, c, d, e);
  }
}

// ---------------------------------------------------------------------------------------------
// SHA-224 / SHA-256 (FIPS 180-4 §6.2, §6.3)
// ---------------------------------------------------------------------------------------------

const K256 = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

function sha256Compress(state: Int32Array, data: Uint8Array, offset: number, blocks: number): void {
  const w = W32;
  for (let b = 0; b < blocks; b++, offset += 64) {
    readBigEndian(w, data, offset, 16);
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15]!;
      const y = w[i - 2]!;
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
    }
    let a = state[0]!;
    let bb = state[1]!;
    let c = state[2]!;
    let d = state[3]!;
    let e = state[4]!;
    let f = state[5]!;
    let g = state[6]!;
    let h = state[7]!;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (h + S1 + ch + K256[i]! + w[i]!) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & bb) ^ (a & c) ^ (bb & c);
      const t2 = (S0 + maj) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = bb;
      bb = a;
      a = (t1 + t2) | 0;
    }
    fold(state, a, bb, c, d, e, f, g, h);
  }
}

// ---------------------------------------------------------------------------------------------
// SHA-384 / SHA-512 (FIPS 180-4 §6.4, §6.5), 64-bit words as (high, low) 32-bit pairs
// ---------------------------------------------------------------------------------------------

const K512 = Int32Array.from([
  0x428a2f98, 0xd728ae22, 0x71374491, 0x23ef65cd, 0xb5c0fbcf, 0xec4d3b2f, 0xe9b5dba5, 0x8189dbbc,
  0x3956c25b, 0xf348b538, 0x59f111f1, 0xb605d019, 0x923f82a4, 0xaf194f9b, 0xab1c5ed5, 0xda6d8118,
  0xd807aa98, 0xa3030242, 0x12835b01, 0x45706fbe, 0x243185be, 0x4ee4b28c, 0x550c7dc3, 0xd5ffb4e2,
  0x72be5d74, 0xf27b896f, 0x80deb1fe, 0x3b1696b1, 0x9bdc06a7, 0x25c71235, 0xc19bf174, 0xcf692694,
  0xe49b69c1, 0x9ef14ad2, 0xefbe4786, 0x384f25e3, 0x0fc19dc6, 0x8b8cd5b5, 0x240ca1cc, 0x77ac9c65,
  0x2de92c6f, 0x592b0275, 0x4a7484aa, 0x6ea6e483, 0x5cb0a9dc, 0xbd41fbd4, 0x76f988da, 0x831153b5,
  0x983e5152, 0xee66dfab, 0xa831c66d, 0x2db43210, 0xb00327c8, 0x98fb213f, 0xbf597fc7, 0xbeef0ee4,
  0xc6e00bf3, 0x3da88fc2, 0xd5a79147, 0x930aa725, 0x06ca6351, 0xe003826f, 0x14292967, 0x0a0e6e70,
  0x27b70a85, 0x46d22ffc, 0x2e1b2138, 0x5c26c926, 0x4d2c6dfc, 0x5ac42aed, 0x53380d13, 0x9d95b3df,
  0x650a7354, 0x8baf63de, 0x766a0abb, 0x3c77b2a8, 0x81c2c92e, 0x47edaee6, 0x92722c85, 0x1482353b,
  0xa2bfe8a1, 0x4cf10364, 0xa81a664b, 0xbc423001, 0xc24b8b70, 0xd0f89791, 0xc76c51a3, 0x0654be30,
  0xd192e819, 0xd6ef5218, 0xd6990624, 0x5565a910, 0xf40e3585, 0x5771202a, 0x106aa070, 0x32bbd1b8,
  0x19a4c116, 0xb8d2d0c8, 0x1e376c08, 0x5141ab53, 0x2748774c, 0xdf8eeb99, 0x34b0bcb5, 0xe19b48a8,
  0x391c0cb3, 0xc5c95a63, 0x4ed8aa4a, 0xe3418acb, 0x5b9cca4f, 0x7763e373, 0x682e6ff3, 0xd6b2b8a3,
  0x748f82ee, 0x5defb2fc, 0x78a5636f, 0x43172f60, 0x84c87814, 0xa1f0ab72, 0x8cc70208, 0x1a6439ec,
  0x90befffa, 0x23631e28, 0xa4506ceb, 0xde82bde9, 0xbef9a3f7, 0xb2c67915, 0xc67178f2, 0xe372532b,
  0xca273ece, 0xea26619c, 0xd186b8c7, 0x21c0c207, 0xeada7dd6, 0xcde0eb1e, 0xf57d4f7f, 0xee6ed178,
  0x06f067aa, 0x72176fba, 0x0a637dc5, 0xa2c898a6, 0x113f9804, 0xbef90dae, 0x1b710b35, 0x131c471b,
  0x28db77f5, 0x23047d84, 0x32caab7b, 0x40c72493, 0x3c9ebe0a, 0x15c9bebc, 0x431d67c4, 0x9c100d4c,
  0x4cc5d4be, 0xcb3e42b6, 0x597f299c, 0xfc657e2a, 0x5fcb6fab, 0x3ad6faec, 0x6c44198c, 0x4a475817,
]);

/** The (high, low) pair of a 64-bit sum of two pairs; the high word comes back, the low in LO. */
let LO = 0;
function add64(ah: number, al: number, bh: number, bl: number): number {
  const l = (al >>> 0) + (bl >>> 0);
  LO = l | 0;
  return (ah + bh + ((l / 0x100000000) | 0)) | 0;
}

function sha512Compress(state: Int32Array, data: Uint8Array, offset: number, blocks: number): void {
  const w = W64;
  for (let b = 0; b < blocks; b++, offset += 128) {
    readBigEndian(w, data, offset, 32);
    for (let i = 32; i < 160; i += 2) {
      // σ0(x) = ROTR1 ^ ROTR8 ^ SHR7 of w[t-15]; σ1(x) = ROTR19 ^ ROTR61 ^ SHR6 of w[t-2].
      let xh = w[i - 30]!;
      let xl = w[i - 29]!;
      const s0h = ((xh >>> 1) | (xl << 31)) ^ ((xh >>> 8) | (xl << 24)) ^ (xh >>> 7);
      const s0l = ((xl >>> 1) | (xh << 31)) ^ ((xl >>> 8) | (xh << 24)) ^ ((xl >>> 7) | (xh << 25));
      xh = w[i - 4]!;
      xl = w[i - 3]!;
      const s1h = ((xh >>> 19) | (xl << 13)) ^ ((xl >>> 29) | (xh << 3)) ^ (xh >>> 6);
      const s1l =
        ((xl >>> 19) | (xh << 13)) ^ ((xh >>> 29) | (xl << 3)) ^ ((xl >>> 6) | (xh << 26));
      let h = add64(w[i - 32]!, w[i - 31]!, s0h, s0l);
      h = add64(h, LO, w[i - 14]!, w[i - 13]!);
      h = add64(h, LO, s1h, s1l);
      w[i] = h;
      w[i + 1] = LO;
    }
    let ah = state[0]!;
    let al = state[1]!;
    let bh = state[2]!;
    let bl = state[3]!;
    let ch = state[4]!;
    let cl = state[5]!;
    let dh = state[6]!;
    let dl = state[7]!;
    let eh = state[8]!;
    let el = state[9]!;
    let fh = state[10]!;
    let fl = state[11]!;
    let gh = state[12]!;
    let gl = state[13]!;
    let hh = state[14]!;
    let hl = state[15]!;
    for (let i = 0; i < 160; i += 2) {
      // Σ1(e) = ROTR14 ^ ROTR18 ^ ROTR41; Σ0(a) = ROTR28 ^ ROTR34 ^ ROTR39.
      const S1h =
        ((eh >>> 14) | (el << 18)) ^ ((eh >>> 18) | (el << 14)) ^ ((el >>> 9) | (eh << 23));
      const S1l =
        ((el >>> 14) | (eh << 18)) ^ ((el >>> 18) | (eh << 14)) ^ ((eh >>> 9) | (el << 23));
      const chh = (eh & fh) ^ (~eh & gh);
      const chl = (el & fl) ^ (~el & gl);
      let t1h = add64(hh, hl, S1h, S1l);
      t1h = add64(t1h, LO, chh, chl);
      t1h = add64(t1h, LO, K512[i]!, K512[i + 1]!);
      t1h = add64(t1h, LO, w[i]!, w[i + 1]!);
      const t1l = LO;
      const S0h = ((ah >>> 28) | (al << 4)) ^ ((al >>> 2) | (ah << 30)) ^ ((al >>> 7) | (ah << 25));
      const S0l = ((al >>> 28) | (ah << 4)) ^ ((ah >>> 2) | (al << 30)) ^ ((ah >>> 7) | (al << 25));
      const majh = (ah & bh) ^ (ah & ch) ^ (bh & ch);
      const majl = (al & bl) ^ (al & cl) ^ (bl & cl);
      const t2h = add64(S0h, S0l, majh, majl);
      const t2l = LO;
      hh = gh;
      hl = gl;
      gh = fh;
      gl = fl;
      fh = eh;
      fl = el;
      eh = add64(dh, dl, t1h, t1l);
      el = LO;
      dh = ch;
      dl = cl;
      ch = bh;
      cl = bl;
      bh = ah;
      bl = al;
      ah = add64(t1h, t1l, t2h, t2l);
      al = LO;
    }
    const v = [ah, al, bh, bl, ch, cl, dh, dl, eh, el, fh, fl, gh, gl, hh, hl];
    for (let i = 0; i < 16; i += 2) {
      state[i] = add64(state[i]!, state[i + 1]!, v[i]!, v[i + 1]!);
      state[i + 1] = LO;
    }
  }
}

const ALGORITHMS: Readonly<Record<HashAlgorithm, Algorithm>> = {
  md5: {
    block: 64,
    digest: 16,
    lengthBytes: 8,
    littleEndian: true,
    initial: Int32Array.from([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476]),
    compress: md5Compress,
  },
  sha1: {
    block: 64,
    digest: 20,
    lengthBytes: 8,
    littleEndian: false,
    initial: Int32Array.from([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]),
    compress: sha1Compress,
  },
  sha224: {
    block: 64,
    digest: 28,
    lengthBytes: 8,
    littleEndian: false,
    initial: Int32Array.from([
      0xc1059ed8, 0x367cd507, 0x3070dd17, 0xf70e5939, 0xffc00b31, 0x68581511, 0x64f98fa7,
      0xbefa4fa4,
    ]),
    compress: sha256Compress,
  },
  sha256: {
    block: 64,
    digest: 32,
    lengthBytes: 8,
    littleEndian: false,
    initial: Int32Array.from([
      0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
      0x5be0cd19,
    ]),
    compress: sha256Compress,
  },
  sha384: {
    block: 128,
    digest: 48,
    lengthBytes: 16,
    littleEndian: false,
    initial: Int32Array.from([
      0xcbbb9d5d, 0xc1059ed8, 0x629a292a, 0x367cd507, 0x9159015a, 0x3070dd17, 0x152fecd8,
      0xf70e5939, 0x67332667, 0xffc00b31, 0x8eb44a87, 0x68581511, 0xdb0c2e0d, 0x64f98fa7,
      0x47b5481d, 0xbefa4fa4,
    ]),
    compress: sha512Compress,
  },
  sha512: {
    block: 128,
    digest: 64,
    lengthBytes: 16,
    littleEndian: false,
    initial: Int32Array.from([
      0x6a09e667, 0xf3bcc908, 0xbb67ae85, 0x84caa73b, 0x3c6ef372, 0xfe94f82b, 0xa54ff53a,
      0x5f1d36f1, 0x510e527f, 0xade682d1, 0x9b05688c, 0x2b3e6c1f, 0x1f83d9ab, 0xfb41bd6b,
      0x5be0cd19, 0x137e2179,
    ]),
    compress: sha512Compress,
  },
};

/** Every algorithm of this module. */
export const HASH_ALGORITHMS = Object.freeze(Object.keys(ALGORITHMS) as HashAlgorithm[]);

/** Whether `name` is an algorithm of this module. */
export function isHashAlgorithm(name: string): name is HashAlgorithm {
  return Object.hasOwn(ALGORITHMS, name);
}

/** The block size B of `algorithm` in bytes (RFC 2104 §2). */
export function blockBytes(algorithm: HashAlgorithm): number {
  return ALGORITHMS[algorithm].block;
}

/**
 * A hash state after some whole blocks: the starting point of many hashes that share a prefix
 * (an HMAC key's padded block).
 */
export interface HashState {
  readonly algorithm: HashAlgorithm;
  readonly words: Int32Array;
  /** Bytes already folded in (a multiple of the block size). */
  readonly length: number;
}

/** The state after `prefix`, whose length must be a multiple of the block size. */
export function hashPrefix(algorithm: HashAlgorithm, prefix: Uint8Array): HashState {
  const alg = ALGORITHMS[algorithm];
  const words = alg.initial.slice();
  alg.compress(words, prefix, 0, prefix.length / alg.block);
  return { algorithm, words, length: prefix.length };
}

/** The digest of the bytes of `from` (or nothing) followed by `data`. */
export function digestFrom(from: HashState | HashAlgorithm, data: Uint8Array): Uint8Array {
  const alg = ALGORITHMS[typeof from === "string" ? from : from.algorithm];
  const state = typeof from === "string" ? alg.initial.slice() : from.words.slice();
  const prefixLength = typeof from === "string" ? 0 : from.length;
  const whole = Math.floor(data.length / alg.block);
  alg.compress(state, data, 0, whole);
  // The tail, 0x80, zeros and the bit length fill one or two final blocks.
  const rest = data.length - whole * alg.block;
  const tailBlocks = rest + 1 + alg.lengthBytes > alg.block ? 2 : 1;
  const tail = new Uint8Array(tailBlocks * alg.block);
  tail.set(data.subarray(whole * alg.block));
  tail[rest] = 0x80;
  const bits = (prefixLength + data.length) * 8;
  const high = Math.floor(bits / 0x100000000);
  const low = bits >>> 0;
  const end = tail.length;
  if (alg.littleEndian) {
    const at = end - 8;
    for (let i = 0; i < 4; i++) tail[at + i] = (low >>> (8 * i)) & 0xff;
    for (let i = 0; i < 4; i++) tail[at + 4 + i] = (high >>> (8 * i)) & 0xff;
  } else {
    for (let i = 0; i < 4; i++) tail[end - 1 - i] = (low >>> (8 * i)) & 0xff;
    for (let i = 0; i < 4; i++) tail[end - 5 - i] = (high >>> (8 * i)) & 0xff;
  }
  alg.compress(state, tail, 0, tailBlocks);
  const out = new Uint8Array(alg.digest);
  for (let i = 0; i < alg.digest; i++) {
    const word = state[i >> 2]!;
    out[i] = alg.littleEndian
      ? (word >>> (8 * (i & 3))) & 0xff
      : (word >>> (24 - 8 * (i & 3))) & 0xff;
  }
  return out;
}

/** `H(data)`. */
export function digest(algorithm: HashAlgorithm, data: Uint8Array): Uint8Array {
  return digestFrom(algorithm, data);
}

/**
 * HMAC (RFC 2104) with the two padded key blocks folded in once: each {@link HmacState.mac} hashes
 * the message and one outer block.
 */
export class HmacState {
  readonly #inner: HashState;
  readonly #outer: HashState;

  constructor(algorithm: HashAlgorithm, key: Uint8Array) {
    const block = ALGORITHMS[algorithm].block;
    const k = key.length > block ? digest(algorithm, key) : key;
    const ipad = new Uint8Array(block).fill(0x36);
    const opad = new Uint8Array(block).fill(0x5c);
    for (let i = 0; i < k.length; i++) {
      ipad[i]! ^= k[i]!;
      opad[i]! ^= k[i]!;
    }
    this.#inner = hashPrefix(algorithm, ipad);
    this.#outer = hashPrefix(algorithm, opad);
  }

  /** `HMAC(K, data)`. */
  mac(data: Uint8Array): Uint8Array {
    return digestFrom(this.#outer, digestFrom(this.#inner, data));
  }
}
