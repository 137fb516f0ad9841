/**
 * Django's `CsrfViewMiddleware`, framework-free: the same secret, the same tokens, the same
 * checks, so a token Django put in a page passes here and a token made here passes Django.
 *
 * Per request, as Django's three hooks (django/middleware/csrf.py, 3.2 to 6.1):
 * - **open** (`process_request`): the secret is the `csrftoken` cookie, or the session's
 *   `_csrftoken` with `CSRF_USE_SESSIONS`. A 64-character value is a masked secret and is
 *   unmasked (Django < 4.0 stored it masked); a cookie of the wrong length or alphabet is
 *   replaced with a fresh secret on the response.
 * - **verify** (`process_view`), for methods other than GET, HEAD, OPTIONS and TRACE (RFC 9110
 *   §9.2.1): on 4.0+, an `Origin` header, when sent, must be this site's origin or one of
 *   `CSRF_TRUSTED_ORIGINS` (`https://*.example.com` for subdomains); without `Origin`, an HTTPS
 *   request needs a `Referer` on this host, the cookie domain or a trusted origin's host (3.2
 *   checks only the `Referer`, and only over HTTPS). Then the form field
 *   `csrfmiddlewaretoken` (POST) or else the `X-CSRFToken` header must be 32 or 64 letters and
 *   digits and, unmasked, equal the secret (constant time).
 * - **commit** (`process_response`): when `token()` or `rotate()` was called, the secret goes
 *   out again, renewing the cookie's year (`Set-Cookie`, and `Vary: Cookie`) or into the session.
 *   Django 4.0+ stores it as the 32-character secret; 3.2 stores a masked 64-character token.
 *
 * The mask (Django's `_mask_cipher_secret`): 32 random characters, then each secret character
 * shifted by the mask's, modulo the 62-character alphabet, so a token in a page never repeats
 * (BREACH cannot read the secret from compressed responses).
 */
import { randomInt } from "#runtime";
import { serialize as serializeCookie } from "cookie";
import { constantTimeEqual } from "../codecs/constant-time.ts";
import type { DjangoVersion } from "../codecs/django/version.ts";
import { serializeSameSite, type SameSite } from "../codecs/same-site.ts";
import { ConfigurationError } from "../errors.ts";
import { isHeaderSession } from "../engine/http.ts";
import type { Session } from "../engine/session.ts";

/** Django's `CSRF_SESSION_KEY`. */
export const CSRF_SESSION_KEY = "_csrftoken";
/** Django's form field. */
export const CSRF_FORM_FIELD = "csrfmiddlewaretoken";
/** Django's default `CSRF_HEADER_NAME` (`HTTP_X_CSRFTOKEN`), as a header name. */
export const CSRF_HEADER = "X-CSRFToken";

// Django: CSRF_ALLOWED_CHARS = ascii_letters + digits; secret 32, token 64.
const CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const SECRET_LENGTH = 32;
const TOKEN_LENGTH = 64;
const WELL_FORMED = /^[a-zA-Z0-9]*$/;

/** A random string of Django's CSRF alphabet. @internal */
export function randomString(length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += CHARS[randomInt(CHARS.length)]!;
  return out;
}

/**
 * Django `_mask_cipher_secret`: a random mask, then (secret + mask) mod 62, char by char.
 * @internal
 */
export function maskSecret(secret: string): string {
  const mask = randomString(SECRET_LENGTH);
  let cipher = "";
  for (let i = 0; i < SECRET_LENGTH; i++) {
    cipher += CHARS[(CHARS.indexOf(secret[i]!) + CHARS.indexOf(mask[i]!)) % CHARS.length]!;
  }
  return mask + cipher;
}

/** Django `_unmask_cipher_token` (its negative indexes wrap, hence `+ 62`). @internal */
export function unmaskToken(token: string): string {
  let secret = "";
  for (let i = 0; i < SECRET_LENGTH; i++) {
    const x = CHARS.indexOf(token[SECRET_LENGTH + i]!) - CHARS.indexOf(token[i]!);
    secret += CHARS[(x + CHARS.length) % CHARS.length]!;
  }
  return secret;
}

