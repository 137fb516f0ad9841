/**
 * `django.utils.http.url_has_allowed_host_and_scheme` (the check behind `LoginView`'s `next`
 * and `redirect_to_login`), reproduced rule by rule, with the parts of Python's
 * `urllib.parse.urlsplit` it depends on.
 *
 * ```
 * url = url.strip(); empty → False
 * both url and url.replace("\\", "/") must pass:
 *   starts with "///"                        → False
 *   urlsplit raises (bad IPv6 brackets)      → False
 *   a scheme but no netloc (http:///x, javascript:…) → False
 *   first character is a Unicode control/format char (category C*) → False
 *   scheme = scheme or ("http" if netloc);  netloc must be empty or in allowed_hosts,
 *   scheme empty or in ["https"] if require_https else ["http", "https"]
 * ```
 */
import { Buffer } from "node:buffer";
import { isIPv6 } from "node:net";
import { MalformedError } from "../errors.ts";

/** Options of {@link isSafeRedirect}. */
export interface SafeRedirectOptions {
  /** The request's host (`request.get_host()`, `Host` header incl. port). */
  readonly host?: string | null | undefined;
  /** Other allowed hosts (Django `success_url_allowed_hosts`). */
  readonly allowedHosts?: Iterable<string>;
  /** Only `https` URLs may be absolute (Django passes `request.is_secure()`). */
  readonly requireHttps?: boolean;
}

/**
 * Python's `str.strip()` whitespace (str.isspace). Stripped with a loop from each end: a regex
 * such as `[\s]+$` retries from every position of a long run of spaces that is followed by
 * anything else, which is quadratic in the length of client input.
 */
const PYTHON_SPACE = new Set<number>([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001,
  0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f,
  0x205f, 0x3000,
]);

