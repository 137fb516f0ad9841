/**
 * What the CSRF middlewares of the adapters share: the 403 answer's text, the missing-middleware
 * error, and reading a `node:http` request (node, Express, Fastify, Koa): HTTPS behind a trusted
 * proxy, header values, the form's token.
 */
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import { CSRF_FORM_FIELD, type CsrfCheck, type CsrfVerdict } from "../django/csrf-protection.ts";
import { ConfigurationError } from "../errors.ts";

/** Django's `DATA_UPLOAD_MAX_MEMORY_SIZE` default: the most of a form body read here. */
const MAX_FORM_BYTES = 2_621_440;

/**
 * The body of the default 403 answer: what Django's CSRF failure page says, that CSRF failed
 * and why.
 *
 * @example
 * ```ts
 * csrfFailureText({ ok: false, reason: "token-missing", message: "CSRF token missing." });
 * // "CSRF verification failed. Request aborted.\nCSRF token missing.\n"
 * ```
 */
export function csrfFailureText(verdict: CsrfVerdict): string {
  return `CSRF verification failed. Request aborted.\n${verdict.ok ? "" : verdict.message}\n`;
}

/**
 * The error of `csrfToken()` on a request the CSRF middleware did not run on.
 *
 * @example
 * ```ts
 * throw missingCsrfError("register"); // Fastify's word for a plugin
 * ```
 */
export function missingCsrfError(verb: "add" | "register" = "add"): ConfigurationError {
  return new ConfigurationError(`No CSRF state on this request: ${verb} csrfMiddleware() first`);
}

/**
 * Whether the request reached us over HTTPS (directly, or per the trusted proxy's header).
 *
 * @example
 * ```ts
 * isSecure(req, ["X-Forwarded-Proto", "https"]);
 * ```
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

/**
 * A request header's value (the last one when repeated).
 *
 * @example
 * ```ts
 * headerValue(req, "Origin");
 * ```
 */
export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[value.length - 1] : value;
}

/**
 * What Django's checks read from a `node:http` request, the form's token aside.
 *
 * @example
 * ```ts
 * state.verify(nodeCsrfCheck(req, csrf.headerName, options.secureProxySslHeader, token));
 * ```
 */
export function nodeCsrfCheck(
  req: IncomingMessage,
  headerName: string,
  secureProxySslHeader: readonly [string, string] | undefined,
  formToken: string | undefined,
): CsrfCheck {
  return {
    method: req.method ?? "GET",
    host: req.headers.host,
    secure: isSecure(req, secureProxySslHeader),
    origin: headerValue(req, "origin"),
    referer: headerValue(req, "referer"),
    formToken,
    headerToken: headerValue(req, headerName),
  };
}

/**
 * The form's token: from a body parser's `req.body`, else from a urlencoded body read here (up
 * to Django's `DATA_UPLOAD_MAX_MEMORY_SIZE`, 2.5 MB) and left parsed on `req.body`.
 *
 * @example
 * ```ts
 * const token = req.method === "POST" ? await formToken(req) : undefined;
 * ```
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