/** Django `_check_token_format`: 32 or 64 characters, letters and digits only. @internal */
export function wellFormed(token: string): boolean {
  return (
    (token.length === SECRET_LENGTH || token.length === TOKEN_LENGTH) && WELL_FORMED.test(token)
  );
}

/** The secret a well-formed cookie, session value or token stands for. */
function secretFrom(value: string): string {
  return value.length === TOKEN_LENGTH ? unmaskToken(value) : value;
}

/** Django's CSRF settings, by their Django names. */
export interface CsrfSettings {
  /** Which Django's rules: 3.2 stores masked tokens and checks no `Origin`. */
  readonly djangoVersion: DjangoVersion;
  /** `CSRF_USE_SESSIONS` (default false: the `csrftoken` cookie). */
  readonly useSessions?: boolean;
  /** `CSRF_COOKIE_NAME`, default `csrftoken`. */
  readonly cookieName?: string;
  /** `CSRF_COOKIE_AGE` in seconds, default 31449600 (a year); `null` for a browser-session cookie. */
  readonly cookieAge?: number | null;
  /** `CSRF_COOKIE_DOMAIN`, default none (this host only). */
  readonly cookieDomain?: string;
  /** `CSRF_COOKIE_PATH`, default `/`. */
  readonly cookiePath?: string;
  /** `CSRF_COOKIE_SECURE`, default false. */
  readonly cookieSecure?: boolean;
  /** `CSRF_COOKIE_HTTPONLY`, default false (JavaScript reads it to send the header). */
  readonly cookieHttpOnly?: boolean;
  /** `CSRF_COOKIE_SAMESITE`, default `Lax`; `false` to send none. */
  readonly cookieSameSite?: SameSite;
  /** `CSRF_HEADER_NAME` as a header name, default `X-CSRFToken`. */
  readonly headerName?: string;
  /**
   * `CSRF_TRUSTED_ORIGINS`: on 4.0+ origins with their scheme (`https://app.example.com`,
   * `https://*.example.com`); on 3.2 hosts (`app.example.com`, `.example.com`).
   */
  readonly trustedOrigins?: readonly string[];
  /** `SESSION_COOKIE_DOMAIN`: the good Referer domain with `CSRF_USE_SESSIONS`. */
  readonly sessionCookieDomain?: string;
}

/** The settings with Django's defaults filled in. */
type ResolvedCsrfSettings = Required<Omit<CsrfSettings, "cookieDomain" | "sessionCookieDomain">> &
  Pick<CsrfSettings, "cookieDomain" | "sessionCookieDomain">;

/** What {@link CsrfRequestState.verify} needs from the request. */
export interface CsrfCheck {
  /** The request method. */
  readonly method: string;
  /** The `Host` header (with the port, as Django's `get_host()`). */
  readonly host: string | undefined;
  /** Whether the request came over HTTPS (behind a proxy: what the trusted proxy says). */
  readonly secure: boolean;
  /** The `Origin` header, if sent. */
  readonly origin?: string | undefined;
  /** The `Referer` header, if sent. */
  readonly referer?: string | undefined;
  /** The `csrfmiddlewaretoken` form field of a POST, if any. */
  readonly formToken?: string | undefined;
  /** The `X-CSRFToken` header (or the configured one), if sent. */
  readonly headerToken?: string | undefined;
}

/** Why Django would reject the request (`REASON_*` in django/middleware/csrf.py). */
export type CsrfFailureReason =
  | "bad-origin"
  | "no-referer"
  | "malformed-referer"
  | "insecure-referer"
  | "bad-referer"
  | "no-csrf-cookie"
  | "bad-csrf-cookie"
  | "token-missing"
  | "token-malformed"
  | "token-incorrect";