/** Python's `str.strip()`, in one pass from each end. */
function pythonStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && PYTHON_SPACE.has(text.charCodeAt(start))) start++;
  while (end > start && PYTHON_SPACE.has(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

/**
 * The longest URL {@link isSafeRedirect} accepts. Django has no limit, but a redirect target
 * comes from the client (a form field, a header); browsers and proxies refuse URLs far shorter
 * (nginx's default header buffer is 8 KiB), so a longer one is refused before any parsing.
 */
export const MAX_REDIRECT_LENGTH = 8192;

/** urlsplit: leading C0 controls and space are stripped; tab, CR and LF removed anywhere. */
// eslint-disable-next-line no-control-regex -- urlsplit strips C0 controls
const C0_OR_SPACE = /^[\u0000-\u0020]+/;
const UNSAFE_BYTES = /[\t\r\n]/g;
const SCHEME_CHARS = /^[A-Za-z][A-Za-z0-9+\-.]*$/;

/** The parts of Python's `urlsplit` result that the check reads; throws like `ValueError`. */
function urlsplit(input: string): { scheme: string; netloc: string } {
  let url = input.replace(C0_OR_SPACE, "").replace(UNSAFE_BYTES, "");
  let scheme = "";
  let netloc = "";
  const colon = url.indexOf(":");
  if (colon > 0 && SCHEME_CHARS.test(url.slice(0, colon))) {
    scheme = url.slice(0, colon).toLowerCase();
    url = url.slice(colon + 1);
  }
  if (url.startsWith("//")) {
    let end = url.length;
    for (const c of "/?#") {
      const at = url.indexOf(c, 2);
      if (at >= 0) end = Math.min(end, at);
    }
    netloc = url.slice(2, end);
    if (netloc.includes("[") !== netloc.includes("]")) throw new MalformedError("Invalid IPv6 URL");
    if (netloc.includes("[")) {
      // Python 3.11.4+ `_check_bracketed_host`: an IPv6 address or an IPvFuture literal.
      const inside = netloc.slice(netloc.indexOf("[") + 1).split("]")[0] ?? "";
      if (!/^v[0-9a-f]+\.[\w.:!$&'()*+,;=~-]+$/i.test(inside) && !isIPv6(inside)) {
        throw new MalformedError("Invalid IPv6 URL");
      }
    }
    // urlsplit's _checknetloc: NFKC must not introduce URL syntax characters.
    if (!isAscii(netloc)) {
      const n = netloc.replace(/[@:#?]/g, "");
      const normalized = n.normalize("NFKC");
      if (n !== normalized && /[/?#@:]/.test(normalized)) {
        throw new MalformedError("netloc contains invalid characters under NFKC normalization");
      }
    }
  }
  return { scheme, netloc };
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Unicode general category C (Cc, Cf, Cs, Co, Cn) for the first character. */
function isOtherCategory(ch: string): boolean {
  return /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}]/u.test(ch);
}

function allowedOne(url: string, hosts: ReadonlySet<string>, requireHttps: boolean): boolean {
  // Chrome treats a URL with three slashes as absolute.
  if (url.startsWith("///")) return false;
  let info: { scheme: string; netloc: string };
  try {
    info = urlsplit(url);
  } catch {
    return false;
  }
  // http:///example.com: a scheme without a host, which Chrome reads as a host.
  if (info.netloc === "" && info.scheme !== "") return false;
  // Browsers ignore some leading control characters and may then see a scheme-relative URL.
  const first = String.fromCodePoint(url.codePointAt(0) ?? 0);
  if (isOtherCategory(first)) return false;
  const scheme = info.scheme === "" && info.netloc !== "" ? "http" : info.scheme;
  const schemes = requireHttps ? ["https"] : ["http", "https"];
  return (
    (info.netloc === "" || hosts.has(info.netloc)) && (scheme === "" || schemes.includes(scheme))
  );
}

/**
 * Whether redirecting to `url` is safe: a relative URL, or an absolute one to an allowed host
 * with an allowed scheme (Django's `url_has_allowed_host_and_scheme`). Linear in the length of
 * `url`; one longer than {@link MAX_REDIRECT_LENGTH} is refused.
 *
 * @example
 * ```ts
 * isSafeRedirect("/account/?tab=1", { host: "example.com" });      // true
 * isSafeRedirect("https://example.com/x", { host: "example.com" }); // true
 * isSafeRedirect("//evil.com", { host: "example.com" });            // false
 * isSafeRedirect("/\\evil.com", { host: "example.com" });           // false
 * isSafeRedirect("javascript:alert(1)", { host: "example.com" });   // false
 * ```
 */
export function isSafeRedirect(
  url: string | null | undefined,
  options: SafeRedirectOptions = {},
): boolean {
  if (typeof url !== "string" || url.length > MAX_REDIRECT_LENGTH) return false;
  const stripped = pythonStrip(url);
  if (stripped === "") return false;
  const hosts = new Set<string>(options.allowedHosts ?? []);
  if (options.host !== undefined && options.host !== null && options.host !== "")
    hosts.add(options.host);
  const https = options.requireHttps ?? false;
  // Chrome treats "\" as "/" in paths, but it may also be part of credentials: check both.
  return (
    allowedOne(stripped, hosts, https) && allowedOne(stripped.replace(/\\/g, "/"), hosts, https)
  );
}

/**
 * Python's `urllib.parse.quote(s, safe)`: UTF-8 bytes, `A-Za-z0-9_.-~` and `safe` kept.
 *
 * @example
 * ```ts
 * pythonQuote("/a b?c=é"); // "/a%20b%3Fc%3D%C3%A9"
 * ```
 */
export function pythonQuote(value: string, safe = "/"): string {
  const table = quoteTable(safe);
  let out = "";
  for (const byte of Buffer.from(value, "utf8")) out += table[byte]!;
  return out;
}

/** What each byte becomes under `quote(…, safe)`, made once per `safe` (a few are in use). */
const QUOTE_TABLES = new Map<string, readonly string[]>();

function quoteTable(safe: string): readonly string[] {
  let table = QUOTE_TABLES.get(safe);
  if (table === undefined) {
    table = Array.from({ length: 256 }, (_, byte) => {
      const ch = String.fromCharCode(byte);
      return /[A-Za-z0-9_.\-~]/.test(ch) || (byte < 0x80 && safe.includes(ch))
        ? ch
        : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    });
    if (QUOTE_TABLES.size < 16) QUOTE_TABLES.set(safe, table);
  }
  return table;
}

/** The characters Django's `iri_to_uri` leaves as they are (besides `A-Za-z0-9_.-~`). */
const IRI_SAFE = "/#%[]=:;$&()+,!?*@'~";

/**
 * Django's `iri_to_uri`: an IRI made ASCII for a `Location` header. Non-ASCII characters become
 * percent-encoded UTF-8, as do spaces, CR, LF and the other characters that may not appear in a
 * URL; existing `%XX` escapes and URL syntax are kept. A `next` such as `/café` or one with a
 * CR/LF in it is then a valid header value instead of an exception.
 *
 * @example
 * ```ts
 * iriToUri("/café?x=1#top");      // "/caf%C3%A9?x=1#top"
 * iriToUri("/a\r\nSet-Cookie: x"); // "/a%0D%0ASet-Cookie:%20x"
 * iriToUri("/already%20quoted");  // "/already%20quoted"
 * ```
 */
export function iriToUri(iri: string): string {
  return pythonQuote(iri, IRI_SAFE);
}
