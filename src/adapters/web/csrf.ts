/**
 * Django's `CsrfViewMiddleware` for Fetch API handlers: the same secret, tokens and checks as
 * Django, so a token from a Django page passes here and one made here passes Django.
 *
 * @example
 * ```ts
 * import { createCsrf } from "sessionbridge/web";
 * const csrf = createCsrf({ djangoVersion: "5.2" });
 * export async function POST(request: Request) {
 *   const check = await csrf.open(request);
 *   if (check.failure) return check.failure;
 *   return check.commit(Response.json({ ok: true }));
 * }
 * ```
 */
import {
  CSRF_FORM_FIELD,
  DjangoCsrf,
  isSafeMethod,
  type CsrfRequestState,
  type CsrfSettings,
  type CsrfVerdict,
} from "../../django/csrf-protection.ts";
import type { Session } from "../../engine/session.ts";
import { ConfigurationError } from "../../errors.ts";
import { csrfFailureText } from "../shared-csrf.ts";
import { sessionOf } from "./registry.ts";
import { applySessionHeaders, withHeaders } from "./headers.ts";

/**
 * Options: Django's CSRF settings, plus how this server learns it is behind HTTPS.
 *
 * @example
 * ```ts
 * const options: WebCsrfOptions = { djangoVersion: "5.2", trustedOrigins: ["https://app.example.com"] };
 * ```
 */
export interface WebCsrfOptions extends CsrfSettings {
  /**
   * Django's `SECURE_PROXY_SSL_HEADER`: `["X-Forwarded-Proto", "https"]` when a proxy you
   * trust terminates TLS and sets that header. Without it, the request URL's scheme decides.
   */
  readonly secureProxySslHeader?: readonly [name: string, value: string];
  /** Answers a rejected request; default 403 with Django's reason as plain text. */
  readonly onFailure?: (request: Request, verdict: CsrfVerdict) => Response;
}

/**
 * One request's CSRF check (see {@link WebCsrf.open}).
 *
 * @example
 * ```ts
 * const check: WebCsrfRequest = await csrf.open(request);
 * ```
 */
export interface WebCsrfRequest {
  /** Django's per-request CSRF state. */
  readonly state: CsrfRequestState;
  /** Django's verdict on an unsafe method (undefined for GET, HEAD, OPTIONS, TRACE). */
  readonly verdict: CsrfVerdict | undefined;
  /** The 403 to answer with when an unsafe request failed Django's checks; else undefined. */
  readonly failure: Response | undefined;
  /** A masked token for a form or page (Django's `get_token`). */
  token(): Promise<string>;
  /** Puts the CSRF cookie on `response` when the secret was used or replaced. */
  commit(response: Response): Response;
  /** Puts the CSRF cookie on `headers`. */
  commitTo(headers: Headers): void;
}

/**
 * Django's CSRF protection for one configuration (see {@link createCsrf}).
 *
 * @example
 * ```ts
 * const csrf: WebCsrf = createCsrf({ djangoVersion: "5.2" });
 * ```
 */
export interface WebCsrf {
  /** The header Django reads the token from (`CSRF_HEADER_NAME`, default `X-CSRFToken`). */
  readonly headerName: string;
  /**
   * Reads the request's CSRF cookie (or the session's secret with `useSessions`; the session
   * is the one opened for the request unless given) and checks an unsafe method as Django does.
   */
  open(request: Request, session?: Session): Promise<WebCsrfRequest>;
}

const STATE = new WeakMap<object, CsrfRequestState>();

/**
 * A masked CSRF token for this request's page or form (Django's `get_token`).
 *
 * @throws {ConfigurationError} when no {@link WebCsrf.open} ran for this request.
 * @example
 * ```ts
 * const html = `<input type="hidden" name="csrfmiddlewaretoken" value="${await csrfToken(request)}">`;
 * ```
 */
