/**
 * NestJS 11+ on either platform: sessions and users come from the platform's own adapter
 * (`sessionbridge/express` + `sessionbridge/auth/express` on `@nestjs/platform-express`,
 * `sessionbridge/fastify` + `sessionbridge/auth/fastify` on `@nestjs/platform-fastify`); this
 * module gives controllers what Nest users expect on top: the `@Session()`, `@User()` and
 * `@Auth()` parameter decorators, `loginRequired()` / `permissionRequired()` guards for
 * `@UseGuards()`, and {@link SessionErrorFilter}, which answers a store outage 503 (and a
 * session deleted mid-request 400) through Nest's own exception handling.
 *
 * Both platforms put the session on `request.session` and the auth object on `request.auth`,
 * so nothing here depends on which one runs.
 *
 * @example
 * ```ts
 * import { Controller, Get, UseGuards } from "@nestjs/common";
 * import { User, loginRequired } from "sessionbridge/nestjs";
 * import type { AnyUser } from "sessionbridge/auth";
 * @Controller("api")
 * class MeController {
 *   @Get("me")
 *   @UseGuards(loginRequired({ api: true }))
 *   me(@User() user: AnyUser) {
 *     return { username: user.username };
 *   }
 * }
 * ```
 */
import type { IncomingMessage } from "node:http";
import {
  HttpException,
  createParamDecorator,
  type ArgumentsHost,
  type CanActivate,
  type ExecutionContext,
} from "@nestjs/common";
import { BaseExceptionFilter } from "@nestjs/core";
import {
  checkLoginRequired,
  checkPermissionRequired,
  type GuardDecision,
  type LoginRequiredOptions,
  type PermissionRequiredOptions,
} from "../../auth/guards.ts";
import type { RequestAuth } from "../../auth/request-auth.ts";
import type { AnyUser } from "../../auth/user.ts";
import type { Session as SessionObject } from "../../engine/session.ts";
import { ConfigurationError, httpStatusOf } from "../../errors.ts";
import { missingSessionError } from "../shared-session.ts";
import { requestView } from "../node/auth.ts";

/** What either platform's request carries once the adapters ran. */
interface PlatformRequest {
  readonly session?: SessionObject | null;
  readonly auth?: RequestAuth | null;
  /** Fastify's request wraps the node request; Express's is the node request. */
  readonly raw?: IncomingMessage;
}

function platformRequest(context: ExecutionContext): PlatformRequest {
  return context.switchToHttp().getRequest<PlatformRequest>();
}

function nodeRequest(request: PlatformRequest): IncomingMessage {
  return request.raw ?? (request as unknown as IncomingMessage);
}

function authOf(request: PlatformRequest): RequestAuth {
  if (!request.auth) {
    throw new ConfigurationError(
      "No auth on this request: register the platform's authMiddleware() (sessionbridge/auth/express or sessionbridge/auth/fastify) first",
    );
  }
  return request.auth;
}

/**
 * The request's Django session (`request.session`), as a handler parameter.
 *
 * @example
 * ```ts
 * @Get("visits") async visits(@Session() session: SessionObject) { return session.get("visits"); }
 * ```
 */
export const Session = createParamDecorator((_data: unknown, context: ExecutionContext) => {
  const session = platformRequest(context).session;
  if (!session) {
    throw missingSessionError(
      "register the platform's sessionMiddleware() (sessionbridge/express or sessionbridge/fastify) first",
    );
  }
  return session;
});

/**
 * The request's user (Django's user, or the anonymous user), loaded when the handler is
 * called; Nest awaits it before the handler runs.
 *
 * @example
 * ```ts
 * @Get("me") me(@User() user: AnyUser) { return { username: user.username }; }
 * ```
 */
export const User = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Promise<AnyUser> =>
    authOf(platformRequest(context)).user(),
);

/**
 * The request's auth object: `authenticate()`, `login()` (with key cycling), `logout()`.
 *
 * @example
 * ```ts
 * @Post("logout") async logout(@Auth() auth: RequestAuth) { await auth.logout(); }
 * ```
 */
export const Auth = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  authOf(platformRequest(context)),
);

/** Turns a guard's refusal into Nest's exception, with the redirect's `Location` set first. */
function refuse(
  context: ExecutionContext,
  decision: Exclude<GuardDecision, { allow: true }>,
): never {
  // Express's `res.header()` and Fastify's `reply.header()` take the same arguments.
  const response = context.switchToHttp().getResponse<{ header(n: string, v: string): unknown }>();
  for (const [name, value] of Object.entries(decision.headers)) {
    if (name.toLowerCase() !== "content-type") response.header(name, value);
  }
  const json = decision.headers["Content-Type"] === "application/json";
  throw new HttpException(
    json ? (JSON.parse(decision.body) as Record<string, unknown>) : decision.body,
    decision.status,
  );
}

/**
 * Django `login_required` as a Nest guard: anonymous → `302` to `loginUrl?next=…` (or `401`
 * JSON with `api`).
 *
 * @example
 * ```ts
 * @UseGuards(loginRequired({ api: true }))
 * ```
 */
export function loginRequired(options: LoginRequiredOptions = {}): CanActivate {
  return {
    async canActivate(context) {
      const request = platformRequest(context);
      const user = await authOf(request).user();
      const decision = checkLoginRequired(requestView(nodeRequest(request)), user, options);
      return decision.allow || refuse(context, decision);
    },
  };
}

/**
 * Django `permission_required` as a Nest guard: every permission needed; else `403`
 * (`raise403`, API) or the login redirect.
 *
 * @example
 * ```ts
 * @UseGuards(permissionRequired("polls.change_poll", { raise403: true }))
 * ```
 */
export function permissionRequired(
  perms: string | readonly string[],
  options: PermissionRequiredOptions = {},
): CanActivate {
  return {
    async canActivate(context) {
      const request = platformRequest(context);
      const user = await authOf(request).user();
      const view = requestView(nodeRequest(request));
      const decision = await checkPermissionRequired(view, user, perms, options);
      return decision.allow || refuse(context, decision);
    },
  };
}

/**
 * Nest's default exception handling, plus the session errors' statuses: a store outage is
 * answered 503 and a session deleted mid-request 400 (as Nest answers an `HttpException`),
 * where Nest would answer any unknown error 500. Register it with the platform's adapter.
 *
 * @example
 * ```ts
 * app.useGlobalFilters(new SessionErrorFilter(app.getHttpAdapter()));
 * ```
 */
export class SessionErrorFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    const status = httpStatusOf(exception);
    if (status === undefined) {
      super.catch(exception, host);
      return;
    }
    const message = status === 503 ? "Service Unavailable" : "Bad Request";
    super.catch(new HttpException({ statusCode: status, message }, status), host);
  }
}
