/**
 * What the three adapters share: the missing-session message and its log-once rule.
 */
import { ConfigurationError } from "../errors.ts";

/** The one-line fix for an auth middleware mounted without (or before) the session middleware. */
export const MISSING_SESSION_MESSAGE =
  "authMiddleware() needs sessionMiddleware() before it: app.use(sessionMiddleware({ store })); app.use(authMiddleware({ users, secretKey }))";

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
