/**
 * Flask-Session (server-side sessions) cookie helpers (flask-starlette-formats.md §4).
 *
 * The cookie holds the session id, raw or, with `SESSION_USE_SIGNER=True`, signed by
 * `Signer(app.secret_key, salt="flask-session", key_derivation="hmac")` (SHA-1, sep `.`,
 * **no timestamp**, `SECRET_KEY` only: no fallbacks). The store key is
 * `SESSION_KEY_PREFIX + sid`. Same in 0.3.2 (`sessions.py`) and 0.8.0 (`base.py`).
 */
import { randomBytes, randomUUID } from "#runtime";
import type { Secret } from "../itsdangerous/encoding.ts";
import { Signer } from "../itsdangerous/signer.ts";

/**
 * The signer Flask-Session uses for `SESSION_USE_SIGNER` (`_get_signer(app)`).
 *
 * @example
 * ```ts
 * flaskSessionIdSigner("test-secret-key").sign("0f0e0d0c-0b0a-4908-8706-050403020100");
 * // "0f0e0d0c-0b0a-4908-8706-050403020100.h7kYeN5Q_reCYzJBFAPcJruJUiA"
 * ```
 */
export function flaskSessionIdSigner(secretKey: Secret): Signer {
  return new Signer(secretKey, { salt: "flask-session", keyDerivation: "hmac" });
}

/**
 * The cookie value for a session id with `SESSION_USE_SIGNER=True` (`sid.sig`).
 *
 * @example
 * ```ts
 * signFlaskSessionId("0f0e0d0c-0b0a-4908-8706-050403020100", "test-secret-key");
 * ```
 */
export function signFlaskSessionId(sid: string, secretKey: Secret): string {
  return flaskSessionIdSigner(secretKey).sign(sid);
}

/**
 * The session id from a signed cookie value. Flask-Session starts a new session on failure.
 *
 * @throws {BadSignatureError} when the signature does not match.
 * @example
 * ```ts
 * unsignFlaskSessionId(signFlaskSessionId("abc", "k"), "k"); // "abc"
 * ```
 */
export function unsignFlaskSessionId(cookieValue: string, secretKey: Secret): string {
  return flaskSessionIdSigner(secretKey).unsign(cookieValue);
}

/**
 * The store key of a session: `SESSION_KEY_PREFIX` (default `session:`) + sid.
 *
 * @example
 * ```ts
 * flaskSessionStoreKey("abc"); // "session:abc"
 * ```
 */
export function flaskSessionStoreKey(sid: string, prefix = "session:"): string {
  return `${prefix}${sid}`;
}

/**
 * A new session id in the style of a Flask-Session version: `uuid4` (≤ 0.5, `str(uuid4())`)
 * or `token_urlsafe` (≥ 0.6, `secrets.token_urlsafe(32)`, 43 characters).
 *
 * @example
 * ```ts
 * newFlaskSessionId("token_urlsafe").length; // 43
 * ```
 */
export function newFlaskSessionId(style: "uuid4" | "token_urlsafe" = "token_urlsafe"): string {
  return style === "uuid4" ? randomUUID() : randomBytes(32).toString("base64url");
}
