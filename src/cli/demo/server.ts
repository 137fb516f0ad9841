/**
 * The `demo` server: the `serve` auth app (login, logout, whoami, forward auth) plus the demo's
 * two apps on the same store, cookie and users: the home page (node:http adapter) at `/` and a
 * JSON API (Hono adapter) at `/backend`.
 */
import { createServer, type Server } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { withSessions } from "../../adapters/node/index.ts";
import { authApp } from "../serve/auth-app.ts";
import type { AuthServerOptions } from "../serve/server.ts";
import { backendApp } from "./backend-app.ts";
import { demoHome, type DemoFacts } from "./home.ts";

/** Options of {@link createDemoServer}: the auth server's, and what the page says. */
export interface DemoServerOptions extends Omit<AuthServerOptions, "fallback" | "loginHint"> {
  readonly facts: DemoFacts;
}

/** Creates the server (not yet listening). */
export function createDemoServer(options: DemoServerOptions): Server {
  const { store, settings, auth, onError, facts, ...app } = options;
  const page = withSessions(
    { store, ...settings, ...(onError ? { onError } : {}) },
    authApp({
      ...app,
      auth,
      trustedProxies: options.trustedProxies ?? 0,
      loginHint: `No user yet? Create one: <code>npx sessionbridge createsuperuser --django-version ${facts.djangoVersion}</code> (in sessionbridge's own repository: <code>npm run cli -- createsuperuser --django-version ${facts.djangoVersion}</code>), as Django's <code>manage.py createsuperuser</code>.`,
      fallback: demoHome(auth, facts),
    }),
  );
  const backend = getRequestListener(backendApp(store, settings, auth).fetch);
  return createServer((req, res) => {
    const path = req.url ?? "/";
    if (path === "/backend" || path.startsWith("/backend/") || path.startsWith("/backend?")) {
      void backend(req, res);
    } else page(req, res);
  });
}
