/**
 * Flask-Login on a Flask session (flask-starlette-formats.md §3): recognise the user Flask
 * logged in, log users in and out so that Flask's `current_user` agrees.
 *
 * Keys: `_user_id` (what `user.get_id()` returned, normally a `str`), `_fresh` (bool), `_id`
 * (the session identifier: sha512 of address and User-Agent; the 0.6.x formula embeds Python
 * bytes reprs, 0.7 does not), `_remember` (`"set"`/`"clear"`, transient: Flask's after-request
 * hook turns it into the `remember_token` cookie) and `_remember_seconds`.
 */
import { ConfigurationError } from "../errors.ts";
import {
  decodeRememberCookie,
  encodeRememberCookie,
  flaskLoginIdentifier,
  FLASK_LOGIN_SESSION_KEYS,
  type FlaskLoginRequestInfo,
} from "../codecs/flask/flask-login.ts";
import type { Secret } from "../codecs/itsdangerous/encoding.ts";
import { PyFloat, type PyValue } from "../codecs/python-values.ts";
import type { Session, SessionShape } from "../engine/session.ts";
import { versionOption } from "../internal/version-option.ts";
import {
  deleteWerkzeugCookie,
  dumpWerkzeugCookie,
  pyTruthy,
  type WerkzeugSameSite,
} from "../codecs/werkzeug/cookies.ts";

export type { FlaskLoginRequestInfo };

/** Which Flask-Login's `_id` formula to use: 0.6.x (released) or 0.7 (unreleased). */
export type FlaskLoginVersion = "0.6" | "0.7";

/** The app's user loader (`@login_manager.user_loader`): `null`/`undefined` = unknown user. */
export type FlaskUserLoader<U> = (
  userId: string,
) => U | null | undefined | Promise<U | null | undefined>;

/** `REMEMBER_COOKIE_*` settings. */
export interface RememberCookieOptions {
  /** `REMEMBER_COOKIE_NAME`, default `remember_token`. */
  readonly name?: string | undefined;
  /** `REMEMBER_COOKIE_DURATION` in seconds, default 365 days. */
  readonly duration?: number | undefined;
  readonly domain?: string | undefined;
  /** `REMEMBER_COOKIE_PATH`, default `/`. */
  readonly path?: string | undefined;
  readonly secure?: boolean | undefined;
  /** `REMEMBER_COOKIE_HTTPONLY`, default `true`. */
  readonly httpOnly?: boolean | undefined;
  readonly sameSite?: WerkzeugSameSite | undefined;
}

/** Options of {@link flaskLoginUser}. */
export interface FlaskLoginLoadOptions {
  /**
   * The request's address/User-Agent, for `SESSION_PROTECTION` (compares `_id` with the
   * identifier computed for this request). Required unless `protection` is `null`: Flask-Login
   * protects by default, and a session replayed from another client must not pass here when
   * Flask would log it out.
   */
  readonly request?: FlaskLoginRequestInfo | undefined;
  /** Flask-Login version for the identifier formula, default `"0.6"`. */
  readonly flaskLoginVersion?: FlaskLoginVersion | undefined;
  /** @deprecated The former name of `flaskLoginVersion`. */
  readonly version?: FlaskLoginVersion | undefined;
  /**
   * `SESSION_PROTECTION` as the Flask app sets it: `"basic"` (Flask-Login's default) or
   * `"strong"`; `null` for `SESSION_PROTECTION = None`.
   */
  readonly protection?: "basic" | "strong" | null | undefined;
  /** The `remember_token` cookie value the request carried, if any. */
  readonly rememberCookie?: string | undefined;
  /** `SECRET_KEY`, needed to verify `rememberCookie`. */
  readonly secretKey?: Secret | undefined;
}

/** The Flask-Login release an options object names (`flaskLoginVersion`, or `version`). */
function loginVersion(options: {
  readonly flaskLoginVersion?: FlaskLoginVersion | undefined;
  readonly version?: FlaskLoginVersion | undefined;
}): FlaskLoginVersion {
  return versionOption<FlaskLoginVersion>({
    name: "flaskLoginVersion",
    value: options.flaskLoginVersion,
    alias: { name: "version", value: options.version },
    allowed: ["0.6", "0.7"],
    fallback: "0.6",
  });
}

