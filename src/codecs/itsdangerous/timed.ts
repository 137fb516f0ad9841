/**
 * itsdangerous `TimestampSigner` (flask-starlette-formats.md §1.3, itsdangerous `timed.py`).
 *
 * ```
 * signed = value + sep + b64(int_to_bytes(ts)) + sep + signature(value + sep + b64(ts))
 * ```
 * `ts` is whole seconds. With `maxAge`, `age = now - ts`; `age > maxAge` and `age < 0` (a
 * future timestamp) are both `SignatureExpired`; `age == maxAge` is still valid.
 */
import { BadSignatureError, SignatureExpiredError } from "../../errors.ts";
import { base64Decode, base64Encode, bytesToInt, intToBytes } from "./encoding.ts";
import { Signer } from "./signer.ts";

/** Options of {@link TimestampSigner.unsign}. */
export interface TimestampUnsignOptions {
  /** Maximum age in seconds; `undefined`/`null` accepts any age, even a future one. */
  readonly maxAge?: number | null | undefined;
  /** Current time in seconds, for tests; default the clock. Floored like `int(time.time())`. */
  readonly now?: number | undefined;
}

/** What {@link TimestampSigner.unsignTimestamped} returns. */
export interface TimestampedValue {
  readonly value: string;
  /** Signing time in whole seconds since the epoch. */
  readonly timestamp: number;
}

/**
 * `get_timestamp()`: `int(time.time())`, or the pinned `now` floored.
 *
 * @example
 * ```ts
 * currentTimestamp(1700000000.9); // 1700000000
 * ```
 */
export function currentTimestamp(now?: number): number {
  return Math.floor(now ?? Date.now() / 1000);
}

/** `base64_encode(int_to_bytes(ts))`, memoised for the current second (it changes once a second). */
let lastTs = -1;
let lastTsText = "";
function encodeTimestamp(ts: number): string {
  if (ts !== lastTs) {
    lastTsText = base64Encode(intToBytes(ts));
    lastTs = ts;
  }
  return lastTsText;
}

/**
 * `itsdangerous.TimestampSigner`.
 *
 * @example
 * ```ts
 * const signer = new TimestampSigner("secret");
 * const token = signer.sign("hello", 1700000000); // "hello.ZVPxAA.<sig>"
 * signer.unsign(token, { maxAge: 60, now: 1700000030 }); // "hello"
 * ```
 */
export class TimestampSigner extends Signer {
  /**
   * `sign(value)` with the current (or given) time in seconds.
   *
   * @example
   * ```ts
   * new TimestampSigner("k").sign("v", 1700000000); // "v.ZVPxAA.<sig>"
   * ```
   */
  override sign(value: string, now?: number): string {
    return super.sign(`${value}${this.sep}${encodeTimestamp(currentTimestamp(now))}`);
  }

  /**
   * `unsign(value, max_age, return_timestamp=True)`.
   *
   * @throws {BadSignatureError} bad signature, missing or malformed timestamp
   *   (`BadTimeSignature` in Python, which Flask and Starlette treat like any bad signature).
   * @throws {SignatureExpiredError} older than `maxAge`, or from the future when `maxAge` is set.
   * @example
   * ```ts
   * const s = new TimestampSigner("k");
   * s.unsignTimestamped(s.sign("v", 1700000000)); // { value: "v", timestamp: 1700000000 }
   * ```
   */
  unsignTimestamped(signed: string, options: TimestampUnsignOptions = {}): TimestampedValue {
    const result = super.unsign(signed);
    const at = result.lastIndexOf(this.sep);
    // Python: `BadTimeSignature("timestamp missing")` / `("Malformed timestamp")`.
    if (at < 0) throw new BadSignatureError("Timestamp missing");
    const value = result.slice(0, at);
    const tsText = result.slice(at + this.sep.length);
    const timestamp = base64UrlUint(tsText) ?? decodeTimestamp(tsText);
    if (timestamp === null) throw new BadSignatureError("Malformed timestamp");
    const { maxAge } = options;
    if (maxAge !== undefined && maxAge !== null) {
      const age = currentTimestamp(options.now) - timestamp;
      // §1.3: `age > max_age` and `age < 0` are both SignatureExpired; `age == max_age` passes.
      if (age > maxAge || age < 0) throw new SignatureExpiredError(age, maxAge);
    }
    return { value, timestamp };
  }

  /**
   * Like {@link TimestampSigner.unsignTimestamped}, returning only the value.
   *
   * @example
   * ```ts
   * const s = new TimestampSigner("k");
   * s.unsign(s.sign("v"), { maxAge: 3600 }); // "v"
   * ```
   */
  override unsign(signed: string, options: TimestampUnsignOptions = {}): string {
    return this.unsignTimestamped(signed, options).value;
  }
}

function decodeTimestamp(text: string): number | null {
  const bytes = base64Decode(text);
  return bytes === null ? null : bytesToInt(bytes);
}

const B64URL_VALUE = new Int8Array(128).fill(-1);
for (const [i, c] of [
  ..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
].entries()) {
  B64URL_VALUE[c.charCodeAt(0)] = i;
}

/**
 * The usual timestamp, decoded without allocating: 6 canonical base64url characters = 4 bytes,
 * big-endian (`int_to_bytes` of today's times). Anything else takes the general path.
 */
function base64UrlUint(text: string): number | null {
  if (text.length !== 6) return null;
  let n = 0;
  for (let i = 0; i < 6; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? B64URL_VALUE[c]! : -1;
    if (v < 0) return null;
    n = n * 64 + v;
  }
  // 36 bits were read; the last 4 are padding bits a canonical encoder leaves at zero.
  if (n % 16 !== 0) return null;
  return n / 16;
}
