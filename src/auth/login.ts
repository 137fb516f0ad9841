/**
 * `django.contrib.auth.login(request, user, backend=None)` (django-formats.md §6.3):
 *
 * 1. `hash = user.get_session_auth_hash()`;
 * 2. a user already in the session: a different id, or (hash non-empty and) a stored hash that
 *    differs → `flush()` (anonymous data dropped, new key; done as `clear()` + `cycleKey()` so the
 *    old record is retired by compare-and-set, see `Session.cycleKey`); the same user with the same
 *    hash → nothing, no key rotation. No user in the session → `cycle_key()` (data kept, new key);
 * 3. backend = argument, else `user.backend` (set by `authenticate`), else the only configured
 *    backend, else an error;
 * 4. `_auth_user_id` (string), `_auth_user_backend`, `_auth_user_hash` are set;
 * 5. `update_last_login`: `last_login = now`, saved.
 *
 * 6. `rotate_token(request)`: a new CSRF secret when CSRF protection runs on this request
 *    (the adapters' `csrfMiddleware`), so a token from before the login stops working.
 * 7. the other `user_logged_in` receivers: `config.loginRecorders` (django-allauth's
 *    `AllauthLogins`), told the credentials the user authenticated with (never the password).
 */
import { ConfigurationError } from "../errors.ts";
import { rotateCsrfForSession } from "../django/csrf-protection.ts";
import type { Session, SessionShape } from "../engine/session.ts";
import { authenticatedWith } from "./authenticate.ts";
import { backendsOf } from "./backends.ts";
import { authSession, checkAuthConfig, type AuthConfig, type Credentials } from "./config.ts";
import { BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY } from "./constants.ts";
import { constantTimeEqual } from "./hashers/index.ts";
import { userSessionAuthHash } from "./session-hash.ts";
import type { User } from "./user.ts";

/** Options of {@link login}: the configuration, plus the backend to record. */
export interface LoginOptions extends AuthConfig {
  /** Dotted backend path to store; default `user.backend`, else the only configured backend. */
  readonly backend?: string;
  /**
   * What the user authenticated with (username, ip, user agent; a password is ignored), for
   * `loginRecorders`; default what `authenticate()` returned this user for.
   */
  readonly credentials?: Credentials;
}

/**
 * The canonical session form of a stored `_auth_user_id` (Django `pk.to_python`), or `null`.
 *
 * @example
 * ```ts
 * storedUserId(await session.get(SESSION_KEY), config); // "1"
 * ```
 */
export function storedUserId(value: unknown, config: AuthConfig): string | null {
  // Django stores a string; an int (written by other code) passes `to_python` too.
  if (typeof value === "number" && Number.isFinite(value)) value = String(value);
  if (typeof value !== "string") return null;
  const normalize = config.users.normalizeId?.bind(config.users);
  return normalize === undefined ? value : normalize(value);
}

/**
 * Logs `user` in on `session`, exactly as Django's `login()`.
 * @throws {ConfigurationError} when no backend can be determined.
 *
 * @example
 * ```ts
 * const result = await authenticate({ username, password }, config);
 * if (result.ok) await login(session, result.user, config);
 * ```
 */
export async function login<T extends SessionShape>(
  session: Session<T>,
  user: User,
  options: LoginOptions,
): Promise<void> {
  checkAuthConfig(options);
  const s = authSession(session);
  const hash = userSessionAuthHash(user, options);
  if (await s.has(SESSION_KEY)) {
    const storedHash = await s.get(HASH_SESSION_KEY);
    const sameUser =
      storedUserId(await s.get(SESSION_KEY), options) === storedUserId(user.sessionId, options);
    const hashMatches =
      hash === "" || constantTimeEqual(typeof storedHash === "string" ? storedHash : "", hash);
    // §6.3 step 2: another user, or this user after a password change → drop everything.
    // Django's `flush()`, done as empty data moved to a new key: the old record is retired by
    // the key cycle's compare-and-set, so two logins racing on one session cannot both win.
    if (!sameUser || !hashMatches) {
      s.clear();
      await s.cycleKey();
    }
  } else {
    // An anonymous session: keep its data under a new key (session fixation).
    await s.cycleKey();
  }

  const backends = backendsOf(options);
  let backend = options.backend ?? user.backend;
  if (backend === undefined) {
    if (backends.length !== 1) {
      throw new ConfigurationError(
        "login(): several authentication backends are configured, so pass { backend } or log in a user returned by authenticate()",
      );
    }
    backend = backends[0]?.path;
  }
  if (typeof backend !== "string") {
    throw new ConfigurationError("login(): backend must be a dotted path string");
  }

  await s.set(SESSION_KEY, user.sessionId);
  await s.set(BACKEND_SESSION_KEY, backend);
  await s.set(HASH_SESSION_KEY, hash);
  user.backend = backend;
  await rotateCsrfForSession(session as unknown as Session);

  // `user_logged_in` → `update_last_login`.
  const now = new Date((options.now ?? Date.now)());
  user.lastLogin = now;
  await options.users.updateLastLogin(user, now);

  const credentials = options.credentials ?? authenticatedWith(user);
  for (const recorder of options.loginRecorders ?? []) {
    await recorder.recordLogin({
      session: s,
      userId: user.sessionId,
      method: "password",
      username: credentials?.username ?? undefined,
      ip: credentials?.ip,
      userAgent: credentials?.userAgent,
    });
  }
}
