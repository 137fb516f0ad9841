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
import type { TLSSocket } from "node:tls";
import {
  CSRF_FORM_FIELD,
  DjangoCsrf,
  isSafeMethod,
  type CsrfRequestState,
  type CsrfSettings,
  type CsrfVerdict,
} from "../../django/csrf-protection.ts";
import { addVaryCookie } from "../../engine/http.ts";
import type { Session } from "../../engine/session.ts";
import { ConfigurationError } from "../../errors.ts";
import type { NodeMiddleware } from "./types.ts";

/** Django's `DATA_UPLOAD_MAX_MEMORY_SIZE` default: the most of a form body read here. */
const MAX_FORM_BYTES = 2_621_440;

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
  if (state === undefined) {
    throw new ConfigurationError("No CSRF state on this request: add csrfMiddleware() first");
  }
  return state.token();
}

/**
 * Whether the request reached us over HTTPS (directly, or per the trusted proxy's header).
 * @internal Shared with the adapters of other node:http frameworks.
 */
export function isSecure(
  req: IncomingMessage,
  header: readonly [string, string] | undefined,
): boolean {
  if ((req.socket as Partial<TLSSocket>).encrypted === true) return true;
  if (header === undefined) return false;
  const value = req.headers[header[0].toLowerCase()];
  // Django compares the whole header value (`header_value == secure_value`); a proxy list
  // such as "https, http" is not https.
  return typeof value === "string" && value.trim() === header[1];
}

/** @internal A request header's value (the last one when repeated). */
export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[value.length - 1] : value;
}

/**
 * The form's token: from a body parser's `req.body`, else from a urlencoded body read here.
 * @internal Shared with the adapters of other node:http frameworks.
 */
export async function formToken(req: IncomingMessage): Promise<string | undefined> {
  const parsed = (req as { body?: unknown }).body;
  if (typeof parsed === "object" && parsed !== null) {
    const value = (parsed as Record<string, unknown>)[CSRF_FORM_FIELD];
    return typeof value === "string" ? value : undefined;
  }
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded" || req.readableEnded) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) return undefined; // Django: RequestDataTooBig → no token read
    chunks.push(chunk);
  }
  const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
  // Left for the handler, as a body parser leaves it; `_body` tells body-parser it is done.
  Object.assign(req, { body: Object.fromEntries(form), _body: true });
  return form.get(CSRF_FORM_FIELD) ?? undefined;
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
  // Django's 403 page says the same two things: that CSRF failed, and why.
  res.end(`CSRF verification failed. Request aborted.\n${verdict.ok ? "" : verdict.message}\n`);
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
        const verdict = opened.verify({
          method,
          host: req.headers.host,
          secure: isSecure(req, options.secureProxySslHeader),
          origin: headerValue(req, "origin"),
          referer: headerValue(req, "referer"),
          formToken: method === "POST" ? await formToken(req) : undefined,
          headerToken: headerValue(req, csrf.headerName),
        });
        if (verdict.ok) next();
        else onFailure(req, res, verdict);
      })
      .catch(next);
  };
}
