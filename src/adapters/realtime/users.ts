/**
 * Who is logged in on a real-time connection, under Django's rules ({@link djangoUsers}) or
 * Flask-Login's ({@link flaskLoginUsers}): the same rules as an HTTP request, plus a batched
 * re-check that a gate runs for every connected user at once (a password change, a
 * deactivation).
 *
 * @example
 * ```ts
 * const gate = createRealtimeGate({ store, djangoVersion: "5.2", users: djangoUsers({ users, secretKey, djangoVersion: "5.2" }) });
 * ```
 */
import type { IncomingMessage } from "node:http";
import type { SessionData } from "../../stores/contract.ts";
import type { Session } from "../../engine/session.ts";
import {
  flaskLoginUser,
  type FlaskLoginLoadOptions,
  type FlaskUserLoader,
} from "../../flask/login.ts";
import { backendsOf } from "../../auth/backends.ts";
import { checkAuthConfig, type AuthConfig } from "../../auth/config.ts";
import { BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY } from "../../auth/constants.ts";
import { verifySessionAuthHash } from "../../auth/hashers/index.ts";
import { getSessionUser } from "../../auth/session-user.ts";
import type { UserSource } from "../../auth/user-source.ts";
import type { User } from "../../auth/user.ts";
import type { RevocationReason } from "./registry.ts";

/**
 * The login a session's data holds, without I/O: the user id in its session form and what
 * ties the login to the password (Django: the backend path and `_auth_user_hash`).
 *
 * @example
 * ```ts
 * const login: SessionLogin = { userId: "42", proof: "django.contrib.auth.backends.ModelBackend\n3f…" };
 * ```
 */
export interface SessionLogin {
  readonly userId: string;
  readonly proof: string | null;
}

/**
 * Checks one connection's login against the users loaded by {@link UserRule.recheck}: `null`
 * when it still stands, else why it ended.
 *
 * @example
 * ```ts
 * const check: LoginCheck = async (userId, proof) => (proof ? null : "logged-out");
 * ```
 */
export type LoginCheck = (userId: string, proof: string | null) => Promise<RevocationReason | null>;

/**
 * A framework's login rules as a gate uses them.
 *
 * @typeParam U - the user object the application gets on the connection.
 * @example
 * ```ts
 * const rule: UserRule<User> = djangoUsers({ users, secretKey, djangoVersion: "5.2" });
 * ```
 */
export interface UserRule<U> {
  /** The user logged in on a handshake's session (may read the user table), or `null`. */
  identify(session: Session, request: IncomingMessage): Promise<U | null>;
  /** The login recorded in the session data, or `null` (anonymous). Pure. */
  loginOf(data: SessionData): SessionLogin | null;
  /** Loads the users behind `userIds` in one batch and returns the per-connection check. */
  recheck(userIds: readonly string[]): Promise<LoginCheck>;
}

function text(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  return null;
}

function firstHeader(value: string | string[] | undefined): string | null {
  return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
}

