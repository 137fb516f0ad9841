/**
 * The value of Starlette's `session` cookie: `SessionMiddleware` (flask-starlette-formats.md
 * §5.1; identical in 0.26, 0.47 and 1.x).
 *
 * ```
 * signer = itsdangerous.TimestampSigner(str(secret_key))   # salt "itsdangerous.Signer", django-concat, sha1
 * cookie = signer.sign(b64encode(json.dumps(session).encode("utf-8")))
 *        = <standard base64 WITH padding> "." b64url(ts) "." b64url(sig)
 * ```
 * `json.dumps` defaults: `", "` / `": "`, `ensure_ascii=True`, insertion order. On load:
 * `signer.unsign(cookie, max_age=max_age)` (default 14 days, `None` = no check), then
 * `json.loads(b64decode(data))` with Python's non-validating base64. Pure: no cookie attributes.
 */
import { Buffer } from "#runtime";
import { MalformedError } from "../../errors.ts";
import { base64Encode } from "../base64.ts";
import { pythonA2bBase64 } from "../itsdangerous/encoding.ts";
import { TimestampSigner } from "../itsdangerous/timed.ts";
import { dumpsPythonJson, loadsPythonJsonSession } from "../python-json.ts";
import type { SessionData } from "../python-values.ts";

/**
 * Starlette's default `max_age`: 14 days, in seconds.
 *
 * @example
 * ```ts
 * new StarletteSessionCodec({ secretKey: "k", maxAge: STARLETTE_DEFAULT_MAX_AGE }); // the default
 * ```
 */
export const STARLETTE_DEFAULT_MAX_AGE = 14 * 24 * 60 * 60;

/** Configuration of {@link StarletteSessionCodec}, named after `SessionMiddleware`'s arguments. */
export interface StarletteSessionCodecOptions {
  /** `secret_key` (a `str`; Starlette signs with `str(secret_key)`). */
  readonly secretKey: string;
  /** `max_age` in seconds; default 14 days; `null` = no expiry check (Starlette ≥ 0.18). */
  readonly maxAge?: number | null | undefined;
}

/** Options of {@link StarletteSessionCodec.decode}. */
export interface StarletteDecodeOptions {
  /** Current time in seconds, for tests; default the clock. */
  readonly now?: number | undefined;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });
const CANONICAL_B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Encodes and decodes Starlette (and FastAPI) session cookie values.
 *
 * @example
 * ```ts
 * const codec = new StarletteSessionCodec({ secretKey: "test-secret-key" });
 * codec.encode(new Map([["a", "bc"]]), 1700000000);
 * // "eyJhIjogImJjIn0=.ZVPxAA.tcSTfi31RaO847fRTUMrGwKU6kk"
 * ```
 */
export class StarletteSessionCodec {
  /** The signer (`TimestampSigner(str(secret_key))`). */
  readonly signer: TimestampSigner;
  /** The age limit in seconds, or `null` for none. */
  readonly maxAge: number | null;

  constructor(options: StarletteSessionCodecOptions) {
    this.signer = new TimestampSigner(options.secretKey);
    this.maxAge = options.maxAge === undefined ? STARLETTE_DEFAULT_MAX_AGE : options.maxAge;
  }

  /**
   * The cookie value the middleware sets: `signer.sign(b64encode(json.dumps(session)))`.
   *
   * @param now - signing time in seconds; default the clock.
   * @throws {UnsupportedValueError} for values `json.dumps` cannot serialise (bytes, datetime, ...).
   * @example
   * ```ts
   * new StarletteSessionCodec({ secretKey: "k" }).encode(new Map([["visits", 1]]));
   * ```
   */
  encode(data: SessionData, now?: number): string {
    const payload = base64Encode(Buffer.from(dumpsPythonJson(data), "utf8"));
    return this.signer.sign(payload, now);
  }

  /**
   * Reads a cookie value. Starlette turns the signature errors into an empty session and
   * crashes (500) on the malformed ones.
   *
   * @throws {BadSignatureError} tampered, wrong key, malformed timestamp, empty value.
   * @throws {SignatureExpiredError} older than `maxAge` or from the future.
   * @throws {MalformedError} validly signed but bad base64, bad JSON or not a JSON object.
   * @example
   * ```ts
   * const codec = new StarletteSessionCodec({ secretKey: "k" });
   * codec.decode(codec.encode(new Map([["a", 1]]))); // Map { "a" => 1 }
   * ```
   */
  decode(cookie: string, options: StarletteDecodeOptions = {}): SessionData {
    return this.decodeTimestamped(cookie, options).data;
  }

  /**
   * Like {@link StarletteSessionCodec.decode}, also returning the signing time in seconds.
   *
   * @example
   * ```ts
   * const codec = new StarletteSessionCodec({ secretKey: "k" });
   * codec.decodeTimestamped(codec.encode(new Map(), 1700000000), { now: 1700000000 }).timestamp;
   * // 1700000000
   * ```
   */
  decodeTimestamped(
    cookie: string,
    options: StarletteDecodeOptions = {},
  ): { readonly data: SessionData; readonly timestamp: number } {
    const { value, timestamp } = this.signer.unsignTimestamped(cookie, {
      maxAge: this.maxAge,
      now: options.now,
    });
    // `b64decode(data)`: standard alphabet, non-validating, no re-padding. What Starlette
    // writes is canonical and decodes the same on Buffer's fast path.
    const raw = CANONICAL_B64.test(value)
      ? Buffer.from(value, "base64")
      : pythonA2bBase64(value, false);
    if (raw === null) throw new MalformedError("Session payload is not base64");
    let text: string;
    try {
      // `json.loads(bytes)` decodes UTF-8 (a leading BOM is dropped, as for `utf-8-sig`).
      text = UTF8.decode(raw);
    } catch (err) {
      throw new MalformedError("Session payload is not UTF-8", { cause: err });
    }
    // Starlette ≥ 1.0 builds `Session(value)` and fails on non-dicts; ≤ 0.47 kept any value.
    return { data: loadsPythonJsonSession(text), timestamp };
  }
}
