/**
 * The runtime seam on the Web-standard runtimes (workerd without `nodejs_compat`, Vercel's edge
 * runtime, Deno, Bun, browsers): the names of `node.ts`, built on `Uint8Array`, `TextEncoder`,
 * `crypto.getRandomValues` and `crypto.randomUUID` only. Nothing here imports a `node:` module
 * (the `import type` below is erased).
 *
 * Hashes and HMAC are synchronous here, `@noble/hashes` (sha.ts), not `crypto.subtle`: the
 * codecs' signing API is synchronous, and for session-sized values a `crypto.subtle.sign` call
 * costs more in promise and key-object overhead than the hashing itself (bench/web.bench.ts,
 * W2). Synchronous compression is a stored (uncompressed) zlib stream, which the codecs then
 * never pick (they compress only when it is shorter, as Django and itsdangerous do): the values
 * stay valid for Python, only larger than Python's for compressible payloads. Where a caller
 * can wait (Django's signed_cookies store), `deflateAsync` compresses with the runtime's
 * `CompressionStream("deflate")`. Decompression is the
 * pure decoder of codecs/inflate, so every zlib stream Python writes is read.
 * @module
 */
import type { Buffer as NodeBuffer } from "node:buffer";
import { ConfigurationError, InvalidArgumentError } from "../errors.ts";
import { digest, HmacState, isHashAlgorithm, type HashAlgorithm } from "./sha.ts";
import { isAscii, WebBuffer } from "./web-buffer.ts";

export { isAscii };
export type { HashAlgorithm };

/** `Buffer` of `node:buffer`, as far as the library uses it (web-buffer.ts). */
export const Buffer = WebBuffer as unknown as typeof NodeBuffer;
/** The instance type of {@link Buffer}. */
export type Buffer = NodeBuffer;

/** Which implementation of the seam this is. */
export const RUNTIME: "node" | "web" = "web";

const ENCODER = new TextEncoder();

function bytesOf(data: Uint8Array | string): Uint8Array {
  return typeof data === "string" ? ENCODER.encode(data) : data;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function algorithmOf(name: string): HashAlgorithm {
  if (!isHashAlgorithm(name)) throw new ConfigurationError(`Unsupported hash algorithm: ${name}`);
  return name;
}

/** `H(data)`; a string is hashed as its UTF-8 bytes. */
export function hash(algorithm: HashAlgorithm, data: Uint8Array | string): Buffer {
  return asBuffer(digest(algorithmOf(algorithm), bytesOf(data)));
}

/** `HMAC(key, data)`; a string is signed as its UTF-8 bytes. */
export function hmac(algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array | string): Buffer {
  return asBuffer(new HmacState(algorithmOf(algorithm), key).mac(bytesOf(data)));
}

/** Equality of two byte strings in time independent of their contents (`false` when the lengths differ). */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** `n` bytes from the platform's CSPRNG (`crypto.getRandomValues`, 64 KiB per call at most). */
export function randomBytes(n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i += 65536)
    crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

/** A random (version 4) UUID in its 36-character form. */
export function randomUUID(): string {
  return crypto.randomUUID();
}

/** A uniformly random integer in `[0, max)`, from the CSPRNG (rejection sampling, no modulo bias). */
export function randomInt(max: number): number {
  if (!Number.isSafeInteger(max) || max <= 0 || max > 2 ** 32) {
    throw new InvalidArgumentError(`randomInt: max must be an integer in (0, 2**32], got ${max}`);
  }
  const limit = 2 ** 32 - (2 ** 32 % max);
  const word = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(word);
    if (word[0]! < limit) return word[0]! % max;
  }
}

/**
 * A valid zlib stream of `data` in stored (uncompressed) blocks, RFC 1950/1951 §3.2.4: never
 * shorter than `data`, so the codecs keep the uncompressed form (see the module comment).
 */
export function deflate(data: Uint8Array): Buffer {
  const blocks = Math.max(1, Math.ceil(data.length / 65535));
  const out = Buffer.alloc(2 + blocks * 5 + data.length + 4);
  out[0] = 0x78;
  out[1] = 0x01;
  let at = 2;
  for (let b = 0; b < blocks; b++) {
    const chunk = data.subarray(b * 65535, (b + 1) * 65535);
    out[at] = b === blocks - 1 ? 1 : 0;
    out[at + 1] = chunk.length & 0xff;
    out[at + 2] = chunk.length >>> 8;
    out[at + 3] = ~chunk.length & 0xff;
    out[at + 4] = (~chunk.length >>> 8) & 0xff;
    out.set(chunk, at + 5);
    at += 5 + chunk.length;
  }
  // Adler-32 (RFC 1950 §8), big-endian.
  let s1 = 1;
  let s2 = 0;
  for (let i = 0; i < data.length; i++) {
    s1 = (s1 + data[i]!) % 65521;
    s2 = (s2 + s1) % 65521;
  }
  out.writeUInt32BE(((s2 << 16) | s1) >>> 0, at);
  return out;
}

/**
 * `zlib.compress(data)` through the runtime's `CompressionStream("deflate")` (a zlib stream,
 * RFC 1950, at the runtime's default level, which is zlib's 6 where the runtime uses zlib, as
 * Node, workerd and Bun do), for the asynchronous paths that can wait for it (Django's
 * signed_cookies store); `undefined` where the runtime has no `CompressionStream`.
 */
export const deflateAsync: ((data: Uint8Array) => Promise<Buffer>) | undefined =
  typeof CompressionStream === "function"
    ? async (data) => {
        const stream = new Blob([data as Uint8Array<ArrayBuffer>])
          .stream()
          .pipeThrough(new CompressionStream("deflate"));
        return asBuffer(new Uint8Array(await new Response(stream).arrayBuffer()));
      }
    : undefined;

/** No native zlib decoder here: codecs/zlib.ts uses its pure decoder for every size. */
export const inflate: ((data: Uint8Array, maxBytes: number) => Buffer) | undefined = undefined;

/**
 * An HMAC key, ready to sign many texts: the padded key blocks are hashed once (sha.ts).
 */
export class HmacKey {
  readonly algorithm: HashAlgorithm;
  readonly #state: HmacState;

  constructor(algorithm: HashAlgorithm, key: Uint8Array) {
    this.algorithm = algorithm;
    this.#state = new HmacState(algorithmOf(algorithm), key);
  }

  /** The MAC of `text` (UTF-8 encoded, as Python's `.encode()` / Node's default) in base64url. */
  base64url(text: string): string {
    return this.digest(text).toString("base64url");
  }

  /** The MAC of `text` as bytes. */
  digest(text: string): Buffer {
    return asBuffer(this.#state.mac(ENCODER.encode(text)));
  }
}
