// The Node side of the Flask interop tests: the same scenarios as peer.py, built from TS values,
// served by the node adapter or the Hono adapter with a Flask-format policy.
import { createServer, type Server } from "node:http";
import { Hono } from "hono";
import { serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { AddressInfo } from "node:net";
import { dumpsFlaskTaggedJson } from "../../../src/codecs/flask/tagged-json.ts";
import {
  PyDateTime,
  PyFloat,
  PyMarkup,
  PyTuple,
  PyUUID,
  type PyValue,
  type SessionData,
} from "../../../src/codecs/python-values.ts";
import type { SessionPolicy } from "../../../src/engine/policy.ts";
import type { Session } from "../../../src/engine/session.ts";
import { withSessions } from "../../../src/adapters/node/index.ts";
import {
  sessionMiddleware as honoSessions,
  type SessionEnv,
} from "../../../src/adapters/hono/index.ts";
import {
  flaskLoginUser,
  loginFlaskUser,
  logoutFlaskUser,
  setPermanent,
} from "../../../src/flask/index.ts";
import { listen } from "../../support/http.ts";

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

/** The TS twin of peer.py's `scenario(name)`. */
export function scenario(name: string): SessionData {
  const m = (o: Record<string, PyValue>): SessionData => new Map(Object.entries(o));
  switch (name) {
    case "plain":
      return m({
        user: "alice",
        n: 42,
        flag: true,
        nothing: null,
        f: 1.5,
        one: new PyFloat(1),
        big: 12345678901234567890n,
        neg: -7,
      });
    case "unicode":
      return m({ name: "Zo\u00eb \u{1f389}", "k\u00e9y": "\u2603", "\uff5e": 1, "\u{1f600}": 2 });
    case "nested":
      return m({ cart: { items: [{ sku: "a", qty: 2 }], total: 12.5 }, list: [1, [2, [3]]] });
    case "tagged":
      return m({
        tuple: new PyTuple([1, "a", new PyTuple([2])]),
        bytes: bytes(0, 255, ...Buffer.from("hello")),
        uuid: new PyUUID("12345678123456781234567812345678"),
        dt: new PyDateTime(2024, 1, 2, 3, 4, 5, 0, 0),
        markup: new PyMarkup("<b>hi</b>"),
        escaped: { " t": "x" },
        list_of_tuples: [new PyTuple(["message", "Hello"])],
      });
    case "typed":
      return m({
        tuple: new PyTuple([1, "a"]),
        bytes: bytes(0, 255),
        dt: new PyDateTime(2024, 1, 2, 3, 4, 5, 123000, 0),
      });
    case "large":
      return m({
        blob: "lorem ipsum dolor ".repeat(300),
        n: Array.from({ length: 200 }, (_, i) => i),
      });
    case "permanent":
      return m({ user: "alice" });
    default:
      throw new Error(`unknown scenario ${name}`);
  }
}

export const USERS = new Map([
  ["42", { id: "42", name: "The Answer" }],
  ["alice", { id: "alice", name: "Alice" }],
  ["7", { id: "7", name: "Seven" }],
]);

export interface NodeReply {
  status: number;
  body: unknown;
}

/** The routes, framework-free: path → reply, given the session and request facts. */
export async function route(
  session: Session,
  path: string,
  info: { remoteAddr?: string | undefined; userAgent?: string | undefined },
): Promise<NodeReply> {
  const [, first = "", arg = ""] = path.split("?")[0]!.split("/");
  switch (first) {
    case "set": {
      for (const [k, v] of scenario(arg)) await session.set(k, v);
      if (arg === "permanent") await setPermanent(session, true);
      return { status: 200, body: { ok: true } };
    }
    case "dump":
      return { status: 200, body: { canonical: dumpsFlaskTaggedJson(await session.toMap()) } };
    case "canonical":
      return {
        status: 200,
        body: {
          canonical: dumpsFlaskTaggedJson(
            arg === "permanent" ? new Map([...scenario(arg), ["_permanent", true]]) : scenario(arg),
          ),
        },
      };
    case "me": {
      // Flask-Login's default SESSION_PROTECTION ("basic") on the request's address and agent.
      const user = await flaskLoginUser(session, (id) => USERS.get(id), { request: info });
      const visits = (await session.get("visits")) ?? null;
      const flashes = (await session.get("_flashes")) ?? [];
      return {
        status: 200,
        body: {
          user: user?.id ?? null,
          visits,
          pending_flashes: (flashes as PyTuple[]).map((t) => t.items),
        },
      };
    }
    case "visit": {
      const visits = ((await session.get("visits")) as number | undefined) ?? 0;
      await session.set("visits", visits + 1);
      return { status: 200, body: { visits: visits + 1 } };
    }
    case "login":
      await loginFlaskUser(session, arg, { identifier: info });
      return { status: 200, body: { ok: true } };
    case "logout":
      await logoutFlaskUser(session);
      return { status: 200, body: { ok: true } };
    case "clear":
      session.clear();
      return { status: 200, body: { ok: true } };
    case "plain":
      return { status: 200, body: { ok: true } };
    default:
      return { status: 404, body: { error: "not found" } };
  }
}

export interface NodeApp {
  url: string;
  close(): Promise<void>;
}

/** The routes behind the node adapter (`withSessions`). */
export type RouteFn = typeof route;

export async function startNodeApp(
  policy: SessionPolicy,
  routes: RouteFn = route,
): Promise<NodeApp> {
  const server: Server = createServer(
    withSessions({ policy }, async (req, res) => {
      const reply = await routes(req.session, req.url ?? "/", {
        remoteAddr: req.socket.remoteAddress,
        userAgent: req.headers["user-agent"],
      });
      res.statusCode = reply.status;
      res.setHeader("Content-Type", "application/json");
      res.end(
        JSON.stringify(reply.body, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v)),
      );
    }),
  );
  return listen(server);
}

/** The routes behind the Hono adapter, served by @hono/node-server. */
export async function startHonoApp(
  policy: SessionPolicy,
  routes: RouteFn = route,
): Promise<NodeApp> {
  const app = new Hono<SessionEnv>();
  app.use(honoSessions({ policy }));
  app.all("*", async (c) => {
    const reply = await routes(c.get("session"), new URL(c.req.url).pathname, {
      remoteAddr: getConnInfo(c).remote.address,
      userAgent: c.req.header("user-agent"),
    });
    return c.json(reply.body as object, reply.status as 200);
  });
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () =>
      resolve(s as Server),
    );
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
