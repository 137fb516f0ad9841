/**
 * The runtime seam on Node (and wherever the `node` export condition wins): `node:buffer`,
 * `node:crypto` and `node:zlib`, as the codecs used them before the seam existed, so Node keeps
 * their speed. `web.ts` offers the same names on Web standards only; package.json `imports`
 * (`#runtime`) picks one by export condition. Nothing above `src/runtime/` imports a `node:`
 * module for what is here.
 * @module
 */
import { Buffer, isAscii } from "node:buffer";
import * as crypto from "node:crypto";
import { deflateSync, inflateSync } from "node:zlib";
import { MalformedError, TooLargeError } from "../errors.ts";
import type { HashAlgorithm } from "./sha.ts";

export { Buffer, isAscii };
export type { HashAlgorithm };

/** Which implementation of the seam this is. */
export const RUNTIME: "node" | "web" = "node";

/** `H(data)`; a string is hashed as its UTF-8 bytes. */
export function hash(algorithm: HashAlgorithm, data: Uint8Array | string): Buffer {
  return crypto.createHash(algorithm).update(data).digest();
}

/** `HMAC(key, data)`; a string is signed as its UTF-8 bytes. */
export function hmac(algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array | string): Buffer {
  return crypto.createHmac(algorithm, key).update(data).digest();
}

/** Equality of two byte strings in time independent of their contents (`false` when the lengths differ). */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

/** `n` bytes from the platform's CSPRNG. */
export function randomBytes(n: number): Buffer {
  return crypto.randomBytes(n);
}

/** A random (version 4) UUID in its 36-character form. */
export function randomUUID(): string {
  return crypto.randomUUID();
}

/** A uniformly random integer in `[0, max)`, from the CSPRNG. */
export function randomInt(max: number): number {
  return crypto.randomInt(max);
}

/** `zlib.compress(data)` with Python's default level 6. */
export function deflate(data: Uint8Array): Buffer {
  return deflateSync(data, { level: 6 });
}

/**
 * The asynchronous compressor of the Web seam; on Node the synchronous {@link deflate} (native
 * zlib, level 6, Python's bytes) already compresses, so there is none.
 */
export const deflateAsync: ((data: Uint8Array) => Promise<Buffer>) | undefined = undefined;

/**
 * The native zlib decoder, for inputs too large for the small pure decoder to win
 * (codecs/zlib.ts); `undefined` on the Web runtimes, where the pure decoder does everything.
 * @throws {TooLargeError} when the output would exceed `maxBytes`.
 * @throws {MalformedError} when the input is not a zlib stream.
 */
export const inflate: ((data: Uint8Array, maxBytes: number) => Buffer) | undefined = (
  data,
  maxBytes,
) => {
  try {
    return inflateSync(data, { maxOutputLength: maxBytes });
  } catch (err) {
    if (err instanceof RangeError || (err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
      throw new TooLargeError(`Decompressed data exceeds ${maxBytes} bytes`);
    }
    throw new MalformedError("Invalid zlib data", { cause: err });
  }
};

/** Block sizes B in bytes: 64 for MD5/SHA-1/SHA-224/SHA-256, 128 for SHA-384/SHA-512. */
const BLOCK_BYTES: Readonly<Record<HashAlgorithm, number>> = {
  md5: 64,
  sha1: 64,
  sha224: 64,
  sha256: 64,
  sha384: 128,
  sha512: 128,
};

/** Digest sizes L in bytes. */
const DIGEST_BYTES: Readonly<Record<HashAlgorithm, number>> = {
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
 * An HMAC key, ready to sign many texts (see codecs/hmac.ts for why it is not `createHmac`).
 *
 * Here the padded keys are built once, and each MAC is two one-shot `crypto.hash` calls over
 * preallocated buffers; the digest crosses into JS as a short string, which costs less than a
 * Buffer. `crypto.hash` exists from Node 20.12 / 21.7; on older Node 20 releases this falls
 * back to `createHmac`.
 */
export class HmacKey {
  readonly algorithm: HashAlgorithm;
  readonly #key: Buffer;
  readonly #block: number;
  /** `K' ⊕ ipad` followed by room for the text. */
  readonly #inner: Buffer | undefined;
  /** `K' ⊕ opad` followed by room for the inner digest. */
  readonly #outer: Buffer | undefined;

  constructor(algorithm: HashAlgorithm, key: Uint8Array) {
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
