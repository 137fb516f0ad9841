/**
 * Salts and unusable passwords (django-formats.md §7.1): Django's `get_random_string`, which
 * picks each character uniformly from `[a-zA-Z0-9]` with `secrets.choice` (a CSPRNG).
 */
import { randomInt } from "node:crypto";

/**
 * Django's `RANDOM_STRING_CHARS`.
 *
 * @example
 * ```ts
 * RANDOM_STRING_CHARS.length; // 62
 * ```
 */
export const RANDOM_STRING_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/**
 * `UNUSABLE_PASSWORD_PREFIX`: never the start of a valid encoded hash.
 *
 * @example
 * ```ts
 * user.password.startsWith(UNUSABLE_PASSWORD_PREFIX); // set_unusable_password() was called
 * ```
 */
export const UNUSABLE_PASSWORD_PREFIX = "!";

/**
 * `UNUSABLE_PASSWORD_SUFFIX_LENGTH`: random characters after the `!`.
 *
 * @example
 * ```ts
 * makeUnusablePassword().length === 1 + UNUSABLE_PASSWORD_SUFFIX_LENGTH; // true
 * ```
 */
export const UNUSABLE_PASSWORD_SUFFIX_LENGTH = 40;

/**
 * Salt length for `salt_entropy = 128`: `ceil(128 / log2(62))` = 22 characters.
 *
 * @example
 * ```ts
 * SALT_LENGTH; // 22
 * ```
 */
export const SALT_LENGTH = Math.ceil(128 / Math.log2(RANDOM_STRING_CHARS.length));

/**
 * `django.utils.crypto.get_random_string(length)`: uniform CSPRNG choice per character
 * (`crypto.randomInt` rejects biased draws, like `secrets.choice`).
 *
 * @example
 * ```ts
 * getRandomString(22); // "k3XQ…" (22 chars of [a-zA-Z0-9])
 * ```
 */
export function getRandomString(length: number, chars: string = RANDOM_STRING_CHARS): string {
  let out = "";
  for (let i = 0; i < length; i++) out += chars[randomInt(chars.length)]!;
  return out;
}

/**
 * `BasePasswordHasher.salt()`: 22 random characters (128 bits of entropy).
 *
 * @example
 * ```ts
 * makeSalt().length; // 22
 * ```
 */
export function makeSalt(): string {
  return getRandomString(SALT_LENGTH);
}

/**
 * `must_update_salt`: a salt is too short when `len(salt) * log2(62) < 128`, i.e. shorter than
 * 22 characters (§7.3, vector `salt_must_update`). `length` counts Python characters.
 *
 * @example
 * ```ts
 * saltTooShort(12); // true
 * ```
 */
export function saltTooShort(length: number): boolean {
  return length * Math.log2(RANDOM_STRING_CHARS.length) < 128;
}

/**
 * `make_password(None)` / `set_unusable_password()`: `"!"` followed by 40 random characters.
 *
 * @example
 * ```ts
 * makeUnusablePassword(); // "!Xq3…" (41 chars)
 * ```
 */
export function makeUnusablePassword(): string {
  return UNUSABLE_PASSWORD_PREFIX + getRandomString(UNUSABLE_PASSWORD_SUFFIX_LENGTH);
}

/**
 * `is_password_usable(encoded)`: `encoded is None or not encoded.startswith("!")`. Note that
 * Django counts `None` as usable (§7.1); `checkPassword` still rejects it.
 *
 * @example
 * ```ts
 * isPasswordUsable("!abc"); // false
 * isPasswordUsable(null); // true, as in Django
 * ```
 */
export function isPasswordUsable(encoded: string | null | undefined): boolean {
  return encoded === null || encoded === undefined || !encoded.startsWith(UNUSABLE_PASSWORD_PREFIX);
}
