/**
 * Putting session and CSRF headers on Fetch API responses, and the answer to a session error.
 */
import { addVaryCookie } from "../../engine/http.ts";
import { httpStatusOf } from "../../errors.ts";
import { reportToStderr, type SessionErrorReporter } from "../shared-report-error.ts";

/**
 * Adds session headers to a `Headers`: `Cookie` to `Vary` (merged with what is there) and each
 * `Set-Cookie` appended.
 *
 * @example
 * ```ts
 * applySessionHeaders(response.headers, await opened.headers(response.status));
 * ```
 */
export function applySessionHeaders(
  target: Headers,
  headers: { readonly setCookie: readonly string[]; readonly varyCookie: boolean },
): void {
  if (headers.varyCookie) target.set("Vary", addVaryCookie(target.get("Vary") ?? undefined));
  for (const cookie of headers.setCookie) target.append("Set-Cookie", cookie);
}

/**
 * `response` with the headers added; a copy when its headers are immutable.
 *
 * @example
 * ```ts
 * return withHeaders(Response.redirect(url, 302), { setCookie: [cookie], varyCookie: true });
 * ```
 */
export function withHeaders(
  response: Response,
  headers: { readonly setCookie: readonly string[]; readonly varyCookie: boolean },
): Response {
  if (!headers.varyCookie && headers.setCookie.length === 0) return response;
  try {
    applySessionHeaders(response.headers, headers);
    return response;
  } catch (error) {
    // Headers of Response.redirect() and of fetch() answers are immutable (a TypeError).
    if (!(error instanceof TypeError)) throw error;
    const copy = new Response(response.body, response);
    applySessionHeaders(copy.headers, headers);
    return copy;
  }
}

/**
 * The answer to a session error: reports it, then 503 for a store outage, 400 for a session
 * deleted meanwhile, 500 otherwise, with a plain-text body that carries no detail.
 *
 * @example
 * ```ts
 * try { return await opened.commit(response); }
 * catch (error) { return sessionErrorResponse(error); }
 * ```
 */
export function sessionErrorResponse(
  error: unknown,
  onError: SessionErrorReporter = reportToStderr,
): Response {
  onError(error);
  const status = httpStatusOf(error) ?? 500;
  const text =
    status === 503
      ? "Service Unavailable\n"
      : status === 400
        ? "Bad Request\n"
        : "Internal Server Error\n";
  return new Response(text, { status, headers: { "Content-Type": "text/plain; charset=utf-8" } });
}