/** The outcome of {@link CsrfRequestState.verify}. */
export type CsrfVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: CsrfFailureReason; readonly message: string };

/** What {@link CsrfRequestState.commit} asks the response to carry. */
export interface CsrfResponseHeaders {
  /** `Set-Cookie` values (the renewed `csrftoken`), empty in session mode. */
  readonly setCookie: readonly string[];
  /** Whether to add `Cookie` to `Vary`. */
  readonly varyCookie: boolean;
}

/** Methods Django never checks (RFC 9110 §9.2.1 safe methods). */
export function isSafeMethod(method: string): boolean {
  return method === "GET" || method === "HEAD" || method === "OPTIONS" || method === "TRACE";
}

/**
 * Django's `is_same_domain(host, pattern)`: an exact match, or, for a pattern starting with a
 * dot, the domain itself or any subdomain of it. Case-insensitive.
 */
function isSameDomain(host: string, pattern: string): boolean {
  if (pattern === "") return false;
  const h = host.toLowerCase();
  const p = pattern.toLowerCase();
  return (p.startsWith(".") && (h.endsWith(p) || h === p.slice(1))) || h === p;
}

/** `urlsplit(value)` reduced to what the checks use; `undefined` when it is not a URL. */
function splitUrl(value: string): { scheme: string; netloc: string } | undefined {
  // Linear: one anchored match over a bounded header, no nested quantifiers.
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)/.exec(value.slice(0, 8192));
  return m ? { scheme: m[1]!.toLowerCase(), netloc: m[2]! } : undefined;
}

/** The last value of cookie `name` in a `Cookie` header, as Django's `parse_cookie` keeps it. */
function lastCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  let found: string | undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    const key = (eq === -1 ? "" : part.slice(0, eq)).trim();
    if (key === name) found = part.slice(eq + 1).trim();
  }
  return found;
}

/**
 * Django's CSRF protection for one deployment; {@link DjangoCsrf.open} starts a request.
 *
 * @example
 * ```ts
 * const csrf = new DjangoCsrf({ djangoVersion: "5.2", trustedOrigins: ["https://app.example.com"] });
 * const state = await csrf.open(request.headers.get("cookie") ?? undefined);
 * const verdict = await state.verify({ method: "POST", host: "app.example.com", secure: true,
 *   origin: request.headers.get("origin") ?? undefined, headerToken: request.headers.get("x-csrftoken") ?? undefined });
 * if (!verdict.ok) return new Response(verdict.message, { status: 403 });
 * ```
 */
export class DjangoCsrf {
  readonly #settings: ResolvedCsrfSettings;
  readonly #exactOrigins: ReadonlySet<string>;
  readonly #subdomainOrigins: ReadonlyMap<string, readonly string[]>;
  readonly #trustedHosts: readonly string[];

