/**
 * The session auth hash stored as `_auth_user_hash` (django-formats.md §6.2, §6.4):
 * `salted_hmac("django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash",
 * user.password, secret, algorithm="sha256").hexdigest()` — an HMAC of the *encoded password
 * field*, so changing the password logs out every other session.
 */
import { saltedHmac, type Secret } from "../../codecs/django/signing.ts";
import { constantTimeEqual } from "./compare.ts";
import { djangoAtLeast, hasherDjangoVersion } from "./defaults.ts";
import type { HasherDjangoVersion } from "./types.ts";

/**
 * `key_salt` of `AbstractBaseUser.get_session_auth_hash` (and of the 3.2 legacy variant).
 *
 * @example
 * ```ts
 * saltedHmac(SESSION_AUTH_HASH_KEY_SALT, user.password, secret, "sha256").toString("hex");
 * ```
 */
export const SESSION_AUTH_HASH_KEY_SALT =
  "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash";

/**
 * `user.get_session_auth_hash()`: 64 lowercase hex characters. `algorithm` is `sha256` except on
 * Django 3.2 with the transitional `DEFAULT_HASHING_ALGORITHM = "sha1"`.
 *
 * @example
 * ```ts
 * sessionAuthHash(user.password, process.env.SECRET_KEY!); // "51c1d14a…"
 * ```
 */
export function sessionAuthHash(
  encodedPassword: string,
  secret: Secret,
  algorithm: "sha256" | "sha1" = "sha256",
): string {
  return saltedHmac(SESSION_AUTH_HASH_KEY_SALT, encodedPassword, secret, algorithm).toString("hex");
}

/**
 * `user.get_session_auth_fallback_hash()` (4.1.8+): the hash under each `SECRET_KEY_FALLBACKS`
 * secret, in order.
 *
 * @example
 * ```ts
 * sessionAuthFallbackHashes(user.password, ["old-rotated-secret-key"]); // ["88c6b1af…"]
 * ```
 */
export function sessionAuthFallbackHashes(
  encodedPassword: string,
  fallbacks: readonly Secret[],
): string[] {
  return fallbacks.map((secret) => sessionAuthHash(encodedPassword, secret));
}

/**
 * Django 3.1/3.2 `_legacy_get_session_auth_hash()`: the same HMAC with SHA-1 (40 hex), accepted
 * by 3.2's `get_user` and removed in 4.0.
 *
 * @example
 * ```ts
 * legacySessionAuthHash(user.password, secret); // "0437a02e…"
 * ```
 */
export function legacySessionAuthHash(encodedPassword: string, secret: Secret): string {
  return sessionAuthHash(encodedPassword, secret, "sha1");
}

/** Options of {@link verifySessionAuthHash}. */
export interface VerifySessionAuthHashOptions {
  /** `SECRET_KEY`. */
  readonly secret: Secret;
  /** `SECRET_KEY_FALLBACKS` (honoured from 4.1; ignored for 3.2 and 4.0, which lack it). */
  readonly fallbacks?: readonly Secret[];
  /** Default `"5.2"`. */
  readonly djangoVersion?: HasherDjangoVersion;
  /** Django 3.2's `DEFAULT_HASHING_ALGORITHM` (default `sha256`); ignored from 4.0. */
  readonly hashingAlgorithm?: "sha256" | "sha1";
}

/**
 * How `get_user(request)` judges a session's `_auth_user_hash`:
 * - `"current"`: matches the hash under `SECRET_KEY` — the user stays logged in;
 * - `"fallback"`: matches under a `SECRET_KEY_FALLBACKS` secret (4.1.8+; version "4.1" is taken
 *   as its last patch release) — Django then cycles the session key and stores the current hash;
 * - `"legacy"`: Django 3.2 only, matches the SHA-1 legacy hash — accepted, not rewritten;
 * - `false`: missing, empty or mismatched — Django flushes the session (logout).
 * Every comparison is constant-time.
 *
 * @example
 * ```ts
 * const v = verifySessionAuthHash(session.get("_auth_user_hash"), user.password, { secret, fallbacks });
 * if (v === false) await session.flush();
 * else if (v === "fallback") { await session.cycleKey(); session.set("_auth_user_hash", sessionAuthHash(user.password, secret)); }
 * ```
 */
export function verifySessionAuthHash(
  given: unknown,
  encodedPassword: string,
  options: VerifySessionAuthHashOptions,
): "current" | "fallback" | "legacy" | false {
  // `session_hash and constant_time_compare(...)`: a missing or empty hash never verifies.
  if (typeof given !== "string" || given === "") return false;
  const version = hasherDjangoVersion(options.djangoVersion);
  const modern = djangoAtLeast(version, "4.0");
  const algorithm = modern ? "sha256" : (options.hashingAlgorithm ?? "sha256");
  if (constantTimeEqual(given, sessionAuthHash(encodedPassword, options.secret, algorithm))) {
    return "current";
  }
  if (djangoAtLeast(version, "4.1")) {
    for (const fallback of sessionAuthFallbackHashes(encodedPassword, options.fallbacks ?? [])) {
      if (constantTimeEqual(given, fallback)) return "fallback";
    }
  }
  if (!modern && constantTimeEqual(given, legacySessionAuthHash(encodedPassword, options.secret))) {
    return "legacy";
  }
  return false;
}
