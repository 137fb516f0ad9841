/**
 * `django.contrib.auth.authenticate(**credentials)`: asks each configured backend in turn and
 * returns the first user, with `user.backend` set to that backend's path, behind the
 * failed-login rate limits when configured.
 *
 * Every failure has the same shape and the same client-facing `message`; only `detail` (for
 * server logs) tells an unknown user, a wrong password, an inactive account or a broken stored
 * hash apart.
 */
import { backendsOf, type AuthFailureDetail, type Credentials } from "./backends.ts";
import { checkAuthConfig, type AuthConfig } from "./config.ts";
import { rateLimitKeys, type LoginRateLimit } from "./rate-limit.ts";
import type { RateLimiter } from "./rate-limiter.ts";
import type { User } from "./user.ts";

/** Django `AuthenticationForm.error_messages["invalid_login"]` (for `USERNAME_FIELD` username). */
export const INVALID_LOGIN_MESSAGE =
  "Please enter a correct username and password. Note that both fields may be case-sensitive.";

/** The answer while a username or address is locked out (the same for every username). */
export const RATE_LIMITED_MESSAGE = "Too many failed login attempts. Please try again later.";

/** What {@link authenticate} resolves to. */
export type AuthenticateResult =
  | { readonly ok: true; readonly user: User }
  | {
      readonly ok: false;
      /** For the client: `invalid-credentials` or `rate-limited`. */
      readonly reason: "invalid-credentials" | "rate-limited";
      /** For the client, identical for unknown users and wrong passwords. */
      readonly message: string;
      /** Seconds until another attempt is allowed (`rate-limited` only, else 0). */
      readonly retryAfter: number;
      /** For server logs only. */
      readonly detail: AuthFailureDetail;
    };

const invalid = (detail: AuthFailureDetail): AuthenticateResult => ({
  ok: false,
  reason: "invalid-credentials",
  message: INVALID_LOGIN_MESSAGE,
  retryAfter: 0,
  detail,
});

/**
 * Checks credentials against the configured backends (default Django's `ModelBackend`:
 * inactive users refused, outdated password hashes upgraded on success).
 *
 * With `config.rateLimit`, the attempt is taken from the username's and the address's budgets
 * before any password is hashed (`RateLimiter.reserve`: one atomic step), so that concurrent
 * attempts cannot all pass the check: at most `limit` per window are checked, the others are
 * answered `rate-limited` at once. With `config.lockout` (django-axes' `AxesLockout`), a locked-out
 * attempt is answered `rate-limited` before anything else, and each failure is recorded there.
 * A failure keeps its reservation (it is the recorded failure).
 * A success, as django-axes does with `AXES_RESET_ON_SUCCESS`, forgets the username's failures
 * and gives the address's reserved attempt back (its earlier failures stay). An attempt that
 * throws (a store outage) gives both back.
 *
 * @throws the error of a rate limiter that cannot answer — `SessionStoreError` (503) from
 *   `RedisRateLimiter` when Redis is down — so a broken limiter fails closed: no login is let
 *   through unchecked.
 * @example
 * ```ts
 * const result = await authenticate({ username, password, ip: req.socket.remoteAddress }, config);
 * if (!result.ok) return res.status(result.reason === "rate-limited" ? 429 : 400).json({ error: result.message });
 * await login(session, result.user, config);
 * ```
 */
export async function authenticate(
  credentials: Credentials,
  config: AuthConfig,
): Promise<AuthenticateResult> {
  checkAuthConfig(config);
  const lockout = config.lockout;
  if (lockout === undefined) return limited(credentials, config);
  // django-axes: its backend comes first, so a locked-out attempt is refused before any
  // password is checked, and is still a failure (it resets the cool-off).
  const attempt = {
    username: credentials.username,
    ip: credentials.ip,
    userAgent: credentials.userAgent,
  };
  const wait = await lockout.lockedFor(attempt);
  if (wait > 0) {
    await lockout.recordFailure(attempt);
    return refused(wait);
  }
  const result = await limited(credentials, config);
  if (result.ok) await lockout.recordSuccess(attempt);
  else if (result.reason === "invalid-credentials") await lockout.recordFailure(attempt);
  return result;
}

const refused = (retryAfter: number): AuthenticateResult => ({
  ok: false,
  reason: "rate-limited",
  message: RATE_LIMITED_MESSAGE,
  retryAfter,
  detail: "rate-limited",
});

/** {@link authenticate} behind the rate limits. */
async function limited(credentials: Credentials, config: AuthConfig): Promise<AuthenticateResult> {
  const limits = config.rateLimit;
  if (limits === undefined) return checkCredentials(credentials, config);
  const keys = rateLimitKeys(await limitedUsername(credentials, config), credentials.ip);
  const attempt = await reserveAttempt(limits, keys);
  if (!attempt.granted) return refused(Math.ceil(attempt.retryAfter / 1000));
  let result: AuthenticateResult;
  try {
    result = await checkCredentials(credentials, config);
  } catch (error) {
    // Not a failed password (a backend or store error): the attempt is not counted.
    await attempt.cancel();
    throw error;
  }
  if (result.ok) {
    // As django-axes with AXES_RESET_ON_SUCCESS: a success forgets the username's failures;
    // the address's reserved attempt is withdrawn (it was no failure), its other failures stay.
    await Promise.all([
      keys.username === undefined ? undefined : limits.byUsername?.reset(keys.username),
      attempt.cancelIp(),
    ]);
  } else {
    await attempt.recordFailure();
  }
  return result;
}

