/**
 * Next.js App Router adapter (Next 15 and 16, React 19): Django's session and user in Server
 * Components (read-only), Server Actions and Route Handlers (read and write), a `proxy.ts`
 * (`middleware.ts` before Next 16) login guard, and `fetch` to Django as the logged-in user.
 *
 * Nothing here imports `next`: you hand in what Next gives you (`await cookies()`,
 * `await headers()`, `NextResponse`), as iron-session's `getIronSession(await cookies())` does,
 * so one copy of Next is ever loaded and the adapter works across Next versions. Built on
 * `sessionbridge/web`; no `node:` imports.
 *
 * @example
 * ```ts
 * // lib/sessions.ts
 * import { createNextSessions } from "sessionbridge/next";
 * export const sessions = createNextSessions({
 *   store,
 *   djangoVersion: "5.2",
 *   auth: { users, secretKey: process.env.SECRET_KEY!, djangoVersion: "5.2" },
 *   loginUrl: "http://127.0.0.1:8000/accounts/login/",
 *   djangoUrl: "http://127.0.0.1:8000",
 * });
 * // app/page.tsx (a Server Component)
 * const user = await sessions.user(await cookies());
 * ```
 */
import type { AnonymousUser } from "../../auth/user.ts";
import { loginRedirectUrl } from "../../auth/guards.ts";
import { SESSION_KEY } from "../../auth/constants.ts";
import { checkAuthConfig } from "../../auth/config.ts";
import {
  createRequestAuth,
  type EnrichedUser,
  type Enrichers,
  type NoEnrichers,
  type RequestAuth,
  type RequestAuthOptions,
} from "../../auth/request-auth.ts";
import { maskSecret, randomString } from "../../django/csrf-protection.ts";
import type { Session, SessionShape } from "../../engine/session.ts";
import { ConfigurationError, httpStatusOf, ReadOnlySessionError } from "../../errors.ts";
import { createSessions, sessionErrorResponse, type WebSessionOptions } from "../web/index.ts";

/**
 * A cookie as Next's cookie stores give it.
 *
 * @example
 * ```ts
 * const cookie: NextCookie = { name: "sessionid", value: "abc" };
 * ```
 */
export interface NextCookie {
  readonly name: string;
  readonly value: string;
}

/**
 * A cookie to set, as Next's `cookies().set({ ... })` takes it.
 *
 * @example
 * ```ts
 * const cookie: NextSetCookie = { name: "sessionid", value: "abc", path: "/", httpOnly: true };
 * ```
 */
export interface NextSetCookie extends NextCookie {
  readonly maxAge?: number;
  readonly expires?: Date;
  readonly path?: string;
  readonly domain?: string;
  readonly secure?: boolean;
  readonly httpOnly?: boolean;
  readonly sameSite?: "strict" | "lax" | "none";
  readonly partitioned?: boolean;
}

/**
 * What `await cookies()` from `next/headers` is: read everywhere, written in Server Actions and
 * Route Handlers (in a Server Component `set` throws).
 *
 * @example
 * ```ts
 * import { cookies } from "next/headers";
 * const store: NextCookieStore = await cookies();
 * ```
 */
export interface NextCookieStore {
  getAll(): NextCookie[];
  set(cookie: NextSetCookie): unknown;
}

/**
 * What `await headers()` from `next/headers` (or a `Request`'s `headers`) is, for reading the
 * raw `Cookie` header.
 *
 * @example
 * ```ts
 * import { headers } from "next/headers";
 * const source: HeadersLike = await headers();
 * ```
 */
export interface HeadersLike {
  get(name: string): string | null;
}

/**
 * Where the request's cookies come from: `await cookies()` or `await headers()`.
 *
 * @example
 * ```ts
 * const source: NextCookieSource = await cookies();
 * ```
 */
export type NextCookieSource = NextCookieStore | HeadersLike;

/**
 * Options of {@link createNextSessions}.
 *
 * @example
 * ```ts
 * const options: NextSessionsOptions = { store, djangoVersion: "5.2", loginUrl: "/accounts/login/" };
 * ```
 */
export type NextSessionsOptions<
  T extends SessionShape = SessionShape,
  E extends Enrichers = NoEnrichers,
> = WebSessionOptions<T> & {
  /** Django's user (`users`, `secretKey`, backends): without it only the session is read. */
  readonly auth?: RequestAuthOptions<E>;
  /** Django's `LOGIN_URL`, where the proxy guard sends anonymous visitors; default `/accounts/login/`. */
  readonly loginUrl?: string;
  /** Django's `REDIRECT_FIELD_NAME`; default `next`. */
  readonly redirectFieldName?: string;
  /** Django's origin, for {@link NextSessions.fetch} with a path (`/api/me/`). */
  readonly djangoUrl?: string;
  /** Django's `CSRF_COOKIE_NAME`; default `csrftoken`. */
  readonly csrfCookieName?: string;
  /** Django's `CSRF_HEADER_NAME` as a header name; default `X-CSRFToken`. */
  readonly csrfHeaderName?: string;
};

