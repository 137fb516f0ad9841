/**
 * The Connect-style types every `node:http` adapter module shares (declared once here; the
 * session, auth and CSRF modules and Express's glue import them), and the declaration merging
 * that types `req.session` and `req.auth` on Node's `IncomingMessage` (so on Express's
 * `Request` too), as express-session does for its `req.session`.
 *
 * @example
 * ```ts
 * import type { NodeMiddleware } from "sessionbridge/node";
 * const hello: NodeMiddleware = (req, res, next) => (req.url === "/hello" ? res.end("hi") : next());
 * ```
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestAuth } from "../../auth/request-auth.ts";
import type { Session } from "../../engine/session.ts";

/**
 * Connect-style `next`: no argument to go on, an error to hand it to the error handler.
 *
 * @example
 * ```ts
 * const next: NextFunction = (error) => { if (error) console.error(error); };
 * ```
 */
export type NextFunction = (error?: unknown) => void;

/**
 * A Connect-style middleware function (what `app.use` of Connect and Express takes).
 *
 * @example
 * ```ts
 * const sessions: NodeMiddleware = sessionMiddleware({ store, djangoVersion: "5.2" });
 * ```
 */
export type NodeMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: NextFunction,
) => void;

declare module "http" {
  interface IncomingMessage {
    /**
     * The request's session, set by `sessionMiddleware` (absent before it ran). Its data is
     * typed by `getSession<T>(req)`; here it is any {@link SessionShape}.
     */
    session?: Session;
    /**
     * The request's auth object (`await req.auth.user()`), set by `authMiddleware` from
     * `sessionbridge/auth/node` or `sessionbridge/auth/express` (absent before it ran).
     */
    auth?: RequestAuth;
  }
}
