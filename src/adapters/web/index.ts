/**
 * Web-standard adapter (Fetch API `Request`/`Response`/`Headers`, any runtime): Django's
 * SessionMiddleware (or Flask's, Starlette's) for a handler that takes a `Request` and returns a
 * `Response`: Next.js Route Handlers, React Router/Remix loaders and actions, SvelteKit hooks,
 * Astro, `Bun.serve`, `Deno.serve`, Cloudflare Workers. The Hono adapter sits on it.
 *
 * This folder imports nothing from `node:`; it runs wherever `Request` and the session's codecs
 * run.
 *
 * @example
 * ```ts
 * import { getSession, withSessions } from "sessionbridge/web";
 * export const GET = withSessions({ store, djangoVersion: "5.2" }, async (request) => {
 *   const session = getSession<{ visits: number }>(request);
 *   const visits = ((await session.get("visits")) ?? 0) + 1;
 *   await session.set("visits", visits);
 *   return Response.json({ visits });
 * });
 * ```
 */
import { httpStatusOf } from "../../errors.ts";
import type { RequestSession, SessionResponseHeaders } from "../../engine/http.ts";
import { policyFrom, type PolicyOptions } from "../../django/policy.ts";
import type { SessionPolicy } from "../../engine/policy.ts";
import type { Session, SessionShape } from "../../engine/session.ts";
import { missingSessionError } from "../shared-session.ts";
import { reportToStderr, type SessionErrorReporter } from "../shared-report-error.ts";
import { registerSession, sessionOf } from "./registry.ts";
import { applySessionHeaders, sessionErrorResponse, withHeaders } from "./headers.ts";

export { applySessionHeaders, sessionErrorResponse, withHeaders } from "./headers.ts";
export {
  createCsrf,
  csrfToken,
  type WebCsrf,
  type WebCsrfOptions,
  type WebCsrfRequest,
} from "./csrf.ts";
export type { SessionResponseHeaders } from "../../engine/http.ts";

/**
 * Options: the store plus Django's session settings (Django's policy), or `{ policy }` for
 * another framework's (Flask, Starlette).
 *
 * @example
 * ```ts
 * const options: WebSessionOptions = { store, cookieSecure: true };
 * ```
 */
export type WebSessionOptions<T extends SessionShape = SessionShape> = PolicyOptions<T> & {
  /**
   * Called with a session error before the 503/400 answer of {@link withSessions}; for logging.
   * Default: one line on stderr ({@link reportToStderr}).
   */
  readonly onError?: SessionErrorReporter;
};

/**
 * Where a request's cookies come from: the `Request` itself, or its `Headers` (a SvelteKit
 * `event.request.headers`, a Next.js `await headers()`).
 *
 * @example
 * ```ts
 * const source: CookieSource = request.headers;
 * ```
 */
export type CookieSource = Request | Headers;

/**
 * The session {@link WebSessions.open} (or {@link withSessions}) opened for this request.
 * @throws {ConfigurationError} when no session was opened for it.
 *
 * @example
 * ```ts
 * const visits = await getSession<{ visits: number }>(request).get("visits");
 * ```
 */
export function getSession<T extends SessionShape = SessionShape>(
  source: CookieSource,
): Session<T> {
  const session = sessionOf(source) as Session<T> | undefined;
  if (session === undefined) {
    throw missingSessionError(
      "open it with createSessions(options).open(request) or withSessions()",
    );
  }
  return session;
}

/**
 * One request's session, between opening (no I/O) and committing to the response.
 *
 * @example
 * ```ts
 * const opened = sessions.open(request);
 * await opened.session.set("cart", ["book"]);
 * return opened.commit(Response.json({ ok: true }));
 * ```
 */
export class WebRequestSession<T extends SessionShape = SessionShape> {
  readonly #policy: SessionPolicy<T>;
  /** What the policy opened: the session and whether the request carried its cookie. */
  readonly opened: RequestSession<T>;

  /** @internal Made by {@link WebSessions.open}. */
  constructor(policy: SessionPolicy<T>, opened: RequestSession<T>) {
    this.#policy = policy;
    this.opened = opened;
  }

  /** The request's session (lazy: nothing is read before the first access). */
  get session(): Session<T> {
    return this.opened.session;
  }

