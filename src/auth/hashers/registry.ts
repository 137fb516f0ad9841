/**
 * Algorithm name → hasher, and `hasherFor(encoded)` (identify + `PASSWORD_HASHERS` lookup).
 */
import { argon2Hasher } from "./argon2.ts";
import { bcryptHasher, bcryptSha256Hasher } from "./bcrypt.ts";
import { isHasherAlgorithm, resolveHasherConfig, type ResolvedHasherConfig } from "./defaults.ts";
import type { PasswordHasher } from "./hasher.ts";
import { identifyHasher } from "./identify.ts";
import { md5Hasher, sha1Hasher, unsaltedMd5Hasher, unsaltedSha1Hasher } from "./legacy.ts";
import { pbkdf2Sha1Hasher, pbkdf2Sha256Hasher } from "./pbkdf2.ts";
import { scryptHasher } from "./scrypt.ts";
import type { HasherAlgorithm, PasswordHasherOptions } from "./types.ts";

const HASHERS: Readonly<Record<HasherAlgorithm, PasswordHasher>> = {
  pbkdf2_sha256: pbkdf2Sha256Hasher,
  pbkdf2_sha1: pbkdf2Sha1Hasher,
  argon2: argon2Hasher,
  bcrypt_sha256: bcryptSha256Hasher,
  bcrypt: bcryptHasher,
  scrypt: scryptHasher,
  md5: md5Hasher,
  sha1: sha1Hasher,
  unsalted_sha1: unsaltedSha1Hasher,
  unsalted_md5: unsaltedMd5Hasher,
};

/**
 * The hasher object implementing `algorithm`.
 *
 * @example
 * ```ts
 * getHasher("scrypt").algorithm; // "scrypt"
 * ```
 */
export function getHasher(algorithm: HasherAlgorithm): PasswordHasher {
  return HASHERS[algorithm];
}

/**
 * {@link hasherFor} on an already resolved configuration, returning the hasher object.
 *
 * @example
 * ```ts
 * hasherForConfig("scrypt$16384$…", resolveHasherConfig())?.algorithm; // "scrypt"
 * ```
 */
export function hasherForConfig(
  encoded: string,
  config: ResolvedHasherConfig,
): PasswordHasher | undefined {
  const name = identifyHasher(encoded);
  // get_hasher(name) raises ValueError unless the algorithm is in PASSWORD_HASHERS.
  if (!isHasherAlgorithm(name) || !config.hashers.includes(name)) return undefined;
  return HASHERS[name];
}

/**
 * `identify_hasher(encoded).algorithm` when that algorithm is enabled (in `hashers`, default
 * Django's `PASSWORD_HASHERS` for the version); `undefined` where Django raises ValueError.
 * The hash itself may still be malformed.
 *
 * @example
 * ```ts
 * hasherFor("bcrypt_sha256$$2b$12$…"); // "bcrypt_sha256"
 * hasherFor("md5$salt$…"); // undefined: md5 is not in the default PASSWORD_HASHERS
 * hasherFor("md5$salt$…", { hashers: ["pbkdf2_sha256", "md5"] }); // "md5"
 * ```
 */
export function hasherFor(
  encoded: string,
  options: PasswordHasherOptions = {},
): HasherAlgorithm | undefined {
  return hasherForConfig(encoded, resolveHasherConfig(options))?.algorithm;
}
