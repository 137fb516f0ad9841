/**
 * Session keys as Django makes and accepts them (django-formats.md §4.1):
 * 32 characters from `[a-z0-9]` drawn with a CSPRNG (`get_random_string(32, VALID_KEY_CHARS)`),
 * and any value shorter than 8 characters treated as no key at all.
 */
import { randomBytes } from "#runtime";

/**
 * `string.ascii_lowercase + string.digits`.
 *
 * @example
 * ```ts
 * import { VALID_KEY_CHARS } from "sessionbridge";
 * VALID_KEY_CHARS.length; // 36
 * ```
 */
export const VALID_KEY_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789";

/**
 * A new random session key: 32 chars of `[a-z0-9]`, ~165 bits of entropy.
 * Rejection sampling keeps every character uniform (256 is not a multiple of 36).
 *
 * @example generateSessionKey() // "k5u2y0zq3n7b0x1c9d8e7f6g5h4j3k2l"
 */
export function generateSessionKey(length = 32): string {
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 252 = 7 × 36: bytes at or above it would favour the first characters.
      if (byte < 252) out += VALID_KEY_CHARS[byte % 36]!;
      if (out.length === length) break;
    }
  }
  return out;
}

/**
 * Django `_validate_session_key`: a truthy string of at least 8 characters.
 *
 * @example
 * ```ts
 * import { isValidSessionKey } from "sessionbridge";
 * isValidSessionKey("abc"); // false: shorter than 8
 * ```
 */
export function isValidSessionKey(key: string | null | undefined): key is string {
  return typeof key === "string" && key.length >= 8;
}
