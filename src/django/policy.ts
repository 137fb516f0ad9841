/**
 * Django's `SessionMiddleware` as a {@link SessionPolicy}: the default policy of every adapter.
 * The rules themselves are framework-free and live in `engine/http.ts`; this file binds them to
 * Django's settings.
 */
import type { SessionStore } from "../stores/contract.ts";
import { resolveSessionSettings, type SessionSettingsInput } from "../engine/config.ts";
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
 * const policy = djangoSessionPolicy({ store, cookieSecure: true });
 * const rs = policy.open(request.headers.get("cookie"));
 * ```
 */
export function djangoSessionPolicy<T extends SessionShape = SessionShape>(
  options: DjangoPolicyOptions,
): SessionPolicy<T> {
  const { store, now = Date.now, sessionTokenHeader, ...input } = options;
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

/** What the adapters accept: a policy, or the store and Django settings for the default one. */
export type PolicyOptions<T extends SessionShape = SessionShape> =
  DjangoPolicyOptions | { readonly policy: SessionPolicy<T> };

/** Resolves adapter options to a policy. */
export function policyFrom<T extends SessionShape>(options: PolicyOptions<T>): SessionPolicy<T> {
  return "policy" in options ? options.policy : djangoSessionPolicy<T>(options);
}
