/**
 * Verify-only legacy hashers (django-formats.md §7.1): salted `md5` / `sha1`
 * (`<alg>$<salt>$<hex(H(salt + pw))>`), `unsalted_sha1` (`sha1$$<hex40>`) and `unsalted_md5`
 * (bare `<hex32>` or `md5$$<hex32>`). `sha1` and both unsalted ones were removed in Django 5.1;
 * `md5` is still present in 5.2 and 6.1. None of them has a work factor, so `harden_runtime` is a no-op.
 */
import { createHash } from "node:crypto";
import { constantTimeEqual } from "./compare.ts";
import { checkSalt, pySplit, type ParsedHash, type PasswordHasher } from "./hasher.ts";
import { pyLen } from "./identify.ts";
import { makeSalt, saltTooShort } from "./random.ts";

const hex = (digest: "md5" | "sha1", text: string): string =>
  createHash(digest).update(text, "utf8").digest("hex");

const noop = (): Promise<void> => Promise.resolve();

function makeSaltedHasher(algorithm: "md5" | "sha1"): PasswordHasher {
  // encode: "%s$%s$%s" % (algorithm, salt, H((salt + password).encode()).hexdigest())
  const encodeWith = (password: string, salt: string): string =>
    `${algorithm}$${salt}$${hex(algorithm, salt + password)}`;
  return {
    algorithm,
    canMake: false,
    parse(encoded: string): ParsedHash | undefined {
      // decode: algorithm, salt, hash = encoded.split("$", 2); encode() rejects an empty salt.
      const parts = pySplit(encoded, "$", 2);
      if (parts.length !== 3 || parts[0] !== algorithm || parts[1] === "") return undefined;
      const salt = parts[1]!;
      return {
        algorithm,
        verify: (password) =>
          Promise.resolve(constantTimeEqual(encoded, encodeWith(password, salt))),
        // must_update: must_update_salt(salt, 128).
        mustUpdate: () => saltTooShort(pyLen(salt)),
        hardenRuntime: noop,
      };
    },
    encode(password, _params, salt = makeSalt()) {
      checkSalt(salt);
      return Promise.resolve(encodeWith(password, salt));
    },
  };
}

/**
 * Salted MD5 (`md5$<salt>$<hex32>`), verify only.
 *
 * @example
 * ```ts
 * await md5Hasher.parse("md5$salt$…")?.verify("pw");
 * ```
 */
export const md5Hasher: PasswordHasher = makeSaltedHasher("md5");

/**
 * Salted SHA-1 (`sha1$<salt>$<hex40>`), verify only; removed in Django 5.1.
 *
 * @example
 * ```ts
 * await sha1Hasher.parse("sha1$salt$…")?.verify("pw");
 * ```
 */
export const sha1Hasher: PasswordHasher = makeSaltedHasher("sha1");

/**
 * `unsalted_sha1`: `sha1$$<hex40>` (46 characters), verify only; removed in Django 5.1.
 *
 * @example
 * ```ts
 * await unsaltedSha1Hasher.parse("sha1$$" + "0".repeat(40))?.verify("pw"); // false
 * ```
 */
export const unsaltedSha1Hasher: PasswordHasher = {
  algorithm: "unsalted_sha1",
  canMake: false,
  parse(encoded: string): ParsedHash | undefined {
    if (pyLen(encoded) !== 46 || !encoded.startsWith("sha1$$")) return undefined;
    return {
      algorithm: "unsalted_sha1",
      // verify: constant_time_compare(encoded, "sha1$$" + sha1(password).hexdigest())
      verify: (password) =>
        Promise.resolve(constantTimeEqual(encoded, `sha1$$${hex("sha1", password)}`)),
      // BasePasswordHasher.must_update: False.
      mustUpdate: () => false,
      hardenRuntime: noop,
    };
  },
  encode: (password) => Promise.resolve(`sha1$$${hex("sha1", password)}`),
};

/**
 * `unsalted_md5`: bare `<hex32>` or `md5$$<hex32>`, verify only; removed in Django 5.1.
 *
 * @example
 * ```ts
 * await unsaltedMd5Hasher.parse("5f4dcc3b5aa765d61d8327deb882cf99")?.verify("password"); // true
 * ```
 */
export const unsaltedMd5Hasher: PasswordHasher = {
  algorithm: "unsalted_md5",
  canMake: false,
  parse(encoded: string): ParsedHash | undefined {
    const len = pyLen(encoded);
    const bare = len === 32 && !encoded.includes("$");
    if (!bare && !(len === 37 && encoded.startsWith("md5$$"))) return undefined;
    // verify: strip a "md5$$" prefix, then compare with md5(password).hexdigest().
    const digest = bare ? encoded : encoded.slice(5);
    return {
      algorithm: "unsalted_md5",
      verify: (password) => Promise.resolve(constantTimeEqual(digest, hex("md5", password))),
      mustUpdate: () => false,
      hardenRuntime: noop,
    };
  },
  encode: (password) => Promise.resolve(hex("md5", password)),
};
