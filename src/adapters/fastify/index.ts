/**
 * Fastify 5 adapter: Django's SessionMiddleware as a Fastify plugin (made with `fastify-plugin`,
 * so it reaches the routes of the context that registers it). The session is `request.session`,
 * typed by declaration merging ({@link SessionData}); nothing is read from the store until the
 * handler asks.
 *
 * Lifecycle: the cookie is read in `onRequest` (no I/O), the session is saved in `onSend` when
 * Django would save it (modified, not a 5xx), and the response then carries its cookie and
 * `Vary: Cookie`. A store outage becomes a 503 through Fastify's own error handling (the
 * app's `setErrorHandler`, or Fastify's JSON error reply), so schemas and loggers see it as any
 * other error. The cookie is read from the request's `Cookie` header and written with
 * `reply.header`, so `@fastify/cookie` may be registered or not.
 *
 * @example
 * ```ts
 * import Fastify from "fastify";
 * import { sessionMiddleware } from "sessionbridge/fastify";
 * const app = Fastify();
 * await app.register(sessionMiddleware({ store, djangoVersion: "5.2" }));
 * app.get("/", async (request) => {
 *   const visits = (((await request.session.get("visits")) as number | undefined) ?? 0) + 1;
 *   await request.session.set("visits", visits);
 *   return { visits };
 * });
 * ```
 */
import type {
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  onRequestHookHandler,
  onSendHookHandler,
} from "fastify";
import fp from "fastify-plugin";
import { ConfigurationError, httpStatusOf } from "../../errors.ts";
import {
  addVaryCookie,
  type RequestSession,
  type SessionResponseHeaders,
} from "../../engine/http.ts";
import { policyFrom, type PolicyOptions } from "../../django/policy.ts";
import type { Session, SessionShape } from "../../engine/session.ts";
import { missingSessionError } from "../shared-session.ts";
import type { SessionErrorReporter } from "../shared-report-error.ts";
import { nodeHeaderReader } from "../shared-headers.ts";

export { csrfMiddleware, csrfToken, type FastifyCsrfOptions } from "./csrf.ts";

/**
 * The shape of `request.session`'s values. Extend it by declaration merging to type them:
 *
 * @example
 * ```ts
 * declare module "sessionbridge/fastify" {
 *   interface SessionData { visits: number; cart: string[] }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface SessionData extends SessionShape {}

declare module "fastify" {
  interface FastifyRequest {
    /** The request's Django session (lazy: nothing is read until a value is asked for). */
    session: Session<SessionData>;
  }
}

/**
 * Options: the store plus Django's session settings (Django's policy), or `{ policy }` for
 * another framework's (Flask, Starlette).
 */
export type FastifySessionOptions = PolicyOptions & {
  /**
   * Called with a failed save before Fastify's error handling answers it (503 for a store
   * outage, 400 when the session vanished). Fastify's logger reports it as well; this is for
   * a logger of your own. Must not throw.
   */
  readonly onError?: SessionErrorReporter;
};

/** The plugin's name, for `fastify-plugin` `dependencies` and `hasPlugin()`. */
export const SESSION_PLUGIN_NAME = "sessionbridge-session";

/** What the hooks keep per request; on a symbol, so it stays out of the typed surface. */
const STATE = Symbol("sessionbridge.session");

interface SessionState {
  readonly requestSession: RequestSession;
  /** Set once the response's session step ran (an error reply passes through onSend again). */
  done: boolean;
}

type WithState = FastifyRequest & { [STATE]: SessionState | null };

/**
 * The request's session (the same object as `request.session`).
 *
 * @throws {ConfigurationError} when the plugin is not registered in this request's context.
 * @example
 * ```ts
 * const session = getSession<{ visits: number }>(request);
 * ```
 */
export function getSession<T extends SessionShape = SessionData>(
  request: FastifyRequest,
): Session<T> {
  const session = (request as Partial<FastifyRequest>).session as Session<T> | null | undefined;
  if (!session) {
    throw missingSessionError("register sessionMiddleware() first");
  }
  return session;
}

function applyHeaders(reply: FastifyReply, headers: SessionResponseHeaders): void {
  if (headers.varyCookie) {
    const vary = reply.getHeader("vary");
    reply.header("vary", addVaryCookie(vary === undefined ? undefined : String(vary)));
  }
  // Fastify appends to an existing `set-cookie` (including @fastify/cookie's).
  for (const cookie of headers.setCookie) reply.header("set-cookie", cookie);
}

/**
 * Creates the plugin: `await app.register(sessionMiddleware({ store, djangoVersion: "5.2" }))`.
 *
 * @example
 * ```ts
 * await app.register(sessionMiddleware({ store, djangoVersion: "5.2" }));
 * ```
 */
export function sessionMiddleware(options: FastifySessionOptions): FastifyPluginCallback {
  const policy = policyFrom(options);
  const onError = options.onError;

  const onRequest: onRequestHookHandler = (request, _reply, done) => {
    const requestSession = policy.open(request.headers.cookie, nodeHeaderReader(request.headers));
    request.session = requestSession.session as unknown as Session<SessionData>;
    (request as WithState)[STATE] = { requestSession, done: false };
    done();
  };

  const onSend: onSendHookHandler = (request, reply, payload, done) => {
    const state = (request as WithState)[STATE];
    if (!state || state.done) {
      done(null, payload);
      return;
    }
    state.done = true;
    const status = reply.statusCode;
    // The usual case needs no I/O, so no promise hop either.
    const plain = policy.plan(state.requestSession, status);
    if (plain) {
      applyHeaders(reply, plain);
      done(null, payload);
      return;
    }
    policy.commit(state.requestSession, status).then(
      (headers) => {
        applyHeaders(reply, headers);
        done(null, payload);
      },
      (error: unknown) => {
        onError?.(error);
        // The error reply keeps a status the handler set explicitly: set ours first.
        reply.code(httpStatusOf(error) ?? 500);
        done(error as Error);
      },
    );
  };

  const plugin: FastifyPluginCallback = (fastify, _opts, done) => {
    // A nested context may register its own (another store): the decorators are inherited.
    if (!fastify.hasRequestDecorator(STATE)) {
      if (fastify.hasRequestDecorator("session")) {
        done(
          new ConfigurationError(
            "request.session is already decorated by another plugin (@fastify/session?): register one session plugin",
          ),
        );
        return;
      }
      fastify.decorateRequest("session", null as unknown as Session<SessionData>);
      fastify.decorateRequest(STATE, null);
    }
    fastify.addHook("onRequest", onRequest);
    fastify.addHook("onSend", onSend);
    done();
  };
  return fp(plugin, { fastify: "5.x", name: SESSION_PLUGIN_NAME });
}
