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
 * const sessions = sessionMiddleware({ store });
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
import { addVaryCookie, type SessionResponseHeaders } from "../../engine/http.ts";
import { policyFrom, type PolicyOptions } from "../../engine/policy.ts";
import type { Session, SessionShape } from "../../engine/session.ts";

/**
 * Options: the store plus Django's session settings (Django's policy), or `{ policy }` for
 * another framework's (Flask, Starlette).
 */
export type NodeSessionOptions = PolicyOptions & {
  /**
   * Called when saving fails at the end of a request, before the error response (503 for a
   * store outage, 400 when the session vanished). Use it to log; it must not throw.
   */
  readonly onError?: (error: unknown) => void;
};

/** A request the middleware has seen. */
export type RequestWithSession<T extends SessionShape = SessionShape> = IncomingMessage & {
  session: Session<T>;
};

/** Connect-style `next`. */
export type NextFunction = (error?: unknown) => void;

/** A Connect-style middleware function. */
export type NodeMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: NextFunction,
) => void;

/** The request's session. @throws {TypeError} when the middleware did not run. */
export function getSession<T extends SessionShape = SessionShape>(
  req: IncomingMessage,
): Session<T> {
  const session = (req as Partial<RequestWithSession<T>>).session;
  if (!session) throw new TypeError("No session on this request: add sessionMiddleware() first");
  return session;
}

/** Creates the middleware. */
export function sessionMiddleware(options: NodeSessionOptions): NodeMiddleware {
  const { onError } = options;
  const policy = policyFrom(options);

  return (req, res, next) => {
    const requestSession = policy.open(req.headers.cookie);
    (req as RequestWithSession).session = requestSession.session;

    // The originals, re-applied to `res` later (never called unbound).
    /* eslint-disable @typescript-eslint/unbound-method */
    const { writeHead, write, end } = res;
    /* eslint-enable @typescript-eslint/unbound-method */
    const queue: (() => void)[] = [];
    let pendingHead: unknown[] | undefined;
    let started = false;

    const restore = (): void => {
      res.writeHead = writeHead;
      res.write = write;
      res.end = end;
    };
    const apply = (headers: SessionResponseHeaders): void => {
      if (res.headersSent) return;
      if (headers.varyCookie)
        res.setHeader("Vary", addVaryCookie(res.getHeader("Vary") as string | undefined));
      if (headers.setCookie.length > 0) res.appendHeader("Set-Cookie", [...headers.setCookie]);
    };
    const release = (): void => {
      restore();
      if (pendingHead)
        (writeHead as (...args: unknown[]) => ServerResponse).apply(res, pendingHead);
      for (const call of queue) call();
    };
    const fail = (error: unknown): void => {
      restore();
      onError?.(error);
      const status = httpStatusOf(error) ?? 500;
      if (res.headersSent) {
        res.destroy(error instanceof Error ? error : undefined);
        return;
      }
      for (const name of res.getHeaderNames()) res.removeHeader(name);
      res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8" });
      res.end(`${statusText(status)}\n`);
    };
    const commit = (): void => {
      if (started) return;
      started = true;
      const plain = policy.plan(requestSession, res.statusCode);
      if (plain) {
        apply(plain);
        release();
        return;
      }
      policy.commit(requestSession, res.statusCode).then((headers) => {
        apply(headers);
        release();
      }, fail);
    };

    res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
      if (typeof args[0] === "number") res.statusCode = args[0];
      pendingHead = args;
      return this;
    };
    res.write = function (this: ServerResponse, ...args: unknown[]) {
      queue.push(() => (write as (...a: unknown[]) => boolean).apply(res, args));
      commit();
      return true;
    } as typeof res.write;
    res.end = function (this: ServerResponse, ...args: unknown[]) {
      queue.push(() => (end as (...a: unknown[]) => ServerResponse).apply(res, args));
      commit();
      return this;
    } as typeof res.end;

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
 * createServer(withSessions({ store }, async (req, res) => {
 *   res.end(String(await getSession(req).get("visits")));
 * })).listen(8000);
 * ```
 */
export function withSessions(
  options: NodeSessionOptions,
  handler: (req: RequestWithSession, res: ServerResponse) => unknown,
): (req: IncomingMessage, res: ServerResponse) => void {
  const middleware = sessionMiddleware(options);
  const fail = (res: ServerResponse, error: unknown): void => {
    options.onError?.(error);
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
