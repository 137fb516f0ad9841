/**
 * `django.contrib.auth.authenticate(**credentials)`: asks each configured backend in turn and
 * returns the first user, with `user.backend` set to that backend's path, behind the
 * failed-login rate limits when configured.
 *
 * Every failure has the same shape and the same client-facing `message`; only `detail` (for
 * server logs) tells an unknown user, a wrong password, an inactive account or a broken stored
 * hash apart.
 */
import { backendsOf, type AuthFailureDetail, type Credentials } from "./backends.ts";
import { checkAuthConfig, type AuthConfig } from "./config.ts";
import { rateLimitKeys } from "./rate-limit.ts";
import type { User } from "./user.ts";

/** Django `AuthenticationForm.error_messages["invalid_login"]` (for `USERNAME_FIELD` username). */
export const INVALID_LOGIN_MESSAGE =
  "Please enter a correct username and password. Note that both fields may be case-sensitive.";

/** The answer while a username or address is locked out (the same for every username). */
export const RATE_LIMITED_MESSAGE = "Too many failed login attempts. Please try again later.";

/** What {@link authenticate} resolves to. */
export type AuthenticateResult =
  | { readonly ok: true; readonly user: User }
  | {
      readonly ok: false;
      /** For the client: `invalid-credentials` or `rate-limited`. */
      readonly reason: "invalid-credentials" | "rate-limited";
      /** For the client, identical for unknown users and wrong passwords. */
      readonly message: string;
      /** Seconds until another attempt is allowed (`rate-limited` only, else 0). */
      readonly retryAfter: number;
      /** For server logs only. */
      readonly detail: AuthFailureDetail;
    };

const invalid = (detail: AuthFailureDetail): AuthenticateResult => ({
  ok: false,
  reason: "invalid-credentials",
  message: INVALID_LOGIN_MESSAGE,
  retryAfter: 0,
  detail,
});

/**
 * Checks credentials against the configured backends (default Django's `ModelBackend`:
 * inactive users refused, outdated password hashes upgraded on success).
 *
 * @throws the error of a rate limiter that cannot answer — `SessionStoreError` (503) from
 *   `RedisRateLimiter` when Redis is down — so a broken limiter fails closed: no login is let
 *   through unchecked.
 * @example
 * ```ts
 * const result = await authenticate({ username, password, ip: req.socket.remoteAddress }, config);
 * if (!result.ok) return res.status(result.reason === "rate-limited" ? 429 : 400).json({ error: result.message });
 * await login(session, result.user, config);
 * ```
 */
export async function authenticate(
  credentials: Credentials,
  config: AuthConfig,
): Promise<AuthenticateResult> {
  checkAuthConfig(config);
  const limits = config.rateLimit;
  const keys = rateLimitKeys(credentials.username, credentials.ip);
  if (limits !== undefined) {
    const waits = await Promise.all([
      keys.username === undefined ? 0 : (limits.byUsername?.retryAfter(keys.username) ?? 0),
      keys.ip === undefined ? 0 : (limits.byIp?.retryAfter(keys.ip) ?? 0),
    ]);
    const wait = Math.max(...waits);
    if (wait > 0) {
      return {
        ok: false,
        reason: "rate-limited",
        message: RATE_LIMITED_MESSAGE,
        retryAfter: Math.ceil(wait / 1000),
        detail: "rate-limited",
      };
    }
  }

  let detail: AuthFailureDetail = "missing-credentials";
  for (const backend of backendsOf(config)) {
    if (backend.authenticate === undefined) continue;
    const result = await backend.authenticate(credentials, config);
    if (result === null) continue;
    if ("failure" in result) {
      detail = result.failure;
      continue;
    }
    // Django: `user.backend = backend_path`, read by login().
    result.backend = backend.path;
    if (limits !== undefined && keys.username !== undefined) {
      await limits.byUsername?.reset(keys.username);
    }
    return { ok: true, user: result };
  }
  if (limits !== undefined) {
    await Promise.all([
      keys.username === undefined ? undefined : limits.byUsername?.hit(keys.username),
      keys.ip === undefined ? undefined : limits.byIp?.hit(keys.ip),
    ]);
  }
  return invalid(detail);
}
