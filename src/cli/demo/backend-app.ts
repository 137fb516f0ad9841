/**
 * The demo's second app, mounted at `/backend`: a JSON API written against the Hono adapters
 * that reads the very session the page app writes, and requires login (401 JSON otherwise).
 */
import { Hono } from "hono";
import { authMiddleware, loginRequired, type AuthEnv } from "../../adapters/hono/auth.ts";
import type { AuthConfig } from "../../auth/config.ts";
import { sessionMiddleware, type SessionEnv } from "../../adapters/hono/index.ts";
import type { SessionSettings } from "../../engine/config.ts";
import type { SessionStore } from "../../stores/contract.ts";

type Env = { Variables: SessionEnv["Variables"] & AuthEnv["Variables"] };

/** Builds the `/backend` app. */
export function backendApp(
  store: SessionStore,
  settings: SessionSettings,
  auth: AuthConfig,
): Hono<Env> {
  const app = new Hono<Env>({ strict: false });
  app.use(sessionMiddleware({ store, ...settings }));
  app.use(authMiddleware(auth));
  app.use("/backend", loginRequired({ api: true }));
  app.use("/backend/*", loginRequired({ api: true }));
  app.get("/backend", (c) =>
    c.json({
      app: "the demo's JSON API (Hono adapter), on the page app's session",
      endpoints: { "/backend/session": "who is logged in, the visit count, the session's keys" },
    }),
  );
  app.get("/backend/session", async (c) => {
    const session = c.get("session");
    const user = await c.get("user");
    const visits = await session.get("visits");
    return c.json({
      user: user.isAuthenticated ? { id: String(user.id), username: user.username } : null,
      visits: typeof visits === "number" ? visits : 0,
      keys: await session.keys(),
    });
  });
  app.notFound((c) => c.json({ error: "not found" }, 404));
  return app;
}