/**
 * A Server Action's session (see {@link NextSessions.action}).
 *
 * @example
 * ```ts
 * const { session, commit } = sessions.action(await cookies());
 * await session.set("cart", ["book"]);
 * await commit();
 * ```
 */
export interface NextActionSession<
  T extends SessionShape = SessionShape,
  E extends Enrichers = NoEnrichers,
> {
  readonly session: Session<T>;
  /** Django's `request.user` (loaded once). */
  user(): Promise<EnrichedUser<E> | AnonymousUser>;
  /** login/logout/authenticate on this session. @throws {ConfigurationError} without `auth`. */
  readonly auth: RequestAuth<E>;
  /**
   * Saves the session when Django would and sets its cookie through the cookie store.
   * @throws {ReadOnlySessionError} when called while a Server Component renders.
   * @throws {ConfigurationError} for a cookie value Next would percent-encode (Django's
   *   `signed_cookies`, Starlette's): commit those from a Route Handler ({@link NextSessions.route}).
   */
  commit(): Promise<void>;
}

/**
 * What a Route Handler wrapped by {@link NextSessions.route} receives beside the request.
 *
 * @example
 * ```ts
 * export const POST = sessions.route(async (request, { session }) => Response.json(await session.get("cart")));
 * ```
 */
export interface NextRouteContext<
  T extends SessionShape = SessionShape,
  E extends Enrichers = NoEnrichers,
> {
  readonly session: Session<T>;
  /** Django's `request.user`. */
  user(): Promise<EnrichedUser<E> | AnonymousUser>;
  /** login/logout on this session. @throws {ConfigurationError} without `auth`. */
  readonly auth: RequestAuth<E>;
}

/**
 * What `NextResponse` from `next/server` offers the guard.
 *
 * @example
 * ```ts
 * import { NextResponse } from "next/server";
 * const next: NextResponseLike = NextResponse;
 * ```
 */
export interface NextResponseLike {
  next(init?: { request?: { headers?: Headers } }): Response;
}

/**
 * Options of {@link NextSessions.proxy}.
 *
 * @example
 * ```ts
 * const options: NextProxyOptions = { NextResponse, protect: (request) => new URL(request.url).pathname.startsWith("/cart") };
 * ```
 */
export interface NextProxyOptions {
  /** `NextResponse` from `next/server` (its `next()` passes the request headers on). */
  readonly NextResponse: NextResponseLike;
  /** Which requests need a logged-in user; default every request the proxy sees. */
  readonly protect?: (request: Request) => boolean;
  /**
   * The request header carrying the user's id to pages and handlers; default
   * `x-django-user-id`. A client's own header of that name is always removed.
   */
  readonly userIdHeader?: string;
}

/**
 * The Next.js adapter for one configuration (see {@link createNextSessions}).
 *
 * @example
 * ```ts
 * const user = await sessions.user(await cookies());
 * ```
 */
export interface NextSessions<
  T extends SessionShape = SessionShape,
  E extends Enrichers = NoEnrichers,
> {
  /**
   * The session for a Server Component: lazy (nothing is read before the first access) and
   * read-only: a write throws {@link ReadOnlySessionError}, naming where writes go.
   */
  read(source: NextCookieSource): Session<T>;
  /**
   * Django's `request.user` for a Server Component (anonymous without a session, and under
   * Django's `_auth_user_hash` rule); one load per request however often it is called.
   * @throws {ConfigurationError} without `auth`.
   */
  user(source: NextCookieSource): Promise<EnrichedUser<E> | AnonymousUser>;
  /** The session for a Server Action: read, write, then `commit()`. */
  action(cookies: NextCookieStore): NextActionSession<T, E>;
  /**
   * Wraps a Route Handler: the session is committed to its `Response`; a store outage is a
   * 503, a session deleted meanwhile a 400.
   */
  route(
    handler: (request: Request, context: NextRouteContext<T, E>) => Response | Promise<Response>,
  ): (request: Request) => Promise<Response>;
  /**
   * A `proxy.ts` (`middleware.ts`) function: an anonymous visitor to a protected path is sent
   * to `loginUrl` with `next=`, as Django's `login_required` does; a logged-in one goes on with
   * the user's id in a request header. The session is looked up in the store (and, with
   * `auth`, the user and its `_auth_user_hash` in the database), not just the cookie's presence.
   */
  proxy(options: NextProxyOptions): (request: Request) => Promise<Response>;
  /**
   * `fetch` to Django as the visitor: forwards the session cookie and Django's CSRF cookie
   * with the matching `X-CSRFToken` (making a CSRF secret when the visitor has none), so a
   * render or a Server Action calls Django's API as the logged-in user. A path is resolved
   * against `djangoUrl`.
   */
  fetch(source: NextCookieSource, input: string | URL, init?: RequestInit): Promise<Response>;
}

