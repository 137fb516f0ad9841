/**
 * Django's `SessionBase.encode` / `decode`: the value stored in `django_session.session_data`,
 * in session files and by the Redis session engines (django-formats.md §2).
 *
 * Current format (3.1+): `signing.dumps(dict, salt=key_salt, serializer, compress=True)`, no
 * age check on load (expiry lives in the store). Legacy format (≤ 3.0; still read by 3.1/3.2):
 * `base64(sha1_hmac_hex + ":" + serialized)`.
 */
import { Buffer, timingSafeEqual } from "#runtime";
import { BadSignatureError, MalformedError, TooLargeError } from "../../errors.ts";
import { DEFAULT_MAX_INFLATED_BYTES } from "../zlib.ts";
import { base64Decode, base64Encode } from "../base64.ts";
import { COMPACT_SEPARATORS, dumpsPythonJson, loadsPythonJsonSession } from "../python-json.ts";
import type { SessionData } from "../python-values.ts";
import {
  DjangoTimestampSigner,
  djangoSignBytes,
  djangoUnsignBytes,
  saltedHmac,
  type DjangoHashAlgorithm,
  type Secret,
} from "./signing.ts";

/** Turns a session dict into bytes and back (Django `SESSION_SERIALIZER`). */
export interface SessionSerializer {
  readonly name: string;
  dumps(data: SessionData): Uint8Array;
  loads(bytes: Uint8Array): SessionData;
}

/**
 * `django.core.signing.JSONSerializer`: compact Python JSON, latin-1 bytes.
 * (Output is ASCII; on input, latin-1 decoding is what Django does, so raw UTF-8 reads as
 * mojibake exactly as it does in Python.)
 */
export const djangoJsonSerializer: SessionSerializer = {
  name: "json",
  dumps(data) {
    return Buffer.from(dumpsPythonJson(data, { separators: COMPACT_SEPARATORS }), "latin1");
  },
  loads(bytes) {
    // A view, not a copy (`Buffer.from(uint8Array)` would copy).
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return loadsPythonJsonSession(view.toString("latin1"));
  },
};

/** The `key_salt` of every built-in Django store class named `SessionStore`. */
export const DJANGO_SESSION_SALT = "django.contrib.sessions.SessionStore";
/** The key salt of the pre-3.1 session hash (note: no dot before the class name). */
export const DJANGO_LEGACY_SESSION_SALT = "django.contrib.sessionsSessionStore";

/** Options of {@link DjangoSessionCodec}. */
export interface DjangoSessionCodecOptions {
  readonly secret: Secret;
  /** `SECRET_KEY_FALLBACKS` (Django 4.1+). */
  readonly fallbackSecrets?: readonly Secret[];
  /** `key_salt`; default {@link DJANGO_SESSION_SALT}. A renamed store class changes it. */
  readonly salt?: string;
  readonly serializer?: SessionSerializer;
  /** Accept SHA-1 signatures and the legacy format on read (Django 3.1/3.2). */
  readonly readLegacy?: boolean;
  /** Write the legacy format (Django 3.x with `DEFAULT_HASHING_ALGORITHM = "sha1"`). */
  readonly writeLegacy?: boolean;
  /**
   * The largest stored value read, and the largest decompressed payload (bytes; default 1 MiB,
   * far above a real session). A longer stored value is {@link TooLargeError} before its
   * signature is checked or a byte of it is parsed; a longer payload stops the inflation.
   */
  readonly maxBytes?: number;
}

/**
 * Encodes and decodes Django session values.
 *
 * @example
 * ```ts
 * const codec = new DjangoSessionCodec({ secret: process.env.SECRET_KEY! });
 * const stored = codec.encode(new Map([["foo", "bar"]]));
 * codec.decode(stored).get("foo"); // "bar"
 * ```
 */
export class DjangoSessionCodec {
  readonly #signer: DjangoTimestampSigner;
  readonly #serializer: SessionSerializer;
  readonly #options: DjangoSessionCodecOptions;
  readonly #legacySalt: string;
  /** The largest stored value `decode` reads (the `maxBytes` option). */
  readonly maxValueBytes: number;

  constructor(options: DjangoSessionCodecOptions) {
    this.#options = options;
    this.maxValueBytes = options.maxBytes ?? DEFAULT_MAX_INFLATED_BYTES;
    this.#serializer = options.serializer ?? djangoJsonSerializer;
    const salt = options.salt ?? DJANGO_SESSION_SALT;
    // `"django.contrib.sessions" + type(self).__name__` vs `"django.contrib.sessions." + __qualname__`
    this.#legacySalt = salt.replace(/^django\.contrib\.sessions\./, "django.contrib.sessions");
    this.#signer = new DjangoTimestampSigner({
      secret: options.secret,
      fallbackSecrets: options.fallbackSecrets ?? [],
      salt,
      algorithm: "sha256" satisfies DjangoHashAlgorithm,
      acceptSha1: options.readLegacy === true,
    });
  }

  /** `SessionBase.encode(session_dict)`. `now` (seconds) is for tests. */
  encode(data: SessionData, now?: number): string {
    const bytes = this.#serializer.dumps(data);
    if (this.#options.writeLegacy) return this.#legacyEncode(bytes);
    return djangoSignBytes(
      this.#signer,
      bytes,
      now === undefined ? { compress: true } : { compress: true, now },
    );
  }

  /**
   * `SessionBase.decode(session_data)`, but strict: where Django logs and returns `{}`, this
   * throws the reason, so callers can report it; the engine turns it into an empty session.
   * @throws {BadSignatureError} | {MalformedError} | {TooLargeError} | {SessionBridgeError}
   */
  decode(value: string): SessionData {
    if (value.length > this.maxValueBytes) {
      throw new TooLargeError(
        `Stored session value of ${String(value.length)} characters exceeds ${String(this.maxValueBytes)}`,
      );
    }
    let bytes: Buffer;
    try {
      bytes = djangoUnsignBytes(this.#signer, value, { maxBytes: this.maxValueBytes });
    } catch (err) {
      if (
        this.#options.readLegacy &&
        (err instanceof BadSignatureError || err instanceof MalformedError)
      ) {
        return this.#legacyDecode(value);
      }
      throw err;
    }
    return this.#serializer.loads(bytes);
  }

  #legacyHash(serialized: Uint8Array): string {
    return saltedHmac(this.#legacySalt, serialized, this.#options.secret, "sha1").toString("hex");
  }

  #legacyEncode(serialized: Uint8Array): string {
    const hash = this.#legacyHash(serialized);
    return base64Encode(Buffer.concat([Buffer.from(`${hash}:`, "latin1"), serialized]));
  }

  #legacyDecode(value: string): SessionData {
    const raw = base64Decode(value);
    const colon = raw.indexOf(0x3a);
    if (colon < 0) throw new MalformedError("Legacy session value has no hash");
    const given = raw.subarray(0, colon);
    const serialized = raw.subarray(colon + 1);
    const expected = Buffer.from(this.#legacyHash(serialized), "latin1");
    if (!timingSafeEqual(given, expected)) {
      throw new BadSignatureError("Legacy session hash does not match");
    }
    return this.#serializer.loads(serialized);
  }
}
