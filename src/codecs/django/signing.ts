/**
 * Django's `django.core.signing` and `django.utils.crypto.salted_hmac` (django-formats.md §1).
 *
 * ```
 * key       = H(key_salt + secret)                      salted_hmac; H is also the HMAC hash
 * signature = b64url_nopad(HMAC_H(H(salt + "signer" + secret), value))
 * signed    = value ":" signature                        Signer
 * signed    = value ":" b62(ts) ":" signature-over(value ":" b62(ts))   TimestampSigner
 * ```
 * Keys are derived once per signer, not per call. Verification tries `SECRET_KEY` then each
 * fallback (Django 4.1+ `SECRET_KEY_FALLBACKS`); signing never uses a fallback. Comparison is
 * constant-time. Django 3.1/3.2 also accept SHA-1 signatures (`acceptSha1`); 4.0 dropped that.
 */
import { Buffer, hash, hmac } from "#runtime";
import {
  BadSignatureError,
  ConfigurationError,
  MalformedError,
  SignatureExpiredError,
} from "../../errors.ts";
import { constantTimeEqual } from "../constant-time.ts";
import { HmacKey } from "../hmac.ts";
import { base62Decode, base62Encode } from "../base62.ts";
import { base64UrlDecode, base64UrlEncode } from "../base64.ts";
import { zlibCompress, zlibCompressAsync, zlibDecompress } from "../zlib.ts";
import { assertSecrets } from "../secret.ts";

/** Hash algorithms Django signs with. */
export type DjangoHashAlgorithm = "sha256" | "sha1";

/** A secret as Django takes it: `str` (UTF-8 encoded) or `bytes`. */
export type Secret = string | Uint8Array;

const toBytes = (s: Secret): Buffer =>
  typeof s === "string" ? Buffer.from(s, "utf8") : Buffer.from(s);

/**
 * `django.utils.crypto.salted_hmac(key_salt, value, secret, algorithm=...)`.
 * Note Django's default algorithm is SHA-1; signing and the session auth hash pass SHA-256.
 *
 * @example
 * ```ts
 * saltedHmac("example-key-salt", "example-value", "test-secret", "sha256").toString("hex");
 * ```
 */
export function saltedHmac(
  keySalt: string,
  value: Secret,
  secret: Secret,
  algorithm: DjangoHashAlgorithm = "sha1",
): Buffer {
  const key = hash(algorithm, Buffer.concat([toBytes(keySalt), toBytes(secret)]));
  return hmac(algorithm, key, toBytes(value));
}

/** Options shared by {@link DjangoSigner} and {@link DjangoTimestampSigner}. */
export interface DjangoSignerOptions {
  /** `SECRET_KEY`: signs, and verifies first. */
  readonly secret: Secret;
  /** `SECRET_KEY_FALLBACKS`: verify only, tried in order after `secret`. */
  readonly fallbackSecrets?: readonly Secret[];
  /** Namespace; default `django.core.signing.Signer` / `django.core.signing.TimestampSigner`. */
  readonly salt?: string;
  /** Default `sha256`. */
  readonly algorithm?: DjangoHashAlgorithm;
  /** Also accept SHA-1 signatures, as Django 3.1 and 3.2 do. */
  readonly acceptSha1?: boolean;
  /** Separator, default `:`; Django refuses separators made of base64url characters. */
  readonly sep?: string;
}

type VerifyKey = HmacKey;

const UNSAFE_SEP = /^[A-Za-z0-9\-_=]*$/;

/** `django.core.signing.Signer`. */
export class DjangoSigner {
  readonly sep: string;
  readonly salt: string;
  readonly #signKey: VerifyKey;
  readonly #verifyKeys: readonly VerifyKey[];

  /** @throws {ConfigurationError} for a missing or empty secret or fallback secret. */
  constructor(options: DjangoSignerOptions) {
    assertSecrets(options.secret, options.fallbackSecrets, "SECRET_KEY", "SECRET_KEY_FALLBACKS");
    this.sep = options.sep ?? ":";
    if (UNSAFE_SEP.test(this.sep)) {
      throw new ConfigurationError("Unsafe Signer separator: it must not be a base64url character");
    }
    this.salt = options.salt ?? `django.core.signing.${this.defaultSaltName()}`;
    const algorithm = options.algorithm ?? "sha256";
    const derive = (secret: Secret, alg: DjangoHashAlgorithm): VerifyKey =>
      new HmacKey(
        alg,
        hash(alg, Buffer.concat([Buffer.from(`${this.salt}signer`, "utf8"), toBytes(secret)])),
      );
    const secrets = [options.secret, ...(options.fallbackSecrets ?? [])];
    this.#signKey = derive(options.secret, algorithm);
    const keys = secrets.map((s) => derive(s, algorithm));
    if (options.acceptSha1 && algorithm !== "sha1")
      keys.push(...secrets.map((s) => derive(s, "sha1")));
    this.#verifyKeys = keys;
  }

  /** The class name Django uses in the default salt. */
  protected defaultSaltName(): string {
    return "Signer";
  }

