/**
 * Django's `CsrfViewMiddleware` for node:http and Connect-style stacks (Express wraps it).
 *
 * The form field is read from `req.body` when a body parser ran first (Express's
 * `express.urlencoded()`); otherwise an `application/x-www-form-urlencoded` POST body is read
 * here (up to Django's `DATA_UPLOAD_MAX_MEMORY_SIZE`, 2.5 MB) and left parsed on `req.body`.
 * Other bodies (JSON, multipart) carry the token in the `X-CSRFToken` header, as Django's
 * JavaScript guidance says.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { csrfMiddleware, csrfToken } from "sessionbridge/node";
 * const csrf = csrfMiddleware({ djangoVersion: "5.2" });
 * createServer((req, res) =>
 *   csrf(req, res, async () => {
 *     res.end(`<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="${await csrfToken(req)}"></form>`);
 *   }),
 * ).listen(8000);
 * ```
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  DjangoCsrf,
  isSafeMethod,
  type CsrfRequestState,
  type CsrfSettings,
  type CsrfVerdict,
} from "../../django/csrf-protection.ts";
import { addVaryCookie } from "../../engine/http.ts";
import type { Session } from "../../engine/session.ts";
import { csrfFailureText, formToken, missingCsrfError, nodeCsrfCheck } from "../shared-csrf.ts";
import type { NodeMiddleware } from "./types.ts";

/** Options: Django's CSRF settings, plus how this server learns it is behind HTTPS. */
export interface CsrfMiddlewareOptions extends CsrfSettings {
  /**
   * Django's `SECURE_PROXY_SSL_HEADER`: `["X-Forwarded-Proto", "https"]` when a proxy you
   * trust terminates TLS and sets that header (never set it otherwise: a client could).
   */
  readonly secureProxySslHeader?: readonly [name: string, value: string];
  /** Answers a rejected request; default 403 with Django's reason as plain text. */
  readonly onFailure?: (req: IncomingMessage, res: ServerResponse, verdict: CsrfVerdict) => void;
}

const STATE = new WeakMap<IncomingMessage, CsrfRequestState>();

/**
 * A masked CSRF token for this request's page or form (Django's `get_token`); the response
 * carries the secret.
 *
 * @throws {ConfigurationError} when `csrfMiddleware()` did not run on this request.
 * @example
 * ```ts
 * const token = await csrfToken(req); // <input type="hidden" name="csrfmiddlewaretoken" value="…">
 * ```
 */
export function csrfToken(req: IncomingMessage): Promise<string> {
  const state = STATE.get(req);
  if (state === undefined) throw missingCsrfError();
  return state.token();
}

/** Puts the state's cookie on the response, replacing an earlier one of this request. */
function applyCookie(res: ServerResponse, state: CsrfRequestState, cookieName: string): void {
  if (res.headersSent) return;
  const headers = state.responseHeaders();
  if (headers.setCookie.length === 0) return;
  const existing = res.getHeader("Set-Cookie");
  const others = (
    Array.isArray(existing) ? existing : existing === undefined ? [] : [String(existing)]
  ).filter((line) => !line.startsWith(`${cookieName}=`));
  res.setHeader("Set-Cookie", [...others, ...headers.setCookie]);
  if (headers.varyCookie) {
    res.setHeader("Vary", addVaryCookie(res.getHeader("Vary") as string | undefined));
  }
}

function reject(_req: IncomingMessage, res: ServerResponse, verdict: CsrfVerdict): void {
  res.statusCode = 403;
  res.setHeader("Content-Type", "text/plain; charset=utf-8");
  res.end(csrfFailureText(verdict));
}

/**
 * Creates the middleware: every request gets its CSRF state ({@link csrfToken}); unsafe
 * methods are checked as Django checks them and answered 403 when they fail. With
 * `useSessions`, run it after the session middleware.
 *
 * @throws {ConfigurationError} for invalid settings.
 */
export function csrfMiddleware(options: CsrfMiddlewareOptions): NodeMiddleware {
  const csrf = new DjangoCsrf(options);
  const cookieName = options.cookieName ?? "csrftoken";
  const onFailure = options.onFailure ?? reject;
  return (req, res, next) => {
    const session = (req as { session?: Session }).session;
    let state: CsrfRequestState | undefined;
    csrf
      .open(req.headers.cookie, session, () => {
        if (state) applyCookie(res, state, cookieName);
      })
      .then(async (opened) => {
        state = opened;
        STATE.set(req, opened);
        applyCookie(res, opened, cookieName); // a malformed cookie is replaced at once
        const method = req.method ?? "GET";
        if (isSafeMethod(method)) {
          next();
          return;
        }
        const token = method === "POST" ? await formToken(req) : undefined;
        const verdict = opened.verify(
          nodeCsrfCheck(req, csrf.headerName, options.secureProxySslHeader, token),
        );
        if (verdict.ok) next();
        else onFailure(req, res, verdict);
      })
      .catch(next);
  };
}
