/**
 * `django.contrib.auth.logout(request)` (django-formats.md §6.5): the session is flushed —
 * data dropped, record deleted, key forgotten — so the response deletes the cookie.
 */
import type { Session, SessionShape } from "../engine/session.ts";

/**
 * Logs out whoever is logged in on `session` (harmless when nobody is).
 *
 * @example
 * ```ts
 * await logout(getSession(req));
 * ```
 */
export async function logout<T extends SessionShape>(session: Session<T>): Promise<void> {
  await session.flush();
}
