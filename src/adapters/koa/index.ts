/**
 * Koa 3 adapter: Django's SessionMiddleware as Koa middleware. The session is `ctx.session`
 * (typed by declaration merging, {@link SessionData}); nothing is read from the store until a
 * value is asked for.
 *
 * After the downstream middleware has run, the session is saved when Django would save it
 * (modified, and the status is not a 5xx) and the response gets its cookie and `Vary: Cookie`.
 * Errors go through Koa's own error handling: a store outage, in the handler or in the save,
 * is thrown with `status` 503 (a session deleted mid-request 400), so Koa answers it and emits
 * it on `app.on("error")`; a handler that throws saves nothing, as a 500 saves nothing in Django.
 *
 * @example
 * ```ts
 * import Koa from "koa";
 * import { sessionMiddleware } from "sessionbridge/koa";
 * const app = new Koa();
 * app.use(sessionMiddleware({ store, djangoVersion: "5.2" }));
 * app.use(async (ctx) => {
 *   const visits = (((await ctx.session.get("visits")) as number | undefined) ?? 0) + 1;
 *   await ctx.session.set("visits", visits);
 *   ctx.body = { visits };
 * });
 * ```
 */
import type { Context, Middleware } from "koa";
import { policyFrom, type PolicyOptions } from "../../django/policy.ts";
import type { Session, SessionShape } from "../../engine/session.ts";
import { missingSessionError } from "../shared-session.ts";
import type { SessionErrorReporter } from "../shared-report-error.ts";
import { nodeHeaderReader } from "../shared-headers.ts";

export { csrfMiddleware, csrfToken, type KoaCsrfOptions } from "./csrf.ts";

/**
 * The shape of `ctx.session`'s values. Extend it by declaration merging to type them:
 *
 * @example
 * ```ts
 * declare module "sessionbridge/koa" {
 *   interface SessionData { visits: number; cart: string[] }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface SessionData extends SessionShape {}

declare module "koa" {
  interface ExtendableContext {
    /** The request's Django session (lazy: nothing is read until a value is asked for). */
    session: Session<SessionData>;
  }
}

/**
 * Options: the store plus Django's session settings (Django's policy), or `{ policy }` for
 * another framework's (Flask, Starlette).
 */
export type KoaSessionOptions = PolicyOptions & {
  /**
   * Called with a failed save before it is thrown to Koa's error handling (which answers it and
   * emits it on `app.on("error")`); for a logger of your own. Must not throw.
   */
  readonly onError?: SessionErrorReporter;
};

/**
 * The request's session (the same object as `ctx.session`), typed as you ask.
 *
 * @throws {ConfigurationError} when the middleware did not run for this request.
 * @example
 * ```ts
 * const session = getSession<{ visits: number }>(ctx);
 * ```
 */
export function getSession<T extends SessionShape = SessionData>(ctx: Context): Session<T> {
  const session = (ctx as Partial<Context>).session as Session<T> | undefined;
  if (!session) throw missingSessionError();
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
export function sessionMiddleware(options: KoaSessionOptions): Middleware {
  const policy = policyFrom(options);
  const onError = options.onError;
  return async (ctx, next) => {
    const requestSession = policy.open(ctx.headers.cookie, nodeHeaderReader(ctx.headers));
    ctx.session = requestSession.session as unknown as Session<SessionData>;
    await next();
    const status = ctx.status;
    let headers = policy.plan(requestSession, status);
    if (headers === undefined) {
      try {
        headers = await policy.commit(requestSession, status);
      } catch (error) {
        onError?.(error);
        throw error;
      }
    }
    if (headers.varyCookie) ctx.vary("Cookie");
    for (const cookie of headers.setCookie) ctx.append("Set-Cookie", cookie);
  };
}
