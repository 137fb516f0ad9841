/**
 * Fastify 5 glue for Django's users: {@link authMiddleware}, registered after the session
 * plugin, gives each request `request.auth` (authenticate, login with key cycling, logout) and
 * `request.user`, an awaitable user read only when awaited; {@link loginRequired} and
 * {@link permissionRequired} are `preHandler` hooks. Both request properties are typed by
 * declaration merging.
 *
 * @example
 * ```ts
 * import Fastify from "fastify";
 * import { sessionMiddleware } from "sessionbridge/fastify";
 * import { authMiddleware, loginRequired } from "sessionbridge/auth/fastify";
 * const app = Fastify();
 * await app.register(sessionMiddleware({ store, djangoVersion: "5.2" }));
 * await app.register(authMiddleware({ users, secretKey: process.env.SECRET_KEY! }));
 * app.get("/me", { preHandler: loginRequired({ api: true }) }, async (request) => {
 *   const user = await request.user;
 *   return { username: user.username };
 * });
 * ```
 */
import type {
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  preHandlerAsyncHookHandler,
} from "fastify";
import fp from "fastify-plugin";
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
import { ConfigurationError } from "../../errors.ts";
import { requestView } from "../node/auth.ts";
import { MISSING_SESSION_MESSAGE, missingAuthError } from "../shared-auth.ts";
import { SESSION_PLUGIN_NAME } from "./index.ts";

/** The user, loaded when first awaited (then the same object for the rest of the request). */
export type LazyUser<E extends Enrichers = NoEnrichers> = PromiseLike<
  EnrichedUser<E> | AnonymousUser
>;

declare module "fastify" {
  interface FastifyRequest {
    /** authenticate / login / logout for this request (set by `authMiddleware()`). */
    auth: RequestAuth;
    /** The request's user, read from the session and the user source when awaited. */
    user: LazyUser;
  }
}

/** Options of {@link authMiddleware}: the auth configuration (users, secretKey, enrich…). */
export type FastifyAuthOptions<E extends Enrichers = NoEnrichers> = RequestAuthOptions<E>;

/** The plugin's name, for `fastify-plugin` `dependencies`. */
export const AUTH_PLUGIN_NAME = "sessionbridge-auth";

/**
 * The request's auth object, typed with your enrichers.
 *
 * @throws {ConfigurationError} when `authMiddleware()` is not registered in this request's context.
 * @example
 * ```ts
 * await getAuth(request).login(user);
 * ```
 */
export function getAuth<E extends Enrichers = NoEnrichers>(
  request: FastifyRequest,
): RequestAuth<E> {
  const auth = (request as Partial<FastifyRequest>).auth as RequestAuth<E> | null | undefined;
  if (!auth) throw missingAuthError("register");
  return auth;
}

/**
 * The request's user (loaded once, on the first call), typed with your enrichers.
 *
 * @example
 * ```ts
 * const user = await getUser<{ profile: (u: User) => Promise<Profile> }>(request);
 * ```
 */
export function getUser<E extends Enrichers = NoEnrichers>(
  request: FastifyRequest,
): Promise<EnrichedUser<E> | AnonymousUser> {
  return getAuth<E>(request).user();
}

/**
 * Creates the plugin: `await app.register(authMiddleware({ users, secretKey, djangoVersion: "5.2" }))`, after the
 * session plugin in the same or a parent context.
 *
 * @throws {ConfigurationError} for an invalid configuration (at once), and, from `register`,
 *   when the session plugin is not registered before it.
 * @example
 * ```ts
 * await app.register(authMiddleware({ users: new DjangoUserSource({ database }), secretKey, djangoVersion: "5.2" }));
 * ```
 */
export function authMiddleware<E extends Enrichers = NoEnrichers>(
  options: FastifyAuthOptions<E>,
): FastifyPluginCallback {
  checkAuthConfig(options);
  const plugin: FastifyPluginCallback = (fastify, _opts, done) => {
    if (!fastify.hasRequestDecorator("session") || !fastify.hasPlugin(SESSION_PLUGIN_NAME)) {
      done(new ConfigurationError(MISSING_SESSION_MESSAGE));
      return;
    }
    fastify.decorateRequest("auth", null as unknown as RequestAuth);
    fastify.decorateRequest("user", null as unknown as LazyUser);
    fastify.addHook("onRequest", (request, _reply, next) => {
      const auth = createRequestAuth(request.session, options);
      request.auth = auth;
      request.user = {
        then(onFulfilled, onRejected) {
          return auth.user().then(onFulfilled, onRejected);
        },
      };
      next();
    });
    done();
  };
  return fp(plugin, { fastify: "5.x", name: AUTH_PLUGIN_NAME });
}

function refuse(
  reply: FastifyReply,
  decision: Exclude<GuardDecision, { allow: true }>,
): FastifyReply {
  return reply
    .code(decision.status)
    .headers(decision.headers)
    .send(decision.status === 302 ? "" : decision.body);
}

/**
 * Django `login_required` as a `preHandler`: anonymous → `302` to `loginUrl?next=…` (or `401`
 * JSON with `api`).
 *
 * @example
 * ```ts
 * app.get("/account", { preHandler: loginRequired({ loginUrl: "/accounts/login/" }) }, handler);
 * ```
 */
export function loginRequired(options: LoginRequiredOptions = {}): preHandlerAsyncHookHandler {
  return async function loginRequiredHook(request, reply) {
    const decision = checkLoginRequired(requestView(request.raw), await getUser(request), options);
    if (!decision.allow) return refuse(reply, decision);
    return undefined;
  };
}

/**
 * Django `permission_required` as a `preHandler`: every permission needed; else `403`
 * (`raise403`, API) or the login redirect.
 *
 * @example
 * ```ts
 * app.post("/polls", { preHandler: permissionRequired("polls.add_poll", { raise403: true }) }, handler);
 * ```
 */
export function permissionRequired(
  perms: string | readonly string[],
  options: PermissionRequiredOptions = {},
): preHandlerAsyncHookHandler {
  return async function permissionRequiredHook(request, reply) {
    const user = await getUser(request);
    const decision = await checkPermissionRequired(requestView(request.raw), user, perms, options);
    if (!decision.allow) return refuse(reply, decision);
    return undefined;
  };
}
