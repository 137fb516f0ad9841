/**
 * `django.contrib.auth.get_user(request)` (django-formats.md §6.4), what Django's lazy
 * `request.user` runs:
 *
 * ```
 * no _auth_user_id or _auth_user_backend        → AnonymousUser (session untouched)
 * backend path not in AUTHENTICATION_BACKENDS   → AnonymousUser (session untouched)
 * backend.get_user(id) is None (missing/inactive) → AnonymousUser (session untouched)
 * _auth_user_hash matches under SECRET_KEY      → the user
 * matches under a SECRET_KEY_FALLBACKS secret   → cycle_key(), hash rewritten, the user (4.1.8+)
 * equals the legacy SHA-1 hash                  → the user (3.2 only; not rewritten)
 * missing, empty or different                   → flush(), AnonymousUser
 * ```
 * The last rule is what logs out every other session after a password change.
 */
import type { Session, SessionShape } from "../engine/session.ts";
import { backendsOf } from "./backends.ts";
import { authSession, checkAuthConfig, type AuthConfig } from "./config.ts";
import { BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY } from "./constants.ts";
import { sessionAuthHash, verifySessionAuthHash } from "./hashers/index.ts";
import { ANONYMOUS_USER, type AnyUser } from "./user.ts";

/**
 * The user logged in on `session`, or {@link ANONYMOUS_USER}.
 *
 * @example
 * ```ts
 * const user = await getSessionUser(session, config);
 * if (user.isAuthenticated) console.log(user.username);
 * ```
 */
export async function getSessionUser<T extends SessionShape>(
  session: Session<T>,
  config: AuthConfig,
): Promise<AnyUser> {
  checkAuthConfig(config);
  const s = authSession(session);
  const rawId = await s.get(SESSION_KEY);
  const path = await s.get(BACKEND_SESSION_KEY);
  // Django: KeyError → AnonymousUser.
  if (rawId === undefined || typeof path !== "string") return ANONYMOUS_USER;
  const id = typeof rawId === "number" ? String(rawId) : rawId;
  if (typeof id !== "string") return ANONYMOUS_USER;
  const backend = backendsOf(config).find((b) => b.path === path);
  if (backend === undefined) return ANONYMOUS_USER;
  const user = await backend.getUser(id, config);
  if (user === null) return ANONYMOUS_USER;

  const verdict = verifySessionAuthHash(await s.get(HASH_SESSION_KEY), user.password, {
    secret: config.secretKey,
    fallbacks: config.secretKeyFallbacks ?? [],
    djangoVersion: config.djangoVersion,
    ...(config.hashingAlgorithm ? { hashingAlgorithm: config.hashingAlgorithm } : {}),
  });
  if (verdict === false) {
    await s.flush();
    return ANONYMOUS_USER;
  }
  if (verdict === "fallback") {
    // 4.1.8+: a hash made under a retired secret is upgraded in place.
    await s.cycleKey();
    await s.set(HASH_SESSION_KEY, sessionAuthHash(user.password, config.secretKey));
  }
  return user;
}
