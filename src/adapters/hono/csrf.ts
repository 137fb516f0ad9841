/**
 * Django's `CsrfViewMiddleware` for Hono: the same secret, tokens and checks as Django, so a
 * token from a Django page passes here and one made here passes Django.
 *
 * @example
 * ```ts
 * import { csrfMiddleware, csrfToken } from "sessionbridge/hono";
 * app.use(csrfMiddleware({ djangoVersion: "5.2" }));
 * app.get("/form", async (c) => c.html(`<input name="csrfmiddlewaretoken" value="${await csrfToken(c)}">`));
 * ```
 */
import type { Context, MiddlewareHandler } from "hono";
import {
  CSRF_FORM_FIELD,
  DjangoCsrf,
  type CsrfRequestState,
  type CsrfSettings,
  type CsrfVerdict,
} from "../../django/csrf-protection.ts";
import type { Session } from "../../engine/session.ts";
import { csrfFailureText, missingCsrfError } from "../shared-csrf.ts";
import { applySessionHeaders } from "../web/headers.ts";
import { checkCsrf } from "../web/csrf.ts";

/** Options: Django's CSRF settings, plus how this server learns it is behind HTTPS. */
export interface HonoCsrfOptions extends CsrfSettings {
  /**
   * Django's `SECURE_PROXY_SSL_HEADER`: `["X-Forwarded-Proto", "https"]` when a proxy you
   * trust terminates TLS and sets that header. Without it, the request URL's scheme decides.
   */
  readonly secureProxySslHeader?: readonly [name: string, value: string];
  /** Answers a rejected request; default 403 with Django's reason as plain text. */
  readonly onFailure?: (c: Context, verdict: CsrfVerdict) => Response | Promise<Response>;
}

/** Hono variables the middleware sets. */
export interface CsrfEnv {
  Variables: { csrf: CsrfRequestState };
}

/**
 * A masked CSRF token for this request's page or form (Django's `get_token`); the same as
 * `csrfToken(c.req.raw)` of `sessionbridge/web`.
 *
 * @throws {ConfigurationError} when `csrfMiddleware()` did not run on this request.
 * @example
 * ```ts
 * const token = await csrfToken(c);
 * ```
 */
export function csrfToken(c: Context): Promise<string> {
  const state = c.get("csrf") as CsrfRequestState | undefined;
  if (state === undefined) throw missingCsrfError();
  return state.token();
}

/** The form's token through Hono's body cache, so the handler can parse the form again. */
async function formToken(c: Context): Promise<string | undefined> {
  const type = (c.req.header("Content-Type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded" && type !== "multipart/form-data") {
    return undefined;
  }
  const value = (await c.req.parseBody())[CSRF_FORM_FIELD];
  return typeof value === "string" ? value : undefined;
}

/**
 * Creates the middleware (after the session middleware with `useSessions`); unsafe methods
 * that fail Django's checks are answered 403. The checks are those of `sessionbridge/web`'s
 * `createCsrf`, on `c.req.raw`.
 *
 * @throws {ConfigurationError} for invalid settings.
 * @example
 * ```ts
 * app.use(sessionMiddleware({ store, djangoVersion: "5.2" }));
 * app.use(csrfMiddleware({ djangoVersion: "5.2" }));
 * ```
 */
export function csrfMiddleware(options: HonoCsrfOptions): MiddlewareHandler<CsrfEnv> {
  const csrf = new DjangoCsrf(options);
  const onFailure =
    options.onFailure ??
    ((c: Context, verdict: CsrfVerdict) => c.text(csrfFailureText(verdict), 403));
  return async (c, next) => {
    const session = (c.get as (key: string) => unknown)("session") as Session | undefined;
    const { state, verdict } = await checkCsrf(
      csrf,
      c.req.raw,
      session,
      options.secureProxySslHeader,
      () => formToken(c),
    );
    c.set("csrf", state);
    if (verdict?.ok === false) {
      c.res = await onFailure(c, verdict);
      return;
    }
    await next();
    // In place: assigning c.res would have Hono copy the old Set-Cookie over the new ones.
    applySessionHeaders(c.res.headers, state.responseHeaders());
  };
}
