/**
 * `user.set_password(raw); user.save()`: hash with the preferred hasher and store it.
 */
import { makePassword } from "./hashers/index.ts";
import { hasherOptions, type AuthConfig } from "./config.ts";
import { SET_ENCODED_PASSWORD, type User } from "./user.ts";

/**
 * Changes `user`'s password (`null`: unusable, Django `set_unusable_password`). Every session
 * of the user is logged out by it — keep the current one with `updateSessionAuthHash`.
 *
 * @example
 * ```ts
 * await setPassword(user, "new password", config);
 * await updateSessionAuthHash(session, user, config);
 * ```
 */
export async function setPassword(
  user: User,
  password: string | null,
  config: AuthConfig,
): Promise<void> {
  const encoded = await makePassword(password, hasherOptions(config));
  await config.users.setPassword(user, encoded);
  user[SET_ENCODED_PASSWORD](encoded);
}