/** A user source whose `getUser` answers from one preloaded batch. */
function preloadedSource(source: UserSource, found: ReadonlyMap<string, User>): UserSource {
  return new Proxy(source, {
    get(target, property) {
      if (property === "getUser")
        return (id: string): Promise<User | null> => Promise.resolve(found.get(id) ?? null);
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function"
        ? (value as (...args: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}

/** Loads users in one batch when the source can (`getUsers`), else one `getUser` each. */
async function loadUsers(source: UserSource, ids: readonly string[]): Promise<Map<string, User>> {
  if (source.getUsers) return source.getUsers(ids);
  const found = new Map<string, User>();
  await Promise.all(
    ids.map(async (id) => {
      const user = await source.getUser(id);
      if (user !== null) found.set(id, user);
    }),
  );
  return found;
}

/**
 * Django's rules (`django.contrib.auth.get_user`): the session's `_auth_user_id`, a configured
 * backend, an active user, and an `_auth_user_hash` that verifies against the current
 * password (SECRET_KEY and its fallbacks). The handshake never writes the session: where
 * Django would flush it (a stale hash) the connection is simply refused.
 * @throws {ConfigurationError} for an invalid auth configuration.
 *
 * @example
 * ```ts
 * import { DjangoUserSource } from "sessionbridge/auth";
 * const rule = djangoUsers({ users: new DjangoUserSource({ database }), secretKey, djangoVersion: "5.2" });
 * ```
 */
export function djangoUsers(config: AuthConfig): UserRule<User> {
  checkAuthConfig(config);
  const hashOptions = {
    secret: config.secretKey,
    fallbacks: config.secretKeyFallbacks ?? [],
    djangoVersion: config.djangoVersion,
    ...(config.hashingAlgorithm ? { hashingAlgorithm: config.hashingAlgorithm } : {}),
  } as const;
  return {
    async identify(session) {
      const user = await getSessionUser(session, config);
      return user.isAuthenticated ? user : null;
    },
    loginOf(data) {
      const userId = text(data.get(SESSION_KEY));
      const backend = data.get(BACKEND_SESSION_KEY);
      if (userId === null || typeof backend !== "string") return null;
      const hash = text(data.get(HASH_SESSION_KEY)) ?? "";
      return { userId, proof: `${backend}\n${hash}` };
    },
    async recheck(userIds) {
      const found = await loadUsers(config.users, userIds);
      const batched: AuthConfig = { ...config, users: preloadedSource(config.users, found) };
      return async (userId, proof) => {
        const cut = proof?.indexOf("\n") ?? -1;
        const path = cut < 0 ? "" : proof!.slice(0, cut);
        const backend = backendsOf(config).find((b) => b.path === path);
        if (backend === undefined) return "logged-out";
        const user = await backend.getUser(userId, batched);
        if (user === null) return "user-inactive";
        const verdict = verifySessionAuthHash(proof!.slice(cut + 1), user.password, hashOptions);
        return verdict === false ? "password-changed" : null;
      };
    },
  };
}

/** Options of {@link flaskLoginUsers}. */
export interface FlaskLoginUsersOptions extends Omit<FlaskLoginLoadOptions, "request"> {
  /**
   * Apply `SESSION_PROTECTION` to the handshake request (its address and User-Agent, as
   * Flask-Login computes them); default `false`. Re-checks never apply it: they have no request.
   */
  readonly protectHandshake?: boolean;
}

/**
 * Flask-Login's rules (`_load_user`): the session's `_user_id` and the app's user loader. A
 * re-check calls the loader again for every connected user; a loader answering `null` (the user
 * was deleted or deactivated) closes that user's connections with `user-inactive`.
 *
 * @example
 * ```ts
 * const rule = flaskLoginUsers((id) => db.users.findActive(id));
 * ```
 */
export function flaskLoginUsers<U>(
  loader: FlaskUserLoader<U>,
  options: FlaskLoginUsersOptions = {},
): UserRule<U> {
  const { protectHandshake = false, ...load } = options;
  return {
    async identify(session, request) {
      return flaskLoginUser(session, loader, {
        ...load,
        ...(protectHandshake
          ? {
              request: {
                remoteAddr: request.socket.remoteAddress ?? null,
                forwardedFor: firstHeader(request.headers["x-forwarded-for"]),
                userAgent: request.headers["user-agent"] ?? null,
              },
            }
          : { protection: null }),
      });
    },
    loginOf(data) {
      const userId = text(data.get("_user_id"));
      return userId === null ? null : { userId, proof: null };
    },
    async recheck(userIds) {
      const alive = new Set<string>();
      await Promise.all(
        userIds.map(async (id) => {
          if (((await loader(id)) ?? null) !== null) alive.add(id);
        }),
      );
      return (userId) => Promise.resolve(alive.has(userId) ? null : "user-inactive");
    },
  };
}