/**
 * The request as a WSGI server on an IPv4 socket reports it: a Node server listening on `::`
 * (its default) sees an IPv4 client as `::ffff:a.b.c.d`, where Flask's `remote_addr` is
 * `a.b.c.d`; left as is, every such client would look like another machine to
 * `SESSION_PROTECTION`.
 */
function asFlaskSees(info: FlaskLoginRequestInfo): FlaskLoginRequestInfo {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(info.remoteAddr ?? "");
  return mapped === null ? info : { ...info, remoteAddr: mapped[1] };
}

type AnySession = Session;
const asSession = <T extends SessionShape>(s: Session<T>): AnySession => s as unknown as AnySession;

/**
 * Flask-Login's `_load_user()`: the user Flask would see as `current_user`, or `null`
 * (anonymous). Like Flask-Login it may write to the session (session protection marks it
 * stale or logs out; a remember cookie logs in with `_fresh=False`).
 *
 * @example
 * ```ts
 * const request = { remoteAddr: req.socket.remoteAddress, userAgent: req.headers["user-agent"] };
 * const user = await flaskLoginUser(getSession(req), (id) => users.get(id), { request });
 * ```
 */
export async function flaskLoginUser<U, T extends SessionShape = SessionShape>(
  session: Session<T>,
  loader: FlaskUserLoader<U>,
  options: FlaskLoginLoadOptions = {},
): Promise<U | null> {
  const s = asSession(session);
  const protection = options.protection === undefined ? "basic" : options.protection;
  if (protection !== null && options.request === undefined) {
    throw new ConfigurationError(
      `flaskLoginUser: Flask-Login's SESSION_PROTECTION ("${protection}") needs the request: pass { request: { remoteAddr, userAgent } }, or protection: null if the Flask app sets SESSION_PROTECTION = None`,
    );
  }
  if (options.request && protection) {
    const ident = flaskLoginIdentifier(asFlaskSees(options.request), loginVersion(options));
    const keys = await s.keys();
    if (keys.length > 0 && ident !== (await s.get("_id"))) {
      if (protection === "basic" || pyTruthy(await s.get("_permanent"))) {
        if ((await s.get("_fresh")) !== false) await s.set("_fresh", false);
      } else {
        for (const key of FLASK_LOGIN_SESSION_KEYS) await s.delete(key);
        await s.set("_remember", "clear");
        return null;
      }
    }
  }
  let user: U | null = null;
  const userId = await s.get("_user_id");
  if (userId !== undefined && userId !== null) user = (await loader(idText(userId))) ?? null;
  if (user === null && options.rememberCookie !== undefined) {
    if ((await s.get("_remember")) !== "clear" && options.secretKey !== undefined) {
      let id: string | undefined;
      try {
        id = decodeRememberCookie(options.rememberCookie, options.secretKey);
      } catch {
        id = undefined;
      }
      if (id !== undefined) {
        await s.set("_user_id", id);
        await s.set("_fresh", false);
        user = (await loader(id)) ?? null;
      }
    }
  }
  return user;
}

/** Options of {@link loginFlaskUser}. */
export interface FlaskLoginOptions {
  /** `login_user(remember=True)`. */
  readonly remember?: boolean | undefined;
  /** `login_user(duration=…)` in seconds: kept as `_remember_seconds` (float). */
  readonly duration?: number | undefined;
  /** `login_user(fresh=…)`, default `true`. */
  readonly fresh?: boolean | undefined;
  /** The `_id` to store, or the request facts to compute it from (default: none known). */
  readonly identifier?: string | FlaskLoginRequestInfo | undefined;
  /** Flask-Login version for the identifier formula, default `"0.6"`. */
  readonly flaskLoginVersion?: FlaskLoginVersion | undefined;
  /** @deprecated The former name of `flaskLoginVersion`. */
  readonly version?: FlaskLoginVersion | undefined;
  /**
   * `SECRET_KEY`: with `remember`, the `remember_token` Set-Cookie header is returned (and
   * `_remember` is not left in the session). Without it, `_remember: "set"` is stored and
   * Flask sets the cookie on its next response, as its after-request hook does.
   */
  readonly secretKey?: Secret | undefined;
  readonly rememberCookie?: RememberCookieOptions | undefined;
  /** Clock in milliseconds, for the remember cookie's Expires. */
  readonly now?: (() => number) | undefined;
}

