/**
 * Express 5 adapter: the node:http middleware typed for Express, plus an error handler that
 * answers 503 for a store outage and 400 for a session deleted mid-request.
 *
 * @example
 * ```ts
 * import express from "express";
 * import { sessionMiddleware, getSession, sessionErrorHandler } from "sessionbridge/express";
 * const app = express();
 * app.use(sessionMiddleware({ store, djangoVersion: "5.2" }));
 * app.get("/", async (req, res) => {
 *   const session = getSession<{ visits: number }>(req);
 *   const visits = ((await session.get("visits")) ?? 0) + 1;
 *   await session.set("visits", visits);
 *   res.json({ visits });
 * });
 * app.use(sessionErrorHandler());
 * ```
 */
import type { ErrorRequestHandler, RequestHandler } from "express";
import { httpStatusOf } from "../../errors.ts";
import { connectSessionMiddleware, getSession, type NodeSessionOptions } from "../node/index.ts";
import { reportToStderr, type SessionErrorReporter } from "../shared-report-error.ts";
import {
  csrfMiddleware as nodeCsrfMiddleware,
  csrfToken,
  type CsrfMiddlewareOptions,
} from "../node/csrf.ts";

export { csrfToken, type CsrfMiddlewareOptions };

/**
 * Django's CSRF protection as an Express `RequestHandler` (after `express.urlencoded()` if you
 * have it, and after the session middleware with `useSessions`); failures answer 403.
 *
 * @example
 * ```ts
 * app.use(express.urlencoded({ extended: false }), csrfMiddleware({ djangoVersion: "5.2" }));
 * app.get("/form", async (req, res) => res.send(`…value="${await csrfToken(req)}"…`));
 * ```
 */
export function csrfMiddleware(options: CsrfMiddlewareOptions): RequestHandler {
  const middleware = nodeCsrfMiddleware(options);
  return (req, res, next) => {
    middleware(req, res, next);
  };
}

export { getSession };
export type { NodeSessionOptions as ExpressSessionOptions };

/**
 * The session middleware as an Express `RequestHandler`; the session is `req.session`.
 *
 * A save that fails at the end of the request goes down Express's own error path: the error
 * middleware registered after the routes (`sessionErrorHandler()`, or yours) answers it, and
 * Express's final handler logs what none handled. `onError`, when given, is called as well.
 */
export function sessionMiddleware(options: NodeSessionOptions): RequestHandler {
  const middleware = connectSessionMiddleware(options, true);
  return (req, res, next) => {
    middleware(req, res, next);
  };
}

/** Options of {@link sessionErrorHandler}. */
export interface SessionErrorHandlerOptions {
  /** Called with each session error it answers. Default: one line on stderr. */
  readonly onError?: SessionErrorReporter;
}

/**
 * Maps session errors to their status (503 store outage, 400 session vanished) with a short
 * plain-text body, after reporting them (stderr by default); passes every other error on.
 */
export function sessionErrorHandler(options: SessionErrorHandlerOptions = {}): ErrorRequestHandler {
  const report = options.onError ?? reportToStderr;
  return (error: unknown, _req, res, next) => {
    const status = httpStatusOf(error);
    if (status === undefined || res.headersSent) {
      next(error);
      return;
    }
    report(error);
    res
      .status(status)
      .type("text/plain")
      .send(status === 503 ? "Service Unavailable\n" : "Bad Request\n");
  };
}
