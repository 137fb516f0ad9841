/**
 * `sessionbridge/auth`: recognise Django's logged-in users from Node and log users in so that
 * Django recognises them — Django's `login`, `logout`, `authenticate`, `get_user` and
 * `update_session_auth_hash` over a shared session, with users read from Django's tables.
 *
 * @example
 * ```ts
 * import { DjangoUserSource, authenticate, login, getSessionUser } from "sessionbridge/auth";
 * const config = { users: new DjangoUserSource({ database }), secretKey: process.env.SECRET_KEY! };
 * const result = await authenticate({ username, password }, config);
 * if (result.ok) await login(session, result.user, config);
 * const user = await getSessionUser(session, config); // the same user, as Django would see it
 * ```
 */
export {
  ALLOW_ALL_USERS_MODEL_BACKEND,
  BACKEND_SESSION_KEY,
  HASH_SESSION_KEY,
  MODEL_BACKEND,
  SESSION_KEY,
} from "./constants.ts";
export { ANONYMOUS_USER, AnonymousUser, User } from "./user.ts";
export type { AnyUser, PermissionSource, UserId, UserRecord } from "./user.ts";
export type { ListUsersOptions, NewUserFields, UserManager, UserSource } from "./user-source.ts";
export { DjangoUserSource } from "./django-user-source.ts";
export type { DjangoUserSourceOptions, PrimaryKeyType, UserColumns } from "./django-user-source.ts";
export { checkAuthConfig } from "./config.ts";
export type { AuthConfig } from "./config.ts";
export { allowAllUsersModelBackend, checkUserPassword, modelBackend } from "./backends.ts";
export type { AuthBackend, AuthFailureDetail, BackendResult, Credentials } from "./backends.ts";
export { authenticate, INVALID_LOGIN_MESSAGE, RATE_LIMITED_MESSAGE } from "./authenticate.ts";
export type { AuthenticateResult } from "./authenticate.ts";
export { login, storedUserId } from "./login.ts";
export type { LoginOptions } from "./login.ts";
export { logout } from "./logout.ts";
export { getSessionUser } from "./session-user.ts";
export { updateSessionAuthHash } from "./update-session-auth-hash.ts";
export { setPassword } from "./set-password.ts";
export { userSessionAuthHash } from "./session-hash.ts";
export { createRequestAuth } from "./request-auth.ts";
export type {
  EnrichedUser,
  Enrichers,
  NoEnrichers,
  RequestAuth,
  RequestAuthOptions,
} from "./request-auth.ts";
export { loginRateLimit, MemoryRateLimiter } from "./rate-limit.ts";
export type {
  LoginRateLimit,
  LoginRateLimitOptions,
  MemoryRateLimiterOptions,
} from "./rate-limit.ts";
export type { RateLimiter, RateLimitReservation, RateLimitRule } from "./rate-limiter.ts";
export { DEFAULT_RATE_LIMIT_KEY_PREFIX, RedisRateLimiter } from "./redis-rate-limit.ts";
export type { RedisRateLimiterOptions } from "./redis-rate-limit.ts";
export { iriToUri, isSafeRedirect } from "./redirect.ts";
export type { SafeRedirectOptions } from "./redirect.ts";
export { checkLoginRequired, checkPermissionRequired, loginRedirectUrl } from "./guards.ts";
export type {
  GuardDecision,
  LoginRequiredOptions,
  PermissionRequiredOptions,
  RequestView,
} from "./guards.ts";
