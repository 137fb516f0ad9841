// Issue 4 benchmark, in one run:
//  1. login throughput (the Django 5.2 default: PBKDF2-SHA256, 1,000,000 iterations) and the
//     event loop's responsiveness meanwhile: p99 latency of a trivial route with and without
//     logins running (hashing must not block the loop); once without login limits and once
//     with serve's (5 per username, 20 per address, in Redis: the reservation each login takes
//     before hashing, issue 18 #1);
//  2. forward-auth `/auth/verify`-style requests per second (session load + user + auth hash)
//     against the bare Redis GET + JSON.parse server of the session read benchmark.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request, Agent } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Session, resolveSessionSettings } from "sessionbridge";
import {
  DjangoUserSource,
  createRequestAuth,
  loginRateLimit,
  type AuthConfig,
} from "sessionbridge/auth";
import { DjangoSessionCodec } from "sessionbridge/django";
import { getSession, withSessions } from "sessionbridge/node";
import { createSqlStore, openDatabaseUrl } from "sessionbridge/stores/sql";
import { createClient } from "redis";
import { compareLoad, report, startServer, type RoundsMeasurement } from "./support.ts";

const dir = mkdtempSync(join(tmpdir(), "sb-auth-bench-"));
const url = `sqlite:${join(dir, "db.sqlite3")}`;
const cli = (args: string[], env: Record<string, string> = {}): void => {
  execFileSync(
    process.execPath,
    [new URL("../dist/cli/main.js", import.meta.url).pathname, ...args],
    {
      env: {
        PATH: process.env.PATH ?? "",
        DATABASE_URL: url,
        SECRET_KEY: "bench",
        DJANGO_VERSION: "5.2",
        ...env,
      },
      stdio: "ignore",
    },
  );
};
cli(["migrate"]);
cli(["createuser", "--no-input", "--username", "alice"], {
  SESSIONBRIDGE_PASSWORD: "correct horse battery staple",
});

const database = await openDatabaseUrl(url);
const store = createSqlStore({ database, codec: new DjangoSessionCodec({ secret: "bench" }) });
const config: AuthConfig = {
  users: new DjangoUserSource({ database }),
  secretKey: "bench",
  djangoVersion: "5.2",
};
const settings = resolveSessionSettings();

// --- 1. logins and loop responsiveness ---------------------------------------------------
const limitRedis = createClient({ url: "redis://127.0.0.1:6379/15" });
await limitRedis.connect();
const limited: AuthConfig = {
  ...config,
  rateLimit: loginRateLimit({
    perUsername: { limit: 5, windowMs: 300_000 },
    perIp: { limit: 20, windowMs: 300_000 },
    redis: limitRedis,
    keyPrefix: `sbh-harden:bench-auth-${process.pid}:`,
  }),
};

function loginServer(auth: AuthConfig): ReturnType<typeof startServer> {
  return startServer(
    createServer(
      withSessions({ djangoVersion: "5.2", store }, async (req, res) => {
        if (req.url === "/login") {
          const requestAuth = createRequestAuth(getSession(req), auth);
          const result = await requestAuth.authenticate({
            username: "alice",
            password: "correct horse battery staple",
            ip: req.socket.remoteAddress,
          });
          if (result.ok) await requestAuth.login(result.user);
          res.statusCode = result.ok ? 200 : 401;
        }
        res.end("ok");
      }),
    ),
  );
}

async function p99(server: { port: number }, durationMs: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const samples: number[] = [];
  const end = Date.now() + durationMs;
  while (Date.now() < end) {
    const start = process.hrtime.bigint();
    await new Promise<void>((resolve, reject) => {
      request({ host: "127.0.0.1", port: server.port, path: "/ping", agent }, (res) => {
        res.resume();
        res.on("end", resolve);
      })
        .on("error", reject)
        .end();
    });
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    await new Promise((r) => setTimeout(r, 5));
  }
  agent.destroy();
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length * 0.99)] ?? NaN;
}

