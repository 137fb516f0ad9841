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

/**
 * Every `code` a {@link SessionBridgeError} can carry.
 *
 * @example
 * ```ts
 * import type { SessionBridgeErrorCode } from "sessionbridge/errors";
 * const retry: SessionBridgeErrorCode[] = ["store-unavailable", "redis-timeout"];
 * ```
 */
export type SessionBridgeErrorCode =
  | "bad-signature"
  | "expired"
  | "malformed"
  | "too-large"
  | "unsupported-pickle-global"
  | "unsupported-pickle-opcode"
  | "unsupported-value"
  | "invalid-argument"
  | "store-unavailable"
  | "redis-timeout"
  | "redis-not-ready"
  | "redis-bad-reply"
  | "redis-walk-incomplete"
  | "duplicate-key"
  | "session-exists"
  | "session-missing"
  | "configuration"
  | "read-only-session"
  | "user-exists"
  | "usage"
  | "command-failed";

/**
 * Base class of every error sessionbridge throws on purpose.
 *
 * Each subclass names its reason in a `static code` (as jose's errors do), which every instance
 * carries as `code`: `err.code === MalformedError.code` needs no `instanceof`, and survives a
 * second copy of the package in `node_modules`. Only subclasses are thrown.
 *
 * @example
 * ```ts
 * import { MalformedError, SessionBridgeError } from "sessionbridge/errors";
 * const err: unknown = new MalformedError("Invalid JSON");
 * if (err instanceof SessionBridgeError && err.code === MalformedError.code) console.log(err.name); // "MalformedError"
 * ```
 */
export abstract class SessionBridgeError extends Error {
  /** The reason every instance of this class carries as `code`. */
  static readonly code: SessionBridgeErrorCode;

  /** Stable machine-readable reason: the class's `static code`. */
  readonly code: SessionBridgeErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = new.target.code;
    this.name = new.target.name;
  }
}

/**
 * A signed value failed verification: wrong key, wrong salt, tampered or truncated.
 * Treated as "no session" by the engine; never logged at error level.
 *
 * @example
 * ```ts
 * import { BadSignatureError } from "sessionbridge/errors";
 * new BadSignatureError().code; // "bad-signature"
 * ```
 */
export class BadSignatureError extends SessionBridgeError {
  static override readonly code = "bad-signature";
  constructor(message = "Signature does not match") {
    super(message);
  }
}

/**
 * A signature was valid but its timestamp is older than the allowed age (or in the future).
 *
 * @example
 * ```ts
 * import { SignatureExpiredError } from "sessionbridge/errors";
 * new SignatureExpiredError(120, 60).age; // 120
 * ```
 */
export class SignatureExpiredError extends SessionBridgeError {
  static override readonly code = "expired";
  /** Age of the value in seconds at verification time (negative for a future timestamp). */
  readonly age: number;
  constructor(age: number, maxAge: number) {
    super(`Signature age ${age} s is outside the allowed ${maxAge} s`);
    this.age = age;
  }
}

/**
 * A value is structurally invalid: bad base64, bad JSON, bad zlib, wrong shape (also a reply
 * or row from a store that does not have the shape the format needs).
 *
 * @example
 * ```ts
 * import { MalformedError } from "sessionbridge/errors";
 * new MalformedError("Invalid JSON").code; // "malformed"
 * ```
 */
export class MalformedError extends SessionBridgeError {
  static override readonly code = "malformed";
}

/**
 * A value exceeds a size limit (cookie too big, decompression bomb, oversized payload).
 *
 * @example
 * ```ts
 * import { TooLargeError } from "sessionbridge/errors";
 * new TooLargeError("cookie is 5000 bytes").code; // "too-large"
 * ```
 */
export class TooLargeError extends SessionBridgeError {
  static override readonly code = "too-large";
}

/**
 * A session value the chosen format cannot hold: a `timedelta` in JSON, a `bigint` beyond
 * msgpack's 64 bits, a recursive structure in a pickle, a `Date` instead of a `PyDateTime`.
 * Python raises `TypeError` (or `ValueError`) for the same values; nothing is written.
 *
 * @example
 * ```ts
 * import { UnsupportedValueError } from "sessionbridge/errors";
 * new UnsupportedValueError("Object of type timedelta is not JSON serializable").code; // "unsupported-value"
 * ```
 */
export class UnsupportedValueError extends SessionBridgeError {
  static override readonly code = "unsupported-value";
}

/**
 * A call got an argument it cannot use: the wrong type, or a number out of range (a fractional
 * `setExpiry`, a username that is empty, a password that is not a string). Options given at
 * construction are {@link ConfigurationError} instead.
 *
 * @example
 * ```ts
 * import { InvalidArgumentError } from "sessionbridge/errors";
 * new InvalidArgumentError("setExpiry takes whole seconds").code; // "invalid-argument"
 * ```
 */
export class InvalidArgumentError extends SessionBridgeError {
  static override readonly code = "invalid-argument";
}

/**
 * The session store could not be reached or failed (network, driver, SQL error).
 * Adapters answer 503 by default. The message names the store, never its credentials.
 * Subclasses name a more precise reason (a Redis command timing out, a Redis client not ready).
 *
 * @example
 * ```ts
 * import { SessionStoreError } from "sessionbridge/errors";
 * new SessionStoreError("Redis session store redis:django-cache failed: ECONNREFUSED").status; // 503
 * ```
 */
