/**
 * The `serve` app, on node:http: Django-style login (at `LOGIN_URL`) and `/logout`, `/whoami`,
 * `/healthz`, and the forward-auth endpoint `/auth/verify` for nginx `auth_request`, Traefik
 * `forwardAuth` and Caddy `forward_auth`. Nothing else: every other path is the `fallback`'s
 * (404 in production; the demo's pages in `sessionbridge demo`), so a production server never
 * writes a session for an anonymous hit on a page it does not serve.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { getSession, type RequestWithSession } from "../../adapters/node/index.ts";
import type { AuthConfig } from "../../auth/config.ts";
import { iriToUri, isSafeRedirect } from "../../auth/redirect.ts";
import { createRequestAuth, type RequestAuth } from "../../auth/request-auth.ts";
import type { AnyUser } from "../../auth/user.ts";
import type { DjangoVersion } from "../../codecs/django/version.ts";
import {
  CSRF_FORM_FIELD,
  CSRF_HEADER,
  DjangoCsrf,
  type CsrfRequestState,
} from "../../django/csrf-protection.ts";
import { readForm } from "./body.ts";
import { loginPage, logoutPage } from "./pages.ts";

/** What the app needs besides the session. */
export interface AuthAppOptions {
  readonly auth: AuthConfig;
  /** Whose CSRF rules the forms follow (3.2 checks no `Origin` and stores masked secrets). */
  readonly djangoVersion: DjangoVersion;
  /**
   * How many proxies in front of the server are trusted (0: none, `X-Forwarded-*` ignored). With
   * N, the client address is the one the Nth proxy from the server appended to
   * `X-Forwarded-For` (as Express's numeric `trust proxy`), and the proxies' `X-Forwarded-Proto`,
   * `-Host`, `-Uri` and `X-Original-URI` are honoured.
   */
  readonly trustedProxies: number;
  /** `LOGIN_URL`: the login form's path, where `/auth/verify?redirect=1` sends anonymous users. */
  readonly loginUrl: string;
  /** `LOGIN_REDIRECT_URL`: where a login without a safe `next` lands. */
  readonly loginRedirectUrl: string;
  /** `LOGOUT_REDIRECT_URL`: where `/logout` lands. */
  readonly logoutRedirectUrl: string;
  /** A line under the login form (the demo's "create a user" hint); none by default. */
  readonly loginHint?: string;
  /** Every other path; default a 404. */
  readonly fallback?: (req: RequestWithSession, res: ServerResponse) => Promise<void>;
}

const send = (res: ServerResponse, status: number, type: string, body: string): void => {
  res.statusCode = status;
  res.setHeader("Content-Type", type);
  res.end(body);
};
const json = (res: ServerResponse, status: number, value: unknown): void =>
  send(res, status, "application/json", JSON.stringify(value));
/** Django's HttpResponseRedirect: the target goes through `iri_to_uri` (a `next` may be any text). */
const redirect = (res: ServerResponse, location: string): void => {
  res.statusCode = 302;
  res.setHeader("Location", iriToUri(location));
  res.end();
};

/**
 * Django's `never_cache` (on LoginView and LogoutView): `Expires` now and
 * `Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private`, so that no cache
 * keeps a page that carries a CSRF token or sets a session cookie.
 */
