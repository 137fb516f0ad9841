/**
 * The `serve` server: one node:http server that dispatches `/backend/*` to the Hono app and
 * everything else to the page app (login, logout, whoami, forward auth), both on the same
 * store, cookie and users.
 */
import { createServer, type Server } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { withSessions } from "../../adapters/node/index.ts";
import type { AuthConfig } from "../../auth/config.ts";
import type { SessionSettings } from "../../engine/config.ts";
import type { SessionStore } from "../../stores/contract.ts";
import { backendApp } from "./backend-app.ts";
import { pageApp } from "./page-app.ts";

/** Options of {@link createDemoServer}. */
export interface DemoServerOptions {
  readonly store: SessionStore;
  readonly settings: SessionSettings;
  readonly auth: AuthConfig;
  /**
   * How many proxies of your own are in front (default 0: `X-Forwarded-*` ignored): the client
   * address is the one the outermost of them appended to `X-Forwarded-For`.
   */
  readonly trustedProxies?: number;
  /** The login page's URL, for forward-auth redirects; default `/login`. */
  readonly loginUrl?: string;
  /** Where request-level failures are reported (store outages → 503). */
  readonly onError?: (error: unknown) => void;
}

/** Creates the server (not yet listening). */
export function createDemoServer(options: DemoServerOptions): Server {
  const { store, settings, auth, onError } = options;
  const page = withSessions(
    { store, ...settings, ...(onError ? { onError } : {}) },
    pageApp({
      auth,
      trustedProxies: options.trustedProxies ?? 0,
      loginUrl: options.loginUrl ?? "/login",
    }),
  );
  const backend = getRequestListener(backendApp(store, settings, auth).fetch);
  return createServer((req, res) => {
    const path = req.url ?? "/";
    if (path === "/backend" || path.startsWith("/backend/")) void backend(req, res);
    else page(req, res);
  });
}
