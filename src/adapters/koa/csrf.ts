/**
 * Django's `CsrfViewMiddleware` as Koa middleware: the same secret, tokens and checks as
 * Django, so a token from a Django page passes here and one made here passes Django.
 *
 * The form field is read from `ctx.request.body` when a body parser ran first
 * (`@koa/bodyparser`); otherwise an `application/x-www-form-urlencoded` POST body is read here
 * and left parsed on `ctx.request.body` (a body parser after it then leaves it be). Other bodies
 * carry the token in the `X-CSRFToken` header.
 *
 * @example
 * ```ts
 * import { csrfMiddleware, csrfToken } from "sessionbridge/koa";
 * app.use(csrfMiddleware({ djangoVersion: "5.2" }));
 * app.use(async (ctx) => {
 *   ctx.body = `<input type="hidden" name="csrfmiddlewaretoken" value="${await csrfToken(ctx)}">`;
 * });
 * ```
 */
import type { Context, Middleware } from "koa";
import {
  CSRF_FORM_FIELD,
  DjangoCsrf,
  isSafeMethod,
  type CsrfRequestState,
  type CsrfSettings,
  type CsrfVerdict,
} from "../../django/csrf-protection.ts";
import type { Session } from "../../engine/session.ts";
import {
  csrfFailureText,
  formToken as nodeFormToken,
  missingCsrfError,
  nodeCsrfCheck,
} from "../shared-csrf.ts";

/** Options: Django's CSRF settings, plus how this server learns it is behind HTTPS. */
export interface KoaCsrfOptions extends CsrfSettings {
  /**
   * Django's `SECURE_PROXY_SSL_HEADER`: `["X-Forwarded-Proto", "https"]` when a proxy you
   * trust terminates TLS and sets that header (never set it otherwise: a client could).
   */
  readonly secureProxySslHeader?: readonly [name: string, value: string];
  /** Answers a rejected request; default 403 with Django's reason as plain text. */
  readonly onFailure?: (ctx: Context, verdict: CsrfVerdict) => void | Promise<void>;
}

const STATE = new WeakMap<Context, CsrfRequestState>();

/**
 * A masked CSRF token for this request's page or form (Django's `get_token`); the response
 * carries the secret.
 *
 * @throws {ConfigurationError} when `csrfMiddleware()` did not run on this request.
 * @example
 * ```ts
 * const token = await csrfToken(ctx);
 * ```
 */
export function csrfToken(ctx: Context): Promise<string> {
  const state = STATE.get(ctx);
  if (state === undefined) throw missingCsrfError();
  return state.token();
}

async function formToken(ctx: Context): Promise<string | undefined> {
  const request = ctx.request as { body?: unknown };
  if (typeof request.body === "object" && request.body !== null) {
    const value = (request.body as Record<string, unknown>)[CSRF_FORM_FIELD];
    return typeof value === "string" ? value : undefined;
  }
  const token = await nodeFormToken(ctx.req);
  const parsed = (ctx.req as { body?: unknown }).body;
  if (parsed !== undefined) request.body = parsed;
  return token;
}

function reject(ctx: Context, verdict: CsrfVerdict): void {
  ctx.status = 403;
  ctx.type = "text/plain; charset=utf-8";
  ctx.body = csrfFailureText(verdict);
}

/**
 * Creates the middleware (after the session middleware when `useSessions` is on); unsafe
 * methods that fail Django's checks are answered 403 and go no further.
 *
 * @throws {ConfigurationError} for invalid settings.
 * @example
 * ```ts
 * app.use(csrfMiddleware({ djangoVersion: "5.2", trustedOrigins: ["https://app.example.com"] }));
 * ```
 */
export function csrfMiddleware(options: KoaCsrfOptions): Middleware {
  const csrf = new DjangoCsrf(options);
  const onFailure = options.onFailure ?? reject;
  return async (ctx, next) => {
    const session = (ctx as unknown as { session?: Session }).session;
    const state = await csrf.open(ctx.headers.cookie, session);
    STATE.set(ctx, state);
    const method = ctx.method;
    if (!isSafeMethod(method)) {
      const token = method === "POST" ? await formToken(ctx) : undefined;
      const verdict = state.verify(
        nodeCsrfCheck(ctx.req, csrf.headerName, options.secureProxySslHeader, token),
      );
      if (!verdict.ok) {
        await onFailure(ctx, verdict);
        return;
      }
    }
    await next();
    const headers = state.responseHeaders();
    for (const cookie of headers.setCookie) ctx.append("Set-Cookie", cookie);
    if (headers.varyCookie) ctx.vary("Cookie");
  };
}