function neverCache(res: ServerResponse): void {
  if (!res.hasHeader("Expires")) res.setHeader("Expires", new Date().toUTCString());
  res.setHeader("Cache-Control", "max-age=0, no-cache, no-store, must-revalidate, private");
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The client's address: the entry that the `trustedProxies`th proxy from this server appended
 * to `X-Forwarded-For`. The leftmost entry is whatever the client sent (nginx's
 * `$proxy_add_x_forwarded_for` keeps it), so it is only reached when the chain is shorter than
 * the trusted hops, as Express's numeric `trust proxy` does.
 */
export function clientAddress(
  forwardedFor: string | undefined,
  socketAddress: string | undefined,
  trustedProxies: number,
): string | undefined {
  if (trustedProxies <= 0 || forwardedFor === undefined) return socketAddress;
  const hops = forwardedFor
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");
  if (hops.length === 0) return socketAddress;
  return hops[Math.max(0, hops.length - trustedProxies)];
}

/** The request as the browser sees it (behind a trusted proxy: the forwarded values). */
function requestOrigin(
  req: IncomingMessage,
  trustedProxies: number,
): { origin: string; host: string; ip: string | undefined } {
  const trusted = trustedProxies > 0;
  const forwardedProto = trusted
    ? header(req, "x-forwarded-proto")?.split(",")[0]?.trim()
    : undefined;
  const forwardedHost = trusted
    ? header(req, "x-forwarded-host")?.split(",")[0]?.trim()
    : undefined;
  const host = forwardedHost || header(req, "host") || "localhost";
  const proto = forwardedProto === "https" ? "https" : "http";
  const ip = clientAddress(
    header(req, "x-forwarded-for"),
    req.socket.remoteAddress,
    trustedProxies,
  );
  return { origin: `${proto}://${host}`, host, ip };
}

/** Header-safe text: HTTP field values are Latin-1; anything else is percent-encoded. */
function headerValue(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : encodeURIComponent(text);
}

function describeUser(user: AnyUser): {
  authenticated: boolean;
  id: string | null;
  username: string | null;
  isStaff: boolean;
} {
  return user.isAuthenticated
    ? { authenticated: true, id: String(user.id), username: user.username, isStaff: user.isStaff }
    : { authenticated: false, id: null, username: null, isStaff: false };
}

/**
 * CSRF as the serve app and the demo run it: Django's `CsrfViewMiddleware` with
 * `CSRF_USE_SESSIONS` (the secret lives in the session, so a login form needs no cookie of its
 * own); opened on a request's session, Django's `login()` rotates it.
 */
export function sessionCsrf(djangoVersion: DjangoVersion): DjangoCsrf {
  return new DjangoCsrf({ djangoVersion, useSessions: true });
}

/** Creates the handler. */
export function authApp(
  options: AuthAppOptions,
): (req: RequestWithSession, res: ServerResponse) => Promise<void> {
  const csrf = sessionCsrf(options.djangoVersion);
  return async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const session = getSession(req);
    const auth = createRequestAuth(session, options.auth);
    const csrfState = (): Promise<CsrfRequestState> => csrf.open(undefined, session);
    const method = req.method ?? "GET";
    if (url.pathname === options.loginUrl) {
      neverCache(res);
      return method === "POST"
        ? loginPost(req, res, auth, await csrfState(), options)
        : loginGet(res, await csrfState(), url, options.loginHint);
    }
    switch (url.pathname) {
      case "/healthz":
        return send(res, 200, "text/plain; charset=utf-8", "ok\n");
      case "/whoami":
        return json(res, 200, describeUser(await auth.user()));
      case "/auth/verify":
        return verify(req, res, auth, url, options);
      case "/logout":
        neverCache(res);
        // GET asks to confirm (a link can point here); only the POST, with its token, logs out,
        // as Django's LogoutView, so a cross-site image or link cannot log anyone out.
        if (method === "GET" || method === "HEAD") {
          const user = await auth.user();
          return send(
            res,
            200,
            "text/html; charset=utf-8",
            logoutPage({
              csrfToken: await (await csrfState()).token(),
              username: user.isAuthenticated ? user.username : null,
            }),
          );
        }
        if (method !== "POST")
          return send(res, 405, "text/plain; charset=utf-8", "Method Not Allowed\n");
        if (!csrfOk(req, await csrfState(), await readForm(req), options)) return forbidden(res);
        await auth.logout();
        return redirect(res, options.logoutRedirectUrl);
      default:
        if (options.fallback) return options.fallback(req, res);
        return send(res, 404, "text/plain; charset=utf-8", "Not found\n");
    }
  };
}

/**
 * Forward auth: 200 with the user's headers when the session is logged in; otherwise 401, or
 * with `?redirect=1` a redirect to the login page carrying the original URL as `next`
 * (from `X-Forwarded-Uri` (Traefik, Caddy) or `X-Original-URI` (nginx)).
 */
