/**
 * The `serve` server: one node:http server running the auth app (login, logout, whoami, forward
 * auth) on the deployment's sessions and users. Needs no optional framework package.
 */
import { createServer, type Server } from "node:http";
import { withSessions } from "../../adapters/node/index.ts";
import type { AuthConfig } from "../../auth/config.ts";
import type { SessionSettings } from "../../engine/config.ts";
import type { SessionStore } from "../../stores/contract.ts";
import { authApp, type AuthAppOptions } from "./auth-app.ts";

/** Options of {@link createAuthServer}. */
export interface AuthServerOptions extends Omit<AuthAppOptions, "auth" | "trustedProxies"> {
  readonly store: SessionStore;
  readonly settings: SessionSettings;
  readonly auth: AuthConfig;
  /**
   * How many proxies of your own are in front (default 0: `X-Forwarded-*` ignored): the client
   * address is the one the outermost of them appended to `X-Forwarded-For`.
   */
  readonly trustedProxies?: number;
  /** Where request-level failures are reported (store outages → 503). */
  readonly onError?: (error: unknown) => void;
  /** A header naming the session instead of the cookie (allauth's `X-Session-Token`). */
  readonly sessionTokenHeader?: string;
}

/** Creates the server (not yet listening). */
export function createAuthServer(options: AuthServerOptions): Server {
  const { store, settings, onError, sessionTokenHeader, ...app } = options;
  return createServer(
    withSessions(
      {
        store,
        ...settings,
        ...(onError ? { onError } : {}),
        ...(sessionTokenHeader === undefined ? {} : { sessionTokenHeader }),
      },
      authApp({ ...app, trustedProxies: options.trustedProxies ?? 0 }),
    ),
  );
}