  /**
   * The headers the response needs (`Set-Cookie`, `Vary`) for a response of `status`, saving
   * the session first when the policy says so.
   * @throws {SessionStoreError} when saving fails (answer 503).
   * @throws {SessionMissingError} when the session was deleted meanwhile (answer 400).
   */
  headers(status: number): Promise<SessionResponseHeaders> {
    const plain = this.#policy.plan(this.opened, status);
    return plain ? Promise.resolve(plain) : this.#policy.commit(this.opened, status);
  }

  /**
   * Saves if due and puts the headers on `response`; returns it, or a copy with mutable
   * headers when its own are immutable (a `Response.redirect()`, a `fetch` answer).
   * @throws {SessionStoreError} when saving fails (answer 503).
   * @throws {SessionMissingError} when the session was deleted meanwhile (answer 400).
   */
  commit(response: Response): Promise<Response> {
    const plain = this.#policy.plan(this.opened, response.status);
    if (plain) return Promise.resolve(withHeaders(response, plain));
    return this.#policy
      .commit(this.opened, response.status)
      .then((headers) => withHeaders(response, headers));
  }

  /**
   * Saves if due and puts the headers on `headers`, for a response of `status` (a SvelteKit
   * `setHeaders`, an Astro `Astro.response.headers`).
   * @throws {SessionStoreError} when saving fails.
   */
  async commitTo(headers: Headers, status: number): Promise<void> {
    applySessionHeaders(headers, await this.headers(status));
  }
}

/**
 * A session factory for one configuration (see {@link createSessions}).
 *
 * @example
 * ```ts
 * const sessions: WebSessions = createSessions({ store, djangoVersion: "5.2" });
 * ```
 */
export interface WebSessions<T extends SessionShape = SessionShape> {
  /** The policy in use (Django's unless `{ policy }` was given). */
  readonly policy: SessionPolicy<T>;
  /**
   * Opens the request's session (no I/O) and registers it for {@link getSession}.
   */
  open(source: CookieSource): WebRequestSession<T>;
  /**
   * Runs `handler` with the request's session and commits it to the response; a session error
   * (store outage, session deleted meanwhile) becomes a 503/400 answer, reported to `onError`.
   */
  handle(
    request: Request,
    handler: (request: Request, session: Session<T>) => Response | Promise<Response>,
  ): Promise<Response>;
}

/**
 * Creates a session factory: `open(request)` per request, `commit(response)` at its end.
 *
 * @example
 * ```ts
 * import { createSessions } from "sessionbridge/web";
 * const sessions = createSessions({ store, djangoVersion: "5.2" });
 * Bun.serve({ fetch: (request) => sessions.handle(request, async (_req, session) =>
 *   new Response(String(await session.get("visits")))) });
 * ```
 */
export function createSessions<T extends SessionShape = SessionShape>(
  options: WebSessionOptions<T>,
): WebSessions<T> {
  const policy = policyFrom(options);
  const onError = options.onError ?? reportToStderr;
  const open = (source: CookieSource): WebRequestSession<T> => {
    const headers = source instanceof Headers ? source : source.headers;
    const opened = new WebRequestSession(
      policy,
      policy.open(headers.get("Cookie"), (name) => headers.get(name)),
    );
    const session = opened.session as unknown as Session;
    registerSession(source, session);
    if (!(source instanceof Headers)) registerSession(source.headers, session);
    return opened;
  };
  return {
    policy,
    open,
    async handle(request, handler) {
      const opened = open(request);
      try {
        return await opened.commit(await handler(request, opened.session));
      } catch (error) {
        if (httpStatusOf(error) === undefined) throw error;
        return sessionErrorResponse(error, onError);
      }
    },
  };
}

/**
 * Wraps a `(request) => Response` handler (a Route Handler, a Worker's `fetch`): the session is
 * `getSession(request)` (or the handler's second argument); a session error becomes a 503
 * (store outage) or 400 (session deleted meanwhile); other errors propagate to the framework.
 *
 * @example
 * ```ts
 * export default { fetch: withSessions({ store, djangoVersion: "5.2" }, async (request, session) =>
 *   Response.json({ visits: (await session.get("visits")) ?? 0 })) };
 * ```
 */
export function withSessions<T extends SessionShape = SessionShape>(
  options: WebSessionOptions<T>,
  handler: (request: Request, session: Session<T>) => Response | Promise<Response>,
): (request: Request) => Promise<Response> {
  const sessions = createSessions(options);
  return (request) => sessions.handle(request, handler);
}
