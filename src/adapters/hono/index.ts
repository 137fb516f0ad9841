/**
 * Hono 4 adapter (Web `Request`/`Response`, any runtime): Django's SessionMiddleware as a Hono
 * middleware, over the Web adapter (`sessionbridge/web`: `getSession(c.req.raw)` is the same
 * session). The session is `getSession(c)` (or `c.get("session")`). A store outage anywhere in the request
 * becomes a 503, a session deleted mid-request a 400.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { getSession, sessionMiddleware, type SessionEnv } from "sessionbridge/hono";
 * const app = new Hono<SessionEnv>();
 * app.use(sessionMiddleware({ store, djangoVersion: "5.2" }));
 * app.get("/", async (c) => {
 *   const session = getSession(c);
 *   return c.json({ visits: (await session.get("visits")) ?? 0 });
 * });
 * ```
 */
import type { Context, MiddlewareHandler } from "hono";
import { httpStatusOf } from "../../errors.ts";
import { addVaryCookie, type SessionResponseHeaders } from "../../engine/http.ts";
import type { PolicyOptions } from "../../django/policy.ts";
import type { Session, SessionShape } from "../../engine/session.ts";
import { missingSessionError } from "../shared-session.ts";
import { reportToStderr, type SessionErrorReporter } from "../shared-report-error.ts";
import { createSessions, sessionErrorResponse } from "../web/index.ts";

export { csrfMiddleware, csrfToken, type CsrfEnv, type HonoCsrfOptions } from "./csrf.ts";

/**
 * Options: the store plus Django's session settings (Django's policy), or `{ policy }` for
 * another framework's (Flask, Starlette).
 */
export type HonoSessionOptions<T extends SessionShape = SessionShape> = PolicyOptions<T> & {
  /**
   * Called with a session error before the 503/400 answer; for logging. Default: one line on
   * stderr ({@link reportToStderr}).
   */
  readonly onError?: SessionErrorReporter;
};

/** Hono environment carrying the session; use as `new Hono<SessionEnv>()`. */
export interface SessionEnv<T extends SessionShape = SessionShape> {
  Variables: { session: Session<T> };
}

/**
 * The request's session, as `getSession(req)` of the node and Express adapters.
 * @throws {ConfigurationError} when `sessionMiddleware()` did not run for this request.
 *
 * @example
 * ```ts
 * app.get("/", async (c) => c.json({ visits: (await getSession(c).get("visits")) ?? 0 }));
 * ```
 */
export function getSession<T extends SessionShape = SessionShape>(c: Context): Session<T> {
  const session = c.get("session") as Session<T> | undefined;
  if (session === undefined) {
    throw missingSessionError();
  }
  return session;
}

/**
 * Creates the middleware.
 *
 * @example
 * ```ts
 * app.use(sessionMiddleware({ store, djangoVersion: "5.2" }));
 * ```
 */
export function sessionMiddleware<T extends SessionShape = SessionShape>(
  options: HonoSessionOptions<T>,
): MiddlewareHandler<SessionEnv<T>> {
  const onError = options.onError ?? reportToStderr;
  const sessions = createSessions(options);
  return async (c, next) => {
    const opened = sessions.open(c.req.raw);
    c.set("session", opened.session);
    await next();
    const handlerError: unknown = c.error;
    if (httpStatusOf(handlerError) !== undefined) {
      c.res = sessionErrorResponse(handlerError, onError);
      return;
    }
    let headers: SessionResponseHeaders;
    try {
      headers = await opened.headers(c.res.status);
    } catch (error) {
      c.res = sessionErrorResponse(error, onError);
      return;
    }
    if (headers.varyCookie) c.header("Vary", addVaryCookie(c.res.headers.get("Vary")));
    for (const cookie of headers.setCookie) c.header("Set-Cookie", cookie, { append: true });
  };
}
