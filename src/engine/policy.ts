/**
 * A session policy is what a framework's session middleware does around a request: how the
 * cookie is read into a session, and which headers the response gets (and when the session is
 * saved). Django's is the default (`django/policy.ts`); Flask's and Starlette's differ
 * in when they write and how their cookie looks, and plug in through the same interface, so the
 * adapters never know which framework they imitate.
 */
import type { RequestSession, SessionResponseHeaders } from "./http.ts";
import type { SessionShape } from "./session.ts";
import type { SessionStore } from "../stores/contract.ts";

/**
 * Request → session, session → response headers.
 *
 * @example
 * ```ts
 * import type { SessionPolicy } from "sessionbridge";
 * import { flaskSessionPolicy } from "sessionbridge/flask";
 * const policy: SessionPolicy = flaskSessionPolicy({ secretKey: process.env.SECRET_KEY! });
 * ```
 */
export interface SessionPolicy<T extends SessionShape = SessionShape> {
  /**
   * Reads the session cookie out of a `Cookie` header; no I/O. `header` reads any other request
   * header (case-insensitive), for policies that take the session key from one (allauth's
   * `X-Session-Token`); adapters pass it.
   */
  open(
    cookieHeader: string | null | undefined,
    header?: (name: string) => string | null | undefined,
  ): RequestSession<T>;
  /** The response headers when they are known without I/O, else `undefined` (commit is due). */
  plan(requestSession: RequestSession<T>, status: number): SessionResponseHeaders | undefined;
  /** Saves if due and returns the response headers. */
  commit(requestSession: RequestSession<T>, status: number): Promise<SessionResponseHeaders>;
  /**
   * The server-side store the cookie names sessions in (Flask-Session's), where there is one;
   * absent when the cookie is the session. Real-time gates re-check live sessions in it, by
   * the session key a request's session has.
   */
  readonly store?: SessionStore;
}
