/**
 * The per-request auth object behind `request.user`: Django's
 * `request.user = SimpleLazyObject(lambda: get_user(request))`. The session is not touched
 * until `user()` is first called; the user is loaded at most once per request, and enrichment
 * fields (a profile, an account…) are loaded only when read, once per request.
 *
 * @example
 * ```ts
 * const auth = createRequestAuth(session, {
 *   ...config,
 *   enrich: { profile: (user) => profiles.byUserId(user.id) },
 * });
 * const user = await auth.user();
 * if (user.isAuthenticated) console.log((await user.profile).displayName);
 * ```
 */
import { ConfigurationError } from "../errors.ts";
import type { Session, SessionShape } from "../engine/session.ts";
import { authenticate, type AuthenticateResult } from "./authenticate.ts";
import type { Credentials } from "./backends.ts";
import { checkAuthConfig, type AuthConfig } from "./config.ts";
import { getSessionUser } from "./session-user.ts";
import { login } from "./login.ts";
import { logout } from "./logout.ts";
import { updateSessionAuthHash } from "./update-session-auth-hash.ts";
import { ANONYMOUS_USER, User, type AnonymousUser } from "./user.ts";

/** Lazily loaded extra fields: name → loader, called with the user at most once per request. */
export type Enrichers = Readonly<Record<string, (user: User) => unknown>>;

/** No enrichment: the user is a plain {@link User}. */
// eslint-disable-next-line @typescript-eslint/no-generated-empty-object-type -- empty on purpose
export type NoEnrichers = Readonly<Record<never, never>>;

/** A user with the enrichment fields, each a promise of its loader's result. */
export type EnrichedUser<E extends Enrichers> = User & {
  readonly [K in keyof E]: Promise<Awaited<ReturnType<E[K]>>>;
};

/** Options of {@link createRequestAuth}. */
export interface RequestAuthOptions<E extends Enrichers = NoEnrichers> extends AuthConfig {
  /** Extra fields added to authenticated users (the seed's ProfileMiddleware). */
  readonly enrich?: E;
}

/** One request's view of authentication. */
export interface RequestAuth<E extends Enrichers = NoEnrichers> {
  /** The request's session. */
  readonly session: Session;
  /** The user (loaded on the first call, then the same object). */
  user(): Promise<EnrichedUser<E> | AnonymousUser>;
  /** Whether `user()` has been called. */
  readonly loaded: boolean;
  /** {@link authenticate} with this configuration. */
  authenticate(credentials: Credentials): Promise<AuthenticateResult>;
  /** {@link login} on this session; `user()` then returns `user`. */
  login(
    user: User,
    options?: { readonly backend?: string; readonly credentials?: Credentials },
  ): Promise<EnrichedUser<E>>;
  /** {@link logout}; `user()` then returns the anonymous user. */
  logout(): Promise<void>;
  /** {@link updateSessionAuthHash} on this session. */
  updateSessionAuthHash(user: User): Promise<void>;
}

const PROBE = new User({ id: 0, username: "", password: "", isActive: false });

/**
 * Checks enrichment names against `User`'s own members.
 * @throws {ConfigurationError}
 */
function checkEnrichers(enrich: Enrichers | undefined): void {
  for (const name of Object.keys(enrich ?? {})) {
    if (name in PROBE) {
      throw new ConfigurationError(`auth: enrich.${name} would hide the user's own "${name}"`);
    }
  }
}

/** Adds the lazy fields to this request's user object. */
function enrichUser<E extends Enrichers>(user: User, enrich: E | undefined): EnrichedUser<E> {
  for (const [name, load] of Object.entries(enrich ?? {})) {
    if (Object.prototype.hasOwnProperty.call(user, name)) continue;
    let value: Promise<unknown> | undefined;
    Object.defineProperty(user, name, {
      enumerable: false,
      configurable: false,
      get: () => (value ??= Promise.resolve().then(() => load(user))),
    });
  }
  return user as EnrichedUser<E>;
}

/**
 * Makes the auth object for one request.
 * @throws {ConfigurationError} for a configuration without `users` or `secretKey`, or an
 *   enrichment name that clashes with a `User` member.
 *
 * @example
 * ```ts
 * const auth = createRequestAuth(getSession(req), config);
 * const user = await auth.user();
 * ```
 */
export function createRequestAuth<T extends SessionShape, E extends Enrichers = NoEnrichers>(
  session: Session<T>,
  options: RequestAuthOptions<E>,
): RequestAuth<E> {
  checkAuthConfig(options);
  checkEnrichers(options.enrich);
  const { enrich } = options;
  let cached: Promise<EnrichedUser<E> | AnonymousUser> | undefined;
  const loadUser = (): Promise<EnrichedUser<E> | AnonymousUser> => {
    if (cached !== undefined) return cached;
    const loading = getSessionUser(session, options).then((user) =>
      user.isAuthenticated ? enrichUser(user, enrich) : user,
    );
    cached = loading;
    // A failure (store outage) is not cached: the next call tries again.
    loading.catch(() => {
      if (cached === loading) cached = undefined;
    });
    return loading;
  };
  const untyped = session as unknown as Session;
  return {
    session: untyped,
    get loaded() {
      return cached !== undefined;
    },
    user: loadUser,
    authenticate(credentials) {
      return authenticate(credentials, options);
    },
    async login(user, loginOptions = {}) {
      await login(session, user, { ...options, ...loginOptions });
      const enriched = enrichUser(user, enrich);
      cached = Promise.resolve(enriched);
      return enriched;
    },
    async logout() {
      // axes' user_logged_out closes the user's access log rows: it needs who is leaving.
      const recordLogout = options.lockout?.recordLogout?.bind(options.lockout);
      const leaving = recordLogout === undefined ? undefined : await loadUser();
      await logout(session);
      if (recordLogout !== undefined && leaving?.isAuthenticated === true) {
        await recordLogout(leaving.username);
      }
      cached = Promise.resolve(ANONYMOUS_USER);
    },
    async updateSessionAuthHash(user) {
      await updateSessionAuthHash(session, user, options);
    },
  };
}
