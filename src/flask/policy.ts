/**
 * Flask's `SecureCookieSessionInterface` as a {@link SessionPolicy} (flask-starlette-formats.md
 * §2.1–§2.4): the cookie *is* the session (signed tagged JSON), checked against
 * `PERMANENT_SESSION_LIFETIME` on every load, and written back only when Flask would:
 *
 * 1. accessed → `Vary: Cookie`;
 * 2. empty: modified → delete the cookie (even when none was sent, as Flask does) + Vary;
 * 3. non-empty: Set-Cookie iff modified, or permanent (`_permanent` in the data) and
 *    `refreshEachRequest`; `Expires` only for permanent sessions, never `Max-Age`; + Vary.
 *
 * So a Node app mounted beside a Flask app under one origin never rewrites the shared cookie
 * on requests that leave the session alone (non-permanent sessions), and only re-signs the
 * same data for permanent ones (set `refreshEachRequest: false` to stop that too).
 */
import { ConfigurationError } from "../errors.ts";
import { assertSecrets } from "../codecs/secret.ts";
import { FlaskSessionCodec } from "../codecs/flask/session-cookie.ts";
import type { Secret } from "../codecs/itsdangerous/encoding.ts";
import type { SessionData } from "../codecs/python-values.ts";
import { resolveSessionSettings } from "../engine/config.ts";
import { versionOption } from "../internal/version-option.ts";
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
  deleteWerkzeugCookie,
  dumpWerkzeugCookie,
  pyTruthy,
  readCookie,
  WERKZEUG_MAX_COOKIE_SIZE,
  type WerkzeugSameSite,
} from "../codecs/werkzeug/cookies.ts";

/** Flask's default `PERMANENT_SESSION_LIFETIME` (31 days) in seconds. */
export const FLASK_PERMANENT_SESSION_LIFETIME = 2_678_400;

/** Options of {@link flaskSessionPolicy}, named after Flask's config keys. */
export interface FlaskPolicyOptions {
  /** `SECRET_KEY`. */
  readonly secretKey: Secret;
  /** `SECRET_KEY_FALLBACKS` (Flask 3.1+), oldest first: verify only. */
  readonly secretKeyFallbacks?: readonly Secret[] | undefined;
  /** `SESSION_COOKIE_NAME`, default `session`. */
  readonly cookieName?: string | undefined;
  /** `SESSION_COOKIE_DOMAIN`, default none (host-only). */
  readonly cookieDomain?: string | undefined;
  /** `SESSION_COOKIE_PATH` (else `APPLICATION_ROOT`), default `/`. */
  readonly cookiePath?: string | undefined;
  /** `SESSION_COOKIE_HTTPONLY`, default `true`. */
  readonly cookieHttpOnly?: boolean | undefined;
  /** `SESSION_COOKIE_SECURE`, default `false`. */
  readonly cookieSecure?: boolean | undefined;
  /** `SESSION_COOKIE_SAMESITE`, default `null` (no attribute). */
  readonly cookieSameSite?: WerkzeugSameSite | undefined;
  /** `SESSION_COOKIE_PARTITIONED` (Flask 3.1+), default `false`; implies `Secure`. */
  readonly cookiePartitioned?: boolean | undefined;
  /** `PERMANENT_SESSION_LIFETIME` in whole seconds, default 2678400 (31 days). */
  readonly permanentSessionLifetime?: number | undefined;
  /** `SESSION_REFRESH_EACH_REQUEST`, default `true`: re-send permanent sessions every request. */
  readonly refreshEachRequest?: boolean | undefined;
  /**
   * Which Flask to imitate where versions differ: `"3.1"` (default) accepts
   * `secretKeyFallbacks` and `cookiePartitioned`; `"2.2"` refuses them (Flask 2.2 has neither).
   */
  readonly flaskVersion?: "2.2" | "3.1" | undefined;
  /** `app.json.sort_keys` (default `true`). */
  readonly sortKeys?: boolean | undefined;
  /** `app.json.ensure_ascii` (default `true`). */
  readonly ensureAscii?: boolean | undefined;
  /** `zlib.compress` replacement (e.g. pako, for byte-identical compressed cookies). */
  readonly compress?: ((data: Uint8Array) => Uint8Array) | undefined;
  /**
   * `MAX_COOKIE_SIZE`, default 4093 (0: no check): a session cookie longer than this is still
   * sent, with Werkzeug's warning passed to `onWarning`, since browsers drop it silently.
   */
  readonly maxCookieSize?: number | undefined;
  /** Where the too-large-cookie warning goes; default `console.warn`. */
  readonly onWarning?: ((message: string) => void) | undefined;
  /** Clock in milliseconds, for tests. */
  readonly now?: (() => number) | undefined;
}

/**
 * Flask's cookie session for the node, Express and Hono adapters (`{ policy }`).
 *
 * @example
 * ```ts
 * import { flaskSessionPolicy } from "sessionbridge/flask";
 * import { sessionMiddleware } from "sessionbridge/node";
 * const sessions = sessionMiddleware({ policy: flaskSessionPolicy({ secretKey: process.env.SECRET_KEY! }) });
 * ```
 */
