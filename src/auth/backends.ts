/**
 * Authentication backends (`AUTHENTICATION_BACKENDS`): {@link modelBackend} is Django's
 * `ModelBackend`, {@link allowAllUsersModelBackend} its variant that lets inactive users in.
 * A backend has a dotted `path` (stored in the session as `_auth_user_backend`) and finds users
 * by credentials and by id.
 *
 * @example
 * ```ts
 * const config = { users, secretKey, backends: [modelBackend, myLdapBackend] };
 * ```
 */
import { checkPassword, makePassword, type CheckPasswordFailure } from "./hashers/index.ts";
import { hasherOptions, type AuthBackend, type AuthConfig } from "./config.ts";
import { ALLOW_ALL_USERS_MODEL_BACKEND, MODEL_BACKEND } from "./constants.ts";
import { SET_ENCODED_PASSWORD, type User } from "./user.ts";

export type { AuthBackend, AuthFailureDetail, BackendResult, Credentials } from "./config.ts";

/**
 * `User.check_password(raw)` with its setter: on success with an outdated hash, the password is
 * rehashed with the preferred hasher and saved (django-formats.md §7.3).
 *
 * @example
 * ```ts
 * const r = await checkUserPassword(user, "s3cret", config);
 * ```
 */
export async function checkUserPassword(
  user: User,
  password: string,
  config: AuthConfig,
): Promise<{ readonly ok: true } | { readonly ok: false; readonly reason: CheckPasswordFailure }> {
  const options = hasherOptions(config);
  const result = await checkPassword(password, user.password, options);
  if (!result.ok) return { ok: false, reason: result.reason };
  if (result.mustUpdate) {
    // Django's setter: set_password(raw) then save(update_fields=["password"]).
    const encoded = await makePassword(password, options);
    await config.users.setPassword(user, encoded);
    user[SET_ENCODED_PASSWORD](encoded);
  }
  return { ok: true };
}

function makeModelBackend(path: string, allowInactive: boolean): AuthBackend {
  return {
    path,
    async authenticate(credentials, config) {
      const { username, password } = credentials;
      if (
        username === null ||
        username === undefined ||
        password === null ||
        password === undefined
      ) {
        return { failure: "missing-credentials" };
      }
      const user = await config.users.getUserByUsername(username);
      if (user === null) {
        // Django: `UserModel().set_password(password)` so that a missing user costs as much
        // time as a wrong password.
        await makePassword(password, hasherOptions(config));
        return { failure: "unknown-user" };
      }
      const checked = await checkUserPassword(user, password, config);
      if (!checked.ok) return { failure: checked.reason };
      // `user_can_authenticate`: is_active (the password is checked first, as in Django).
      if (!allowInactive && !user.isActive) return { failure: "inactive" };
      return user;
    },
    async getUser(id, config) {
      const user = await config.users.getUser(id);
      if (user === null) return null;
      return allowInactive || user.isActive ? user : null;
    },
  };
}

/**
 * Django's `ModelBackend`: username + password against the user source; inactive users are
 * refused at login and dropped from existing sessions (they become anonymous).
 *
 * @example
 * ```ts
 * const config = { users, secretKey, backends: [modelBackend] };
 * ```
 */
export const modelBackend: AuthBackend = Object.freeze(makeModelBackend(MODEL_BACKEND, false));

/**
 * Django's `AllowAllUsersModelBackend`: as {@link modelBackend} but inactive users may log in.
 *
 * @example
 * ```ts
 * const config = { users, secretKey, backends: [allowAllUsersModelBackend] };
 * ```
 */
export const allowAllUsersModelBackend: AuthBackend = Object.freeze(
  makeModelBackend(ALLOW_ALL_USERS_MODEL_BACKEND, true),
);

/**
 * The configured backends (`[modelBackend]` by default).
 *
 * @example
 * ```ts
 * backendsOf(config)[0]?.path; // "django.contrib.auth.backends.ModelBackend"
 * ```
 */
export function backendsOf(config: AuthConfig): readonly AuthBackend[] {
  return config.backends ?? [modelBackend];
}
