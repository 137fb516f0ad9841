/**
 * The session keys `django.contrib.auth` keeps (django-formats.md §6.1) and its default backend.
 *
 * @example
 * ```ts
 * import { SESSION_KEY } from "sessionbridge/auth";
 * const id = await session.get(SESSION_KEY); // "1"
 * ```
 */

/** `SESSION_KEY`: the logged-in user's primary key, **always a string** (`"1"`, a UUID…). */
export const SESSION_KEY = "_auth_user_id";

/** `BACKEND_SESSION_KEY`: the dotted path of the backend that authenticated the user. */
export const BACKEND_SESSION_KEY = "_auth_user_backend";

/** `HASH_SESSION_KEY`: `get_session_auth_hash()` at login time (§6.2). */
export const HASH_SESSION_KEY = "_auth_user_hash";

/** Django's default `AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]`. */
export const MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend";

/** `django.contrib.auth.backends.AllowAllUsersModelBackend`: lets inactive users authenticate. */
export const ALLOW_ALL_USERS_MODEL_BACKEND =
  "django.contrib.auth.backends.AllowAllUsersModelBackend";
