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
export interface AuthServerOptions extends Omit<AuthAppOptions, "auth" | "trustProxy"> {
  readonly store: SessionStore;
  readonly settings: SessionSettings;
  readonly auth: AuthConfig;
  /** Trust `X-Forwarded-*` (client IP, scheme, host): only behind your own proxy. */
  readonly trustProxy?: boolean;
  /** Where request-level failures are reported (store outages → 503). */
  readonly onError?: (error: unknown) => void;
}

/** Creates the server (not yet listening). */
export function createAuthServer(options: AuthServerOptions): Server {
  const { store, settings, onError, ...app } = options;
  return createServer(
    withSessions(
      { store, ...settings, ...(onError ? { onError } : {}) },
      authApp({ ...app, trustProxy: options.trustProxy ?? false }),
    ),
  );
}
