/**
 * Which session belongs to which request: the Web adapter's modules share it, so
 * `getSession(request)`, the auth half and CSRF find the session `open(request)` made.
 */
import type { Session } from "../../engine/session.ts";

const SESSIONS = new WeakMap<object, Session>();

/**
 * Remembers `session` as the session of `source` (a `Request` or its `Headers`).
 *
 * @example
 * ```ts
 * registerSession(request, opened.session);
 * ```
 */
export function registerSession(source: object, session: Session): void {
  SESSIONS.set(source, session);
}

/**
 * The session registered for `source` (or for the `Headers` of a `Request`), if any.
 *
 * @example
 * ```ts
 * const session = sessionOf(request);
 * ```
 */
export function sessionOf(source: object): Session | undefined {
  return SESSIONS.get(source);
}
