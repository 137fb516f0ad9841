/**
 * What every adapter does with a session error nobody asked to see: say it on stderr.
 *
 * A save that fails after the handler has finished (a store outage at the end of a request)
 * has no caller left to catch it; answering 503 without a word would leave the operator with
 * nothing in the logs. Our own errors print one line (their messages never carry a secret,
 * a key or data); anything else is an application or driver error and prints with its stack,
 * as Express's final handler and Hono's default `onError` print theirs.
 */
import { isSessionBridgeError } from "../errors.ts";

/** An adapter's `onError` option: called once per failed request, must not throw. */
export type SessionErrorReporter = (error: unknown) => void;

/**
 * The default {@link SessionErrorReporter}: one line on stderr for a sessionbridge error, the
 * error with its stack for any other.
 *
 * @example
 * ```ts
 * sessionMiddleware({ store, djangoVersion: "5.2", onError: (error) => { myLogger.error(error); } }); // replaces it
 * ```
 */
export const reportToStderr: SessionErrorReporter = (error) => {
  if (isSessionBridgeError(error)) {
    console.error(`sessionbridge: ${error.code}: ${error.message}`);
  } else {
    console.error("sessionbridge: the session step failed:", error);
  }
};
