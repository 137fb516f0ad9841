/**
 * Starlette's `SessionMiddleware` as a {@link SessionPolicy} (flask-starlette-formats.md §5):
 *
 * - `"0.x"` (≤ 0.47, e.g. 0.26): every response whose session is non-empty re-signs and sends
 *   the cookie (sliding expiry); an emptied session whose incoming cookie was valid is deleted;
 *   never `Vary`.
 * - `"1.x"` (≥ 1.0): `Vary: Cookie` when accessed; Set-Cookie only when modified and
 *   non-empty; delete only when modified, empty and the incoming cookie was valid.
 *
 * Header text is Starlette's own: `session=<v>; path=/; Max-Age=1209600; httponly; samesite=lax`
 * and `session=null; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly; samesite=lax`.
 * Duplicate incoming cookies: the last one wins, as in Starlette.
 */
import type { SameSite } from "../codecs/same-site.ts";
import { assertSecret } from "../codecs/secret.ts";
import { StarletteSessionCodec } from "../codecs/starlette/session-cookie.ts";
import type { SessionData } from "../codecs/python-values.ts";
import { resolveSessionSettings } from "../engine/config.ts";
import type { SessionResponseHeaders } from "../engine/http.ts";
import type { SessionPolicy } from "../engine/policy.ts";
import { Session, type SessionShape } from "../engine/session.ts";
import {
  CookieValueStore,
  IncomingCookies,
  lenientCookieCodec,
  NOTHING,
  VARY_ONLY,
} from "../engine/cookie-session.ts";
import {
  cookieSizeWarning,
  readCookie,
  WERKZEUG_MAX_COOKIE_SIZE,
} from "../codecs/werkzeug/cookies.ts";
import { versionOption } from "../internal/version-option.ts";

/** Starlette's default `max_age` (14 days) in seconds. */
export const STARLETTE_MAX_AGE = 1_209_600;

/** Which Starlette's write rules to follow: `"0.x"` (≤ 0.47) or `"1.x"` (≥ 1.0). */
export type StarletteVersion = "0.x" | "1.x";

/** @deprecated The former name of {@link StarletteVersion}. */
export type StarletteBehaviour = StarletteVersion;

/** Options of {@link starletteSessionPolicy}, named after `SessionMiddleware`'s arguments. */
export interface StarlettePolicyOptions {
  /** `secret_key`. */
  readonly secretKey: string;
  /**
   * Which Starlette to imitate, required: `"0.x"` (re-send on every response) or `"1.x"` (only
   * when modified).
   */
  readonly starletteVersion?: StarletteVersion | undefined;
  /** @deprecated The former name of `starletteVersion`. */
  readonly behaviour?: StarletteVersion | undefined;
  /** `session_cookie`, default `session`. */
  readonly cookieName?: string | undefined;
  /** `max_age` in seconds, default 1209600; `null`: no `Max-Age`, no expiry check. */
  readonly maxAge?: number | null | undefined;
  /** `path`, default `/`. */
  readonly path?: string | undefined;
  /**
   * `same_site`, default `"Lax"` (Starlette writes `samesite=lax`); Starlette's own lowercase
   * values are accepted too. Starlette always sends the attribute: `false` is not an option.
   */
  readonly sameSite?: Exclude<SameSite, false> | "lax" | "strict" | "none" | undefined;
  /** `https_only`, default `false`: adds `secure`. */
  readonly httpsOnly?: boolean | undefined;
  /** `domain` (Starlette ≥ 0.32), written raw. */
  readonly domain?: string | undefined;
  /** `partitioned` (Starlette ≥ 1.x). */
  readonly partitioned?: boolean | undefined;
  /**
   * Largest `Set-Cookie` value in bytes, default 4093 (0: no check). Starlette sends any size and
   * browsers drop a cookie over ~4 KB silently, losing the write: a longer one is still sent (as
   * Starlette would) with a warning to `onWarning`, the one Werkzeug gives Flask apps.
   */
  readonly maxCookieSize?: number | undefined;
  /** Where the too-large-cookie warning goes; default `console.warn`. */
  readonly onWarning?: ((message: string) => void) | undefined;
  /** Clock in milliseconds, for tests. */
  readonly now?: (() => number) | undefined;
}

