/**
 * Flask-Login's session and remember-cookie formulas (flask-starlette-formats.md §3), as pure
 * functions: the `_id` session identifier (0.6.x and 0.7) and the `remember_token` cookie.
 */
import { Buffer, hash, hmac, timingSafeEqual } from "#runtime";
import { BadSignatureError, ConfigurationError } from "../../errors.ts";
import type { Secret } from "../itsdangerous/encoding.ts";
import { assertSecret } from "../secret.ts";

/**
 * The keys Flask-Login keeps in the session (`config.SESSION_KEYS`).
 *
 * @example
 * ```ts
 * for (const key of FLASK_LOGIN_SESSION_KEYS) session.delete(key); // logout_user() + "strong" protection
 * ```
 */
export const FLASK_LOGIN_SESSION_KEYS: readonly string[] = [
  "_user_id",
  "_remember",
  "_remember_seconds",
  "_id",
  "_fresh",
  "next",
];

/**
 * The request facts the identifier hashes. Header values as Werkzeug (and Node) hold them:
 * strings decoded from the raw header bytes as latin-1. `null`/`undefined` = absent.
 */
export interface FlaskLoginRequestInfo {
  /** `request.remote_addr` (WSGI `REMOTE_ADDR`). */
  readonly remoteAddr?: string | null | undefined;
  /** The `X-Forwarded-For` header (used by 0.6.x only). */
  readonly forwardedFor?: string | null | undefined;
  /** The `User-Agent` header. */
  readonly userAgent?: string | null | undefined;
}

/**
 * Python's `repr(bytes)`: `b'...'`, or `b"..."` when the bytes contain `'` and no `"`;
 * `\\`, `\t`, `\n`, `\r`, and `\xNN` (lowercase) for other bytes outside 0x20–0x7e.
 *
 * @example
 * ```ts
 * pythonBytesRepr(Buffer.from("203.0.113.7")); // "b'203.0.113.7'"
 * ```
 */
export function pythonBytesRepr(bytes: Uint8Array): string {
  const quote = bytes.includes(0x27) && !bytes.includes(0x22) ? '"' : "'";
  const q = quote.charCodeAt(0);
  let out = `b${quote}`;
  for (const c of bytes) {
    if (c === q || c === 0x5c) out += `\\${String.fromCharCode(c)}`;
    else if (c === 0x09) out += "\\t";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c < 0x20 || c >= 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else out += String.fromCharCode(c);
  }
  return out + quote;
}

/** `bytes.strip()` whitespace: space, \t, \n, \r, \x0b, \x0c. */
const isPyWhitespace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);

function stripBytes(bytes: Buffer): Buffer {
  let start = 0;
  let end = bytes.length;
  while (start < end && isPyWhitespace(bytes[start]!)) start++;
  while (end > start && isPyWhitespace(bytes[end - 1]!)) end--;
  return bytes.subarray(start, end);
}

/**
 * The string Flask-Login hashes into `_id`.
 *
 * - `0.6` (`_create_identifier`, 0.6.2/0.6.3): `f"{addr}|{ua}"` with `addr =
 *   (X-Forwarded-For or REMOTE_ADDR).encode("utf-8").split(b",")[0].strip()` and
 *   `ua = User-Agent.encode("utf-8")`: both Python *bytes reprs* (`b'...'`), `None` if absent.
 * - `0.7`: `f"{request.remote_addr}|{request.user_agent.string}"`; no X-Forwarded-For, a
 *   missing User-Agent is `""`, a missing address `None`.
 *
 * @example
 * ```ts
 * flaskLoginIdentifierBase({ remoteAddr: "203.0.113.7", userAgent: "Mozilla/5.0 (vectors)" }, "0.6");
 * // "b'203.0.113.7'|b'Mozilla/5.0 (vectors)'"
 * ```
 */
export function flaskLoginIdentifierBase(
  info: FlaskLoginRequestInfo,
  version: "0.6" | "0.7",
): string {
  if (version === "0.7") return `${info.remoteAddr ?? "None"}|${info.userAgent ?? ""}`;
  const address = info.forwardedFor ?? info.remoteAddr;
  let addr = "None";
  if (address !== null && address !== undefined) {
    const raw = Buffer.from(address, "utf8");
    const comma = raw.indexOf(0x2c);
    addr = pythonBytesRepr(stripBytes(comma < 0 ? raw : raw.subarray(0, comma)));
  }
  const ua =
    info.userAgent === null || info.userAgent === undefined
      ? "None"
      : pythonBytesRepr(Buffer.from(info.userAgent, "utf8"));
  return `${addr}|${ua}`;
}

/**
 * The `_id` Flask-Login stores at login: `sha512(base.encode("utf-8")).hexdigest()`.
 *
 * @example
 * ```ts
 * flaskLoginIdentifier({ remoteAddr: "203.0.113.7", userAgent: "curl/8" }, "0.6"); // 128 hex chars
 * ```
 */
export function flaskLoginIdentifier(info: FlaskLoginRequestInfo, version: "0.6" | "0.7"): string {
  return hash("sha512", flaskLoginIdentifierBase(info, version)).toString("hex");
}

/** `_secret_key()`: a `str` key is encoded as **latin-1** (not UTF-8). */
function latin1Key(secretKey: Secret): Buffer {
  // An empty key would make every remember-me cookie forgeable.
  assertSecret(secretKey, "SECRET_KEY");
  if (typeof secretKey !== "string") return Buffer.from(secretKey);
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\xff]/.test(secretKey)) {
    throw new ConfigurationError("Flask-Login needs a SECRET_KEY encodable as latin-1");
  }
  return Buffer.from(secretKey, "latin1");
}

function cookieDigest(payload: string, secretKey: Secret): string {
  return hmac("sha512", latin1Key(secretKey), payload).toString("hex");
}

/**
 * `encode_cookie(user_id)`: the `remember_token` value `user_id|hmac_sha512_hex`.
 * (Werkzeug may RFC 2109-quote it in the Set-Cookie header; that is the cookie layer's job.)
 *
 * @example
 * ```ts
 * encodeRememberCookie("42", "test-secret-key"); // "42|4e79f093…"
 * ```
 */
export function encodeRememberCookie(userId: string, secretKey: Secret): string {
  return `${userId}|${cookieDigest(userId, secretKey)}`;
}

/**
 * `decode_cookie(value)`: the user id if the digest matches (`rsplit("|", 1)` +
 * `compare_digest`). Flask-Login answers `None` where this throws.
 *
 * @throws {BadSignatureError} when there is no `|` or the digest does not match.
 * @example
 * ```ts
 * decodeRememberCookie(encodeRememberCookie("42", "k"), "k"); // "42"
 * ```
 */
export function decodeRememberCookie(value: string, secretKey: Secret): string {
  const at = value.lastIndexOf("|");
  if (at < 0) throw new BadSignatureError('No "|" found in remember cookie');
  const payload = value.slice(0, at);
  const given = Buffer.from(value.slice(at + 1), "utf8");
  const expected = Buffer.from(cookieDigest(payload, secretKey), "utf8");
  if (timingSafeEqual(given, expected)) return payload;
  throw new BadSignatureError();
}
