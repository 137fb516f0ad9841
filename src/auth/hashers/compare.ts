/**
 * `django.utils.crypto.constant_time_compare(a, b)` = `secrets.compare_digest(force_bytes(a),
 * force_bytes(b))` (django-formats.md §7.3): UTF-8 bytes, `crypto.timingSafeEqual`.
 */
import { Buffer } from "node:buffer";
import { timingSafeEqual } from "node:crypto";

const bytes = (v: string | Uint8Array): Buffer =>
  typeof v === "string"
    ? Buffer.from(v, "utf8")
    : Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/**
 * Constant-time equality of two strings (UTF-8) or byte arrays. Different lengths are unequal;
 * the time then depends only on the length, as with `compare_digest`.
 *
 * @example
 * ```ts
 * constantTimeEqual("pbkdf2_sha256$…", recomputed); // true / false
 * ```
 */
export function constantTimeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const x = bytes(a);
  const y = bytes(b);
  if (x.length !== y.length) {
    timingSafeEqual(x, x);
    return false;
  }
  return timingSafeEqual(x, y);
}