export class SessionStoreError extends SessionBridgeError {
  static override readonly code: SessionBridgeErrorCode = "store-unavailable";
  /** Suggested HTTP status (also what Express's final handler uses): 503 Service Unavailable. */
  readonly status = 503;
}

/**
 * A write hit a key or unique value that already exists (a SQL primary key or unique index).
 * Not an outage: the stores turn it into {@link SessionExistsError}, the user source into
 * {@link UserExistsError}; elsewhere it answers 409 Conflict.
 *
 * @example
 * ```ts
 * import { DuplicateKeyError } from "sessionbridge/errors";
 * new DuplicateKeyError("SQL session store (sqlite) failed: UNIQUE constraint failed").status; // 409
 * ```
 */
export class DuplicateKeyError extends SessionBridgeError {
  static override readonly code = "duplicate-key";
  /** Suggested HTTP status: 409 Conflict. */
  readonly status = 409;
}

/**
 * `save({ mustCreate: true })` found the key already taken (Django's `CreateError`).
 *
 * @example
 * ```ts
 * import { SessionExistsError } from "sessionbridge/errors";
 * new SessionExistsError().code; // "session-exists"
 * ```
 */
export class SessionExistsError extends SessionBridgeError {
  static override readonly code = "session-exists";
  constructor() {
    super("Session key already exists");
  }
}

/**
 * An update found the session gone: it was deleted (for example by a concurrent logout)
 * while the request ran. Django's `UpdateError`; the adapters answer 400 like Django's
 * `SessionInterrupted`.
 *
 * @example
 * ```ts
 * import { SessionMissingError } from "sessionbridge/errors";
 * new SessionMissingError().status; // 400
 * ```
 */
export class SessionMissingError extends SessionBridgeError {
  static override readonly code = "session-missing";
  /** Suggested HTTP status: 400, as Django's `SessionInterrupted`. */
  readonly status = 400;
  constructor() {
    super("The request's session was deleted before the request completed");
  }
}

/**
 * Invalid configuration: unparseable `DATABASE_URL`, missing secret, an option out of range or
 * of the wrong kind, a middleware used before the one it needs. Every option check throws it.
 *
 * @example
 * ```ts
 * import { ConfigurationError } from "sessionbridge/errors";
 * new ConfigurationError("cookieAge must be a positive whole number of seconds").code; // "configuration"
 * ```
 */
export class ConfigurationError extends SessionBridgeError {
  static override readonly code = "configuration";
}

/**
 * A write to a session that cannot be written where it is: a Next.js Server Component renders
 * while the response's headers are already fixed, so it may read the session but not change
 * it. The message names where writes go (a Server Action, a Route Handler, `proxy.ts`).
 *
 * @example
 * ```ts
 * import { ReadOnlySessionError } from "sessionbridge/errors";
 * new ReadOnlySessionError("set").code; // "read-only-session"
 * ```
 */
export class ReadOnlySessionError extends SessionBridgeError {
  static override readonly code = "read-only-session";

  /** `method`: the session method that was called (`set`, `flush`…). */
  constructor(method: string) {
    super(
      `session.${method}() in a Server Component: Next.js sets no cookie while it renders, so the session is read-only here. ` +
        "Change it in a Server Action or a Route Handler (sessions.action(await cookies()) then commit(), or sessions.route(handler)), or in proxy.ts",
    );
  }
}

/**
 * A user with that `USERNAME_FIELD` value already exists (`DjangoUserSource.createUser`; the
 * unique violation Django's form validation reports as "A user with that username already
 * exists."). The username is a property, not part of the message, so logs stay free of it.
 *
 * @example
 * ```ts
 * import { UserExistsError } from "sessionbridge/errors";
 * new UserExistsError("alice").username; // "alice"
 * ```
 */
export class UserExistsError extends SessionBridgeError {
  static override readonly code = "user-exists";
  /** The (normalised) username that is taken. */
  readonly username: string;
  constructor(username: string, options?: { cause?: unknown }) {
    super("A user with that username already exists.", options);
    this.username = username;
  }
}

/**
 * The HTTP status an adapter answers with for this error, if it has one (503 for store errors,
 * 400 for a session deleted mid-request, 409 for a duplicate key).
 *
 * @example
 * ```ts
 * import { SessionStoreError, httpStatusOf } from "sessionbridge/errors";
 * httpStatusOf(new SessionStoreError("down")); // 503
 * ```
 */
export function httpStatusOf(error: unknown): number | undefined {
  if (
    error instanceof SessionStoreError ||
    error instanceof SessionMissingError ||
    error instanceof DuplicateKeyError
  )
    return error.status;
  return undefined;
}

/**
 * True for any error sessionbridge throws on purpose.
 *
 * @example
 * ```ts
 * import { MalformedError, isSessionBridgeError } from "sessionbridge/errors";
 * isSessionBridgeError(new MalformedError("bad")); // true
 * ```
 */
export function isSessionBridgeError(value: unknown): value is SessionBridgeError {
  return value instanceof SessionBridgeError;
}
