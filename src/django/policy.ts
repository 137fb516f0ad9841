/**
 * Django's `SessionMiddleware` as a {@link SessionPolicy}: the default policy of every adapter.
 * The rules themselves are framework-free and live in `engine/http.ts`; this file binds them to
 * Django's settings.
 */
import type { SessionStore } from "../stores/contract.ts";
import { DJANGO_VERSIONS } from "../codecs/django/version.ts";
import {
  resolveSessionSettings,
  type DjangoVersion,
  type SessionSettingsInput,
} from "../engine/config.ts";
import { versionOption } from "../internal/version-option.ts";
import {
  commitResponseSession,
  openHeaderSession,
  openRequestSession,
  plainResponseHeaders,
} from "../engine/http.ts";
import type { SessionPolicy } from "../engine/policy.ts";
import type { SessionShape } from "../engine/session.ts";

/** Options of {@link djangoSessionPolicy}: the store and Django's session settings. */
export interface DjangoPolicyOptions extends SessionSettingsInput {
  readonly store: SessionStore;
  /**
   * Which Django's rules to follow where versions differ (how `setExpiry(date)` is stored, which
   * statuses skip the save). Required, and never guessed: set it to the version of the Django
   * project the sessions are shared with (a Node-only app: the newest, `"6.1"`).
   */
  readonly djangoVersion: DjangoVersion;
  /**
   * A request header that carries the session key instead of the cookie: `"X-Session-Token"`
   * for django-allauth's headless app clients (`allauth.headless`, token strategy
   * `SessionTokenStrategy`, its default). A request with that header gets that session, its
   * response never sets or deletes the cookie, and Django's CSRF check does not apply (allauth's
   * app views are `csrf_exempt`). Default: none, the cookie only.
   */
  readonly sessionTokenHeader?: string;
  /** Clock in milliseconds, for tests. */
  readonly now?: () => number;
}

/**
 * Django's `SessionMiddleware` (see `engine/http.ts` for the rules).
 *
 * @example
 * ```ts
 * const policy = djangoSessionPolicy({ store, djangoVersion: "5.2", cookieSecure: true });
 * const rs = policy.open(request.headers.get("cookie"));
 * ```
 */
export function djangoSessionPolicy<T extends SessionShape = SessionShape>(
  options: DjangoPolicyOptions,
): SessionPolicy<T> {
  const { store, now = Date.now, sessionTokenHeader, ...input } = options;
  requireDjangoVersion(options.djangoVersion);
  const settings = resolveSessionSettings(input);
  return {
    open: (cookieHeader, header) => {
      const token = sessionTokenHeader === undefined ? undefined : header?.(sessionTokenHeader);
      return typeof token === "string" && token !== ""
        ? openHeaderSession<T>(token, store, settings, now)
        : openRequestSession<T>(cookieHeader, store, settings, now);
    },
    plan: (rs, status) => plainResponseHeaders(rs, settings, status),
    commit: (rs, status) => commitResponseSession(rs, settings, status, now),
  };
}

/**
 * `djangoVersion` as the Django policy requires it: given (a JavaScript caller may omit it) and
 * one of the supported releases.
 * @throws {ConfigurationError} naming the option and the accepted releases.
 *
 * @example
 * ```ts
 * requireDjangoVersion(options.djangoVersion); // "5.2", or throws
 * ```
 */
export function requireDjangoVersion(value: DjangoVersion | undefined): DjangoVersion {
  return versionOption({
    name: "djangoVersion (your Django's version)",
    value,
    allowed: DJANGO_VERSIONS,
  });
}

/** What the adapters accept: a policy, or the store and Django settings for the default one. */
export type PolicyOptions<T extends SessionShape = SessionShape> =
  DjangoPolicyOptions | { readonly policy: SessionPolicy<T> };

/** Resolves adapter options to a policy. */
export function policyFrom<T extends SessionShape>(options: PolicyOptions<T>): SessionPolicy<T> {
  return "policy" in options ? options.policy : djangoSessionPolicy<T>(options);
}
