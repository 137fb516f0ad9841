/**
 * `make_password(password, salt=None, hasher="default")` (django-formats.md §7.3).
 */
import { ConfigurationError, InvalidArgumentError } from "../../errors.ts";
import { djangoHasHasher, isHasherAlgorithm, resolveHasherConfig } from "./defaults.ts";
import { makeUnusablePassword } from "./random.ts";
import { getHasher } from "./registry.ts";
import type { HasherAlgorithm, PasswordHasherOptions } from "./types.ts";

/** Options of {@link makePassword}. */
export interface MakePasswordOptions extends PasswordHasherOptions {
  /** The hasher to use (Django's `hasher=`); default the preferred one. */
  readonly algorithm?: HasherAlgorithm;
  /**
   * A fixed salt, for reproducing vectors only (Django's `salt=`): non-empty, no `$`; for
   * bcrypt a `$2b$12$<22 chars>` salt. Default: 22 CSPRNG characters / `bcrypt.gensalt`.
   */
  readonly salt?: string;
}

/**
 * Hashes a password the way Django would store it. `null` gives an unusable password
 * (`"!"` + 40 random chars), like `make_password(None)`.
 *
 * @throws {InvalidArgumentError} when `password` is neither a string nor null (Django raises TypeError).
 * @throws {ConfigurationError} for a verify-only legacy algorithm, one Django `djangoVersion`
 *   lacks, one outside an explicit `hashers` list, or a missing optional package.
 * @throws {ConfigurationError} for an invalid `salt`; {InvalidArgumentError} for a NUL byte in a raw `bcrypt` password.
 * @example
 * ```ts
 * await makePassword("s3cret"); // "pbkdf2_sha256$1000000$<22 chars>$<44 chars>"
 * await makePassword("s3cret", { djangoVersion: "4.2", algorithm: "scrypt" }); // "scrypt$16384$…$8$1$…"
 * await makePassword(null); // "!…"
 * ```
 */
export async function makePassword(
  password: string | null,
  options: MakePasswordOptions = {},
): Promise<string> {
  if (password === null) return makeUnusablePassword();
  if (typeof password !== "string") {
    throw new InvalidArgumentError(`Password must be a string or null, got ${typeof password}`);
  }
  const config = resolveHasherConfig(options);
  const algorithm = options.algorithm ?? config.preferred;
  if (!isHasherAlgorithm(algorithm)) {
    throw new ConfigurationError(`Unknown password hasher: ${String(algorithm)}`);
  }
  // get_hasher(algorithm) only finds installed hashers; without an explicit list any hasher
  // that release ships may be named.
  if (options.hashers !== undefined && !config.hashers.includes(algorithm)) {
    throw new ConfigurationError(`Password hasher ${algorithm} is not in hashers`);
  }
  if (!djangoHasHasher(config.djangoVersion, algorithm)) {
    throw new ConfigurationError(
      `Django ${config.djangoVersion} has no ${algorithm} password hasher`,
    );
  }
  const hasher = getHasher(algorithm);
  if (!hasher.canMake) {
    throw new ConfigurationError(
      `The ${algorithm} password hasher is verify-only here: it is insecure`,
    );
  }
  return hasher.encode(password, config.params, options.salt);
}