console.log(
  "\nLogins (PBKDF2-SHA256 1,000,000 iterations, 4 in flight) and event-loop responsiveness",
);
for (const [label, auth] of [
  ["no login limits", config],
  ["login limits in Redis (reserve before hashing)", limited],
] as const) {
  const server = await loginServer(auth);
  const idleP99 = await p99(server, 2000);
  let logins = 0;
  let refused = 0;
  let running = true;
  const loginStart = Date.now();
  const loginWorkers = Array.from({ length: 4 }, async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    while (running) {
      await new Promise<void>((resolve, reject) => {
        request({ host: "127.0.0.1", port: server.port, path: "/login", agent }, (res) => {
          if (res.statusCode === 200) logins++;
          else refused++;
          res.resume();
          res.on("end", resolve);
        })
          .on("error", reject)
          .end();
      });
    }
    agent.destroy();
  });
  const busyP99 = await p99(server, Number(process.env.BENCH_LOGIN_SECONDS ?? 10) * 1000);
  running = false;
  await Promise.all(loginWorkers);
  const loginSeconds = (Date.now() - loginStart) / 1000;
  console.log(`  ${label}:`);
  console.log(
    `    logins/s: ${(logins / loginSeconds).toFixed(2)}${refused ? ` (${String(refused)} refused)` : ""}`,
  );
  console.log(
    `    p99 of a trivial route: idle ${idleP99.toFixed(2)} ms, during logins ${busyP99.toFixed(2)} ms (${(busyP99 / idleP99).toFixed(1)}×)`,
  );
  await server.close();
}
for await (const keys of limitRedis.scanIterator({
  MATCH: `sbh-harden:bench-auth-${process.pid}:*`,
})) {
  if (keys.length > 0) await limitRedis.del(keys);
}
await limitRedis.quit();

// --- 2. forward-auth verify vs the bare Redis floor ---------------------------------------
const seed = new Session(store, null, settings);
const seedAuth = createRequestAuth(seed, config);
const seeded = await seedAuth.authenticate({
  username: "alice",
  password: "correct horse battery staple",
});
if (!seeded.ok) throw new Error("bench setup: login failed");
await seedAuth.login(seeded.user);
await seed.save();

const verify = await startServer(
  createServer(
    withSessions({ djangoVersion: "5.2", store }, async (req, res) => {
      const user = await createRequestAuth(getSession(req), config).user();
      res.statusCode = user.isAuthenticated ? 200 : 401;
      if (user.isAuthenticated) res.setHeader("X-Auth-User-Id", String(user.id));
      res.end();
    }),
  ),
);
const redis = createClient({ url: "redis://127.0.0.1:6379/15" });
await redis.connect();
const bareKey = `bench-auth-${process.pid}`;
await redis.set(bareKey, JSON.stringify({ _auth_user_id: "1" }), { EX: 600 });
const bare = await startServer(
  createServer((_req, res) => {
    void redis.get(bareKey).then((raw) => {
      res.end((JSON.parse(raw ?? "{}") as { _auth_user_id?: string })._auth_user_id ?? "");
    });
  }),
);
const total = Number(process.env.BENCH_REQUESTS ?? 10_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const [floor, ours] = (await compareLoad(
  [
    { name: "bare node:http: Redis GET + JSON.parse", port: bare.port, path: "/", cookie: "x=1" },
    {
      name: "forward-auth verify (SQLite session + auth_user + hash)",
      port: verify.port,
      path: "/",
      cookie: `sessionid=${seed.key!}`,
    },
  ],
  { total, rounds },
)) as [RoundsMeasurement, RoundsMeasurement];
report("Forward-auth verification, requests per second", [floor, ours], floor);

await Promise.all([verify.close(), bare.close()]);
await redis.del(bareKey);
await redis.quit();
await database.close();
rmSync(dir, { recursive: true, force: true });
