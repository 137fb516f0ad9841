/**
 * The demo's page app, mounted at `/`: a plain node:http handler (through the node adapter)
 * that counts visits in the session, as the seed scenario's server-rendered app does.
 */
import type { ServerResponse } from "node:http";
import { getSession, type RequestWithSession } from "../../adapters/node/index.ts";

type DemoShape = { visits: number };

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Handles every request that is not under `/backend`. */
export async function pageApp(req: RequestWithSession, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const session = getSession<DemoShape>(req);
  if (url.pathname === "/healthz") {
    res.setHeader("Content-Type", "text/plain; charset=utf-8");
    res.end("ok\n");
    return;
  }
  if (url.pathname === "/reset" && req.method === "POST") {
    await session.flush();
    res.statusCode = 303;
    res.setHeader("Location", "/");
    res.end();
    return;
  }
  if (url.pathname !== "/") {
    res.statusCode = 404;
    res.setHeader("Content-Type", "text/plain; charset=utf-8");
    res.end("Not found\n");
    return;
  }
  const visits = ((await session.get("visits")) ?? 0) + 1;
  await session.set("visits", visits);
  res.setHeader("Content-Type", "text/html; charset=utf-8");
  res.end(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>sessionbridge demo</title></head>
<body>
<h1>sessionbridge demo</h1>
<p>You have visited this page <strong id="visits">${visits}</strong> time${visits === 1 ? "" : "s"}.</p>
<p>The JSON API at <a href="/backend/session">/backend/session</a> is a separate app (Hono) that reads the same session.</p>
<p>Session key: <code>${escapeHtml((session.key ?? "(new)").slice(0, 6))}…</code></p>
<form method="post" action="/reset"><button type="submit">Forget me</button></form>
</body>
</html>
`);
}
