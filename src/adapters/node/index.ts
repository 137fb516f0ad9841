/**
 * node:http adapter: Django's SessionMiddleware for plain Node servers and Connect-style
 * stacks (Express 5 included). The session is `req.session`.
 *
 * The response is held back only when a save is due: the first `write`/`end` waits for the
 * store write, then the cookie is set and the body goes out. Read-only requests add at most a
 * `Vary` header and no async hop.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { sessionMiddleware, getSession } from "sessionbridge/node";
 * const sessions = sessionMiddleware({ store, djangoVersion: "5.2" });
 * createServer((req, res) =>
 *   sessions(req, res, async () => {
 *     const session = getSession(req);
 *     const visits = ((await session.get("visits")) as number | undefined ?? 0) + 1;
 *     await session.set("visits", visits);
 *     res.end(`visit ${visits}`);
 *   }),
 * ).listen(8000);
 * ```
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { httpStatusOf } from "../../errors.ts";
import {
  addVaryCookie,
  type RequestSession,
  type SessionResponseHeaders,
} from "../../engine/http.ts";
import { policyFrom, type PolicyOptions } from "../../django/policy.ts";
import type { SessionPolicy } from "../../engine/policy.ts";
import type { Session, SessionShape } from "../../engine/session.ts";
import { missingSessionError } from "../shared-session.ts";
import { reportToStderr, type SessionErrorReporter } from "../shared-report-error.ts";

import type { NextFunction, NodeMiddleware } from "./types.ts";
import { nodeHeaderReader } from "../shared-headers.ts";

export { csrfMiddleware, csrfToken, type CsrfMiddlewareOptions } from "./csrf.ts";
export type { NextFunction, NodeMiddleware } from "./types.ts";

/**
 * Options: the store plus Django's session settings (Django's policy), or `{ policy }` for
 * another framework's (Flask, Starlette).
 */
export type NodeSessionOptions = PolicyOptions & {
  /**
   * Called when saving fails at the end of a request, before the error response (503 for a
   * store outage, 400 when the session vanished). Use it to log; it must not throw. Default:
   * one line on stderr ({@link reportToStderr}); pass your logger to replace it.
   */
  readonly onError?: SessionErrorReporter;
};

/** A request the middleware has seen. */
export type RequestWithSession<T extends SessionShape = SessionShape> = IncomingMessage & {
  session: Session<T>;
};

/** The request's session. @throws {ConfigurationError} when the middleware did not run. */
export function getSession<T extends SessionShape = SessionShape>(
  req: IncomingMessage,
): Session<T> {
  const session = (req as Partial<RequestWithSession<T>>).session;
  if (!session) throw missingSessionError();
  return session;
}

/** A held-back `write` or `end` call. */
interface HeldCall {
  readonly end: boolean;
  readonly args: unknown[];
}

/**
 * One response's gate: `writeHead`, `write` and `end` are replaced by wrappers that hold the
 * response until the session's headers are known (and, when a save is due, until the store has
 * written). State lives in this object rather than in a dozen per-request closures: this runs
 * on every request.
 */
class ResponseGate {
  readonly #res: ServerResponse;
  readonly #policy: SessionPolicy;
  readonly #requestSession: RequestSession;
  readonly #onError: SessionErrorReporter | undefined;
  readonly #forward: NextFunction | undefined;
  // The originals, re-applied to `res` later (never called unbound).
  readonly #writeHead: (...args: unknown[]) => ServerResponse;
  readonly #write: (...args: unknown[]) => boolean;
  readonly #end: (...args: unknown[]) => ServerResponse;
  #pendingHead: unknown[] | undefined;
  #held: HeldCall[] | undefined;
  #started = false;

  constructor(
    res: ServerResponse,
    policy: SessionPolicy,
    requestSession: RequestSession,
    onError: SessionErrorReporter | undefined,
    forward: NextFunction | undefined,
  ) {
    this.#res = res;
    this.#policy = policy;
    this.#requestSession = requestSession;
    this.#onError = onError;
    this.#forward = forward;
    /* eslint-disable @typescript-eslint/unbound-method */
    this.#writeHead = res.writeHead as (...args: unknown[]) => ServerResponse;
    this.#write = res.write as (...args: unknown[]) => boolean;
    this.#end = res.end as (...args: unknown[]) => ServerResponse;
    /* eslint-enable @typescript-eslint/unbound-method */
    res.writeHead = (...args: unknown[]) => {
      if (typeof args[0] === "number") res.statusCode = args[0];
      this.#pendingHead = args;
      return res;
    };
    res.write = ((...args: unknown[]) => {
      this.#hold({ end: false, args });
      return true;
    }) as typeof res.write;
    res.end = ((...args: unknown[]) => {
      // The usual case: the first call is `end` and no save is due: the headers are set and
      // the response goes out at once, with nothing held.
      if (!this.#started && this.#pendingHead === undefined && this.#held === undefined) {
        if (this.#start()) {
          this.#restore();
          return this.#end.apply(res, args);
        }
        this.#held = [{ end: true, args }];
        return res;
      }
      this.#hold({ end: true, args });
      return res;
    }) as typeof res.end;
  }

