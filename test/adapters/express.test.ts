import { after, before, describe } from "node:test";
import express, { type Request } from "express";
import { createServer } from "node:http";
import {
  getSession,
  sessionErrorHandler,
  sessionMiddleware,
} from "../../src/adapters/express/index.ts";
import { MemoryStore } from "../../src/stores/memory/index.ts";
import { DownStore } from "../support/stores.ts";
import { listen } from "../support/http.ts";
import { sharedAdapterBehaviour } from "./shared-behaviour.ts";

type Shape = { visits: number };

function buildApp(): express.Express {
  const app = express();
  const down = express.Router();
  down.use(sessionMiddleware({ store: new DownStore() }));
  down.get("/outage", async (req: Request, res) => {
    res.json({ visits: (await getSession<Shape>(req).get("visits")) ?? null });
  });
  app.use(down);
  app.use(sessionMiddleware({ store: new MemoryStore() }));
  app.get("/count", async (req, res) => {
    const session = getSession<Shape>(req);
    const visits = ((await session.get("visits")) ?? 0) + 1;
    await session.set("visits", visits);
    res.json({ visits });
  });
  app.get("/read", async (req, res) => {
    res.json({ visits: (await getSession<Shape>(req).get("visits")) ?? null });
  });
  app.get("/plain", (_req, res) => {
    res.send("plain");
  });
  app.get("/flush", async (req, res) => {
    await getSession(req).flush();
    res.send("flushed");
  });
  app.get("/boom", async (req, res) => {
    await getSession<Shape>(req).set("visits", 99);
    res.status(500).send("boom");
  });
  app.use(sessionErrorHandler());
  return app;
}

describe("Express 5 adapter over real HTTP", () => {
  let server: Awaited<ReturnType<typeof listen>>;
  before(async () => {
    server = await listen(createServer(buildApp()));
  });
  after(() => server.close());
  sharedAdapterBehaviour(() => server.url);
});
