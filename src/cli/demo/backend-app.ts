/**
 * The demo's second app, mounted at `/backend`: a JSON API written against the Hono adapter
 * that reads the very session the page app writes, through the same store.
 */
import { Hono } from "hono";
import { sessionMiddleware, type SessionEnv } from "../../adapters/hono/index.ts";
import type { SessionSettings } from "../../engine/config.ts";
import type { SessionStore } from "../../stores/contract.ts";

/** Builds the `/backend` app. */
export function backendApp(store: SessionStore, settings: SessionSettings): Hono<SessionEnv> {
  const app = new Hono<SessionEnv>({ strict: false });
  app.use(sessionMiddleware({ store, ...settings }));
  app.get("/backend/session", async (c) => {
    const session = c.get("session");
    const visits = await session.get("visits");
    return c.json({ visits: typeof visits === "number" ? visits : 0, keys: await session.keys() });
  });
  app.notFound((c) => c.json({ error: "not found" }, 404));
  return app;
}
