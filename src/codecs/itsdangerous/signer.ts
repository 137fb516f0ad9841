/**
 * itsdangerous `Signer` (flask-starlette-formats.md §1.2, itsdangerous 2.1.2 `signer.py`).
 *
 * ```
 * derived   = concat:        H(salt + secret)
 *             django-concat: H(salt + "signer" + secret)        (default)
 *             hmac:          HMAC_H(key=secret, msg=salt)
 *             none:          secret
 * signature = base64url_nopad(HMAC_H(derived, value))             H = sha1 by default
 * signed    = value + sep + signature
 * ```
 * Derived keys are computed once per signer (Python derives on every call; same bytes).
 * `secretKey` may be a list, oldest first: the newest (last) signs, verification tries the
 * newest first. Signatures are compared as decoded bytes in constant time, as Python's
 * `hmac.compare_digest(base64_decode(sig), expected)` does (§1.1 note).
 */
import { Buffer, hash, hmac, timingSafeEqual } from "#runtime";
import { HmacKey } from "../hmac.ts";
import { assertSecret } from "../secret.ts";
import { BadSignatureError, ConfigurationError } from "../../errors.ts";
import { constantTimeEqual } from "../constant-time.ts";
import { base64Decode, wantBytes, type Secret } from "./encoding.ts";

/** `key_derivation` names itsdangerous knows (§1.2). */
export type KeyDerivation = "concat" | "django-concat" | "hmac" | "none";

/** `digest_method`: a `hashlib` constructor, named as node:crypto names it. */
export type DigestMethod = "sha1" | "sha224" | "sha256" | "sha384" | "sha512" | "md5";

/** `algorithm`: `HMACAlgorithm(digest_method)` (default) or `NoneAlgorithm` (empty signature). */
export type SigningAlgorithm = "hmac" | "none";

/** Keyword arguments of `Signer`, other than the secret key. */
export interface SignerOptions {
  /** Namespace; default `itsdangerous.Signer` (`null` also means the default, as in Python). */
  readonly salt?: Secret | null | undefined;
  /** Separator between value and signature; default `.`. Must not occur in `A-Za-z0-9-_=`. */
  readonly sep?: string | undefined;
  /** Default `django-concat`. */
  readonly keyDerivation?: KeyDerivation | undefined;
  /** Default `sha1`. */
  readonly digestMethod?: DigestMethod | undefined;
  /** Default `hmac`. */
  readonly algorithm?: SigningAlgorithm | undefined;
}

/** A secret key, or a list of keys from oldest to newest (§1.2 key rotation). */
export type SecretKeys = Secret | readonly Secret[];

/** `_base64_alphabet`; Python checks `sep in alphabet`, a substring test. */
/** The literal `b"signer"` of the django-concat key derivation. */
const SIGNER = Buffer.from("signer", "latin1");

const BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=";

/** Normalises `secret_key` to a non-empty list of byte strings, oldest first. */
function secretKeyList(secretKey: SecretKeys): Buffer[] {
  if (Array.isArray(secretKey)) {
    (secretKey as readonly unknown[]).forEach((key, i) => assertSecret(key, `secret_key[${i}]`));
  } else {
    assertSecret(secretKey, "secret_key");
  }
  const keys =
    typeof secretKey === "string" || secretKey instanceof Uint8Array
      ? [wantBytes(secretKey)]
      : secretKey.map(wantBytes);
  if (keys.length === 0) throw new ConfigurationError("itsdangerous needs at least one secret key");
  return keys;
}

/**
 * `Signer.derive_key` for one secret (§1.2).
 *
 * @example
 * ```ts
 * deriveKey("secret", "cookie-session", "hmac", "sha1").toString("hex");
 * ```
 */
export function deriveKey(
  secret: Secret,
  salt: Secret,
  keyDerivation: KeyDerivation,
  digestMethod: DigestMethod,
): Buffer {
  const secretBytes = wantBytes(secret);
  const saltBytes = wantBytes(salt);
  switch (keyDerivation) {
    case "concat":
      return hash(digestMethod, Buffer.concat([saltBytes, secretBytes]));
    case "django-concat":
      return hash(digestMethod, Buffer.concat([saltBytes, SIGNER, secretBytes]));
    case "hmac":
      return hmac(digestMethod, secretBytes, saltBytes);
    case "none":
      return secretBytes;
    default:
      // Python raises TypeError("Unknown key derivation method").
      throw new ConfigurationError(`Unknown key derivation method: ${String(keyDerivation)}`);
  }
}

