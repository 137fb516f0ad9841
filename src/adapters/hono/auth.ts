/**
 * Hono 4 glue: {@link authMiddleware} after `sessionMiddleware` sets `c.get("auth")` (the
 * request's {@link RequestAuth}) and `c.get("user")` (a lazy, awaitable user: nothing is read
 * until it is awaited).
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { sessionMiddleware } from "sessionbridge/hono";
 * import { authMiddleware, getUser, loginRequired, type AuthEnv } from "sessionbridge/auth/hono";
 * const app = new Hono<AuthEnv>();
 * app.use(sessionMiddleware({ store, djangoVersion: "5.2" }));
 * app.use(authMiddleware({ users, secretKey: process.env.SECRET_KEY! }));
 * app.get("/me", loginRequired({ api: true }), async (c) => c.json(await getUser(c)));
 * ```
 */
import type { Context, MiddlewareHandler } from "hono";
import type { Session } from "../../engine/session.ts";
import { checkAuthConfig } from "../../auth/config.ts";
import {
  checkLoginRequired,
  checkPermissionRequired,
  type LoginRequiredOptions,
  type PermissionRequiredOptions,
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
import { decisionResponse } from "../web/auth.ts";

/** The user, loaded when first awaited. */
export type LazyUser<E extends Enrichers = NoEnrichers> = PromiseLike<
  EnrichedUser<E> | AnonymousUser
>;

/** Hono environment with the session, the auth object and the lazy user. */
export interface AuthEnv<E extends Enrichers = NoEnrichers> {
  Variables: { session: Session; auth: RequestAuth<E>; user: LazyUser<E> };
}

/** Options of {@link authMiddleware}. */
export type HonoAuthOptions<E extends Enrichers = NoEnrichers> = RequestAuthOptions<E> & {
  /** Receives the configuration error (logged once; default `console.error`). */
  readonly onError?: (error: unknown) => void;
};

/**
 * The request's auth object, as `getAuth(req)` of the node and Express adapters.
 * @throws {ConfigurationError} when `authMiddleware()` did not run for this request.
 *
 * @example
 * ```ts
 * app.post("/logout", async (c) => { await getAuth(c).logout(); return c.redirect("/"); });
 * ```
 */
export function getAuth<E extends Enrichers = NoEnrichers>(c: Context): RequestAuth<E> {
  const auth = c.get("auth") as RequestAuth<E> | undefined;
  if (auth === undefined) throw missingAuthError();
  return auth;
}

/**
 * The request's user (loaded once, on the first call), as `getUser(req)` of the node and
 * Express adapters; the same user `await c.get("user")` gives.
 * @throws {ConfigurationError} when `authMiddleware()` did not run for this request.
 *
 * @example
 * ```ts
 * app.get("/me", async (c) => c.json(await getUser(c)));
 * ```
 */
export function getUser<E extends Enrichers = NoEnrichers>(
  c: Context,
): Promise<EnrichedUser<E> | AnonymousUser> {
  return getAuth<E>(c).user();
}

/**
 * Sets `auth` and `user`. The configuration is checked at registration; a request without a
 * session gets a 500 and the fix is logged once.
 * @throws {ConfigurationError} for an invalid configuration.
 *
 * @example
 * ```ts
 * app.use(authMiddleware({ users, secretKey, djangoVersion: "5.2" }));
 * ```
 */
export function authMiddleware<E extends Enrichers = NoEnrichers>(
  options: HonoAuthOptions<E>,
): MiddlewareHandler<AuthEnv<E>> {
  checkAuthConfig(options);
  const report = missingSessionReporter(options.onError);
  return async (c, next) => {
    const session = c.get("session") as Session | undefined;
    if (session === undefined) {
      report();
      return c.text("Internal Server Error\n", 500);
    }
    const auth = createRequestAuth(session, options);
    c.set("auth", auth);
    c.set("user", {
      then(onFulfilled, onRejected) {
        return auth.user().then(onFulfilled, onRejected);
      },
    });
    await next();
    return undefined;
  };
}

/**
 * Django `login_required`.
 *
 * @example
 * ```ts
 * app.get("/account", loginRequired(), (c) => c.text("secret"));
 * ```
 */
export function loginRequired<E extends Enrichers = NoEnrichers>(
  options: LoginRequiredOptions = {},
): MiddlewareHandler<AuthEnv<E>> {
  return async (c, next) => {
    const decision = checkLoginRequired(c.req.raw, await c.get("auth").user(), options);
    if (!decision.allow) return decisionResponse(decision);
    await next();
    return undefined;
  };
}

/**
 * Django `permission_required`.
 *
 * @example
 * ```ts
 * app.post("/polls", permissionRequired("polls.add_poll", { raise403: true }), handler);
 * ```
 */
export function permissionRequired<E extends Enrichers = NoEnrichers>(
  perms: string | readonly string[],
  options: PermissionRequiredOptions = {},
): MiddlewareHandler<AuthEnv<E>> {
  return async (c, next) => {
    const user = await c.get("auth").user();
    const decision = await checkPermissionRequired(c.req.raw, user, perms, options);
    if (!decision.allow) return decisionResponse(decision);
    await next();
    return undefined;
  };
}