  /** `Signer.signature(value)`: base64url HMAC with the signing key. */
  signature(value: string): string {
    return mac(this.#signKey, value);
  }

  /** `value + sep + signature(value)`. @example new DjangoSigner({ secret }).sign("hello") */
  sign(value: string): string {
    return `${value}${this.sep}${this.signature(value)}`;
  }

  /**
   * Returns the value if the signature matches any accepted key.
   * @throws {BadSignatureError} otherwise.
   */
  unsign(signed: string): string {
    const at = signed.lastIndexOf(this.sep);
    if (at < 0) throw new BadSignatureError(`No "${this.sep}" found in value`);
    const value = signed.slice(0, at);
    const given = signed.slice(at + this.sep.length);
    // Django's constant_time_compare is over the base64 text: a re-encoded signature fails.
    for (const key of this.#verifyKeys) {
      if (constantTimeEqual(mac(key, value), given)) return value;
    }
    throw new BadSignatureError();
  }
}

function mac(key: VerifyKey, value: string): string {
  return key.base64url(value);
}

/** Options of {@link DjangoTimestampSigner.unsign}. */
export interface UnsignOptions {
  /** Maximum age in seconds; `undefined` skips the age check (Django `max_age=None`). */
  readonly maxAge?: number | undefined;
  /** Current time in seconds (float), for tests; default `Date.now() / 1000`. */
  readonly now?: number | undefined;
}

/** `django.core.signing.TimestampSigner`. */
export class DjangoTimestampSigner extends DjangoSigner {
  protected override defaultSaltName(): string {
    return "TimestampSigner";
  }

  /** `value:b62(now):sig`. `now` in seconds, default the current time. */
  override sign(value: string, now: number = Date.now() / 1000): string {
    return super.sign(`${value}${this.sep}${base62Encode(Math.floor(now))}`);
  }

  /**
   * Verifies, then checks the age like Django: `now - ts > maxAge` is expired (exactly
   * `maxAge` old is still valid). Returns the value and its timestamp.
   * @throws {BadSignatureError} | {SignatureExpiredError} | {MalformedError}
   */
  unsignTimestamped(
    signed: string,
    options: UnsignOptions = {},
  ): { value: string; timestamp: number } {
    const result = super.unsign(signed);
    const at = result.lastIndexOf(this.sep);
    if (at < 0) throw new MalformedError("Signed value has no timestamp");
    const timestamp = base62Decode(result.slice(at + this.sep.length));
    if (options.maxAge !== undefined) {
      const age = (options.now ?? Date.now() / 1000) - timestamp;
      if (age > options.maxAge) throw new SignatureExpiredError(Math.floor(age), options.maxAge);
    }
    return { value: result.slice(0, at), timestamp };
  }

  /** Like {@link unsignTimestamped}, returning only the value. */
  override unsign(signed: string, options: UnsignOptions = {}): string {
    return this.unsignTimestamped(signed, options).value;
  }
}

/** Options of {@link djangoSignBytes}. */
export interface SignBytesOptions {
  /** zlib-compress when that saves at least 2 bytes (Django `compress=True`). */
  readonly compress?: boolean;
  /** Signing time in seconds, for tests. */
  readonly now?: number;
}

/**
 * The byte layer of `signing.dumps` (`Signer.sign_object` without the serializer): payload is
 * base64url of the data, or `"." + base64url(zlib(data))` when compressing saves ≥ 2 bytes.
 */
export function djangoSignBytes(
  signer: DjangoTimestampSigner,
  data: Uint8Array,
  options: SignBytesOptions = {},
): string {
  let payload: string | undefined;
  if (options.compress) {
    const compressed = zlibCompress(data);
    // Django: `if len(compressed) < (len(data) - 1)`, i.e. it must save at least 2 bytes.
    if (compressed.length < data.length - 1) payload = `.${base64UrlEncode(compressed)}`;
  }
  payload ??= base64UrlEncode(data);
  return signer.sign(payload, options.now);
}

/**
 * {@link djangoSignBytes} with the compression of {@link zlibCompressAsync}: on the Web runtimes
 * the runtime's `CompressionStream`, so a compressible value is compressed as Python would.
 */
export async function djangoSignBytesAsync(
  signer: DjangoTimestampSigner,
  data: Uint8Array,
  options: SignBytesOptions = {},
): Promise<string> {
  if (!options.compress) return djangoSignBytes(signer, data, options);
  const compressed = await zlibCompressAsync(data);
  // Django: `if len(compressed) < (len(data) - 1)`, i.e. it must save at least 2 bytes.
  const payload =
    compressed.length < data.length - 1 ? `.${base64UrlEncode(compressed)}` : base64UrlEncode(data);
  return signer.sign(payload, options.now);
}

/** Options of {@link djangoUnsignBytes}. */
export interface UnsignBytesOptions extends UnsignOptions {
  /** Bound on decompressed size; see `zlibDecompress`. */
  readonly maxBytes?: number;
}

/**
 * The byte layer of `signing.loads`: verify (and check age), then base64url-decode and
 * inflate when the payload starts with `.`.
 * @throws {BadSignatureError} | {SignatureExpiredError} | {MalformedError} | {TooLargeError}
 */
export function djangoUnsignBytes(
  signer: DjangoTimestampSigner,
  signed: string,
  options: UnsignBytesOptions = {},
): Buffer {
  const payload = signer.unsign(signed, options);
  if (payload.startsWith("."))
    return zlibDecompress(base64UrlDecode(payload.slice(1)), options.maxBytes);
  return base64UrlDecode(payload);
}
