/**
 * A session policy is what a framework's session middleware does around a request: how the
 * cookie is read into a session, and which headers the response gets (and when the session is
 * saved). Django's is the default ({@link djangoSessionPolicy}); Flask's and Starlette's differ
 * in when they write and how their cookie looks, and plug in through the same interface, so the
 * adapters never know which framework they imitate.
 */
import type { SessionStore } from "../stores/contract.ts";
import { resolveSessionSettings, type SessionSettingsInput } from "./config.ts";
import {
  commitResponseSession,
  openRequestSession,
  plainResponseHeaders,
  type RequestSession,
  type SessionResponseHeaders,
} from "./http.ts";
import type { SessionShape } from "./session.ts";

/** Request → session, session → response headers. */
export interface SessionPolicy<T extends SessionShape = SessionShape> {
  /** Reads the session cookie out of a `Cookie` header; no I/O. */
  open(cookieHeader: string | null | undefined): RequestSession<T>;
  /** The response headers when they are known without I/O, else `undefined` (commit is due). */
  plan(requestSession: RequestSession<T>, status: number): SessionResponseHeaders | undefined;
  /** Saves if due and returns the response headers. */
  commit(requestSession: RequestSession<T>, status: number): Promise<SessionResponseHeaders>;
}

/** Options of {@link djangoSessionPolicy}: the store and Django's session settings. */
export interface DjangoPolicyOptions extends SessionSettingsInput {
  readonly store: SessionStore;
  /** Clock in milliseconds, for tests. */
  readonly now?: () => number;
}

/**
 * Django's `SessionMiddleware` (see `engine/http.ts` for the rules).
 *
 * @example
 * ```ts
 * const policy = djangoSessionPolicy({ store, cookieSecure: true });
 * const rs = policy.open(request.headers.get("cookie"));
 * ```
 */
export function djangoSessionPolicy<T extends SessionShape = SessionShape>(
  options: DjangoPolicyOptions,
): SessionPolicy<T> {
  const { store, now = Date.now, ...input } = options;
  const settings = resolveSessionSettings(input);
  return {
    open: (cookieHeader) => openRequestSession<T>(cookieHeader, store, settings, now),
    plan: (rs, status) => plainResponseHeaders(rs, settings, status),
    commit: (rs, status) => commitResponseSession(rs, settings, status, now),
  };
}

/** What the adapters accept: a policy, or the store and Django settings for the default one. */
export type PolicyOptions<T extends SessionShape = SessionShape> =
  DjangoPolicyOptions | { readonly policy: SessionPolicy<T> };

/** Resolves adapter options to a policy. */
export function policyFrom<T extends SessionShape>(options: PolicyOptions<T>): SessionPolicy<T> {
  return "policy" in options ? options.policy : djangoSessionPolicy<T>(options);
}
