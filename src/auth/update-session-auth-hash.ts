/**
 * `update_session_auth_hash(request, user)` (django-formats.md §6.5): after changing the
 * password of the user logged in on this session, keep this session logged in (the others are
 * logged out by their stale hash): `cycle_key()`, then store the new hash when the session's
 * user is `user`.
 */
import type { Session, SessionShape } from "../engine/session.ts";
import { authSession, type AuthConfig } from "./config.ts";
import { HASH_SESSION_KEY, SESSION_KEY } from "./constants.ts";
import { storedUserId } from "./login.ts";
import { userSessionAuthHash } from "./session-hash.ts";
import type { User } from "./user.ts";

/**
 * Keeps the current session logged in after `user`'s password changed.
 *
 * @example
 * ```ts
 * await users.setPassword(user, await makePassword(newPassword));
 * await updateSessionAuthHash(session, await users.getUser(user.sessionId), config);
 * ```
 */
export async function updateSessionAuthHash<T extends SessionShape>(
  session: Session<T>,
  user: User,
  config: AuthConfig,
): Promise<void> {
  const s = authSession(session);
  await s.cycleKey();
  // Django: `if request.user == user` (same primary key).
  const current = storedUserId(await s.get(SESSION_KEY), config);
  if (current !== null && current === storedUserId(user.sessionId, config)) {
    await s.set(HASH_SESSION_KEY, userSessionAuthHash(user, config));
  }
}
