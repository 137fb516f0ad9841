/**
 * `user.get_session_auth_hash()` under the configuration's secret and Django version.
 */
import { djangoAtLeast } from "./hashers/defaults.ts";
import { sessionAuthHash } from "./hashers/index.ts";
import type { AuthConfig } from "./config.ts";
import type { User } from "./user.ts";

/**
 * The `_auth_user_hash` for `user` now (django-formats.md §6.2): HMAC-SHA256 of the encoded
 * password under `SECRET_KEY`; on Django 3.2 the algorithm is `DEFAULT_HASHING_ALGORITHM`.
 *
 * @example
 * ```ts
 * await session.set(HASH_SESSION_KEY, userSessionAuthHash(user, config));
 * ```
 */
export function userSessionAuthHash(user: User, config: AuthConfig): string {
  const modern = djangoAtLeast(config.djangoVersion, "4.0");
  return sessionAuthHash(
    user.password,
    config.secretKey,
    modern ? "sha256" : (config.hashingAlgorithm ?? "sha256"),
  );
}