/**
 * Starlette's session middleware for the node, Express and Hono adapters (`{ policy }`).
 *
 * @example
 * ```ts
 * const policy = starletteSessionPolicy({ secretKey: "s3cret", starletteVersion: "1.x" });
 * createServer(withSessions({ policy }, handler));
 * ```
 */
export function starletteSessionPolicy<T extends SessionShape = SessionShape>(
  options: StarlettePolicyOptions,
): SessionPolicy<T> {
  assertSecret(options.secretKey, "secret_key");
  const behaviour = versionOption<StarletteVersion>({
    name: "starletteVersion",
    value: options.starletteVersion,
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the alias is read here, once
    alias: { name: "behaviour", value: options.behaviour },
    allowed: ["0.x", "1.x"],
  });
  const now = options.now ?? Date.now;
  const nowSeconds = (): number => Math.floor(now() / 1000);
  const name = options.cookieName ?? "session";
  const maxAge = options.maxAge === undefined ? STARLETTE_MAX_AGE : options.maxAge;
  const path = options.path ?? "/";
  let flags = `httponly; samesite=${(options.sameSite ?? "lax").toLowerCase()}`;
  if (options.httpsOnly) flags += "; secure";
  if (options.domain !== undefined) flags += `; domain=${options.domain}`;
  if (options.partitioned) flags += "; partitioned";
  // 0.x: `if self.max_age` (0 omits it); 1.x: `if self.max_age is not None`.
  const maxAgePart =
    maxAge === null || (behaviour === "0.x" && maxAge === 0) ? "" : `Max-Age=${maxAge}; `;
  const deleteHeader = `${name}=null; path=${path}; expires=Thu, 01 Jan 1970 00:00:00 GMT; ${flags}`;

  const codec = new StarletteSessionCodec({ secretKey: options.secretKey, maxAge });
  const cookieCodec = lenientCookieCodec(codec, nowSeconds);
  const store = new CookieValueStore("starlette:cookie", cookieCodec);
  const incoming = new IncomingCookies(cookieCodec);
  const settings = resolveSessionSettings({
    cookieName: name,
    ...(maxAge ? { cookieAge: maxAge } : {}),
  });

  const maxCookieSize = options.maxCookieSize ?? WERKZEUG_MAX_COOKIE_SIZE;
  const warn =
    options.onWarning ?? ((message: string) => console.warn(`sessionbridge: ${message}`));
  const setHeader = (data: SessionData): string => {
    const value = codec.encode(data, nowSeconds());
    const header = `${name}=${value}; path=${path}; ${maxAgePart}${flags}`;
    const warning = cookieSizeWarning(name, value, header, maxCookieSize);
    if (warning !== undefined) warn(warning);
    return header;
  };

  const headers = (session: Session<T>, data: SessionData): SessionResponseHeaders => {
    const wasValid = incoming.incoming(session) !== null;
    if (behaviour === "0.x") {
      if (data.size > 0) return { setCookie: [setHeader(data)], varyCookie: false };
      return wasValid ? { setCookie: [deleteHeader], varyCookie: false } : NOTHING;
    }
    const vary = session.accessed;
    if (session.modified && data.size > 0)
      return { setCookie: [setHeader(data)], varyCookie: vary };
    if (session.modified && wasValid) return { setCookie: [deleteHeader], varyCookie: vary };
    return vary ? VARY_ONLY : NOTHING;
  };

  return {
    open(cookieHeader) {
      const raw = readCookie(cookieHeader, name, "last");
      const session = new Session<T>(store, raw, settings, now);
      incoming.remember(session, raw);
      return { session, hadCookie: raw !== undefined };
    },
    plan({ session }) {
      if (behaviour === "1.x" && !session.modified) return session.accessed ? VARY_ONLY : NOTHING;
      const data = incoming.currentSync(session);
      return data && headers(session, data);
    },
    async commit({ session }) {
      return headers(session, await incoming.current(session));
    },
  };
}
