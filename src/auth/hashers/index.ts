/**
 * Django's password hashers and the session auth hash (django-formats.md §6.2, §7): make and
 * check `auth_user.password` values byte-compatibly with Django 3.2–6.1.
 *
 * @example
 * ```ts
 * import { checkPassword, makePassword } from "sessionbridge/hashers";
 * const r = await checkPassword(input, row.password, { djangoVersion: "5.2" });
 * if (r.ok && r.mustUpdate) row.password = await makePassword(input);
 * ```
 */
export { checkPassword, mustUpdate } from "./check.ts";
export { makePassword, type MakePasswordOptions } from "./make.ts";
export { hasherFor } from "./registry.ts";
export { identifyHasher } from "./identify.ts";
export {
  getRandomString,
  isPasswordUsable,
  makeSalt,
  makeUnusablePassword,
  RANDOM_STRING_CHARS,
  SALT_LENGTH,
  UNUSABLE_PASSWORD_PREFIX,
} from "./random.ts";
export {
  DEFAULT_DJANGO_VERSION,
  defaultHasherParams,
  defaultPasswordHashers,
  djangoHasHasher,
  PBKDF2_ITERATIONS,
  resolveHasherConfig,
  type ResolvedHasherConfig,
} from "./defaults.ts";
export {
  argon2BackendFromNodeRs,
  bcryptBackendFromNodeRs,
  setPasswordHasherBackends,
  type Argon2Backend,
  type Argon2RawInput,
  type Argon2Variant,
  type BcryptBackend,
} from "./backends.ts";
export {
  legacySessionAuthHash,
  sessionAuthFallbackHashes,
  sessionAuthHash,
  SESSION_AUTH_HASH_KEY_SALT,
  verifySessionAuthHash,
  type VerifySessionAuthHashOptions,
} from "./session-auth-hash.ts";
export { constantTimeEqual } from "./compare.ts";
export type * from "./types.ts";