export function csrfToken(request: Request): Promise<string> {
  const state = STATE.get(request);
  if (state === undefined) {
    throw new ConfigurationError(
      "No CSRF state on this request: call createCsrf(options).open(request) first",
    );
  }
  return state.token();
}

function isSecure(request: Request, header: readonly [string, string] | undefined): boolean {
  if (header !== undefined) return request.headers.get(header[0])?.trim() === header[1];
  return new URL(request.url).protocol === "https:";
}

/** The form's `csrfmiddlewaretoken`, read from a clone of the request (the handler reads the body again). */
async function formToken(request: Request): Promise<string | undefined> {
  const type = (request.headers.get("Content-Type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded" && type !== "multipart/form-data") {
    return undefined;
  }
  if (request.bodyUsed) return undefined;
  // A clone: the handler reads the body again.
  if (type === "application/x-www-form-urlencoded") {
    return new URLSearchParams(await request.clone().text()).get(CSRF_FORM_FIELD) ?? undefined;
  }
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- Fetch's own parser: it is the one every runtime has (Workers, Deno, Bun)
  const value = (await request.clone().formData()).get(CSRF_FORM_FIELD);
  return typeof value === "string" ? value : undefined;
}

function reject(_request: Request, verdict: CsrfVerdict): Response {
  return new Response(csrfFailureText(verdict), {
    status: 403,
    headers: { "Content-Type": "text/plain; charset=utf-8" },
  });
}

/**
 * Django's CSRF state for `request` and, for an unsafe method, its verdict: the check of
 * {@link WebCsrf.open}, shared with the Fetch API frameworks on this adapter (Hono passes its own
 * form reader, which goes through its body cache). Registers the state for {@link csrfToken}.
 * @internal Not exported by the package.
 *
 * @example
 * ```ts
 * const { state, verdict } = await checkCsrf(csrf, request, session, undefined, () => readForm(c));
 * ```
 */
export async function checkCsrf(
  csrf: DjangoCsrf,
  request: Request,
  session: Session | undefined,
  secureProxySslHeader: readonly [string, string] | undefined,
  readFormToken: () => Promise<string | undefined>,
): Promise<{ state: CsrfRequestState; verdict: CsrfVerdict | undefined }> {
  const state = await csrf.open(request.headers.get("Cookie") ?? undefined, session);
  STATE.set(request, state);
  const method = request.method;
  if (isSafeMethod(method)) return { state, verdict: undefined };
  const verdict = state.verify({
    method,
    host: request.headers.get("Host") ?? new URL(request.url).host,
    secure: isSecure(request, secureProxySslHeader),
    origin: request.headers.get("Origin") ?? undefined,
    referer: request.headers.get("Referer") ?? undefined,
    formToken: method === "POST" ? await readFormToken() : undefined,
    headerToken: request.headers.get(csrf.headerName) ?? undefined,
  });
  return { state, verdict };
}

/**
 * Creates Django's CSRF protection for Fetch API handlers.
 *
 * @throws {ConfigurationError} for invalid settings.
 * @example
 * ```ts
 * const csrf = createCsrf({ djangoVersion: "5.2", useSessions: false });
 * ```
 */
export function createCsrf(options: WebCsrfOptions): WebCsrf {
  const csrf = new DjangoCsrf(options);
  const onFailure = options.onFailure ?? reject;
  return {
    headerName: csrf.headerName,
    async open(request, session) {
      const { state, verdict } = await checkCsrf(
        csrf,
        request,
        session ?? sessionOf(request),
        options.secureProxySslHeader,
        () => formToken(request),
      );
      const failure = verdict?.ok === false ? onFailure(request, verdict) : undefined;
      return {
        state,
        verdict,
        failure,
        token: () => state.token(),
        commit: (response) => withHeaders(response, state.responseHeaders()),
        commitTo: (headers) => {
          applySessionHeaders(headers, state.responseHeaders());
        },
      };
    },
  };
}
