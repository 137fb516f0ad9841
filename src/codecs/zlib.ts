/**
 * zlib as the Python side uses it: `zlib.compress(data)` (RFC 1950 wrapper, level 6) and
 * `zlib.decompress`, with a hard output bound so a stored "zlib bomb" is refused rather than
 * expanded.
 *
 * Node's bundled zlib may emit other (equally valid) bytes than CPython's for the same input;
 * Python reads either. Only the compress-or-not decision can differ right at the boundary.
 */
import { Buffer, deflate, deflateAsync, inflate } from "#runtime";
import { inflateZlib } from "./inflate/index.ts";

/** Default decompression bound: far above any cookie or session row, far below harm. */
export const DEFAULT_MAX_INFLATED_BYTES = 1024 * 1024;

/** `zlib.compress(data)` with Python's default level. */
export function zlibCompress(data: Uint8Array): Buffer {
  return deflate(data);
}

/**
 * `zlib.compress(data)` where an asynchronous caller can wait: on the Web runtimes the runtime's
 * `CompressionStream("deflate")` (whose synchronous {@link zlibCompress} writes stored blocks
 * only), on Node the same native call as {@link zlibCompress}.
 */
export function zlibCompressAsync(data: Uint8Array): Promise<Buffer> {
  return deflateAsync === undefined ? Promise.resolve(deflate(data)) : deflateAsync(data);
}

/**
 * `zlib.decompress(data)`, refusing output larger than `maxBytes`.
 * @throws {TooLargeError} when the output would exceed `maxBytes`.
 * @throws {MalformedError} when the input is not a zlib stream.
 */
export function zlibDecompress(data: Uint8Array, maxBytes = DEFAULT_MAX_INFLATED_BYTES): Buffer {
  // Small inputs: the pure-TypeScript decoder (same acceptance, bytes and errors as
  // inflateSync, see test/codecs/inflate) skips inflateSync's per-call native stream setup,
  // which dominates for session-sized values. Measured crossover: it wins while the output
  // is below ~1.5–2 KiB, i.e. JSON-like inputs below ~450 bytes (bench/django-codec.bench.ts).
  // The Web runtimes have no native decoder (`inflate` is undefined): the pure one does all.
  if (data.length <= 400 || inflate === undefined) {
    const out = inflateZlib(data, maxBytes);
    return Buffer.isBuffer(out) ? out : Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  }
  return inflate(data, maxBytes);
}