/**
 * `login_user(user)`: writes `_user_id`, `_fresh`, `_id` (and the remember markers).
 * Returns the `remember_token` Set-Cookie header when one is due and `secretKey` was given.
 *
 * @example
 * ```ts
 * await loginFlaskUser(session, "42", { identifier: { remoteAddr: req.socket.remoteAddress, userAgent: req.headers["user-agent"] } });
 * ```
 */
export async function loginFlaskUser<T extends SessionShape>(
  session: Session<T>,
  userId: string,
  options: FlaskLoginOptions = {},
): Promise<string | undefined> {
  const s = asSession(session);
  const identifier =
    typeof options.identifier === "string"
      ? options.identifier
      : flaskLoginIdentifier(asFlaskSees(options.identifier ?? {}), loginVersion(options));
  await s.set("_user_id", userId);
  await s.set("_fresh", options.fresh ?? true);
  await s.set("_id", identifier);
  if (!options.remember) return undefined;
  if (options.duration !== undefined) {
    const seconds: PyValue = Number.isInteger(options.duration)
      ? new PyFloat(options.duration)
      : options.duration;
    await s.set("_remember_seconds", seconds);
  }
  if (options.secretKey === undefined) {
    await s.set("_remember", "set");
    return undefined;
  }
  return rememberCookieHeader(userId, options.secretKey, {
    ...options.rememberCookie,
    ...(options.duration === undefined ? {} : { duration: options.duration }),
    now: options.now,
  });
}

/** Options of {@link logoutFlaskUser}. */
export interface FlaskLogoutOptions {
  /** Whether the request carried the remember cookie (Flask-Login then clears it). */
  readonly hadRememberCookie?: boolean | undefined;
  readonly rememberCookie?: RememberCookieOptions | undefined;
}

/**
 * `logout_user()`: removes `_user_id`, `_fresh`, `_id`; with a remember cookie, stores
 * `_remember: "clear"` (so neither Flask nor {@link flaskLoginUser} logs in from it again),
 * drops `_remember_seconds` and returns the cookie's delete header.
 *
 * @example
 * ```ts
 * const del = await logoutFlaskUser(session, { hadRememberCookie: "remember_token" in cookies });
 * if (del) res.appendHeader("Set-Cookie", del);
 * ```
 */
export async function logoutFlaskUser<T extends SessionShape>(
  session: Session<T>,
  options: FlaskLogoutOptions = {},
): Promise<string | undefined> {
  const s = asSession(session);
  for (const key of ["_user_id", "_fresh", "_id"]) await s.delete(key);
  if (!options.hadRememberCookie) return undefined;
  await s.set("_remember", "clear");
  await s.delete("_remember_seconds");
  const rc = options.rememberCookie ?? {};
  return deleteWerkzeugCookie(rc.name ?? "remember_token", {
    domain: rc.domain,
    path: rc.path ?? "/",
  });
}

/**
 * Flask-Login's `_set_cookie`: `remember_token=<id>|<sha512 hex>; Expires=…; HttpOnly; Path=/`.
 *
 * @example
 * ```ts
 * rememberCookieHeader("42", "test-secret-key");
 * ```
 */
export function rememberCookieHeader(
  userId: string,
  secretKey: Secret,
  options: RememberCookieOptions & { readonly now?: (() => number) | undefined } = {},
): string {
  const nowSeconds = Math.floor((options.now ?? Date.now)() / 1000);
  return dumpWerkzeugCookie(
    options.name ?? "remember_token",
    encodeRememberCookie(userId, secretKey),
    {
      domain: options.domain,
      expires: nowSeconds + (options.duration ?? 365 * 86_400),
      secure: options.secure ?? false,
      httpOnly: options.httpOnly ?? true,
      path: options.path ?? "/",
      sameSite: options.sameSite ?? null,
    },
  );
}

function idText(value: PyValue): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  return JSON.stringify(value);
}
