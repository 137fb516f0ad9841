/**
 * Django's `SessionMiddleware` as two framework-free steps (django-formats.md §5):
 * {@link openRequestSession} when a request arrives and {@link commitResponseSession} when its
 * response is about to be sent. Adapters only move headers between these and their framework.
 *
 * The response rules, in Django's order:
 * 1. the request carried the cookie and the session is now empty → delete the cookie (+ Vary);
 * 2. otherwise, accessed → `Vary: Cookie`; modified (or save-every-request) and not empty →
 *    save and set the cookie, unless the status is 5xx (3.2: exactly 500).
 */
import { serialize as serializeCookie } from "cookie";
import { serializeSameSite } from "../codecs/same-site.ts";
import { readCookie } from "../codecs/werkzeug/cookies.ts";
import { ConfigurationError, InvalidArgumentError, SessionMissingError } from "../errors.ts";
import type { SessionStore } from "../stores/contract.ts";
import { skipsSaveOnStatus, type SessionSettings } from "./config.ts";
import { Session, type SessionShape } from "./session.ts";

/** A request's session and whether the request carried a session cookie at all. */
export interface RequestSession<T extends SessionShape = SessionShape> {
  readonly session: Session<T>;
  /** Django: `settings.SESSION_COOKIE_NAME in request.COOKIES` (even with an empty value). */
  readonly hadCookie: boolean;
  /**
   * The session key came from a request header (django-allauth's headless `X-Session-Token`),
   * not from the cookie: the response never sets or deletes the cookie.
   */
  readonly fromHeader?: boolean;
}

/** Headers to add to the response. */
export interface SessionResponseHeaders {
  /** `Set-Cookie` values (zero or one). */
  readonly setCookie: readonly string[];
  /** Whether `Cookie` must be added to `Vary`. */
  readonly varyCookie: boolean;
}

const NOTHING: SessionResponseHeaders = Object.freeze({ setCookie: [], varyCookie: false });
const VARY_ONLY: SessionResponseHeaders = Object.freeze({ setCookie: [], varyCookie: true });

// Values are written verbatim: Django does not URL-encode cookie values, and signed values
// contain `:` which encodeURIComponent would mangle.

/**
 * Reads the session cookie from a `Cookie` header and makes a lazy session for it. Of several
 * cookies of that name the last counts, as in Django.
 *
 * @example
 * ```ts
 * const { session, hadCookie } = openRequestSession(req.headers.cookie, store, settings);
 * ```
 */
export function openRequestSession<T extends SessionShape = SessionShape>(
  cookieHeader: string | null | undefined,
  store: SessionStore,
  settings: SessionSettings,
  now?: () => number,
): RequestSession<T> {
  // Django's parse_cookie fills a dict, so of duplicate names the last wins
  // (`sessionid=bogus; sessionid=VALID` is VALID's session), and unquotes as http.cookies does.
  const value = readCookie(cookieHeader, settings.cookieName, "last");
  return { session: new Session<T>(store, value, settings, now), hadCookie: value !== undefined };
}

/** The sessions opened from a header, for CSRF (allauth's app views are `csrf_exempt`). */
const HEADER_SESSIONS = new WeakSet<object>();

/**
 * Opens the session a header names (django-allauth's headless app clients send the session key
 * as `X-Session-Token` instead of a cookie): the same session as the cookie would give, but
 * the response leaves the cookie alone. An unknown or expired key is an empty session, as a bad
 * cookie is (allauth answers its own API with 410 then).
 *
 * @example
 * ```ts
 * const rs = openHeaderSession(request.headers.get("X-Session-Token")!, store, settings);
 * ```
 */
export function openHeaderSession<T extends SessionShape = SessionShape>(
  token: string,
  store: SessionStore,
  settings: SessionSettings,
  now?: () => number,
): RequestSession<T> {
  const session = new Session<T>(store, token, settings, now);
  HEADER_SESSIONS.add(session);
  return { session, hadCookie: false, fromHeader: true };
}

/**
 * Whether `session` was opened from a header by {@link openHeaderSession}: such a request
 * carries no cookie a cross-site form could send, so Django's CSRF check does not apply to it.
 *
 * @example
 * ```ts
 * if (isHeaderSession(session)) return { ok: true };
 * ```
 */
export function isHeaderSession(session: object): boolean {
  return HEADER_SESSIONS.has(session);
}

/**
 * What the response needs, when that is known without I/O; `undefined` means a save is due
 * (call {@link commitResponseSession}). Lets adapters skip any async work on most requests.
 */
export function plainResponseHeaders<T extends SessionShape>(
  requestSession: RequestSession<T>,
  settings: SessionSettings,
  status: number,
): SessionResponseHeaders | undefined {
  const { session, hadCookie } = requestSession;
  const empty = session.isEmpty();
  if (requestSession.fromHeader === true) {
    // allauth's authentication_context: saved when modified and not empty; no cookie either way.
    const due = session.modified && !empty && !skipsSaveOnStatus(settings, status);
    return due ? undefined : NOTHING;
  }
  if (hadCookie && empty) {
    return { setCookie: [deleteCookieHeader(settings)], varyCookie: true };
  }
  // A session stored but undecodable here is read-only: saved only when changed (and then
  // refused), never on SESSION_SAVE_EVERY_REQUEST alone (issue 18 #13).
  const due = (session.modified || (settings.saveEveryRequest && !session.undecodable)) && !empty;
  if (!due || skipsSaveOnStatus(settings, status)) return session.accessed ? VARY_ONLY : NOTHING;
  return undefined;
}