  #hold(call: HeldCall): void {
    (this.#held ??= []).push(call);
    if (!this.#started && this.#start()) this.#release();
  }

  /**
   * Runs the session step, once, when the response starts. `true`: nothing to save, the
   * cookie headers are already set and the caller sends at once. `false`: a save is under
   * way; it sets the headers and releases the held calls when it settles (never before the
   * caller returns, since it resolves in a later microtask).
   */
  #start(): boolean {
    this.#started = true;
    const plain = this.#policy.plan(this.#requestSession, this.#res.statusCode);
    if (plain) {
      this.#apply(plain);
      return true;
    }
    this.#save();
    return false;
  }

  #save(): void {
    this.#policy.commit(this.#requestSession, this.#res.statusCode).then(
      (headers) => {
        this.#apply(headers);
        this.#release();
      },
      (error: unknown) => {
        this.#fail(error);
      },
    );
  }

  #restore(): void {
    const res = this.#res;
    res.writeHead = this.#writeHead;
    res.write = this.#write as typeof res.write;
    res.end = this.#end as typeof res.end;
  }

  #apply(headers: SessionResponseHeaders): void {
    const res = this.#res;
    if (res.headersSent) return;
    if (headers.varyCookie)
      res.setHeader("Vary", addVaryCookie(res.getHeader("Vary") as string | undefined));
    if (headers.setCookie.length > 0) res.appendHeader("Set-Cookie", [...headers.setCookie]);
  }

  #release(): void {
    const res = this.#res;
    this.#restore();
    if (this.#pendingHead) this.#writeHead.apply(res, this.#pendingHead);
    for (const call of this.#held ?? []) {
      if (call.end) this.#end.apply(res, call.args);
      else this.#write.apply(res, call.args);
    }
  }

  #fail(error: unknown): void {
    const res = this.#res;
    this.#restore();
    if (this.#forward !== undefined && !res.headersSent) {
      // A framework with an error path (Express): its error middleware answers, and its final
      // handler logs what no middleware handled. The body the handler wrote is dropped.
      this.#held = undefined;
      this.#pendingHead = undefined;
      for (const name of res.getHeaderNames()) res.removeHeader(name);
      this.#forward(error);
      return;
    }
    this.#onError?.(error);
    const status = httpStatusOf(error) ?? 500;
    if (res.headersSent) {
      res.destroy(error instanceof Error ? error : undefined);
      return;
    }
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8" });
    res.end(`${statusText(status)}\n`);
  }
}

/** Creates the middleware. */
export function sessionMiddleware(options: NodeSessionOptions): NodeMiddleware {
  return connectSessionMiddleware(options, false);
}

/**
 * The middleware, optionally handing a failed save to the framework's own error path: the
 * `next` it was given, called again with the error (Express runs its error middleware from
 * there). Used by the Express adapter; plain node:http has no such path.
 *
 * @internal
 */
export function connectSessionMiddleware(
  options: NodeSessionOptions,
  forwardErrors: boolean,
): NodeMiddleware {
  // Forwarded errors are reported by the framework; ours only when the app asked for it.
  const onError = options.onError ?? (forwardErrors ? undefined : reportToStderr);
  const policy = policyFrom(options);

  return (req, res, next) => {
    const requestSession = policy.open(req.headers.cookie, nodeHeaderReader(req.headers));
    (req as RequestWithSession).session = requestSession.session;
    new ResponseGate(res, policy, requestSession, onError, forwardErrors ? next : undefined);
    next();
  };
}

/**
 * Wraps a whole `(req, res)` handler for `http.createServer`: runs the middleware, then the
 * handler, and answers 503 (store outage) or 400 (session vanished) for the session errors
 * the handler lets escape; other errors become a bare 500.
 *
 * @example
 * ```ts
 * createServer(withSessions({ store, djangoVersion: "5.2" }, async (req, res) => {
 *   res.end(String(await getSession(req).get("visits")));
 * })).listen(8000);
 * ```
 */
export function withSessions(
  options: NodeSessionOptions,
  handler: (req: RequestWithSession, res: ServerResponse) => unknown,
): (req: IncomingMessage, res: ServerResponse) => void {
  const middleware = sessionMiddleware(options);
  const report = options.onError ?? reportToStderr;
  const fail = (res: ServerResponse, error: unknown): void => {
    report(error);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const status = httpStatusOf(error) ?? 500;
    res.statusCode = status;
    res.setHeader("Content-Type", "text/plain; charset=utf-8");
    res.end(`${statusText(status)}\n`);
  };
  return (req, res) => {
    middleware(req, res, () => {
      // The handler runs at once (no extra promise hop); a sync throw and a rejection are
      // answered alike.
      let result: unknown;
      try {
        result = handler(req as RequestWithSession, res);
      } catch (error) {
        fail(res, error);
        return;
      }
      if (isThenable(result)) {
        (result instanceof Promise ? result : Promise.resolve(result)).catch((error: unknown) => {
          fail(res, error);
        });
      }
    });
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

function statusText(status: number): string {
  return status === 503
    ? "Service Unavailable"
    : status === 400
      ? "Bad Request"
      : "Internal Server Error";
}