/**
 * `itsdangerous.Signer`: signs strings (UTF-8 encoded for the MAC) and verifies them.
 *
 * @example
 * ```ts
 * const signer = new Signer("secret-key");
 * const token = signer.sign("hello"); // "hello.<27 base64url chars>"
 * signer.unsign(token); // "hello"
 * ```
 */
export class Signer {
  /** Salt as bytes (`itsdangerous.Signer` by default). */
  readonly salt: Buffer;
  readonly sep: string;
  readonly keyDerivation: KeyDerivation;
  readonly digestMethod: DigestMethod;
  readonly algorithm: SigningAlgorithm;
  /** Derived keys, newest first (verification order); `[0]` signs. */
  readonly #keys: readonly Buffer[];
  /** `#keys`, ready to MAC with. */
  readonly #macs: readonly HmacKey[];

  constructor(secretKey: SecretKeys, options: SignerOptions = {}) {
    this.sep = options.sep ?? ".";
    // Python: `if self.sep in _base64_alphabet: raise ValueError(...)`.
    if (BASE64_ALPHABET.includes(this.sep)) {
      throw new ConfigurationError(
        "The given separator cannot be used because it may be contained in the signature itself",
      );
    }
    this.salt = wantBytes(options.salt ?? "itsdangerous.Signer");
    this.keyDerivation = options.keyDerivation ?? "django-concat";
    this.digestMethod = options.digestMethod ?? "sha1";
    this.algorithm = options.algorithm ?? "hmac";
    this.#keys = secretKeyList(secretKey)
      .reverse()
      .map((k) => deriveKey(k, this.salt, this.keyDerivation, this.digestMethod));
    this.#macs = this.#keys.map((k) => new HmacKey(this.digestMethod, k));
  }

  /** The derived key used for signing (the newest secret's). */
  deriveKey(): Buffer {
    return Buffer.from(this.#keys[0]!);
  }

  /** Raw signature bytes of `value` with one derived key. */
  #mac(key: HmacKey, value: string): Buffer {
    if (this.algorithm === "none") return Buffer.alloc(0);
    return key.digest(value);
  }

  /**
   * `get_signature(value)`: base64url of the MAC with the newest key.
   *
   * @example
   * ```ts
   * new Signer("k").getSignature("v"); // 27 base64url chars (SHA-1)
   * ```
   */
  getSignature(value: string): string {
    if (this.algorithm === "none") return "";
    return this.#macs[0]!.base64url(value);
  }

  /**
   * `sign(value)`: `value + sep + signature`.
   *
   * @example
   * ```ts
   * new Signer("k").sign("v"); // "v.<signature>"
   * ```
   */
  sign(value: string): string {
    return `${value}${this.sep}${this.getSignature(value)}`;
  }

  /**
   * `verify_signature(value, sig)`: decodes `sig` leniently like Python and compares bytes in
   * constant time against every key, newest first.
   *
   * @example
   * ```ts
   * const s = new Signer("k");
   * s.verifySignature("v", s.getSignature("v")); // true
   * ```
   */
  verifySignature(value: string, sig: string): boolean {
    // The usual case: the canonical base64url text itsdangerous writes, compared as text.
    if (this.algorithm !== "none") {
      for (const key of this.#macs) {
        if (constantTimeEqual(key.base64url(value), sig)) return true;
      }
    }
    // Python decodes leniently (padding, `+/`, junk ignored): compare decoded bytes as it does.
    const given = base64Decode(sig);
    if (given === null) return false;
    for (const key of this.#macs) {
      const expected = this.#mac(key, value);
      if (timingSafeEqual(expected, given)) return true;
    }
    return false;
  }

  /**
   * `unsign(signed)`: splits at the last separator and verifies.
   *
   * @throws {BadSignatureError} when the separator is missing or no key matches.
   * @example
   * ```ts
   * const s = new Signer("k");
   * s.unsign(s.sign("a.b")); // "a.b"
   * ```
   */
  unsign(signed: string): string {
    const at = signed.lastIndexOf(this.sep);
    if (at < 0) throw new BadSignatureError(`No "${this.sep}" found in value`);
    const value = signed.slice(0, at);
    if (this.verifySignature(value, signed.slice(at + this.sep.length))) return value;
    throw new BadSignatureError();
  }

  /**
   * `validate(signed)`: `true` when {@link Signer.unsign} would succeed.
   *
   * @example
   * ```ts
   * new Signer("k").validate("v.bogus"); // false
   * ```
   */
  validate(signed: string): boolean {
    try {
      this.unsign(signed);
      return true;
    } catch (err) {
      if (err instanceof BadSignatureError) return false;
      throw err;
    }
  }
}
