/**
 * The one rule every signer applies to its keys: a secret must exist and must not be empty.
 *
 * Python's signers accept `""` (itsdangerous signs with it; Django only refuses it in
 * `settings`), but a key everyone knows signs cookies anyone can forge: with `SECRET_KEY`
 * unset, `process.env.SECRET_KEY ?? ""` would let a cookie signed with the empty key log in as
 * any user. Flask refuses to run sessions without a key; we refuse at construction, so the
 * mistake stops the app at start instead of serving forged logins. The message names the
 * setting, never the value.
 */
import { ConfigurationError } from "../errors.ts";

/** A signing key as the Python frameworks take it: `str` (UTF-8 encoded) or `bytes`. */
export type SecretValue = string | Uint8Array;

/**
 * Throws unless `value` is a non-empty string or byte array.
 *
 * @param setting the setting's name in the user's words (`SECRET_KEY`, `SECRET_KEY_FALLBACKS[1]`).
 * @throws {ConfigurationError} for a missing, empty or non-string/bytes secret.
 * @example
 * ```ts
 * assertSecret(process.env.SECRET_KEY, "SECRET_KEY"); // throws when unset or empty
 * ```
 */
export function assertSecret(value: unknown, setting: string): asserts value is SecretValue {
  if (value === undefined || value === null) {
    throw new ConfigurationError(
      `${setting} is missing: set it to the key the Python app signs with`,
    );
  }
  if (typeof value !== "string" && !(value instanceof Uint8Array)) {
    throw new ConfigurationError(`${setting} must be a string or bytes, got ${typeof value}`);
  }
  if (value.length === 0) {
    throw new ConfigurationError(
      `${setting} is empty: a key everyone knows signs cookies anyone can forge`,
    );
  }
}

/**
 * {@link assertSecret} for a primary key and its verify-only fallbacks.
 *
 * @example
 * ```ts
 * assertSecrets("k", ["old"], "SECRET_KEY", "SECRET_KEY_FALLBACKS");
 * ```
 */
export function assertSecrets(
  primary: unknown,
  fallbacks: unknown,
  setting: string,
  fallbackSetting: string,
): void {
  assertSecret(primary, setting);
  if (fallbacks === undefined || fallbacks === null) return;
  if (!Array.isArray(fallbacks)) {
    throw new ConfigurationError(`${fallbackSetting} must be a list of keys`);
  }
  fallbacks.forEach((key: unknown, i) => assertSecret(key, `${fallbackSetting}[${i}]`));
}
