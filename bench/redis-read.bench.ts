// Issue 3 benchmark: the read path of a request carrying a Django session cookie whose session
// lives in Redis in the django-redis layout (pickle), answering the user id. In one run:
//  - a bare node:http server doing one Redis GET + JSON.parse with the same client (the floor),
//  - our node:http adapter on DjangoCacheStore,
//  - the bare server's work as a plain Express route (Express's own floor),
//  - our Express adapter on DjangoCacheStore,
//  - express-session + connect-redis holding the same data (it also touches on every read).
// Targets: node adapter ≥ 0.85× the bare server; Express adapter ≥ 2.5× express-session.
// Contenders run in interleaved rounds; each reports its median round (see compareLoad).
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import express from "express";
import expressSession from "express-session";
import { RedisStore } from "connect-redis";
import { getSession as expressGetSession, sessionMiddleware } from "sessionbridge/express";
import { getSession, withSessions } from "sessionbridge/node";
import { DjangoCacheStore } from "sessionbridge/stores/redis";
import {
  DJANGO_LOGIN,
  compareLoad,
  redisLogin,
  report,
  startServer,
  type RoundsMeasurement,
} from "./support.ts";

const login = await redisLogin(
  `bench${process.pid}`,
  (client, keyPrefix) => new DjangoCacheStore({ client, keyPrefix }),
);
const { client, prefix, store, key } = login;

const bare = await startServer(
  createServer((req, res) => {
    void login.plainUserId(req.headers.cookie).then((id) => {
      res.setHeader("Content-Type", "text/plain");
      res.end(id);
    });
  }),
);

const node = await startServer(
  createServer(
    withSessions({ djangoVersion: "5.2", store }, async (req, res) => {
      const id = await getSession(req).get("_auth_user_id");
      res.setHeader("Content-Type", "text/plain");
      res.end(typeof id === "string" ? id : "");
    }),
  ),
);

const ours = express();
ours.use(sessionMiddleware({ djangoVersion: "5.2", store }));
ours.get("/", async (req, res) => {
  const id = await expressGetSession(req).get("_auth_user_id");
  res.type("text/plain").send(typeof id === "string" ? id : "");
});
const oursExpress = await startServer(createServer(ours));

// Express's own floor: the bare server's work (one GET + JSON.parse) as an Express route, no
// session middleware. No Express session middleware can be faster than this.
const expressFloorApp = express();
expressFloorApp.get("/", async (req, res) => {
  res.type("text/plain").send(await login.plainUserId(req.headers.cookie));
});
const expressFloor = await startServer(createServer(expressFloorApp));

const SECRET = "bench-secret";
const theirsStore = new RedisStore({ client, prefix: `${prefix}:sess:` });
const theirs = express();
theirs.use(
  expressSession({
    secret: SECRET,
    store: theirsStore,
    resave: false,
    saveUninitialized: false,
    name: "sessionid",
  }),
);
theirs.get("/", (req, res) => {
  res
    .type("text/plain")
    .send((req.session as unknown as { _auth_user_id?: string })._auth_user_id ?? "");
});
const sid = "benchsessionidbenchsessionid0002";
await client.set(
  `${prefix}:sess:${sid}`,
  JSON.stringify({
    cookie: {
      originalMaxAge: 1209600000,
      expires: new Date(Date.now() + 1209600000),
      httpOnly: true,
      path: "/",
    },
    ...DJANGO_LOGIN,
  }),
  { EX: 1209600 },
);
const signed = `${sid}.${createHmac("sha256", SECRET).update(sid).digest("base64").replace(/=+$/, "")}`;
const theirsServer = await startServer(createServer(theirs));

const total = Number(process.env.BENCH_REQUESTS ?? 10_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
// Requests in flight; BENCH_CONCURRENCY=1 measures latency (express-session's touch round trip
// then shows in full) instead of throughput.
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const ourCookie = `sessionid=${key}`;
const [floor, nodeRun, expressFloorRun, oursRun, theirsRun] = (await compareLoad(
  [
    {
      name: "bare node:http: Redis GET + JSON.parse",
      port: bare.port,
      path: "/",
      cookie: ourCookie,
    },
    {
      name: "sessionbridge node:http adapter (django-redis pickle)",
      port: node.port,
      path: "/",
      cookie: ourCookie,
    },
    {
      name: "Express route: Redis GET + JSON.parse (no session)",
      port: expressFloor.port,
      path: "/",
      cookie: ourCookie,
    },
    { name: "sessionbridge Express adapter", port: oursExpress.port, path: "/", cookie: ourCookie },
    {
      name: "express-session + connect-redis",
      port: theirsServer.port,
      path: "/",
      cookie: `sessionid=${encodeURIComponent(`s:${signed}`)}`,
    },
  ],
  { total, rounds, concurrency },
)) as [
  RoundsMeasurement,
  RoundsMeasurement,
  RoundsMeasurement,
  RoundsMeasurement,
  RoundsMeasurement,
];
report(
  `Read a Django session from Redis and answer the user id (keep-alive, ${concurrency} in flight; median of ${rounds} interleaved rounds)`,
  [floor, nodeRun, expressFloorRun, oursRun, theirsRun],
  floor,
);
console.log(
  `  node:http adapter vs bare server: ${(nodeRun.opsPerSecond / floor.opsPerSecond).toFixed(2)}× (target ≥ 0.85×)`,
);
console.log(
  `  Express adapter vs express-session + connect-redis: ${(oursRun.opsPerSecond / theirsRun.opsPerSecond).toFixed(2)}× (target ≥ 2.5×)`,
);
// What Express itself allows: the best ratio any session middleware could reach here, and the
// time each middleware adds on top of the plain Express route.
const oursAdded = oursRun.microsPerOp - expressFloorRun.microsPerOp;
const theirsAdded = theirsRun.microsPerOp - expressFloorRun.microsPerOp;
console.log(
  `  ceiling set by Express itself (plain Express route vs express-session): ${(expressFloorRun.opsPerSecond / theirsRun.opsPerSecond).toFixed(2)}×`,
);
console.log(
  `  time added above the plain Express route: ours ${oursAdded.toFixed(1)} µs, express-session ${theirsAdded.toFixed(1)} µs`,
);

await Promise.all([
  bare.close(),
  node.close(),
  expressFloor.close(),
  oursExpress.close(),
  theirsServer.close(),
]);
await login.close();
