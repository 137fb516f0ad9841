/**
 * Django's `login_required` and `permission_required` as framework-free decisions over a
 * Web-`Request`-like view; the Express, Hono and node:http glue only turns a decision into a
 * response.
 *
 * - Anonymous on a page: `302 Location: <loginUrl>?next=<path+query>` (Django
 *   `redirect_to_login`: the `next` value quoted with `/` kept, as `QueryDict.urlencode(safe="/")`).
 * - Anonymous on an API route (`api: true`): `401 {"error":"authentication required"}`.
 * - Missing permission: redirect to login like Django, or `403` with `raise403` (API: always 403).
 */
import { pythonQuote } from "./redirect.ts";
import type { AnyUser } from "./user.ts";

/** What the guards read from a request (a Web `Request` fits). */
export interface RequestView {
  readonly method: string;
  /** Absolute URL, or the path and query as node:http gives it. */
  readonly url: string;
  readonly headers: { get(name: string): string | null };
}

/** Allow, or the response to send instead. */
export type GuardDecision =
  | { readonly allow: true }
  | {
      readonly allow: false;
      readonly status: 302 | 401 | 403;
      readonly headers: Readonly<Record<string, string>>;
      readonly body: string;
    };

/** Options of the login guards. */
export interface LoginRequiredOptions {
  /** `settings.LOGIN_URL`; default Django's, `/accounts/login/`. */
  readonly loginUrl?: string;
  /** The query parameter carrying the original URL; default `next`. */
  readonly redirectFieldName?: string;
  /** Answer `401` JSON instead of redirecting (API routes). */
  readonly api?: boolean;
}

/** Options of the permission guards. */
export interface PermissionRequiredOptions extends LoginRequiredOptions {
  /** Django `raise_exception=True`: `403` instead of a redirect to the login page. */
  readonly raise403?: boolean;
}

/** Django's `LOGIN_URL` default (`django/conf/global_settings.py`). */
const DEFAULT_LOGIN_URL = "/accounts/login/";

const ALLOW: GuardDecision = Object.freeze({ allow: true });

/** `{"error":"authentication required"}` as a 401. */
const UNAUTHENTICATED: GuardDecision = Object.freeze({
  allow: false,
  status: 401,
  headers: Object.freeze({ "Content-Type": "application/json" }),
  body: JSON.stringify({ error: "authentication required" }),
});

function forbidden(api: boolean): GuardDecision {
  return api
    ? {
        allow: false,
        status: 403,
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ error: "permission denied" }),
      }
    : {
        allow: false,
        status: 403,
        headers: { "Content-Type": "text/html; charset=utf-8" },
        body: "<h1>403 Forbidden</h1>",
      };
}

/** Scheme, host and path+query of the request. */
function locate(request: RequestView): { origin: string; fullPath: string } {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(request.url)) {
    const url = new URL(request.url);
    return { origin: `${url.protocol}//${url.host}`, fullPath: `${url.pathname}${url.search}` };
  }
  const host = request.headers.get("host") ?? "localhost";
  return { origin: `http://${host}`, fullPath: request.url === "" ? "/" : request.url };
}

/**
 * The login redirect Django's `user_passes_test` answers with: `next` is the path and query,
 * or the absolute URL when the login page is on another host or scheme.
 *
 * @example
 * ```ts
 * loginRedirectUrl({ method: "GET", url: "/a/b?x=1", headers: new Headers() }, {});
 * // "/accounts/login/?next=/a/b%3Fx%3D1"
 * ```
 */
export function loginRedirectUrl(request: RequestView, options: LoginRequiredOptions): string {
  const loginUrl = options.loginUrl ?? DEFAULT_LOGIN_URL;
  const field = options.redirectFieldName ?? "next";
  const { origin, fullPath } = locate(request);
  let next = fullPath;
  const absolute = /^([a-z][a-z0-9+.-]*:)?\/\/([^/?#]*)/i.exec(loginUrl);
  if (absolute) {
    const current = new URL(origin);
    const scheme = absolute[1];
    const sameScheme = scheme === undefined || scheme.toLowerCase() === current.protocol;
    if (!sameScheme || (absolute[2] ?? "") !== current.host) next = `${origin}${fullPath}`;
  }
  // QueryDict(login_url_parts[4])[field] = next; urlencode(safe="/").
  const hashAt = loginUrl.indexOf("#");
  const beforeHash = hashAt < 0 ? loginUrl : loginUrl.slice(0, hashAt);
  const fragment = hashAt < 0 ? "" : loginUrl.slice(hashAt);
  const queryAt = beforeHash.indexOf("?");
  const base = queryAt < 0 ? beforeHash : beforeHash.slice(0, queryAt);
  const params = new URLSearchParams(queryAt < 0 ? "" : beforeHash.slice(queryAt + 1));
  params.delete(field);
  params.append(field, next);
  const query = [...params].map(([k, v]) => `${pythonQuote(k)}=${pythonQuote(v)}`).join("&");
  return `${base}?${query}${fragment}`;
}

function toLogin(request: RequestView, options: LoginRequiredOptions): GuardDecision {
  if (options.api === true) return UNAUTHENTICATED;
  return {
    allow: false,
    status: 302,
    headers: { Location: loginRedirectUrl(request, options) },
    body: "",
  };
}

/**
 * Django `login_required`: allow authenticated users; else redirect to the login page (or 401).
 *
 * @example
 * ```ts
 * const decision = checkLoginRequired(request, await auth.user(), { loginUrl: "/accounts/login/" });
 * if (!decision.allow) return new Response(decision.body, decision);
 * ```
 */
export function checkLoginRequired(
  request: RequestView,
  user: AnyUser,
  options: LoginRequiredOptions = {},
): GuardDecision {
  return user.isAuthenticated ? ALLOW : toLogin(request, options);
}

/**
 * Django `permission_required(perm, raise_exception=…)`: allow when the user has every
 * permission (`has_perms`); else 403 with `raise403` (for anonymous users too, as Django), or a
 * redirect to the login page. API routes: 401 when anonymous, 403 when lacking.
 *
 * @example
 * ```ts
 * await checkPermissionRequired(request, user, "polls.change_poll", { raise403: true });
 * ```
 */
export async function checkPermissionRequired(
  request: RequestView,
  user: AnyUser,
  perms: string | readonly string[],
  options: PermissionRequiredOptions = {},
): Promise<GuardDecision> {
  const list: readonly string[] = typeof perms === "string" ? [perms] : perms;
  if (await user.hasPerms(list)) return ALLOW;
  if (options.api === true) return user.isAuthenticated ? forbidden(true) : UNAUTHENTICATED;
  if (options.raise403 === true) return forbidden(false);
  return toLogin(request, options);
}
