/**
 * Koa 3 glue for Django's users: {@link authMiddleware}, after the session middleware, sets
 * `ctx.state.auth` (authenticate, login with key cycling, logout) and `ctx.state.user`, an
 * awaitable user read only when awaited (where koa-passport users look for the user);
 * {@link loginRequired} and {@link permissionRequired} are middleware for routes.
 *
 * @example
 * ```ts
 * import Koa from "koa";
 * import { sessionMiddleware } from "sessionbridge/koa";
 * import { authMiddleware, loginRequired, type AuthState } from "sessionbridge/auth/koa";
 * const app = new Koa<AuthState>();
 * app.use(sessionMiddleware({ store, djangoVersion: "5.2" }));
 * app.use(authMiddleware({ users, secretKey: process.env.SECRET_KEY! }));
 * app.use(loginRequired({ api: true }));
 * app.use(async (ctx) => {
 *   ctx.body = { username: (await ctx.state.user).username };
 * });
 * ```
 */
import type { Context, Middleware } from "koa";
import { checkAuthConfig } from "../../auth/config.ts";
import {
  checkLoginRequired,
  checkPermissionRequired,
  type GuardDecision,
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
import type { Session } from "../../engine/session.ts";
import { ConfigurationError } from "../../errors.ts";
import { requestView } from "../node/auth.ts";
import { MISSING_SESSION_MESSAGE, missingAuthError } from "../shared-auth.ts";

/** The user, loaded when first awaited (then the same object for the rest of the request). */
export type LazyUser<E extends Enrichers = NoEnrichers> = PromiseLike<
  EnrichedUser<E> | AnonymousUser
>;

/** What {@link authMiddleware} puts on `ctx.state`; use as `new Koa<AuthState>()`. */
export interface AuthState<E extends Enrichers = NoEnrichers> {
  auth: RequestAuth<E>;
  user: LazyUser<E>;
}

/** Options of {@link authMiddleware}: the auth configuration (users, secretKey, enrich…). */
export type KoaAuthOptions<E extends Enrichers = NoEnrichers> = RequestAuthOptions<E>;

/**
 * The request's auth object, typed with your enrichers.
 *
 * @throws {ConfigurationError} when `authMiddleware()` did not run for this request.
 * @example
 * ```ts
 * await getAuth(ctx).login(user);
 * ```
 */
export function getAuth<E extends Enrichers = NoEnrichers>(ctx: Context): RequestAuth<E> {
  const auth = (ctx.state as Partial<AuthState<E>> | undefined)?.auth;
  if (!auth) throw missingAuthError();
  return auth;
}

/**
 * The request's user (loaded once, on the first call), typed with your enrichers.
 *
 * @example
 * ```ts
 * const user = await getUser(ctx);
 * ```
 */
export function getUser<E extends Enrichers = NoEnrichers>(
  ctx: Context,
): Promise<EnrichedUser<E> | AnonymousUser> {
  return getAuth<E>(ctx).user();
}

/**
 * Sets `ctx.state.auth` and `ctx.state.user`. The configuration is checked here, at creation;
 * a request without the session middleware before it is an error for Koa's error handling
 * (500, emitted on `app.on("error")` with the fix in its message).
 *
 * @throws {ConfigurationError} for an invalid configuration.
 * @example
 * ```ts
 * app.use(authMiddleware({ users: new DjangoUserSource({ database }), secretKey, djangoVersion: "5.2" }));
 * ```
 */
export function authMiddleware<E extends Enrichers = NoEnrichers>(
  options: KoaAuthOptions<E>,
): Middleware {
  checkAuthConfig(options);
  return async (ctx, next) => {
    const session = (ctx as unknown as { session?: Session }).session;
    if (session === undefined) throw new ConfigurationError(MISSING_SESSION_MESSAGE);
    const auth = createRequestAuth(session, options);
    const state = ctx.state as AuthState<E>;
    state.auth = auth;
    state.user = {
      then(onFulfilled, onRejected) {
        return auth.user().then(onFulfilled, onRejected);
      },
    };
    await next();
  };
}

function refuse(ctx: Context, decision: Exclude<GuardDecision, { allow: true }>): void {
  ctx.status = decision.status;
  ctx.set(decision.headers);
  ctx.body = decision.body;
}

/**
 * Django `login_required`: anonymous → `302` to `loginUrl?next=…` (or `401` JSON with `api`).
 *
 * @example
 * ```ts
 * router.get("/account", loginRequired({ loginUrl: "/accounts/login/" }), handler);
 * ```
 */
export function loginRequired(options: LoginRequiredOptions = {}): Middleware {
  return async (ctx, next) => {
    const decision = checkLoginRequired(requestView(ctx.req), await getUser(ctx), options);
    if (!decision.allow) {
      refuse(ctx, decision);
      return;
    }
    await next();
  };
}

/**
 * Django `permission_required`: every permission needed; else `403` (`raise403`, API) or the
 * login redirect.
 *
 * @example
 * ```ts
 * router.post("/polls", permissionRequired("polls.add_poll", { raise403: true }), handler);
 * ```
 */
export function permissionRequired(
  perms: string | readonly string[],
  options: PermissionRequiredOptions = {},
): Middleware {
  return async (ctx, next) => {
    const user = await getUser(ctx);
    const decision = await checkPermissionRequired(requestView(ctx.req), user, perms, options);
    if (!decision.allow) {
      refuse(ctx, decision);
      return;
    }
    await next();
  };
}