export function flaskSessionPolicy<T extends SessionShape = SessionShape>(
  options: FlaskPolicyOptions,
): SessionPolicy<T> {
  // Flask refuses sessions without SECRET_KEY ("The session is unavailable because no secret
  // key was set"); we refuse at start, with Flask's setting names.
  assertSecrets(
    options.secretKey,
    options.secretKeyFallbacks,
    "SECRET_KEY",
    "SECRET_KEY_FALLBACKS",
  );
  const version = versionOption<"2.2" | "3.1">({
    name: "flaskVersion",
    value: options.flaskVersion,
    allowed: ["2.2", "3.1"],
    fallback: "3.1",
  });
  if (version === "2.2" && (options.secretKeyFallbacks?.length || options.cookiePartitioned)) {
    throw new ConfigurationError(
      "Flask 2.2 has no SECRET_KEY_FALLBACKS or SESSION_COOKIE_PARTITIONED",
    );
  }
  const lifetime = options.permanentSessionLifetime ?? FLASK_PERMANENT_SESSION_LIFETIME;
  if (!Number.isInteger(lifetime) || lifetime <= 0) {
    throw new ConfigurationError(
      "permanentSessionLifetime must be a positive whole number of seconds",
    );
  }
  const now = options.now ?? Date.now;
  const nowSeconds = (): number => Math.floor(now() / 1000);
  const name = options.cookieName ?? "session";
  const refresh = options.refreshEachRequest ?? true;
  const maxCookieSize = options.maxCookieSize ?? WERKZEUG_MAX_COOKIE_SIZE;
  const warn =
    options.onWarning ?? ((message: string) => console.warn(`sessionbridge: ${message}`));
  const attributes = {
    domain: options.cookieDomain,
    path: options.cookiePath ?? "/",
    secure: options.cookieSecure ?? false,
    httpOnly: options.cookieHttpOnly ?? true,
    sameSite: options.cookieSameSite ?? null,
    partitioned: options.cookiePartitioned ?? false,
  };
  const codec = new FlaskSessionCodec({
    secretKey: options.secretKey,
    secretKeyFallbacks: options.secretKeyFallbacks,
    maxAge: lifetime,
    sortKeys: options.sortKeys,
    ensureAscii: options.ensureAscii,
    compress: options.compress,
  });
  const cookieCodec = lenientCookieCodec(codec, nowSeconds);
  const store = new CookieValueStore("flask:cookie", cookieCodec);
  const incoming = new IncomingCookies(cookieCodec);
  const settings = resolveSessionSettings({ cookieName: name, cookieAge: lifetime });

  const headers = (
    data: SessionData,
    accessed: boolean,
    modified: boolean,
  ): SessionResponseHeaders => {
    if (data.size === 0) {
      if (!modified) return accessed ? VARY_ONLY : NOTHING;
      return { setCookie: [deleteWerkzeugCookie(name, attributes)], varyCookie: true };
    }
    const permanent = pyTruthy(data.get("_permanent"));
    if (!(modified || (permanent && refresh))) return accessed ? VARY_ONLY : NOTHING;
    const at = nowSeconds();
    const value = codec.encode(data, at);
    const cookie = dumpWerkzeugCookie(name, value, {
      ...attributes,
      expires: permanent ? at + lifetime : undefined,
    });
    const warning = cookieSizeWarning(name, value, cookie, maxCookieSize);
    if (warning !== undefined) warn(warning);
    return { setCookie: [cookie], varyCookie: true };
  };

  return {
    open(cookieHeader) {
      const raw = readCookie(cookieHeader, name, "first");
      const session = new Session<T>(store, raw, settings, now);
      incoming.remember(session, raw);
      return { session, hadCookie: raw !== undefined };
    },
    plan({ session }) {
      const data = incoming.currentSync(session);
      return data && headers(data, session.accessed, session.modified);
    },
    async commit({ session }) {
      const data = await incoming.current(session);
      return headers(data, session.accessed, session.modified);
    },
  };
}

/**
 * `session.permanent`: whether `_permanent` is set (truthy) in the data.
 *
 * @example
 * ```ts
 * if (await isPermanent(getSession(req))) console.log("31-day cookie");
 * ```
 */
export async function isPermanent<T extends SessionShape>(session: Session<T>): Promise<boolean> {
  return pyTruthy(await (session as unknown as Session).get("_permanent"));
}

/**
 * `session.permanent = value`: stores `_permanent` (always marks the session modified).
 *
 * @example
 * ```ts
 * await setPermanent(getSession(req), true); // cookie gets Expires=now+lifetime
 * ```
 */
export async function setPermanent<T extends SessionShape>(
  session: Session<T>,
  value: boolean,
): Promise<void> {
  await (session as unknown as Session).set("_permanent", value);
}