async function verify(
  req: IncomingMessage,
  res: ServerResponse,
  auth: RequestAuth,
  url: URL,
  options: AuthAppOptions,
): Promise<void> {
  const user = await auth.user();
  res.setHeader("Cache-Control", "no-store");
  if (user.isAuthenticated) {
    res.setHeader("X-Auth-User-Id", headerValue(String(user.id)));
    res.setHeader("X-Auth-Username", headerValue(user.username));
    res.setHeader("X-Auth-Groups", (await user.groups()).map(headerValue).join(","));
    res.setHeader("X-Auth-Is-Staff", user.isStaff ? "true" : "false");
    return send(res, 200, "text/plain; charset=utf-8", "ok\n");
  }
  if (url.searchParams.get("redirect") === "1") {
    // The original URL is the proxy's word: from anyone else it would be an open redirect's
    // input, so without a trusted proxy the login page sends the user to "/".
    const trusted = options.trustedProxies > 0;
    const original =
      (trusted ? (header(req, "x-forwarded-uri") ?? header(req, "x-original-uri")) : undefined) ??
      "/";
    const where = requestOrigin(req, options.trustedProxies);
    const next = isSafeRedirect(original, { host: where.host }) ? original : "/";
    return redirect(res, `${options.loginUrl}?next=${encodeURIComponent(next)}`);
  }
  return send(res, 401, "text/plain; charset=utf-8", "Unauthorized\n");
}

async function loginGet(
  res: ServerResponse,
  csrf: CsrfRequestState,
  url: URL,
  hint: string | undefined,
): Promise<void> {
  return send(
    res,
    200,
    "text/html; charset=utf-8",
    loginPage({
      action: url.pathname,
      csrfToken: await csrf.token(),
      next: url.searchParams.get("next") ?? "",
      username: "",
      error: null,
      ...(hint === undefined ? {} : { hint }),
    }),
  );
}

/** Django's `process_view` on this request (the form field, else the `X-CSRFToken` header). */
function csrfOk(
  req: IncomingMessage,
  csrf: CsrfRequestState,
  form: URLSearchParams | null,
  options: AuthAppOptions,
): boolean {
  const where = requestOrigin(req, options.trustedProxies);
  return csrf.verify({
    method: req.method ?? "GET",
    host: where.host,
    secure: where.origin.startsWith("https:"),
    origin: header(req, "origin"),
    referer: header(req, "referer"),
    formToken: form?.get(CSRF_FORM_FIELD) ?? undefined,
    headerToken: header(req, CSRF_HEADER.toLowerCase()),
  }).ok;
}

function forbidden(res: ServerResponse): void {
  send(res, 403, "text/plain; charset=utf-8", "Forbidden (CSRF verification failed)\n");
}

async function loginPost(
  req: IncomingMessage,
  res: ServerResponse,
  auth: RequestAuth,
  csrf: CsrfRequestState,
  options: AuthAppOptions,
): Promise<void> {
  const form = await readForm(req);
  if (form === null) return send(res, 400, "text/plain; charset=utf-8", "Bad Request\n");
  if (!csrfOk(req, csrf, form, options)) return forbidden(res);
  const username = form.get("username") ?? "";
  const next = form.get("next") ?? "";
  const where = requestOrigin(req, options.trustedProxies);
  const result = await auth.authenticate({
    username,
    password: form.get("password") ?? "",
    ...(where.ip ? { ip: where.ip } : {}),
    ...(req.headers["user-agent"] === undefined ? {} : { userAgent: req.headers["user-agent"] }),
  });
  if (!result.ok) {
    if (result.reason === "rate-limited")
      res.setHeader("Retry-After", String(Math.ceil(result.retryAfter)));
    return send(
      res,
      result.reason === "rate-limited" ? 429 : 200,
      "text/html; charset=utf-8",
      loginPage({
        action: options.loginUrl,
        csrfToken: await csrf.token(),
        next,
        username,
        error: result.message,
        ...(options.loginHint === undefined ? {} : { hint: options.loginHint }),
      }),
    );
  }
  // Django's login() rotates the CSRF secret (the state opened on this session), so a token
  // seen before login is worthless after.
  await auth.login(result.user);
  redirect(
    res,
    next !== "" && isSafeRedirect(next, { host: where.host }) ? next : options.loginRedirectUrl,
  );
}
