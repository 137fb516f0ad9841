/**
 * The typed error hierarchy of sessionbridge.
 *
 * Every error thrown on purpose by the library is a {@link SessionBridgeError} with a stable
 * string `code`, so callers can `switch (err.code)` without `instanceof` chains, and so the
 * adapters can map whole families (for example every {@link SessionStoreError}) to an HTTP status.
 *
 * Messages never contain secrets, session data or full session keys.
 *
 * @example
 * ```ts
 * import { isSessionBridgeError } from "sessionbridge/errors";
 * try { await store.load(key); }
 * catch (err) {
 *   if (isSessionBridgeError(err) && err.code === "store-unavailable") return new Response(null, { status: 503 });
 *   throw err;
 * }
 * ```
 */

/** Every `code` a {@link SessionBridgeError} can carry. */
export type SessionBridgeErrorCode =
  | "bad-signature"
  | "expired"
  | "malformed"
  | "too-large"
  | "unsupported-pickle-global"
  | "unsupported-pickle-opcode"
  | "store-unavailable"
  | "session-exists"
  | "session-missing"
  | "configuration"
  | "user-exists";

/** Base class of every error sessionbridge throws on purpose. */
export class SessionBridgeError extends Error {
  /** Stable machine-readable reason. */
  readonly code: SessionBridgeErrorCode;

  constructor(code: SessionBridgeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * A signed value failed verification: wrong key, wrong salt, tampered or truncated.
 * Treated as "no session" by the engine; never logged at error level.
 */
export class BadSignatureError extends SessionBridgeError {
  constructor(message = "Signature does not match") {
    super("bad-signature", message);
  }
}

/** A signature was valid but its timestamp is older than the allowed age (or in the future). */
export class SignatureExpiredError extends SessionBridgeError {
  /** Age of the value in seconds at verification time (negative for a future timestamp). */
  readonly age: number;
  constructor(age: number, maxAge: number) {
    super("expired", `Signature age ${age} s is outside the allowed ${maxAge} s`);
    this.age = age;
  }
}

/** A value is structurally invalid: bad base64, bad JSON, bad zlib, wrong shape. */
export class MalformedError extends SessionBridgeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("malformed", message, options);
  }
}

/** A value exceeds a size limit (cookie too big, decompression bomb, oversized payload). */
export class TooLargeError extends SessionBridgeError {
  constructor(message: string) {
    super("too-large", message);
  }
}

/**
 * The session store could not be reached or failed (network, driver, SQL error).
 * Adapters answer 503 by default. The message names the store, never its credentials.
 */
export class SessionStoreError extends SessionBridgeError {
  /** Suggested HTTP status (also what Express's final handler uses): 503 Service Unavailable. */
  readonly status = 503;
  constructor(message: string, options?: { cause?: unknown }) {
    super("store-unavailable", message, options);
  }
}

/** `save({ mustCreate: true })` found the key already taken (Django's `CreateError`). */
export class SessionExistsError extends SessionBridgeError {
  constructor() {
    super("session-exists", "Session key already exists");
  }
}

/**
 * An update found the session gone: it was deleted (for example by a concurrent logout)
 * while the request ran. Django's `UpdateError`; the adapters answer 400 like Django's
 * `SessionInterrupted`.
 */
export class SessionMissingError extends SessionBridgeError {
  /** Suggested HTTP status: 400, as Django's `SessionInterrupted`. */
  readonly status = 400;
  constructor() {
    super("session-missing", "The request's session was deleted before the request completed");
  }
}

/** Invalid configuration: unparseable `DATABASE_URL`, missing secret, unsupported option. */
export class ConfigurationError extends SessionBridgeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("configuration", message, options);
  }
}

/**
 * A user with that `USERNAME_FIELD` value already exists (`DjangoUserSource.createUser`; the
 * unique violation Django's form validation reports as "A user with that username already
 * exists."). The username is a property, not part of the message, so logs stay free of it.
 */
export class UserExistsError extends SessionBridgeError {
  /** The (normalised) username that is taken. */
  readonly username: string;
  constructor(username: string, options?: { cause?: unknown }) {
    super("user-exists", "A user with that username already exists.", options);
    this.username = username;
  }
}

/** The HTTP status an adapter answers with for this error, if it has one (503 for store errors). */
export function httpStatusOf(error: unknown): number | undefined {
  if (error instanceof SessionStoreError || error instanceof SessionMissingError)
    return error.status;
  return undefined;
}

/** True for any error sessionbridge throws on purpose. */
export function isSessionBridgeError(value: unknown): value is SessionBridgeError {
  return value instanceof SessionBridgeError;
}
