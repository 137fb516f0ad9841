/**
 * The `serve` demo: one node:http server that dispatches `/backend/*` to the Hono app and
 * everything else to the page app, both on the same store and cookie.
 */
import { createServer, type Server } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { withSessions } from "../../adapters/node/index.ts";
import type { SessionSettings } from "../../engine/config.ts";
import type { SessionStore } from "../../stores/contract.ts";
import { backendApp } from "./backend-app.ts";
import { pageApp } from "./page-app.ts";

/** Options of {@link createDemoServer}. */
export interface DemoServerOptions {
  readonly store: SessionStore;
  readonly settings: SessionSettings;
  /** Where request-level failures are reported (store outages → 503). */
  readonly onError?: (error: unknown) => void;
}

/** Creates the demo server (not yet listening). */
export function createDemoServer(options: DemoServerOptions): Server {
  const { store, settings, onError } = options;
  const page = withSessions({ store, ...settings, ...(onError ? { onError } : {}) }, pageApp);
  const backend = getRequestListener(backendApp(store, settings).fetch);
  return createServer((req, res) => {
    const path = req.url ?? "/";
    if (path === "/backend" || path.startsWith("/backend/")) void backend(req, res);
    else page(req, res);
  });
}
