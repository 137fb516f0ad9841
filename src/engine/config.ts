/**
 * Session settings, named after Django's (`SESSION_COOKIE_*`, `SESSION_SAVE_EVERY_REQUEST`, …)
 * with Django's defaults, plus the few rules that differ between Django versions.
 */

import { DJANGO_VERSIONS, type DjangoVersion } from "../codecs/django/version.ts";
import type { SameSite } from "../codecs/same-site.ts";
import { ConfigurationError } from "../errors.ts";
import { versionOption } from "../internal/version-option.ts";

export type { DjangoVersion, SameSite };

/**
 * Everything the engine needs to know, all fields filled.
 *
 * @example
 * ```ts
 * import { resolveSessionSettings, type SessionSettings } from "sessionbridge";
 * const settings: SessionSettings = resolveSessionSettings({ cookieSecure: true });
 * ```
 */
export interface SessionSettings {
  /** `SESSION_COOKIE_NAME`, default `sessionid`. */
  readonly cookieName: string;
  /** `SESSION_COOKIE_AGE` in seconds, default 1209600 (two weeks). */
  readonly cookieAge: number;
  /** `SESSION_COOKIE_DOMAIN`, default none (host-only cookie). */
  readonly cookieDomain: string | undefined;
  /** `SESSION_COOKIE_PATH`, default `/`. */
  readonly cookiePath: string;
  /** `SESSION_COOKIE_SECURE`, default `false`. */
  readonly cookieSecure: boolean;
  /** `SESSION_COOKIE_HTTPONLY`, default `true`. */
  readonly cookieHttpOnly: boolean;
  /** `SESSION_COOKIE_SAMESITE`, default `Lax`. */
  readonly cookieSameSite: SameSite;
  /** `SESSION_SAVE_EVERY_REQUEST`, default `false`. */
  readonly saveEveryRequest: boolean;
  /** `SESSION_EXPIRE_AT_BROWSER_CLOSE`, default `false`. */
  readonly expireAtBrowserClose: boolean;
  /** Which Django's rules to follow where versions differ; default `5.2`. */
  readonly djangoVersion: DjangoVersion;
  /**
   * What a save does when another request wrote the same session since this one loaded it
   * (not a Django setting; Django always overwrites). `"merge"` (default): the save is a
   * compare-and-set on stores that support it (every server-side store here); on a conflict
   * the session is reloaded, this request's own sets and deletes are applied again on top, and
   * the save is retried, so concurrent requests keep each other's writes; a key both changed
   * ends with this request's value; a session deleted meanwhile (a logout) is never written
   * back (`SessionMissingError`, answered 400). Costs one conditional write instead of a blind
   * one, plus a reload per conflict. `"overwrite"`: Django's blind last-write-wins save.
   */
  readonly concurrentWrites: ConcurrentWrites;
}

/**
 * See {@link SessionSettings.concurrentWrites}.
 *
 * @example
 * ```ts
 * const settings = resolveSessionSettings({ concurrentWrites: "overwrite" }); // Django's blind save
 * ```
 */
export type ConcurrentWrites = "merge" | "overwrite";

/**
 * The subset a caller may override.
 *
 * @example
 * ```ts
 * import type { SessionSettingsInput } from "sessionbridge";
 * const input: SessionSettingsInput = { cookieName: "sid", cookieAge: 3600 };
 * ```
 */
export type SessionSettingsInput = Partial<SessionSettings>;

/**
 * Django's defaults (`django/conf/global_settings.py`, identical in 3.2, 4.2, 5.2 and 6.1).
 *
 * @example
 * ```ts
 * import { DEFAULT_SESSION_SETTINGS } from "sessionbridge";
 * DEFAULT_SESSION_SETTINGS.cookieName; // "sessionid"
 * ```
 */
export const DEFAULT_SESSION_SETTINGS: SessionSettings = {
  cookieName: "sessionid",
  cookieAge: 1_209_600,
  cookieDomain: undefined,
  cookiePath: "/",
  cookieSecure: false,
  cookieHttpOnly: true,
  cookieSameSite: "Lax",
  saveEveryRequest: false,
  expireAtBrowserClose: false,
  djangoVersion: "5.2",
  concurrentWrites: "merge",
};

/**
 * Fills the defaults in.
 *
 * @example
 * ```ts
 * import { resolveSessionSettings } from "sessionbridge";
 * resolveSessionSettings({ cookieAge: 3600 }).cookieName; // "sessionid"
 * ```
 */
export function resolveSessionSettings(input: SessionSettingsInput = {}): SessionSettings {
  const settings = { ...DEFAULT_SESSION_SETTINGS };
  for (const [name, value] of Object.entries(input)) {
    if (value !== undefined) Object.assign(settings, { [name]: value });
  }
  if (!Number.isInteger(settings.cookieAge) || settings.cookieAge <= 0) {
    throw new ConfigurationError("cookieAge must be a positive whole number of seconds");
  }
  versionOption({ name: "djangoVersion", value: settings.djangoVersion, allowed: DJANGO_VERSIONS });
  // A JavaScript caller can pass anything.
  if (!(["merge", "overwrite"] as readonly string[]).includes(settings.concurrentWrites)) {
    throw new ConfigurationError('concurrentWrites must be "merge" or "overwrite"');
  }
  return settings;
}

/**
 * Whether a response with this status must not save the session. Django 4.0+ skips every
 * 5xx; 3.2 only exactly 500 (django-formats.md §5, §9.10).
 */
export function skipsSaveOnStatus(settings: SessionSettings, status: number): boolean {
  return settings.djangoVersion === "3.2" ? status === 500 : status >= 500;
}