  /** @throws {ConfigurationError} for a trusted origin without a scheme on Django 4.0+. */
  constructor(settings: CsrfSettings) {
    this.#settings = {
      useSessions: false,
      cookieName: "csrftoken",
      cookieAge: 31_449_600,
      cookiePath: "/",
      cookieSecure: false,
      cookieHttpOnly: false,
      cookieSameSite: "Lax",
      headerName: CSRF_HEADER,
      trustedOrigins: [],
      ...settings,
    };
    const origins = this.#settings.trustedOrigins;
    const legacy = this.#settings.djangoVersion === "3.2";
    if (!legacy) {
      // Django 4.0's check (4_0.E001): "Origins … must start with a scheme".
      const bare = origins.find((o) => !o.includes("://"));
      if (bare !== undefined) {
        throw new ConfigurationError(
          `CSRF_TRUSTED_ORIGINS entries must start with a scheme on Django 4.0+ (https://…): "${bare.slice(0, 100)}"`,
        );
      }
    }
    this.#exactOrigins = new Set(origins.filter((o) => !o.includes("*")));
    const subdomains = new Map<string, string[]>();
    for (const o of origins.filter((o) => o.includes("*"))) {
      const parsed = splitUrl(o);
      if (parsed === undefined) continue;
      const list = subdomains.get(parsed.scheme) ?? [];
      list.push(parsed.netloc.replace(/^\*+/, ""));
      subdomains.set(parsed.scheme, list);
    }
    this.#subdomainOrigins = subdomains;
    // 4.0+: `urlsplit(origin).netloc.lstrip("*")`; 3.2: the entries are hosts already.
    this.#trustedHosts = legacy
      ? origins
      : origins.map((o) => (splitUrl(o)?.netloc ?? "").replace(/^\*+/, ""));
  }

  /** The header carrying the token for AJAX requests (`CSRF_HEADER_NAME`). */
  get headerName(): string {
    return this.#settings.headerName;
  }

  /**
   * Starts a request (Django's `process_request`): reads the secret from the cookie or, with
   * `useSessions`, from `session`. With a session, a login on it rotates the secret
   * ({@link rotateCsrfForSession}). `onUpdate` runs whenever the response's cookie changes.
   *
   * @throws {ConfigurationError} with `useSessions` and no session.
   */
  async open(
    cookieHeader: string | undefined,
    session?: Session,
    onUpdate?: () => void,
  ): Promise<CsrfRequestState> {
    const s = this.#settings;
    if (s.useSessions) {
      if (session === undefined) {
        throw new ConfigurationError(
          "CSRF_USE_SESSIONS is on, but the request has no session: add the session middleware first",
        );
      }
      const stored = await session.get(CSRF_SESSION_KEY);
      const value = typeof stored === "string" && stored !== "" ? stored : undefined;
      return new CsrfRequestState(this, value, false, session, onUpdate);
    }
    const cookie = lastCookie(cookieHeader, s.cookieName);
    if (cookie === undefined) {
      return new CsrfRequestState(this, undefined, false, session, onUpdate);
    }
    if (!wellFormed(cookie)) {
      // Django: InvalidTokenFormat in process_request → a new secret, sent on the response;
      // the unsafe request itself is rejected ("CSRF cookie has incorrect length").
      return new CsrfRequestState(this, undefined, true, session, onUpdate);
    }
    return new CsrfRequestState(this, cookie, false, session, onUpdate);
  }

  /** @internal The origin check of Django 4.0+ (`_origin_verified`). */
  originVerified(origin: string, host: string | undefined, secure: boolean): boolean {
    if (host !== undefined && origin === `${secure ? "https" : "http"}://${host}`) return true;
    if (this.#exactOrigins.has(origin)) return true;
    const parsed = splitUrl(origin);
    if (parsed === undefined) return false;
    return (this.#subdomainOrigins.get(parsed.scheme) ?? []).some((h) =>
      isSameDomain(parsed.netloc, h),
    );
  }

  /** @internal The HTTPS Referer check (`_check_referer`); `undefined` when it passes. */
  refererFailure(
    referer: string | undefined,
    host: string | undefined,
  ): Exclude<CsrfFailureReason, "bad-origin"> | undefined {
    if (referer === undefined) return "no-referer";
    const parsed = splitUrl(referer);
    if (parsed === undefined || parsed.netloc === "") return "malformed-referer";
    if (parsed.scheme !== "https") return "insecure-referer";
    if (this.#trustedHosts.some((h) => isSameDomain(parsed.netloc, h))) return undefined;
    const s = this.#settings;
    const domain = s.useSessions ? s.sessionCookieDomain : s.cookieDomain;
    let good: string | undefined = host;
    if (domain !== undefined) {
      const port = /:(\d+)$/.exec(host ?? "")?.[1] ?? "443";
      good = port === "443" || port === "80" ? domain : `${domain}:${port}`;
    }
    return good !== undefined && isSameDomain(parsed.netloc, good) ? undefined : "bad-referer";
  }

  /** @internal */
  get settings(): ResolvedCsrfSettings {
    return this.#settings;
  }

  /** @internal The value stored for a secret: masked on 3.2, as Django 3.2 stores it. */
  stored(secret: string): string {
    return this.#settings.djangoVersion === "3.2" ? maskSecret(secret) : secret;
  }
}

const MESSAGES: Readonly<Record<CsrfFailureReason, string>> = {
  "bad-origin": "Origin checking failed - the origin does not match any trusted origins.",
  "no-referer": "Referer checking failed - no Referer.",
  "malformed-referer": "Referer checking failed - Referer is malformed.",
  "insecure-referer": "Referer checking failed - Referer is insecure while host is secure.",
  "bad-referer": "Referer checking failed - the Referer does not match any trusted origins.",
  "no-csrf-cookie": "CSRF cookie not set.",
  "bad-csrf-cookie": "CSRF cookie has incorrect length or invalid characters.",
  "token-missing": "CSRF token missing.",
  "token-malformed": "CSRF token has incorrect length or invalid characters.",
  "token-incorrect": "CSRF token incorrect.",
};

const fail = (reason: CsrfFailureReason): CsrfVerdict => ({
  ok: false,
  reason,
  message: MESSAGES[reason],
});

/** The request state attached to each session, so that login rotates the secret (Django's
 * `login()` calls `rotate_token`) without the auth layer knowing any adapter. */
const STATE_OF_SESSION = new WeakMap<Session, CsrfRequestState>();

/**
 * Rotates the CSRF secret of the request this session belongs to, if CSRF protection runs on
 * it (Django's `rotate_token`, which its `login()` calls). Nothing happens without it.
 *
 * @example
 * ```ts
 * await rotateCsrfForSession(session); // after a login
 * ```
 */
export async function rotateCsrfForSession(session: Session): Promise<void> {
  await STATE_OF_SESSION.get(session)?.rotate();
}

/** One request's CSRF state; made by {@link DjangoCsrf.open}. */
export class CsrfRequestState {
  readonly #csrf: DjangoCsrf;
  readonly #session: Session | undefined;
  readonly #useSessions: boolean;
  /** The secret this request arrived with (unmasked), if any. */
  readonly #incoming: string | undefined;
  readonly #badCookie: boolean;
  readonly #onUpdate: (() => void) | undefined;
  /** The secret to send out (Django's `META["CSRF_COOKIE"]`). */
  #secret: string | undefined;
  #needsUpdate: boolean;

  /**
   * @internal `incoming`: the cookie's or session's value; `badCookie`: a malformed cookie;
   * `onUpdate`: called when the response's cookie changes (after token() and rotate()).
   */
  constructor(
    csrf: DjangoCsrf,
    incoming: string | undefined,
    badCookie: boolean,
    session: Session | undefined,
    onUpdate: (() => void) | undefined,
  ) {
    this.#csrf = csrf;
    this.#session = session;
    this.#useSessions = csrf.settings.useSessions;
    this.#badCookie = badCookie;
    this.#onUpdate = onUpdate;
    // Django < 4.0 stored the secret masked: a 64-character value is unmasked first.
    this.#incoming =
      incoming !== undefined && wellFormed(incoming) ? secretFrom(incoming) : incoming;
    this.#secret = this.#incoming;
    // A malformed cookie is replaced on the response, as Django's process_request does.
    this.#needsUpdate = badCookie;
    if (badCookie) this.#secret = randomString(SECRET_LENGTH);
    if (session !== undefined) STATE_OF_SESSION.set(session, this);
  }

  /**
   * A fresh masked token for a form or a page (Django's `get_token`), making the secret if the
   * request had none; the response then carries the secret (renewing the cookie's age), or the
   * session holds it with `useSessions`.
   */
  async token(): Promise<string> {
    this.#secret ??= randomString(SECRET_LENGTH);
    await this.#update();
    return maskSecret(this.#secret);
  }

  /** A new secret (Django's `rotate_token`): at login, so pre-login tokens stop working. */
  async rotate(): Promise<void> {
    // allauth's app views keep the CSRF cookie as it is (`CSRF_COOKIE_NEEDS_UPDATE = False`).
    if (this.#session !== undefined && isHeaderSession(this.#session)) return;
    this.#secret = randomString(SECRET_LENGTH);
    await this.#update();
  }

  async #update(): Promise<void> {
    this.#needsUpdate = true;
    if (this.#useSessions) {
      // Django's _set_csrf_cookie in session mode: store the secret unless already there
      // (3.2 keeps whatever masked form it holds; 4.0+ stores the plain secret).
      const session = this.#session!;
      const current = await session.get(CSRF_SESSION_KEY);
      const legacy = this.#csrf.settings.djangoVersion === "3.2";
      const same =
        typeof current === "string" &&
        wellFormed(current) &&
        (legacy || current.length === SECRET_LENGTH) &&
        secretFrom(current) === this.#secret;
      if (!same) await session.set(CSRF_SESSION_KEY, this.#csrf.stored(this.#secret!));
    }
    this.#onUpdate?.();
  }

  /**
   * Django's `process_view`: `{ ok: true }` for a safe method or a request that passes; else
   * the reason and Django's message (answer 403).
   */
  verify(check: CsrfCheck): CsrfVerdict {
    const method = check.method.toUpperCase();
    if (isSafeMethod(method)) return { ok: true };
    // A session named by a header (allauth's X-Session-Token) came with no cookie a cross-site
    // form could send: allauth's app views are csrf_exempt.
    if (this.#session !== undefined && isHeaderSession(this.#session)) return { ok: true };
    const legacy = this.#csrf.settings.djangoVersion === "3.2";
    if (!legacy && check.origin !== undefined) {
      if (!this.#csrf.originVerified(check.origin, check.host, check.secure)) {
        return fail("bad-origin");
      }
    } else if (check.secure) {
      const failure = this.#csrf.refererFailure(check.referer, check.host);
      if (failure !== undefined) return fail(failure);
    }
    if (this.#badCookie) return fail("bad-csrf-cookie");
    // Django checks the secret as it is now: a rotate_token() earlier in this request counts.
    const secret = this.#needsUpdate ? this.#secret : this.#incoming;
    if (secret === undefined) return fail("no-csrf-cookie");
    let token = method === "POST" ? (check.formToken ?? "") : "";
    if (token === "") {
      if (check.headerToken === undefined) {
        return fail(legacy ? "token-incorrect" : "token-missing");
      }
      token = check.headerToken;
    }
    if (!wellFormed(token)) return fail(legacy ? "token-incorrect" : "token-malformed");
    return constantTimeEqual(secret, secretFrom(token)) ? { ok: true } : fail("token-incorrect");
  }

  /**
   * Django's `process_response` for the cookie: the `Set-Cookie` to send when the secret was
   * used or replaced in this request (nothing with `useSessions`: the session holds it).
   */
  responseHeaders(): CsrfResponseHeaders {
    if (!this.#needsUpdate || this.#secret === undefined || this.#useSessions) {
      return { setCookie: [], varyCookie: false };
    }
    const s = this.#csrf.settings;
    const cookie = serializeCookie(s.cookieName, this.#csrf.stored(this.#secret), {
      ...(s.cookieAge === null
        ? {}
        : { maxAge: s.cookieAge, expires: new Date(Date.now() + s.cookieAge * 1000) }),
      ...(s.cookieDomain === undefined ? {} : { domain: s.cookieDomain }),
      path: s.cookiePath,
      secure: s.cookieSecure,
      httpOnly: s.cookieHttpOnly,
      ...serializeSameSite(s.cookieSameSite),
    });
    return { setCookie: [cookie], varyCookie: true };
  }
}
