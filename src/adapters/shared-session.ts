/**
 * What the adapters' session halves share: the error of `getSession()` (or NestJS's `@Session()`)
 * on a request the session middleware did not run on.
 */
import { ConfigurationError } from "../errors.ts";

/**
 * The error of `getSession()` on a request without a session; `fix` says what to do, in the
 * adapter's own words (Fastify registers plugins, the Web adapter opens sessions).
 *
 * @example
 * ```ts
 * if (!session) throw missingSessionError("register sessionMiddleware() first");
 * ```
 */
export function missingSessionError(fix = "add sessionMiddleware() first"): ConfigurationError {
  return new ConfigurationError(`No session on this request: ${fix}`);
}
