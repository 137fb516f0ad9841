/**
 * Cookie header text as Werkzeug writes it (`dump_cookie`, WZ 2.2 / 3.1) and as Werkzeug and
 * Starlette read it (flask-starlette-formats.md §2.3, §5.1).
 *
 * Attribute order: Domain, Expires, Max-Age, Secure, HttpOnly, Path, SameSite, Partitioned.
 * Values outside Werkzeug's no-quote set are RFC 2109-quoted with `\ooo` octal escapes.
 */
import { Buffer } from "#runtime";
import { httpDate } from "../flask/http-date.ts";
import type { SameSite } from "../same-site.ts";
import {
  PyDateTime,
  PyFloat,
  PyMarkup,
  PyTuple,
  isPyDict,
  type PyValue,
} from "../python-values.ts";

/**
 * SameSite for the Flask policies: the library's {@link SameSite} (`"Lax"`, `"Strict"`,
 * `"None"`, `false` for none), or Flask's own config values (`SESSION_COOKIE_SAMESITE`:
 * lowercase, `None` as `null`). Werkzeug title-cases it in the header.
 */
export type WerkzeugSameSite = SameSite | "lax" | "strict" | "none" | null;

/** What {@link dumpWerkzeugCookie} writes. */
export interface WerkzeugCookieOptions {
  readonly domain?: string | undefined;
  /** Seconds since the epoch, whole seconds. */
  readonly expires?: number | undefined;
  readonly maxAge?: number | undefined;
  readonly secure?: boolean | undefined;
  readonly httpOnly?: boolean | undefined;
  readonly path?: string | null | undefined;
  readonly sameSite?: WerkzeugSameSite | undefined;
  /** Werkzeug 3.1: adds `Partitioned` and forces `Secure`. */
  readonly partitioned?: boolean | undefined;
}

// WZ 3.1 `_cookie_no_quote_re` (WZ 2.2's `_legal_cookie_chars` differs only in chars that
// itsdangerous, token_urlsafe and uuid4 values never contain).
const NO_QUOTE = /^[\w!#$%&'()*+\-./:<=>?@[\]^`{|}~]*$/;

/** Werkzeug's value quoting: as is, or `"…"` with `\"`, `\\` and `\ooo` escapes. */
export function quoteCookieValue(value: string): string {
  if (NO_QUOTE.test(value)) return value;
  let out = "";
  for (const byte of Buffer.from(value, "utf8")) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += "\\\\";
    else if (byte < 0x20 || byte === 0x2c || byte === 0x3b || byte >= 0x7f)
      out += `\\${byte.toString(8).padStart(3, "0")}`;
    else out += String.fromCharCode(byte);
  }
  return `"${out}"`;
}

/** `http_date(seconds)`: `Fri, 15 Dec 2023 22:13:20 GMT`. */
export function httpDateFromSeconds(seconds: number): string {
  return httpDate(PyDateTime.fromDate(new Date(Math.floor(seconds) * 1000)));
}

/**
 * `werkzeug.http.dump_cookie`.
 *
 * @example
 * ```ts
 * dumpWerkzeugCookie("session", "abc", { httpOnly: true, path: "/" }); // "session=abc; HttpOnly; Path=/"
 * ```
 */
export function dumpWerkzeugCookie(
  name: string,
  value: string,
  options: WerkzeugCookieOptions = {},
): string {
  const parts = [`${name}=${quoteCookieValue(value)}`];
  if (options.domain !== undefined && options.domain !== "") {
    parts.push(`Domain=${options.domain.split(":", 1)[0] ?? ""}`);
  }
  if (options.expires !== undefined) parts.push(`Expires=${httpDateFromSeconds(options.expires)}`);
  if (options.maxAge !== undefined) parts.push(`Max-Age=${options.maxAge}`);
  if (options.secure || options.partitioned) parts.push("Secure");
  if (options.httpOnly) parts.push("HttpOnly");
  if (options.path !== undefined && options.path !== null) parts.push(`Path=${options.path}`);
  if (options.sameSite) {
    const s = options.sameSite.toLowerCase();
    parts.push(`SameSite=${s[0]!.toUpperCase()}${s.slice(1)}`);
  }
  if (options.partitioned) parts.push("Partitioned");
  return parts.join("; ");
}

