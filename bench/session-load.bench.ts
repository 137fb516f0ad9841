// Issue 2 benchmark: a request that loads an unmodified session.
//  - bare node:http server doing the same store load by hand (the floor),
//  - our node:http adapter,
//  - express-session with its MemoryStore (the equivalent in-process store),
// all in one run, plus the engine's own per-request cost without HTTP.
import { createServer } from "node:http";
import express from "express";
import expressSession from "express-session";
import { createHmac } from "node:crypto";
// The package's public entry points (self-reference → the compiled dist/, as users run it).
import { Session, resolveSessionSettings } from "sessionbridge";
import { getSession, withSessions } from "sessionbridge/node";
import { MemoryStore } from "sessionbridge/stores/memory";
// The engine's HTTP plumbing is not public (the adapters are the way to use it): from the source.
import { openRequestSession, plainResponseHeaders } from "../src/engine/http.ts";
import { compareLoad, report, startServer, timeOps, type RoundsMeasurement } from "./support.ts";

const settings = resolveSessionSettings();
const ours = new MemoryStore();
const seed = new Session(ours, null, settings);
await seed.update({ user: "alice", visits: 3, cart: ["apple", "pear"] });
await seed.save();
const key = seed.key!;

// Bare floor: parse the cookie by hand, one store load, answer.
const bare = await startServer(
  createServer((req, res) => {
    const m = /sessionid=([a-z0-9]+)/.exec(req.headers.cookie ?? "");
    void ours.load(m?.[1] ?? "").then((data) => {
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify({ user: data?.get("user") ?? null }));
    });
  }),
);

const adapter = await startServer(
  createServer(
    withSessions({ djangoVersion: "5.2", store: ours }, async (req, res) => {
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify({ user: (await getSession(req).get("user")) ?? null }));
    }),
  ),
);

const SECRET = "bench-secret";
const expressStore = new expressSession.MemoryStore();
const app = express();
app.use(
  expressSession({
    secret: SECRET,
    store: expressStore,
    resave: false,
    saveUninitialized: false,
    name: "sessionid",
  }),
);
app.get("/", (req, res) => {
  res.json({ user: (req.session as unknown as { user?: string }).user ?? null });
});
const sid = "benchsessionidbenchsessionid0001";
await new Promise<void>((resolve, reject) => {
  expressStore.set(
    sid,
    {
      cookie: {
        originalMaxAge: 1209600000,
        expires: new Date(Date.now() + 1209600000),
        httpOnly: true,
        path: "/",
      },
      user: "alice",
      visits: 3,
      cart: ["apple", "pear"],
    } as unknown as expressSession.SessionData,
    (err) => {
      if (err) reject(err as Error);
      else resolve();
    },
  );
});
const expressServer = await startServer(createServer(app));
// cookie-signature's format: `s:` + id + "." + base64(HMAC-SHA256(secret, id)) without padding.
const signed = `${sid}.${createHmac("sha256", SECRET).update(sid).digest("base64").replace(/=+$/, "")}`;
const expressCookie = `sessionid=${encodeURIComponent(`s:${signed}`)}`;

const total = Number(process.env.BENCH_REQUESTS ?? 10_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const [floor, ourRun, expressRun] = (await compareLoad(
  [
    { name: "bare node:http + store.load", port: bare.port, path: "/", cookie: `sessionid=${key}` },
    {
      name: "sessionbridge node:http adapter",
      port: adapter.port,
      path: "/",
      cookie: `sessionid=${key}`,
    },
    {
      name: "express + express-session (MemoryStore)",
      port: expressServer.port,
      path: "/",
      cookie: expressCookie,
    },
  ],
  { total, rounds },
)) as [RoundsMeasurement, RoundsMeasurement, RoundsMeasurement];
report(
  `Load an unmodified session over HTTP (keep-alive, 16 in flight, loopback; median of ${rounds} interleaved rounds)`,
  [floor, ourRun, expressRun],
  expressRun,
);
console.log(
  `  sessionbridge vs express-session: ${(ourRun.opsPerSecond / expressRun.opsPerSecond).toFixed(2)}×`,
);
console.log(
  `  sessionbridge adds ${(ourRun.microsPerOp - floor.microsPerOp).toFixed(2)} µs/request over the bare floor (target ≤ 10 µs)`,
);

// The engine alone, no sockets: open + read + response plan, per request.
const engine = await timeOps("engine per request (open, get, plan headers)", async () => {
  const rs = openRequestSession(`csrftoken=abc; sessionid=${key}`, ours, settings);
  await rs.session.get("user");
  plainResponseHeaders(rs, settings, 200);
});
const storeOnly = await timeOps("store.load alone", () => ours.load(key));
report("Engine cost without HTTP", [storeOnly, engine], storeOnly);
console.log(
  `  engine adds ${(engine.microsPerOp - storeOnly.microsPerOp).toFixed(2)} µs/request above the store round trip (target ≤ 10 µs)`,
);

await Promise.all([bare.close(), adapter.close(), expressServer.close()]);
