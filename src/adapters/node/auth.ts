/**
 * node:http (and Connect-style) glue: {@link authMiddleware} attaches the lazy user to each
 * request after `sessionMiddleware`; {@link loginRequired} / {@link permissionRequired} guard
 * routes.
 *
 * @example
 * ```ts
 * import { sessionMiddleware } from "sessionbridge/node";
 * import { authMiddleware, getUser } from "sessionbridge/auth/node";
 * const sessions = sessionMiddleware({ store, djangoVersion: "5.2" });
 * const auth = authMiddleware({ users, secretKey, djangoVersion: "5.2" });
 * createServer((req, res) =>
 *   sessions(req, res, () =>
 *     auth(req, res, async () => {
 *       const user = await getUser(req);
 *       res.end(user.isAuthenticated ? `hello ${user.username}` : "hello stranger");
 *     }),
 *   ),
 * );
 * ```
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Session } from "../../engine/session.ts";
import { checkAuthConfig } from "../../auth/config.ts";
import {
  checkLoginRequired,
  checkPermissionRequired,
  type GuardDecision,
  type LoginRequiredOptions,
  type PermissionRequiredOptions,
  type RequestView,
} from "../../auth/guards.ts";
import {
  createRequestAuth,
  type EnrichedUser,
  type Enrichers,
  type NoEnrichers,
  type RequestAuth,
  type RequestAuthOptions,
} from "../../auth/request-auth.ts";
import type { AnonymousUser } from "../../auth/user.ts";
import { missingAuthError, missingSessionReporter } from "../shared-auth.ts";
import type { NodeMiddleware } from "./types.ts";

export type { NextFunction, NodeMiddleware } from "./types.ts";

/** Options of {@link authMiddleware}: the auth configuration, plus an error reporter. */
export type NodeAuthOptions<E extends Enrichers = NoEnrichers> = RequestAuthOptions<E> & {
  /** Receives the configuration error (logged once; default `console.error`). */
  readonly onError?: (error: unknown) => void;
};

/** A request the auth middleware has seen. */
export type RequestWithAuth<E extends Enrichers = NoEnrichers> = IncomingMessage & {
  auth: RequestAuth<E>;
};

/**
 * The request's auth object.
 * @throws {ConfigurationError} when `authMiddleware()` did not run for this request.
 *
 * @example
 * ```ts
 * await getAuth(req).login(user);
 * ```
 */
export function getAuth<E extends Enrichers = NoEnrichers>(req: IncomingMessage): RequestAuth<E> {
  const auth = (req as Partial<RequestWithAuth<E>>).auth;
  if (!auth) throw missingAuthError();
  return auth;
}

/**
 * The request's user (loaded once, on the first call).
 *
 * @example
 * ```ts
 * const user = await getUser(req);
 * ```
 */
export function getUser<E extends Enrichers = NoEnrichers>(
  req: IncomingMessage,
): Promise<EnrichedUser<E> | AnonymousUser> {
  return getAuth<E>(req).user();
}

/**
 * Attaches `req.auth` (see {@link getAuth}, {@link getUser}). The configuration is checked here,
 * at registration; a request without `req.session` gets a 500 and the fix is logged once.
 * @throws {ConfigurationError} for an invalid configuration.
 *
 * @example
 * ```ts
 * const auth = authMiddleware({ users, secretKey: process.env.SECRET_KEY! });
 * ```
 */
export function authMiddleware<E extends Enrichers = NoEnrichers>(
  options: NodeAuthOptions<E>,
): NodeMiddleware {
  checkAuthConfig(options);
  const report = missingSessionReporter(options.onError);
  return (req, res, next) => {
    const session = (req as { session?: Session }).session;
    if (session === undefined) {
      report();
      res.statusCode = 500;
      res.setHeader("Content-Type", "text/plain; charset=utf-8");
      res.end("Internal Server Error\n");
      return;
    }
    (req as RequestWithAuth<E>).auth = createRequestAuth(session, options);
    next();
  };
}

/**
 * A Web-`Request`-like view of a node request, for the framework-free guards.
 *
 * @example
 * ```ts
 * checkLoginRequired(requestView(req), await getUser(req));
 * ```
 */
export function requestView(req: IncomingMessage): RequestView {
  return {
    method: req.method ?? "GET",
    url: req.url ?? "/",
    headers: {
      get(name) {
        const value = req.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
      },
    },
  };
}

/**
 * Sends a guard's refusal.
 *
 * @example
 * ```ts
 * if (!decision.allow) return sendDecision(res, decision);
 * ```
 */
export function sendDecision(
  res: ServerResponse,
  decision: Exclude<GuardDecision, { allow: true }>,
): void {
  res.statusCode = decision.status;
  for (const [name, value] of Object.entries(decision.headers)) res.setHeader(name, value);
  res.end(decision.body);
}

function guard(decide: (req: IncomingMessage) => Promise<GuardDecision>): NodeMiddleware {
  return (req, res, next) => {
    decide(req).then(
      (decision) => {
        if (decision.allow) next();
        else sendDecision(res, decision);
      },
      (error: unknown) => {
        // Session errors (store outage…) go on to the error handler, which knows their status.
        next(error);
      },
    );
  };
}

/**
 * Django `login_required`: anonymous → `302` to `loginUrl?next=…` (or `401` JSON with `api`).
 *
 * @example
 * ```ts
 * const requireLogin = loginRequired({ loginUrl: "/accounts/login/" });
 * ```
 */
export function loginRequired(options: LoginRequiredOptions = {}): NodeMiddleware {
  return guard(async (req) => checkLoginRequired(requestView(req), await getUser(req), options));
}

/**
 * Django `permission_required`: every permission needed; else `403` (`raise403`, API) or the
 * login redirect.
 *
 * @example
 * ```ts
 * const canEdit = permissionRequired("polls.change_poll", { raise403: true });
 * ```
 */
export function permissionRequired(
  perms: string | readonly string[],
  options: PermissionRequiredOptions = {},
): NodeMiddleware {
  return guard(async (req) =>
    checkPermissionRequired(requestView(req), await getUser(req), perms, options),
  );
}
