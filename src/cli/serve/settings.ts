/**
 * What `serve` and `demo` read from the environment beyond the store: the session cookie and the
 * login URLs, under Django's setting names (`SESSION_COOKIE_*`, `SESSION_SAVE_EVERY_REQUEST`,
 * `SESSION_EXPIRE_AT_BROWSER_CLOSE`, `LOGIN_URL`, `LOGIN_REDIRECT_URL`, `LOGOUT_REDIRECT_URL`),
 * so that the values are copied from the Django project's settings.py as they are written there.
 * The URL defaults differ from Django's (`/accounts/login/`, `/accounts/profile/`, none): serve
 * is a site of its own, with its login form at `/login` and the site's home at `/`.
 */
import {
  type DjangoVersion,
  resolveSessionSettings,
  type SameSite,
  type SessionSettings,
} from "../../engine/config.ts";
import { ConfigurationError } from "../../errors.ts";
import type { EnvConfig } from "../env-config.ts";

/** Every variable read here (beside {@link ENV_CONFIG_NAMES} of env-config.ts). */
export const SERVE_SETTING_NAMES = [
  "SESSION_COOKIE_SECURE",
  "SESSION_COOKIE_DOMAIN",
  "SESSION_COOKIE_PATH",
  "SESSION_COOKIE_HTTPONLY",
  "SESSION_COOKIE_SAMESITE",
  "SESSION_EXPIRE_AT_BROWSER_CLOSE",
  "SESSION_SAVE_EVERY_REQUEST",
  "LOGIN_URL",
  "LOGIN_REDIRECT_URL",
  "LOGOUT_REDIRECT_URL",
] as const;

type Env = Readonly<Record<string, string | undefined>>;

/** What the server needs besides the store and the users. */
export interface ServeSettings {
  readonly session: SessionSettings;
  /** `LOGIN_URL`: where the login form is served and anonymous visitors are sent. */
  readonly loginUrl: string;
  /** `LOGIN_REDIRECT_URL`: where a login without a (safe) `next` lands. */
  readonly loginRedirectUrl: string;
  /** `LOGOUT_REDIRECT_URL`: where `/logout` lands. */
  readonly logoutRedirectUrl: string;
}

/**
 * A Python boolean as settings files and env files write it: `True`/`False`, `1`/`0`,
 * `true`/`false`, `yes`/`no`, `on`/`off`. Anything else is refused, not read as false.
 */
export function bool(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value.trim() === "") return fallback;
  const v = value.trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(v)) return true;
  if (["false", "0", "no", "off"].includes(v)) return false;
  throw new ConfigurationError(`${name} must be True or False, not "${value.slice(0, 20)}"`);
}

/**
 * `SESSION_COOKIE_SAMESITE`: `Lax`, `Strict` or `None` (the attribute `SameSite=None`), as
 * Django's strings; `False` (Python's `None` in settings.py) sends no attribute.
 */
function sameSite(value: string | undefined): SameSite {
  if (value === undefined || value.trim() === "") return "Lax";
  const v = value.trim().toLowerCase();
  if (v === "lax") return "Lax";
  if (v === "strict") return "Strict";
  if (v === "none") return "None";
  if (v === "false" || v === "off") return false;
  throw new ConfigurationError(
    `SESSION_COOKIE_SAMESITE must be Lax, Strict, None or False, not "${value.slice(0, 20)}"`,
  );
}

/** A local path (`/…`, not `//…`): the only kind of URL these settings may hold here. */
function localPath(name: string, value: string | undefined, fallback: string): string {
  if (value === undefined || value.trim() === "") return fallback;
  const v = value.trim();
  if (!v.startsWith("/") || v.startsWith("//") || /[\s\\]/.test(v)) {
    throw new ConfigurationError(
      `${name} must be a path on this site such as /login, not "${v.slice(0, 40)}"`,
    );
  }
  return v;
}

/**
 * Reads the settings. `SESSION_COOKIE_NAME` and `SESSION_COOKIE_AGE` come from `config` (the
 * stores read them too).
 * @throws {ConfigurationError} for a value that cannot be used.
 */
export function readServeSettings(
  env: Env,
  config: EnvConfig & { readonly djangoVersion: DjangoVersion },
): ServeSettings {
  const get = (name: (typeof SERVE_SETTING_NAMES)[number]): string | undefined => env[name];
  const domain = get("SESSION_COOKIE_DOMAIN")?.trim();
  return {
    session: resolveSessionSettings({
      djangoVersion: config.djangoVersion,
      cookieName: config.sessionCookieName,
      cookieAge: config.sessionCookieAge,
      cookieDomain: domain === undefined || domain === "" ? undefined : domain,
      cookiePath: localPath("SESSION_COOKIE_PATH", get("SESSION_COOKIE_PATH"), "/"),
      cookieSecure: bool("SESSION_COOKIE_SECURE", get("SESSION_COOKIE_SECURE"), false),
      cookieHttpOnly: bool("SESSION_COOKIE_HTTPONLY", get("SESSION_COOKIE_HTTPONLY"), true),
      cookieSameSite: sameSite(get("SESSION_COOKIE_SAMESITE")),
      expireAtBrowserClose: bool(
        "SESSION_EXPIRE_AT_BROWSER_CLOSE",
        get("SESSION_EXPIRE_AT_BROWSER_CLOSE"),
        false,
      ),
      saveEveryRequest: bool(
        "SESSION_SAVE_EVERY_REQUEST",
        get("SESSION_SAVE_EVERY_REQUEST"),
        false,
      ),
    }),
    loginUrl: localPath("LOGIN_URL", get("LOGIN_URL"), "/login"),
    loginRedirectUrl: localPath("LOGIN_REDIRECT_URL", get("LOGIN_REDIRECT_URL"), "/"),
    logoutRedirectUrl: localPath("LOGOUT_REDIRECT_URL", get("LOGOUT_REDIRECT_URL"), "/"),
  };
}