/**
 * Saves the session if Django would, and returns the headers to add.
 * @throws {SessionStoreError} when saving fails (adapters answer 503).
 * @throws {SessionMissingError} when the session was deleted meanwhile (adapters answer 400,
 *   like Django's `SessionInterrupted`).
 */
export async function commitResponseSession<T extends SessionShape>(
  requestSession: RequestSession<T>,
  settings: SessionSettings,
  status: number,
  now: () => number = Date.now,
): Promise<SessionResponseHeaders> {
  const plain = plainResponseHeaders(requestSession, settings, status);
  if (plain) return plain;
  const { session } = requestSession;
  if (requestSession.fromHeader === true) {
    await session.save();
    return NOTHING;
  }
  // Django reads `accessed` before computing expiry and saving, which read the data again.
  const varyCookie = session.accessed;
  let maxAge: number | undefined;
  if (!(await session.getExpireAtBrowserClose())) maxAge = await session.getExpiryAge();
  await session.save();
  const key = session.key;
  if (key === null) throw new SessionMissingError();
  return { setCookie: [sessionCookieHeader(settings, key, maxAge, now)], varyCookie };
}

/** The fixed parts of a settings object's session cookie, as `cookie`'s `serialize` wrote them. */
interface SessionCookieParts {
  /** `name=` */
  readonly head: string;
  /** `; Domain=…; Path=…` */
  readonly scope: string;
  /** `; HttpOnly; Secure; SameSite=…` (those that apply) */
  readonly flags: string;
}

const cookieParts = new WeakMap<SessionSettings, SessionCookieParts>();

/** RFC 6265 §4.1.1: cookie-value = *cookie-octet (no quotes here: keys are never quoted). */
const COOKIE_OCTETS = /^[\u0021\u0023-\u002B\u002D-\u003A\u003C-\u005B\u005D-\u007E]*$/;

/**
 * The session cookie's `Set-Cookie` value, byte-equal to `cookie`'s `serialize` with the same
 * options (attribute order included). `serialize` validates and formats every attribute on
 * each call, ~4 µs, most of a saving request's own CPU beyond its I/O; the name, domain, path
 * and flags are fixed per settings, so they are serialized (and validated) once and only the
 * key, Max-Age and Expires are written per response.
 */
function sessionCookieHeader(
  settings: SessionSettings,
  key: string,
  maxAge: number | undefined,
  now: () => number,
): string {
  let parts = cookieParts.get(settings);
  if (parts === undefined) {
    const name = settings.cookieName;
    const bare = (options: Parameters<typeof serializeCookie>[2]): string =>
      serializeCookie(name, "", options).slice(name.length + 1);
    parts = {
      head: `${name}=`,
      scope: bare({
        ...(settings.cookieDomain === undefined ? {} : { domain: settings.cookieDomain }),
        path: settings.cookiePath,
      }),
      flags: bare({
        secure: settings.cookieSecure,
        httpOnly: settings.cookieHttpOnly,
        ...serializeSameSite(settings.cookieSameSite),
      }),
    };
    cookieParts.set(settings, parts);
  }
  // Session keys are [a-z0-9] and signed-cookie values URL-safe base64 with `:`; checked
  // anyway, as `serialize` would.
  if (!COOKIE_OCTETS.test(key))
    throw new InvalidArgumentError("the session cookie value has characters a cookie cannot carry");
  if (maxAge === undefined) return parts.head + key + parts.scope + parts.flags;
  // RFC 6265 §4.1.1: Max-Age is an integer number of seconds; Expires an IMF-fixdate (§7.1.1.1
  // of RFC 9110, which `toUTCString` writes).
  if (!Number.isInteger(maxAge))
    throw new ConfigurationError("the session cookie's Max-Age must be whole seconds");
  const expires = new Date(now() + maxAge * 1000).toUTCString();
  return `${parts.head}${key}; Max-Age=${maxAge}${parts.scope}; Expires=${expires}${parts.flags}`;
}

/**
 * Django `delete_cookie`: empty value, `Max-Age=0`, the 1970 date, same path, domain and
 * SameSite; `Secure` only for `__Secure-`/`__Host-` names or `SameSite=None`; no HttpOnly.
 */
export function deleteCookieHeader(settings: SessionSettings): string {
  const name = settings.cookieName;
  const secure =
    name.startsWith("__Secure-") ||
    name.startsWith("__Host-") ||
    settings.cookieSameSite === "None";
  return serializeCookie(name, "", {
    maxAge: 0,
    expires: new Date(0),
    ...(settings.cookieDomain === undefined ? {} : { domain: settings.cookieDomain }),
    path: settings.cookiePath,
    secure,
    ...serializeSameSite(settings.cookieSameSite),
  });
}

/**
 * Django `patch_vary_headers(response, ("Cookie",))`: keeps existing values in order, adds
 * `Cookie` unless present (case-insensitive), leaves `*` alone.
 */
export function addVaryCookie(existing: string | null | undefined): string {
  if (!existing) return "Cookie";
  const values = existing.split(",").map((v) => v.trim().toLowerCase());
  if (values.includes("*") || values.includes("cookie")) return existing;
  return `${existing}, Cookie`;
}