/**
 * The username as the per-username limit counts it: the source's comparison form
 * (`UserSource.usernameKey`), so that every spelling that finds one user shares its budget.
 */
async function limitedUsername(
  credentials: Credentials,
  config: AuthConfig,
): Promise<string | null | undefined> {
  const { username } = credentials;
  if (typeof username !== "string" || config.rateLimit?.byUsername === undefined) return username;
  return config.users.usernameKey === undefined ? username : config.users.usernameKey(username);
}

/**
 * What each user `authenticate` returned was authenticated with, less the password: `login()`
 * hands it to the login recorders (allauth records the username), as Django's
 * `user_logged_in` receivers see the request the credentials came with.
 */
const AUTHENTICATED_WITH = new WeakMap<User, Credentials>();

/**
 * The username, ip and user agent `authenticate()` returned `user` for, if it did.
 *
 * @example
 * ```ts
 * authenticatedWith(result.user)?.username; // "alice"
 * ```
 */
export function authenticatedWith(user: User): Credentials | undefined {
  return AUTHENTICATED_WITH.get(user);
}

/** Asks each configured backend in turn (Django's `authenticate` loop). */
async function checkCredentials(
  credentials: Credentials,
  config: AuthConfig,
): Promise<AuthenticateResult> {
  let detail: AuthFailureDetail = "missing-credentials";
  for (const backend of backendsOf(config)) {
    if (backend.authenticate === undefined) continue;
    const result = await backend.authenticate(credentials, config);
    if (result === null) continue;
    if ("failure" in result) {
      detail = result.failure;
      continue;
    }
    // Django: `user.backend = backend_path`, read by login().
    result.backend = backend.path;
    AUTHENTICATED_WITH.set(result, {
      username: credentials.username,
      ip: credentials.ip,
      userAgent: credentials.userAgent,
    });
    return { ok: true, user: result };
  }
  return invalid(detail);
}

/** One attempt's hold on the username and address limits. */
type Attempt =
  | { readonly granted: false; readonly retryAfter: number }
  | {
      readonly granted: true;
      /** Withdraws both reservations (the attempt was never judged). */
      cancel(): Promise<void>;
      /** Withdraws the address's reservation (the attempt succeeded). */
      cancelIp(): Promise<void>;
      /** Counts the failure where a limiter could not reserve it in advance. */
      recordFailure(): Promise<void>;
    };

/**
 * Takes one attempt from each limit before the password is hashed, so that concurrent attempts
 * cannot all pass a check made before any of them is recorded. A limiter without `reserve` (one
 * of the caller's own, written before it existed) is checked now and charged after a failure.
 */
async function reserveAttempt(
  limits: LoginRateLimit,
  keys: { readonly username: string | undefined; readonly ip: string | undefined },
): Promise<Attempt> {
  const settled = await Promise.allSettled([
    hold(limits.byUsername, keys.username),
    hold(limits.byIp, keys.ip),
  ]);
  const holds = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const failed = settled.find((s) => s.status === "rejected");
  if (failed !== undefined) {
    // One limiter cannot answer: the other's reservation is given back, the error goes on.
    await Promise.allSettled(holds.map((h) => h.cancel()));
    throw failed.reason;
  }
  const byIp = holds[1] ?? NO_HOLD;
  const refused = holds.filter((h) => !h.granted);
  if (refused.length > 0) {
    // Whatever was granted is given back: a refused attempt is no attempt.
    await Promise.all(holds.map((h) => h.cancel()));
    return { granted: false, retryAfter: Math.max(...refused.map((h) => h.retryAfter)) };
  }
  return {
    granted: true,
    cancel: async () => {
      await Promise.all(holds.map((h) => h.cancel()));
    },
    cancelIp: () => byIp.cancel(),
    recordFailure: async () => {
      await Promise.all(holds.map((h) => h.recordFailure()));
    },
  };
}

/** One limiter's part of an {@link Attempt}. */
interface Hold {
  readonly granted: boolean;
  readonly retryAfter: number;
  cancel(): Promise<void>;
  recordFailure(): Promise<void>;
}

const NO_HOLD: Hold = Object.freeze({
  granted: true,
  retryAfter: 0,
  cancel: () => Promise.resolve(),
  recordFailure: () => Promise.resolve(),
});

async function hold(limiter: RateLimiter | undefined, key: string | undefined): Promise<Hold> {
  if (limiter === undefined || key === undefined) return NO_HOLD;
  if (limiter.reserve !== undefined) {
    const reservation = await limiter.reserve(key);
    if (!reservation.granted) {
      return { ...NO_HOLD, granted: false, retryAfter: reservation.retryAfter };
    }
    return { ...NO_HOLD, cancel: () => reservation.cancel() };
  }
  const wait = await limiter.retryAfter(key);
  if (wait > 0) return { ...NO_HOLD, granted: false, retryAfter: wait };
  return { ...NO_HOLD, recordFailure: () => limiter.hit(key) };
}
