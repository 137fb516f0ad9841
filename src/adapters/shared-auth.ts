/**
 * What the adapters' auth halves share: the missing-session message and its log-once rule, and
 * the error of `getAuth`/`getUser` on a request the auth middleware did not run on.
 */
import { ConfigurationError } from "../errors.ts";

/** The one-line fix for an auth middleware mounted without (or before) the session middleware. */
export const MISSING_SESSION_MESSAGE =
  "authMiddleware() needs sessionMiddleware() before it: app.use(sessionMiddleware({ store, djangoVersion })); app.use(authMiddleware({ users, secretKey, djangoVersion }))";

/**
 * The error of `getAuth()`/`getUser()` on a request `authMiddleware()` did not run on.
 *
 * @example
 * ```ts
 * if (!auth) throw missingAuthError("register"); // Fastify's word for a plugin
 * ```
 */
export function missingAuthError(verb: "add" | "register" = "add"): ConfigurationError {
  return new ConfigurationError(`No auth on this request: ${verb} authMiddleware() first`);
}

/**
 * A reporter that logs the configuration error once per middleware (then stays quiet, the
 * 500 answers continue).
 *
 * @example
 * ```ts
 * const report = missingSessionReporter(options.onError);
 * report(); // logs and returns the error
 * ```
 */
export function missingSessionReporter(
  onError: ((error: unknown) => void) | undefined,
): () => ConfigurationError {
  let reported = false;
  return () => {
    const error = new ConfigurationError(MISSING_SESSION_MESSAGE);
    if (!reported) {
      reported = true;
      if (onError) onError(error);
      else console.error(`sessionbridge: ${MISSING_SESSION_MESSAGE}`);
    }
    return error;
  };
}
