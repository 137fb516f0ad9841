/**
 * Fetch API glue for auth: {@link createAuth} gives each request (after its session was opened
 * with `sessionbridge/web`) a lazy user; {@link loginRequired} / {@link permissionRequired}
 * answer with Django's redirect, 401 or 403 `Response`, or `undefined` to go on.
 *
 * @example
 * ```ts
 * import { createSessions } from "sessionbridge/web";
 * import { createAuth, getUser, loginRequired } from "sessionbridge/auth/web";
 * const sessions = createSessions({ store, djangoVersion: "5.2" });
 * const auth = createAuth({ users, secretKey: process.env.SECRET_KEY! });
 * export const GET = (request: Request) =>
 *   sessions.handle(request, async () => {
 *     auth.open(request);
 *     const refused = await loginRequired(request);
 *     if (refused) return refused;
 *     return Response.json({ username: (await getUser(request)).username });
 *   });
 * ```
 */
import type { Session } from "../../engine/session.ts";
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
import { MISSING_SESSION_MESSAGE } from "../shared-auth.ts";
import { sessionOf } from "./registry.ts";

export type { LoginRequiredOptions, PermissionRequiredOptions } from "../../auth/guards.ts";

/**
 * Options of {@link createAuth}: the user source, `SECRET_KEY`, backends, enrichment.
 *
 * @example
 * ```ts
 * const options: WebAuthOptions = { users, secretKey: process.env.SECRET_KEY! };
 * ```
 */
export type WebAuthOptions<E extends Enrichers = NoEnrichers> = RequestAuthOptions<E>;

/**
 * Auth for one configuration (see {@link createAuth}).
 *
 * @example
 * ```ts
 * const auth: WebAuth = createAuth({ users, secretKey, djangoVersion: "5.2" });
 * ```
 */
export interface WebAuth<E extends Enrichers = NoEnrichers> {
  /**
   * The request's auth object, over the session opened for it (or `session`), registered for
   * {@link getAuth} and {@link getUser}.
   * @throws {ConfigurationError} when no session was opened for the request and none is given.
   */
  open(source: Request | Headers, session?: Session): RequestAuth<E>;
}

const AUTHS = new WeakMap<object, RequestAuth<Enrichers>>();

/**
 * Creates the auth half; the configuration is checked here.
 * @throws {ConfigurationError} for an invalid configuration.
 *
 * @example
 * ```ts
 * const auth = createAuth({ users, secretKey: process.env.SECRET_KEY! });
 * const user = await auth.open(request).user();
 * ```
 */
export function createAuth<E extends Enrichers = NoEnrichers>(
  options: WebAuthOptions<E>,
): WebAuth<E> {
  checkAuthConfig(options);
  return {
    open(source, session) {
      const found = session ?? sessionOf(source);
      if (found === undefined) throw new ConfigurationError(MISSING_SESSION_MESSAGE);
      const auth = createRequestAuth(found, options);
      AUTHS.set(source, auth);
      if (source instanceof Request) AUTHS.set(source.headers, auth);
      return auth;
    },
  };
}

/**
 * The request's auth object.
 * @throws {ConfigurationError} when `createAuth(options).open(request)` did not run for it.
 *
 * @example
 * ```ts
 * await getAuth(request).logout();
 * ```
 */
export function getAuth<E extends Enrichers = NoEnrichers>(
  source: Request | Headers,
): RequestAuth<E> {
  const auth = AUTHS.get(source) as RequestAuth<E> | undefined;
  if (auth === undefined) {
    throw new ConfigurationError(
      "No auth on this request: call createAuth(options).open(request) first",
    );
  }
  return auth;
}

/**
 * The request's user (loaded once, on the first call): Django's `request.user`.
 * @throws {ConfigurationError} when `createAuth(options).open(request)` did not run for it.
 *
 * @example
 * ```ts
 * const user = await getUser(request);
 * if (user.isAuthenticated) console.log(user.username);
 * ```
 */
export function getUser<E extends Enrichers = NoEnrichers>(
  source: Request | Headers,
): Promise<EnrichedUser<E> | AnonymousUser> {
  return getAuth<E>(source).user();
}

/**
 * A guard's refusal as a `Response` (a 302 has no body).
 *
 * @example
 * ```ts
 * if (!decision.allow) return decisionResponse(decision);
 * ```
 */
export function decisionResponse(decision: Exclude<GuardDecision, { allow: true }>): Response {
  return new Response(decision.status === 302 ? null : decision.body, {
    status: decision.status,
    headers: decision.headers,
  });
}

/**
 * Django `login_required`: anonymous → the `302` to `loginUrl?next=…` (or `401` JSON with
 * `api`); `undefined` when the user is logged in.
 *
 * @example
 * ```ts
 * const refused = await loginRequired(request, { loginUrl: "/accounts/login/" });
 * if (refused) return refused;
 * ```
 */
export async function loginRequired(
  request: Request,
  options: LoginRequiredOptions = {},
): Promise<Response | undefined> {
  const decision = checkLoginRequired(request, await getUser(request), options);
  return decision.allow ? undefined : decisionResponse(decision);
}

/**
 * Django `permission_required`: every permission needed; else `403` (`raise403`, API) or the
 * login redirect; `undefined` when allowed.
 *
 * @example
 * ```ts
 * const refused = await permissionRequired(request, "polls.add_poll", { raise403: true });
 * if (refused) return refused;
 * ```
 */
export async function permissionRequired(
  request: Request,
  perms: string | readonly string[],
  options: PermissionRequiredOptions = {},
): Promise<Response | undefined> {
  const decision = await checkPermissionRequired(request, await getUser(request), perms, options);
  return decision.allow ? undefined : decisionResponse(decision);
}