/** Werkzeug's `dump_cookie(max_size=…)` default and Flask's `MAX_COOKIE_SIZE`, in bytes. */
export const WERKZEUG_MAX_COOKIE_SIZE = 4093;

/**
 * Werkzeug's warning for a `Set-Cookie` value longer than `maxSize` (browsers drop such cookies
 * silently, so the session write would be lost), or `undefined` when it fits or `maxSize` is 0.
 *
 * @example
 * ```ts
 * cookieSizeWarning("session", "x".repeat(5000), "session=" + "x".repeat(5000) + "; Path=/");
 * // "The 'session' cookie is too large: the value was 5000 bytes but the header required 16 extra bytes. …"
 * ```
 */
export function cookieSizeWarning(
  name: string,
  value: string,
  header: string,
  maxSize: number = WERKZEUG_MAX_COOKIE_SIZE,
): string | undefined {
  const size = header.length;
  if (maxSize === 0 || size <= maxSize) return undefined;
  return (
    `The '${name}' cookie is too large: the value was ${String(value.length)} bytes but the ` +
    `header required ${String(size - value.length)} extra bytes. The final size was ` +
    `${String(size)} bytes but the limit is ${String(maxSize)} bytes. Browsers may silently ` +
    "ignore cookies larger than this."
  );
}

/**
 * `Response.delete_cookie`: empty value, the 1970 date, `Max-Age=0`, same attributes.
 *
 * @example
 * ```ts
 * deleteWerkzeugCookie("session", { httpOnly: true, path: "/" });
 * // "session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Path=/"
 * ```
 */
export function deleteWerkzeugCookie(
  name: string,
  options: Omit<WerkzeugCookieOptions, "expires" | "maxAge"> = {},
): string {
  return dumpWerkzeugCookie(name, "", { ...options, expires: 0, maxAge: 0 });
}

/** `http.cookies._unquote`: strips `"…"` and resolves `\ooo` and `\c` escapes. */
export function unquoteCookieValue(value: string): string {
  if (value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) return value;
  const inner = value.slice(1, -1);
  if (!inner.includes("\\")) return inner;
  const bytes: number[] = [];
  for (let i = 0; i < inner.length; i++) {
    const c = inner.charCodeAt(i);
    if (c === 0x5c && i + 1 < inner.length) {
      const oct = /^[0-3][0-7][0-7]/.exec(inner.slice(i + 1, i + 4));
      if (oct) {
        bytes.push(parseInt(oct[0], 8));
        i += 3;
      } else {
        bytes.push(inner.charCodeAt(i + 1) & 0xff);
        i += 1;
      }
    } else {
      for (const b of Buffer.from(inner[i]!, "utf8")) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

/**
 * One cookie's value from a `Cookie` header. Werkzeug keeps the **first** of duplicate names
 * (`"first"`), Starlette the **last** (`"last"`).
 *
 * @example
 * ```ts
 * readCookie("session=a; session=b", "session", "first"); // "a"
 * ```
 */
export function readCookie(
  header: string | null | undefined,
  name: string,
  wins: "first" | "last",
): string | undefined {
  if (!header || !header.includes(name)) return undefined;
  let found: string | undefined;
  for (const chunk of header.split(";")) {
    const eq = chunk.indexOf("=");
    const key = (eq < 0 ? "" : chunk.slice(0, eq)).trim();
    if (key !== name) continue;
    const value = unquoteCookieValue(chunk.slice(eq + 1).trim());
    if (wins === "first") return value;
    found = value;
  }
  return found;
}

/** Python truthiness of a session value (`bool(x)`). */
export function pyTruthy(value: PyValue | undefined): boolean {
  if (value === null || value === undefined || value === false) return false;
  if (value === 0 || value === "" || value === 0n) return false;
  if (Array.isArray(value) || value instanceof Uint8Array) return value.length > 0;
  if (value instanceof PyFloat) return value.value !== 0;
  if (value instanceof PyTuple) return value.items.length > 0;
  if (value instanceof PyMarkup) return value.value !== "";
  if (isPyDict(value)) return Object.keys(value).length > 0;
  if (value instanceof Set || value instanceof Map) return value.size > 0;
  return true;
}
