/**
 * itsdangerous's encoding primitives (flask-starlette-formats.md §1.1, itsdangerous
 * `encoding.py`), plus the non-validating base64 decoder of CPython (`binascii.a2b_base64`
 * with `strict_mode=False`) that both itsdangerous and Starlette rely on when reading.
 *
 * Writing is canonical (URL-safe alphabet, `=` stripped). Reading mirrors Python exactly:
 * non-ASCII characters are dropped, the text is re-padded to a multiple of 4, `-`/`_` and
 * `+`/`/` are both accepted, any other character is skipped, and decoding stops at the first
 * complete pad sequence. So a token Python accepts is accepted here and vice versa.
 */
import { Buffer } from "#runtime";
import { InvalidArgumentError } from "../../errors.ts";

/** A secret key or salt as itsdangerous takes it: `str` (UTF-8 encoded) or `bytes`. */
export type Secret = string | Uint8Array;

/**
 * `want_bytes`: a `str` is UTF-8 encoded, bytes are taken as they are (§1.1).
 *
 * @example
 * ```ts
 * wantBytes("é"); // <Buffer c3 a9>
 * ```
 */
export function wantBytes(value: Secret): Buffer {
  return typeof value === "string"
    ? Buffer.from(value, "utf8")
    : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/**
 * `base64_encode`: URL-safe alphabet, padding stripped (§1.1).
 *
 * @example
 * ```ts
 * base64Encode(Uint8Array.of(0x65, 0x53, 0xf1, 0x00)); // "ZVPxAA"
 * ```
 */
export function base64Encode(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
}

/** Canonical unpadded base64url: decodable by Buffer with no leniency involved. */
const CANONICAL_B64URL = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2,3})?$/;

/**
 * `base64_decode`: itsdangerous's lenient URL-safe decoding (§1.1). Returns `null` where Python
 * raises (`BadData`), so callers decide which error that is.
 *
 * @example
 * ```ts
 * base64Decode("ZVPxAA"); // <Buffer 65 53 f1 00>
 * base64Decode("ZVPx+A=="); // also accepted, as in Python
 * ```
 */
export function base64Decode(text: string): Buffer | null {
  // Fast path: what itsdangerous itself writes. The final character may carry non-zero unused
  // bits; Buffer ignores them exactly like binascii does.
  if (CANONICAL_B64URL.test(text)) return Buffer.from(text, "base64url");
  // want_bytes(s, "ascii", errors="ignore"), then `s += b"=" * (-len(s) % 4)`.
  // eslint-disable-next-line no-control-regex
  const ascii = text.replace(/[^\x00-\x7f]/g, "");
  return pythonA2bBase64(ascii + "=".repeat((4 - (ascii.length % 4)) % 4), true);
}

/**
 * `base64.b64decode(s)` / `urlsafe_b64decode(s)` with Python's default `validate=False`:
 * CPython's `binascii.a2b_base64` in non-strict mode. Returns `null` where Python raises
 * `binascii.Error` ("Incorrect padding", or one data character too many).
 *
 * @param urlSafe - also map `-`/`_` to `+`/`/` first, as `urlsafe_b64decode` does.
 * @example
 * ```ts
 * pythonA2bBase64("eyJhIjogImJjIn0=", false); // the bytes of '{"a": "bc"}'
 * pythonA2bBase64("abc", false); // null: "Incorrect padding"
 * ```
 */
export function pythonA2bBase64(text: string, urlSafe: boolean): Buffer | null {
  const out = Buffer.allocUnsafe(Math.floor((text.length * 3) / 4) + 3);
  let n = 0;
  let quadPos = 0;
  let leftChar = 0;
  let pads = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3d) {
      // "=": a pad sequence completing a quad ends the input; stray pads are ignored.
      if (quadPos >= 2 && quadPos + ++pads >= 4) return out.subarray(0, n);
      continue;
    }
    const v = c < 128 ? A2B[urlSafe ? URLSAFE_MAP[c]! : c]! : 64;
    if (v >= 64) continue; // not in the alphabet: skipped in non-strict mode
    pads = 0;
    switch (quadPos) {
      case 0:
        quadPos = 1;
        leftChar = v;
        break;
      case 1:
        quadPos = 2;
        out[n++] = (leftChar << 2) | (v >> 4);
        leftChar = v & 0x0f;
        break;
      case 2:
        quadPos = 3;
        out[n++] = ((leftChar << 4) | (v >> 2)) & 0xff;
        leftChar = v & 0x03;
        break;
      default:
        quadPos = 0;
        out[n++] = ((leftChar << 6) | v) & 0xff;
        leftChar = 0;
    }
  }
  return quadPos === 0 ? out.subarray(0, n) : null;
}

const STD_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/** `table_a2b_base64`: ASCII code → 6-bit value, 64 for "not base64". */
const A2B: readonly number[] = Array.from({ length: 128 }, (_, c) => {
  const i = STD_ALPHABET.indexOf(String.fromCharCode(c));
  return i < 0 ? 64 : i;
});
/** `urlsafe_b64decode`'s `translate(b"-_", b"+/")`. */
const URLSAFE_MAP: readonly number[] = Array.from({ length: 128 }, (_, c) =>
  c === 0x2d ? 0x2b : c === 0x5f ? 0x2f : c,
);

/**
 * `int_to_bytes`: big-endian, leading zero bytes stripped (`0` → empty) (§1.1).
 *
 * @example
 * ```ts
 * intToBytes(1700000000); // <Buffer 65 53 f1 00>
 * ```
 */
export function intToBytes(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new InvalidArgumentError("intToBytes needs an unsigned int");
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from(bytes);
}

/**
 * `bytes_to_int`: `struct.unpack(">Q", b.rjust(8, b"\0"))`; `null` for more than 8 bytes (where
 * Python's `struct.error` makes the timestamp "malformed"). Values above 2^53 lose precision.
 *
 * @example
 * ```ts
 * bytesToInt(Buffer.from("6553f100", "hex")); // 1700000000
 * ```
 */
export function bytesToInt(bytes: Uint8Array): number | null {
  if (bytes.length > 8) return null;
  let n = 0;
  for (const b of bytes) n = n * 256 + b;
  return n;
}
