/**
 * What the auth functions need to know: Django's `SECRET_KEY`, `SECRET_KEY_FALLBACKS`,
 * `AUTHENTICATION_BACKENDS`, `PASSWORD_HASHERS` and version, and where users live.
 *
 * @example
 * ```ts
 * const config: AuthConfig = {
 *   users: new DjangoUserSource({ database }),
 *   secretKey: process.env.SECRET_KEY!,
 *   secretKeyFallbacks: [],
 *   djangoVersion: "5.2",
 * };
 * ```
 */
import { ConfigurationError } from "../errors.ts";
import { versionOption } from "../internal/version-option.ts";
import type { Session, SessionShape } from "../engine/session.ts";
import type {
  CheckPasswordFailure,
  HasherDjangoVersion,
  PasswordHasherOptions,
} from "./hashers/index.ts";
import { HASHER_DJANGO_VERSIONS } from "./hashers/defaults.ts";
import type { LoginRecorder } from "../django/allauth.ts";
import type { LoginLockout } from "../django/axes.ts";
import type { LoginRateLimit } from "./rate-limit.ts";
import type { User } from "./user.ts";
import type { UserSource } from "./user-source.ts";

/** Settings shared by `login`, `getSessionUser`, `authenticate` and the middleware. */
export interface AuthConfig {
  /** Where users are read from and written to. */
  readonly users: UserSource;
  /** `SECRET_KEY`: the session auth hash is an HMAC under it. */
  readonly secretKey: string;
  /** `SECRET_KEY_FALLBACKS` (honoured from Django 4.1.8). */
  readonly secretKeyFallbacks?: readonly string[];
  /**
   * Which Django's rules to follow: the hasher and its work factor when a login upgrades a
   * password hash, the session auth hash's algorithm, legacy and fallback hashes. Required, and
   * never guessed: set it to the version of the Django project the users are shared with.
   */
  readonly djangoVersion: HasherDjangoVersion;
  /**
   * `AUTHENTICATION_BACKENDS`, in order; default `[modelBackend]`. A session whose
   * `_auth_user_backend` is not listed here is anonymous.
   */
  readonly backends?: readonly AuthBackend[];
  /** `PASSWORD_HASHERS` and work factors (the version comes from `djangoVersion`). */
  readonly hashers?: Omit<PasswordHasherOptions, "djangoVersion">;
  /** Django 3.2's `DEFAULT_HASHING_ALGORITHM` (default `sha256`); ignored from 4.0. */
  readonly hashingAlgorithm?: "sha256" | "sha1";
  /** Failed-login limits used by `authenticate`; default none. */
  readonly rateLimit?: LoginRateLimit;
  /**
   * A lockout shared with Django that `authenticate` consults and records to: `AxesLockout`
   * (django-axes' `axes_accessattempt`); default none.
   */
  readonly lockout?: LoginLockout;
  /**
   * Told of every login after the session holds the user, in order (Django's `user_logged_in`
   * receivers): `AllauthLogins` records what django-allauth records; default none.
   */
  readonly loginRecorders?: readonly LoginRecorder[];
  /** Clock in milliseconds (for `last_login`), for tests. */
  readonly now?: () => number;
}

// The backend contract lives here, beside the configuration it is called with: an
// `AuthConfig` lists backends and a backend is handed the `AuthConfig`, so the two types are
// one unit (split over two modules they would import each other). `backends.ts` implements it.

/** What `authenticate()` is called with. */
export interface Credentials {
  /** The `USERNAME_FIELD` value. */
  readonly username?: string | null | undefined;
  readonly password?: string | null | undefined;
  /** The client's address, for the per-IP rate limit and the lockout. */
  readonly ip?: string | undefined;
  /** The `User-Agent` header, for the lockout (axes records it). */
  readonly userAgent?: string | undefined;
}

/**
 * Why a login failed, for server logs only: never show it to the client, whose message must
 * not tell an unknown user from a wrong password.
 */
export type AuthFailureDetail =
  "missing-credentials" | "unknown-user" | "inactive" | "rate-limited" | CheckPasswordFailure;

/** A backend's answer: a user, a failure with its reason, or `null` (not for this backend). */
export type BackendResult = User | { readonly failure: AuthFailureDetail } | null;

/** One entry of `AUTHENTICATION_BACKENDS`. */
export interface AuthBackend {
  /** The dotted path Django knows the backend by (`_auth_user_backend`). */
  readonly path: string;
  /** Checks credentials; optional (a backend may only restore sessions). */
  authenticate?(credentials: Credentials, config: AuthConfig): Promise<BackendResult>;
  /** The user for a session's `_auth_user_id`, or `null` (missing, or not allowed in). */
  getUser(id: string, config: AuthConfig): Promise<User | null>;
}

/** The session as the auth functions use it, whatever the application's own shape. */
export type AuthSession = Session;

/**
 * Views any typed session as an untyped one: the auth keys are Django's, not the app's.
 *
 * @example
 * ```ts
 * const s = authSession(session);
 * ```
 */
export function authSession<T extends SessionShape>(session: Session<T>): AuthSession {
  return session as unknown as AuthSession;
}

/**
 * Checks a configuration once, with messages that name the fix.
 * @throws {ConfigurationError}
 *
 * @example
 * ```ts
 * checkAuthConfig(config);
 * ```
 */
export function checkAuthConfig(config: AuthConfig): void {
  // Runtime checks for callers without the types.
  const loose = config as Partial<AuthConfig> | undefined;
  if (loose === undefined || typeof loose !== "object") {
    throw new ConfigurationError("auth: a configuration object is required");
  }
  if (typeof loose.secretKey !== "string" || loose.secretKey === "") {
    throw new ConfigurationError("auth: secretKey (Django's SECRET_KEY) is required");
  }
  if (typeof loose.users !== "object") {
    throw new ConfigurationError(
      "auth: users is required, e.g. users: new DjangoUserSource({ database })",
    );
  }
  versionOption({
    name: "auth: djangoVersion (your Django's version)",
    value: loose.djangoVersion,
    allowed: HASHER_DJANGO_VERSIONS,
  });
  if (loose.backends?.length === 0) {
    throw new ConfigurationError("auth: backends must list at least one backend");
  }
}

/**
 * The hasher options for this configuration.
 *
 * @example
 * ```ts
 * await makePassword("pw", hasherOptions(config));
 * ```
 */
export function hasherOptions(config: AuthConfig): PasswordHasherOptions {
  return { ...config.hashers, djangoVersion: config.djangoVersion };
}
