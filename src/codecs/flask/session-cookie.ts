/**
 * The value of Flask's `session` cookie: `SecureCookieSessionInterface`
 * (flask-starlette-formats.md §2.1).
 *
 * ```
 * URLSafeTimedSerializer([*SECRET_KEY_FALLBACKS, SECRET_KEY], salt="cookie-session",
 *     serializer=TaggedJSONSerializer(),
 *     signer_kwargs={"key_derivation": "hmac", "digest_method": sha1})
 * cookie = [.]b64url(zlib?(tagged_json)) "." b64url(ts) "." b64url(HMAC-SHA1(HMAC-SHA1(key, "cookie-session"), payload.ts))
 * ```
 * Signs with `SECRET_KEY`; verifies `SECRET_KEY`, then the fallbacks from the last one
 * (Flask 3.1.1+; 3.1.0 signed with the last fallback, a bug fixed in 3.1.1). Every load is
 * checked against `PERMANENT_SESSION_LIFETIME` (default 31 days), permanent or not; a future
 * timestamp is rejected. Pure: no cookie attributes, no I/O.
 */
import type { SessionData } from "../python-values.ts";
import type { Secret } from "../itsdangerous/encoding.ts";
import { URLSafeTimedSerializer, type TextSerializer } from "../itsdangerous/serializer.ts";
import type { DigestMethod, KeyDerivation } from "../itsdangerous/signer.ts";
import {
  dumpsFlaskTaggedJson,
  loadsFlaskSessionJson,
  type FlaskJsonOptions,
} from "./tagged-json.ts";

/**
 * Flask's default `PERMANENT_SESSION_LIFETIME`: 31 days, in seconds.
 *
 * @example
 * ```ts
 * new FlaskSessionCodec({ secretKey: "k", maxAge: FLASK_DEFAULT_MAX_AGE }); // the default
 * ```
 */
export const FLASK_DEFAULT_MAX_AGE = 31 * 24 * 60 * 60;

/** Configuration of {@link FlaskSessionCodec}, named after Flask's config keys. */
export interface FlaskSessionCodecOptions extends FlaskJsonOptions {
  /** `SECRET_KEY`: signs and verifies first. */
  readonly secretKey: Secret;
  /** `SECRET_KEY_FALLBACKS` (Flask 3.1+), oldest first as in Flask's config: verify only. */
  readonly secretKeyFallbacks?: readonly Secret[] | undefined;
  /**
   * `PERMANENT_SESSION_LIFETIME` in seconds, applied on every load; default 31 days.
   * `null` skips the age check (what starlette-flask and flask-session-decoder do; Flask never).
   */
  readonly maxAge?: number | null | undefined;
  /** `session_interface.salt`, default `cookie-session`. */
  readonly salt?: string | undefined;
  /** `session_interface.key_derivation`, default `hmac`. */
  readonly keyDerivation?: KeyDerivation | undefined;
  /** `session_interface.digest_method`, default `sha1`. */
  readonly digestMethod?: DigestMethod | undefined;
  /** Bound on a decompressed cookie payload (zlib bomb guard). */
  readonly maxDecompressedBytes?: number | undefined;
  /** `zlib.compress` replacement, e.g. pako for stock-zlib-identical bytes (§6). */
  readonly compress?: ((data: Uint8Array) => Uint8Array) | undefined;
}

/** Options of {@link FlaskSessionCodec.decode}. */
export interface FlaskDecodeOptions {
  /** Current time in seconds, for tests; default the clock. */
  readonly now?: number | undefined;
}

/**
 * Encodes and decodes Flask session cookie values.
 *
 * @example
 * ```ts
 * const codec = new FlaskSessionCodec({ secretKey: "test-secret-key" });
 * const cookie = codec.encode(new Map([["user", "alice"]]), 1700000000);
 * // "eyJ1c2VyIjoiYWxpY2UifQ.ZVPxAA.<sig>"
 * codec.decode(cookie, { now: 1700000000 }); // Map { "user" => "alice" }
 * ```
 */
export class FlaskSessionCodec {
  /** The underlying serializer (`get_signing_serializer(app)`). */
  readonly serializer: URLSafeTimedSerializer<SessionData>;
  /** The age limit in seconds, or `null` for none. */
  readonly maxAge: number | null;

  constructor(options: FlaskSessionCodecOptions) {
    const json: FlaskJsonOptions = { sortKeys: options.sortKeys, ensureAscii: options.ensureAscii };
    const tagged: TextSerializer<SessionData> = {
      dumps: (data) => dumpsFlaskTaggedJson(data, json),
      loads: loadsFlaskSessionJson,
    };
    // Flask 3.1.1+: `keys = [*fallbacks, SECRET_KEY]`; itsdangerous signs with the last key
    // and verifies from the last to the first.
    const keys = [...(options.secretKeyFallbacks ?? []), options.secretKey];
    this.serializer = new URLSafeTimedSerializer<SessionData>(keys, {
      salt: options.salt ?? "cookie-session",
      serializer: tagged,
      signerOptions: {
        keyDerivation: options.keyDerivation ?? "hmac",
        digestMethod: options.digestMethod ?? "sha1",
      },
      maxDecompressedBytes: options.maxDecompressedBytes,
      compress: options.compress,
    });
    this.maxAge = options.maxAge === undefined ? FLASK_DEFAULT_MAX_AGE : options.maxAge;
  }

  /**
   * `save_session`'s cookie value: `get_signing_serializer(app).dumps(dict(session))`.
   *
   * @param now - signing time in seconds; default the clock.
   * @throws {UnsupportedValueError} for a value Flask cannot serialise.
   * @example
   * ```ts
   * new FlaskSessionCodec({ secretKey: "k" }).encode(new Map([["n", 1]]), 1700000000);
   * ```
   */
  encode(data: SessionData, now?: number): string {
    return this.serializer.dumps(data, { now });
  }

  /**
   * `open_session`'s read: `s.loads(cookie, max_age=PERMANENT_SESSION_LIFETIME)`. An empty
   * cookie value is a new empty session, as in Flask. Flask turns the signature errors into
   * an empty session and crashes (500) on the malformed ones.
   *
   * @throws {BadSignatureError} tampered, wrong key/salt/digest, malformed timestamp.
   * @throws {SignatureExpiredError} older than `maxAge` or from the future.
   * @throws {MalformedError} validly signed but not a Flask session payload.
   * @throws {TooLargeError} the compressed payload inflates beyond the bound.
   * @example
   * ```ts
   * const codec = new FlaskSessionCodec({ secretKey: "k" });
   * codec.decode(codec.encode(new Map([["n", 1]]))); // Map { "n" => 1 }
   * ```
   */
  decode(cookie: string, options: FlaskDecodeOptions = {}): SessionData {
    return this.decodeTimestamped(cookie, options).data;
  }

  /**
   * Like {@link FlaskSessionCodec.decode}, also returning the signing time in seconds
   * (`null` for an empty cookie).
   *
   * @example
   * ```ts
   * const codec = new FlaskSessionCodec({ secretKey: "k" });
   * codec.decodeTimestamped(codec.encode(new Map(), 1700000000), { now: 1700000000 }).timestamp;
   * // 1700000000
   * ```
   */
  decodeTimestamped(
    cookie: string,
    options: FlaskDecodeOptions = {},
  ): { readonly data: SessionData; readonly timestamp: number | null } {
    if (cookie === "") return { data: new Map(), timestamp: null };
    const { value, timestamp } = this.serializer.loadsTimestamped(cookie, {
      maxAge: this.maxAge,
      now: options.now,
    });
    return { data: value, timestamp };
  }
}
