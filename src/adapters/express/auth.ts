/**
 * Express 5 glue: the node:http middleware typed for Express. Mount it after
 * `sessionMiddleware`; errors from loading the user (a store outage) go to `next(error)`, where
 * `sessionErrorHandler()` answers 503.
 *
 * @example
 * ```ts
 * import express from "express";
 * import { sessionMiddleware, sessionErrorHandler } from "sessionbridge/express";
 * import { authMiddleware, getUser, loginRequired } from "sessionbridge/auth/express";
 * const app = express();
 * app.use(sessionMiddleware({ store, djangoVersion: "5.2" }));
 * app.use(authMiddleware({ users, secretKey: process.env.SECRET_KEY! }));
 * app.get("/account", loginRequired(), async (req, res) => {
 *   res.json(await getUser(req));
 * });
 * app.use(sessionErrorHandler());
 * ```
 */
import type { RequestHandler } from "express";
import type { LoginRequiredOptions, PermissionRequiredOptions } from "../../auth/guards.ts";
import type { Enrichers, NoEnrichers } from "../../auth/request-auth.ts";
import {
  authMiddleware as nodeAuthMiddleware,
  getAuth,
  getUser,
  loginRequired as nodeLoginRequired,
  permissionRequired as nodePermissionRequired,
  requestView,
  type NodeAuthOptions,
  type NodeMiddleware,
} from "../node/auth.ts";

export { getAuth, getUser, requestView };
export type { NodeAuthOptions as ExpressAuthOptions };

function handler(middleware: NodeMiddleware): RequestHandler {
  return (req, res, next) => {
    middleware(req, res, next);
  };
}

/**
 * Attaches the lazy user (`getUser(req)`, `getAuth(req)`); refuses requests without a session
 * with a 500 and logs the fix once.
 *
 * @example
 * ```ts
 * app.use(authMiddleware({ users, secretKey, djangoVersion: "5.2" }));
 * ```
 */
export function authMiddleware<E extends Enrichers = NoEnrichers>(
  options: NodeAuthOptions<E>,
): RequestHandler {
  return handler(nodeAuthMiddleware(options));
}

/**
 * Django `login_required` as an Express handler.
 *
 * @example
 * ```ts
 * app.get("/account", loginRequired({ loginUrl: "/accounts/login/" }), handler);
 * app.get("/api/me", loginRequired({ api: true }), handler);
 * ```
 */
export function loginRequired(options: LoginRequiredOptions = {}): RequestHandler {
  return handler(nodeLoginRequired(options));
}

/**
 * Django `permission_required` as an Express handler.
 *
 * @example
 * ```ts
 * app.post("/polls/:id", permissionRequired("polls.change_poll", { raise403: true }), handler);
 * ```
 */
export function permissionRequired(
  perms: string | readonly string[],
  options: PermissionRequiredOptions = {},
): RequestHandler {
  return handler(nodePermissionRequired(perms, options));
}