function isCookieStore(source: NextCookieSource): source is NextCookieStore {
  return typeof (source as Partial<NextCookieStore>).getAll === "function";
}

/** The `Cookie` header of the request, from a cookie store or headers. */
function cookieHeader(source: NextCookieSource): string {
  if (!isCookieStore(source)) return source.get("cookie") ?? "";
  return source
    .getAll()
    .map((c) => `${c.name}=${c.value}`)
    .join("; ");
}

function cookieValue(source: NextCookieSource, name: string): string | undefined {
  if (isCookieStore(source)) return source.getAll().find((c) => c.name === name)?.value;
  for (const part of (source.get("cookie") ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const WRITES = new Set([
  "set",
  "delete",
  "pop",
  "update",
  "clear",
  "flush",
  "cycleKey",
  "save",
  "setExpiry",
]);

/** `session` with every write throwing {@link ReadOnlySessionError}. */
function readOnly<T extends SessionShape>(session: Session<T>): Session<T> {
  return new Proxy(session, {
    get(target, property) {
      if (typeof property === "string" && WRITES.has(property)) {
        return () => {
          throw new ReadOnlySessionError(property);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function"
        ? (value as (...args: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}

/**
 * A `Set-Cookie` line as the object Next's `cookies().set()` takes.
 *
 * @example
 * ```ts
 * parseSetCookie("sessionid=abc; Max-Age=60; Path=/; HttpOnly"); // { name: "sessionid", value: "abc", maxAge: 60, path: "/", httpOnly: true }
 * ```
 */
export function parseSetCookie(line: string): NextSetCookie {
  const [pair = "", ...attributes] = line.split(";");
  const eq = pair.indexOf("=");
  let cookie: NextSetCookie = { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim() };
  for (const attribute of attributes) {
    const at = attribute.indexOf("=");
    const key = (at < 0 ? attribute : attribute.slice(0, at)).trim().toLowerCase();
    const value = at < 0 ? "" : attribute.slice(at + 1).trim();
    if (key === "max-age") cookie = { ...cookie, maxAge: Number(value) };
    else if (key === "expires") cookie = { ...cookie, expires: new Date(value) };
    else if (key === "path") cookie = { ...cookie, path: value };
    else if (key === "domain") cookie = { ...cookie, domain: value };
    else if (key === "secure") cookie = { ...cookie, secure: true };
    else if (key === "httponly") cookie = { ...cookie, httpOnly: true };
    else if (key === "partitioned") cookie = { ...cookie, partitioned: true };
    else if (key === "samesite") {
      cookie = { ...cookie, sameSite: value.toLowerCase() as "strict" | "lax" | "none" };
    }
  }
  return cookie;
}

/** Next's message when `cookies().set()` runs during a render. */
const NEXT_READONLY = /Cookies can only be modified in a Server Action or Route Handler/;

/**
 * Creates the Next.js adapter.
 * @throws {ConfigurationError} for an invalid `auth` configuration.
 *
 * @example
 * ```ts
 * import { createNextSessions } from "sessionbridge/next";
 * export const sessions = createNextSessions({ store, djangoVersion: "5.2", auth: { users, secretKey, djangoVersion: "5.2" } });
 * ```
 */
export function createNextSessions<
  T extends SessionShape = SessionShape,
  E extends Enrichers = NoEnrichers,
>(options: NextSessionsOptions<T, E>): NextSessions<T, E> {
  const sessions = createSessions<T>(options);
  const { policy } = sessions;
  const authOptions = options.auth;
  if (authOptions !== undefined) checkAuthConfig(authOptions);
  const sessionCookieName =
    ("cookieName" in options && typeof options.cookieName === "string"
      ? options.cookieName
      : undefined) ?? "sessionid";
  const csrfCookieName = options.csrfCookieName ?? "csrftoken";
  const csrfHeaderName = options.csrfHeaderName ?? "X-CSRFToken";
  const users = new WeakMap<object, Promise<EnrichedUser<E> | AnonymousUser>>();

  const authFor = (session: Session<T>): RequestAuth<E> => {
    if (authOptions === undefined) {
      throw new ConfigurationError(
        "createNextSessions() has no auth: pass { auth: { users, secretKey, djangoVersion } } to read Django's user",
      );
    }
    return createRequestAuth(session as unknown as Session, authOptions);
  };
  const lazyAuth = (session: Session<T>): { auth: () => RequestAuth<E> } => {
    let made: RequestAuth<E> | undefined;
    return { auth: () => (made ??= authFor(session)) };
  };

  return {
    read(source) {
      return readOnly(policy.open(cookieHeader(source)).session);
    },

    user(source) {
      let user = users.get(source);
      if (user === undefined) {
        // The auth check may flush a session whose hash no longer matches (Django's rule); the
        // store is written, the cookie is left to the next response that can set one.
        user = authFor(policy.open(cookieHeader(source)).session).user();
        users.set(source, user);
      }
      return user;
    },

    action(cookies) {
      const opened = policy.open(cookieHeader(cookies));
      const { auth } = lazyAuth(opened.session);
      return {
        session: opened.session,
        user: () => auth().user(),
        get auth() {
          return auth();
        },
        async commit() {
          const headers = policy.plan(opened, 200) ?? (await policy.commit(opened, 200));
          for (const line of headers.setCookie) {
            const cookie = parseSetCookie(line);
            if (encodeURIComponent(cookie.value) !== cookie.value) {
              throw new ConfigurationError(
                `Next.js percent-encodes cookie values set through cookies(), and Python does not decode them: commit this ${cookie.name} cookie from a Route Handler (sessions.route(handler)) instead`,
              );
            }
            try {
              cookies.set(cookie);
            } catch (error) {
              if (error instanceof Error && NEXT_READONLY.test(error.message)) {
                throw new ReadOnlySessionError("commit");
              }
              throw error;
            }
          }
        },
      };
    },

    route(handler) {
      return (request) =>
        sessions.handle(request, (req, session) => {
          const { auth } = lazyAuth(session);
          return handler(req, {
            session,
            user: () => auth().user(),
            get auth() {
              return auth();
            },
          });
        });
    },

    proxy({ NextResponse, protect = () => true, userIdHeader = "x-django-user-id" }) {
      return async (request) => {
        const headers = new Headers(request.headers);
        headers.delete(userIdHeader);
        if (!protect(request)) return NextResponse.next({ request: { headers } });
        let userId: string | undefined;
        try {
          const { session } = policy.open(request.headers.get("cookie"));
          if (authOptions !== undefined) {
            const user = await createRequestAuth(session as unknown as Session, authOptions).user();
            if (user.isAuthenticated) userId = String(user.id);
          } else {
            const id = await (session as unknown as Session).get(SESSION_KEY);
            if (typeof id === "string" || typeof id === "number") userId = String(id);
          }
        } catch (error) {
          if (httpStatusOf(error) === undefined) throw error;
          return sessionErrorResponse(error, options.onError);
        }
        if (userId === undefined) {
          // The Host header, not request.url: Next rewrites the URL's host to its own name.
          const url = new URL(request.url);
          const host = request.headers.get("host") ?? url.host;
          const view = {
            method: request.method,
            url: `${url.protocol}//${host}${url.pathname}${url.search}`,
            headers: request.headers,
          };
          const location = loginRedirectUrl(view, {
            ...(options.loginUrl === undefined ? {} : { loginUrl: options.loginUrl }),
            ...(options.redirectFieldName === undefined
              ? {}
              : { redirectFieldName: options.redirectFieldName }),
          });
          return new Response(null, { status: 302, headers: { Location: location } });
        }
        headers.set(userIdHeader, userId);
        return NextResponse.next({ request: { headers } });
      };
    },

    fetch(source, input, init = {}) {
      const url =
        typeof input === "string" && input.startsWith("/")
          ? new URL(input, requireDjangoUrl(options.djangoUrl))
          : new URL(input);
      const headers = new Headers(init.headers);
      const pairs: string[] = [];
      const sessionKey = cookieValue(source, sessionCookieName);
      if (sessionKey !== undefined) pairs.push(`${sessionCookieName}=${sessionKey}`);
      let secret = cookieValue(source, csrfCookieName);
      if (secret === undefined || !/^[A-Za-z0-9]{32}$|^[A-Za-z0-9]{64}$/.test(secret)) {
        secret = randomString(32);
      }
      pairs.push(`${csrfCookieName}=${secret}`);
      headers.set("Cookie", pairs.join("; "));
      // A 64-character cookie is already masked (Django before 4.1 stored it so): sent as is.
      headers.set(csrfHeaderName, secret.length === 64 ? secret : maskSecret(secret));
      // Django's origin and referer checks: this request comes from Django's own origin.
      if (!headers.has("Origin")) headers.set("Origin", url.origin);
      if (!headers.has("Referer")) headers.set("Referer", `${url.origin}/`);
      return fetch(url, { ...init, headers });
    },
  };
}

function requireDjangoUrl(djangoUrl: string | undefined): string {
  if (djangoUrl === undefined) {
    throw new ConfigurationError(
      'sessions.fetch() with a path needs createNextSessions({ djangoUrl: "http://django:8000" })',
    );
  }
  return djangoUrl;
}
