/**
 * HMAC (RFC 2104) with a fixed key, for the signers that verify a cookie or session value on
 * every request.
 *
 * ```
 * HMAC(K, text) = H((K' ⊕ opad) ‖ H((K' ⊕ ipad) ‖ text))        RFC 2104 §2
 * K' = K zero-padded to the hash's block size B, or H(K) padded when K is longer than B
 * ipad = 0x36 × B, opad = 0x5c × B
 * ```
 *
 * Why not `createHmac(alg, key).update(text).digest()`: that builds a native HMAC context and
 * a JS object per call, and re-hashes the two padded key blocks every time; for the 100–400
 * byte values signed here that overhead is most of the cost (~2.2 µs against ~1.2 µs for this
 * module on the reference VM, see bench/django-codec.bench.ts). Here the padded keys are built
 * once, and each MAC is two one-shot `crypto.hash` calls over preallocated buffers; the digest
 * crosses into JS as a short string, which costs less than a Buffer. The output is bit-for-bit
 * HMAC (tests compare against `createHmac` on random keys and texts).
 *
 * `crypto.hash` exists from Node 20.12 / 21.7; on older Node 20 releases this falls back to
 * `createHmac`.
 */
import { Buffer } from "node:buffer";
import * as crypto from "node:crypto";

/** Hashes HMAC is computed with here (the block size is what matters, RFC 2104 §2). */
export type HmacAlgorithm = "md5" | "sha1" | "sha224" | "sha256" | "sha384" | "sha512";

/** Block sizes B in bytes: 64 for MD5/SHA-1/SHA-224/SHA-256, 128 for SHA-384/SHA-512. */
const BLOCK_BYTES: Readonly<Record<HmacAlgorithm, number>> = {
  md5: 64,
  sha1: 64,
  sha224: 64,
  sha256: 64,
  sha384: 128,
  sha512: 128,
};

/** Digest sizes L in bytes. */
const DIGEST_BYTES: Readonly<Record<HmacAlgorithm, number>> = {
  md5: 16,
  sha1: 20,
  sha224: 28,
  sha256: 32,
  sha384: 48,
  sha512: 64,
};

interface OneShotHash {
  (algorithm: string, data: Buffer, outputEncoding: "latin1" | "base64url"): string;
  (algorithm: string, data: Buffer, outputEncoding: "buffer"): Buffer;
  (
    algorithm: string,
    data: Buffer,
    outputEncoding: "latin1" | "base64url" | "buffer",
  ): string | Buffer;
}
const oneShot = (crypto as { hash?: OneShotHash }).hash;

/** Texts up to this many UTF-16 units use the preallocated buffer (3 bytes per unit, max). */
const INLINE_UNITS = 2048;

/**
 * An HMAC key, ready to sign many texts.
 *
 * @example
 * ```ts
 * const mac = new HmacKey("sha256", derivedKey);
 * mac.base64url("payload:timestamp"); // 43 characters, as createHmac(...).digest("base64url")
 * ```
 */
export class HmacKey {
  readonly algorithm: HmacAlgorithm;
  readonly #key: Buffer;
  readonly #block: number;
  /** `K' ⊕ ipad` followed by room for the text. */
  readonly #inner: Buffer | undefined;
  /** `K' ⊕ opad` followed by room for the inner digest. */
  readonly #outer: Buffer | undefined;

  constructor(algorithm: HmacAlgorithm, key: Uint8Array) {
    this.algorithm = algorithm;
    this.#key = Buffer.from(key);
    const block = BLOCK_BYTES[algorithm];
    this.#block = block;
    if (oneShot === undefined) return;
    // RFC 2104 §2: keys longer than B are hashed first; shorter ones are zero-padded.
    const k =
      this.#key.length > block
        ? crypto.createHash(algorithm).update(this.#key).digest()
        : this.#key;
    const inner = Buffer.alloc(block + INLINE_UNITS * 3, 0x36);
    const outer = Buffer.alloc(block + DIGEST_BYTES[algorithm], 0x5c);
    for (let i = 0; i < k.length; i++) {
      inner[i] = k[i]! ^ 0x36;
      outer[i] = k[i]! ^ 0x5c;
    }
    this.#inner = inner;
    this.#outer = outer;
  }

  /** The MAC of `text` (UTF-8 encoded, as Python's `.encode()` / Node's default) in base64url. */
  base64url(text: string): string {
    return this.#mac(text, "base64url");
  }

  /** The MAC of `text` as bytes. */
  digest(text: string): Buffer {
    return this.#mac(text, "buffer");
  }

  #mac(text: string, encoding: "base64url"): string;
  #mac(text: string, encoding: "buffer"): Buffer;
  #mac(text: string, encoding: "base64url" | "buffer"): string | Buffer {
    const inner = this.#inner;
    const outer = this.#outer;
    if (
      oneShot === undefined ||
      inner === undefined ||
      outer === undefined ||
      text.length > INLINE_UNITS
    ) {
      const mac = crypto.createHmac(this.algorithm, this.#key).update(text, "utf8");
      return encoding === "buffer" ? mac.digest() : mac.digest(encoding);
    }
    const block = this.#block;
    const end = block + inner.write(text, block, "utf8");
    // The inner digest as a latin1 string (one char per byte), written back as bytes.
    const innerDigest = oneShot(this.algorithm, inner.subarray(0, end), "latin1");
    outer.write(innerDigest, block, "latin1");
    return oneShot(this.algorithm, outer, encoding);
  }
}
