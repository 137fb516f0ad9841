// The Express adapter on both supported majors: Express 5 (`express`) and Express 4 (the
// devDependency `express4`, an npm alias of express@4), each app over real HTTP.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { after, before, describe, it } from "node:test";
import express, { type Request, type RequestHandler, type Response } from "express";
import express4 from "express4";
import {
  getSession,
  sessionErrorHandler,
  sessionMiddleware,
} from "../../src/adapters/express/index.ts";
import { MemoryStore } from "../../src/stores/memory/index.ts";
import { downStore } from "../support/stores.ts";
import { listen } from "../support/http.ts";
import { sharedAdapterBehaviour } from "./shared-behaviour.ts";

type Shape = { visits: number };

/**
 * An async route as Express 4 apps write them: Express 4 does not catch a rejected handler
 * (Express 5 does), so errors go to `next` by hand; on Express 5 this changes nothing.
 */
function route(handler: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return (req, res, next) => {
    handler(req, res).catch(next);
  };
}

const unreachable = await downStore();

function buildApp(framework: typeof express): express.Express {
  const app = framework();
  const down = framework.Router();
  down.use(sessionMiddleware({ djangoVersion: "5.2", store: unreachable }));
  down.get(
    "/outage",
    route(async (req, res) => {
      res.json({ visits: (await getSession<Shape>(req).get("visits")) ?? null });
    }),
  );
  app.use(down);
  app.use(sessionMiddleware({ djangoVersion: "5.2", store: new MemoryStore() }));
  app.get(
    "/count",
    route(async (req, res) => {
      const session = getSession<Shape>(req);
      const visits = ((await session.get("visits")) ?? 0) + 1;
      await session.set("visits", visits);
      res.json({ visits });
    }),
  );
  app.get(
    "/read",
    route(async (req, res) => {
      res.json({ visits: (await getSession<Shape>(req).get("visits")) ?? null });
    }),
  );
  app.get("/plain", (_req, res) => {
    res.send("plain");
  });
  app.get(
    "/flush",
    route(async (req, res) => {
      await getSession(req).flush();
      res.send("flushed");
    }),
  );
  app.get(
    "/boom",
    route(async (req, res) => {
      await getSession<Shape>(req).set("visits", 99);
      res.status(500).send("boom");
    }),
  );
  app.use(sessionErrorHandler());
  return app;
}

const require = createRequire(import.meta.url);
for (const [name, framework, major] of [
  ["Express 5", express, "5"],
  ["Express 4", express4, "4"],
] as const) {
  describe(`${name} adapter over real HTTP`, () => {
    let server: Awaited<ReturnType<typeof listen>>;
    before(async () => {
      server = await listen(createServer(buildApp(framework)));
    });
    after(() => server.close());
    it(`runs on Express ${major}`, () => {
      const pkg = require(`${major === "4" ? "express4" : "express"}/package.json`) as {
        version: string;
      };
      assert.equal(pkg.version.split(".")[0], major);
    });
    sharedAdapterBehaviour(() => server.url);
  });
}
