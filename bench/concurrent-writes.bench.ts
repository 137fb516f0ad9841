// Issue 16 benchmarks, in one run (contenders in interleaved rounds, each its median round):
//  S2 per store: a session counter +1 saved on every request through the node:http adapter,
//      with the compare-and-set save (`concurrentWrites: "merge"`, the default) and with the
//      blind one ("overwrite"), on SQLite, PostgreSQL, MariaDB, Redis (Django's cache engine,
//      node-redis), cached_db (PostgreSQL + Redis), the file engine and Flask-Session's layout.
//      Every request names one of 64 sessions in turn (the cookie is set per request on the
//      server), so no two requests in flight share a session: the cost measured is the
//      protection's without contention. Target: merge ≥ 0.9× overwrite.
//  W:  the same counter on Redis (node-redis, Django's cache engine) against a bare node:http
//      server doing GET + JSON.parse + JSON.stringify + SET + Set-Cookie per request on the
//      same 64 sessions. Target: the protected path ≥ 0.7× the bare server.
// Services: PostgreSQL and MariaDB as the tests use them (SB_TEST_PG_URL, SB_TEST_MYSQL_URL),
// Redis database 15; tables, keys and files made here are removed at the end.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "redis";
import { Session, resolveSessionSettings, type ConcurrentWrites } from "../src/index.ts";
import { getSession, withSessions } from "../src/adapters/node/index.ts";
import { CachedDbStore } from "../src/stores/cached-db/index.ts";
import type { SessionStore } from "../src/stores/contract.ts";
import { FileSessionStore } from "../src/stores/file/index.ts";
import { FlaskSessionRedisStore } from "../src/stores/flask-session/index.ts";
import { DjangoCacheStore } from "../src/stores/redis/index.ts";
import { createSqlStore, openDatabaseUrl } from "../src/stores/sql/index.ts";
import { quoteIdentifier } from "../src/internal/sql/identifiers.ts";
import { MYSQL_URL, PG_URL, codec, uniqueTable } from "../test/stores/sql/helpers.ts";
import { compareLoad, report, startServer, type LoadContender } from "./support.ts";

const POOL = 64;
const total = Number(process.env["BENCH_TOTAL"] ?? 4000);
const rounds = Number(process.env["BENCH_ROUNDS"] ?? 3);
const concurrency = 16;
const prefix = `sbbench-cas-${process.pid}`;

const redis = createClient({ url: "redis://127.0.0.1:6379/15" });
redis.on("error", () => undefined);
await redis.connect();
const cleanups: (() => Promise<void>)[] = [
  async () => {
    for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
      if (keys.length > 0) await redis.del(keys);
    }
    await redis.quit();
  },
];

/** A server that gives each request the next of `cookies`, then runs `handler`. */
function rotating(
  cookies: readonly string[],
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  let next = 0;
  return (req, res) => {
    req.headers.cookie = cookies[next++ % cookies.length];
    handler(req, res);
  };
}

/** `POOL` sessions `{ n: 0 }` saved through `store`, as cookie headers. */
async function seed(store: SessionStore): Promise<string[]> {
  const cookies: string[] = [];
  for (let i = 0; i < POOL; i++) {
    const session = new Session(store, null, resolveSessionSettings());
    await session.set("n", 0);
    await session.save();
    cookies.push(`sessionid=${session.key!}`);
  }
  return cookies;
}

/** The counter through the node:http adapter, saved on every request. */
async function counterServer(store: SessionStore, concurrentWrites: ConcurrentWrites) {
  const cookies = await seed(store);
  const server = await startServer(
    createServer(
      rotating(
        cookies,
        withSessions({ store, djangoVersion: "5.2", concurrentWrites }, async (req, res) => {
          const session = getSession(req);
          const n = await session.get("n");
          await session.set("n", (typeof n === "number" ? n : 0) + 1);
          res.setHeader("Content-Type", "text/plain");
          res.end("ok");
        }),
      ),
    ),
  );
  cleanups.push(server.close);
  return server.port;
}

async function sqlStore(url: string, dialect: "postgres" | "mysql" | "sqlite") {
  const table = uniqueTable("bench_cas");
  const database = await openDatabaseUrl(url);
  const store = createSqlStore({ database, codec, table });
  await store.ensureSessionTable();
  cleanups.push(async () => {
    await database.execute(`DROP TABLE ${quoteIdentifier(dialect, table)}`, []);
    await store.close();
  });
  return store;
}

const directory = mkdtempSync(join(tmpdir(), "sessionbridge-bench-cas-"));
cleanups.push(() => {
  rmSync(directory, { recursive: true, force: true });
  return Promise.resolve();
});
const stores: [string, () => Promise<SessionStore>][] = [
  ["SQLite", () => sqlStore(`sqlite:${join(directory, "db.sqlite3")}`, "sqlite")],
  ["PostgreSQL", () => sqlStore(PG_URL, "postgres")],
  ["MariaDB", () => sqlStore(MYSQL_URL, "mysql")],
  [
    "Redis (cache engine, node-redis)",
    () => Promise.resolve(new DjangoCacheStore({ client: redis, keyPrefix: `${prefix}:cache` })),
  ],
  [
    "cached_db (PostgreSQL + Redis)",
    async () =>
      new CachedDbStore({
        db: await sqlStore(PG_URL, "postgres"),
        cache: new DjangoCacheStore({
          client: redis,
          keyPrefix: `${prefix}:cdb`,
          engine: "cached_db",
        }),
      }),
  ],
  ["file", () => Promise.resolve(new FileSessionStore({ directory, codec }))],
  [
    "Flask-Session (msgpack, node-redis)",
    () =>
      Promise.resolve(
        new FlaskSessionRedisStore({
          client: redis,
          serializer: "msgpack",
          keyPrefix: `${prefix}:fs:`,
        }),
      ),
  ],
];

/** `BENCH_STORES=redis,file`: only the S2 stores whose name contains one of those words. */
const only = (process.env["BENCH_STORES"] ?? "").toLowerCase().split(",").filter(Boolean);

try {
  for (const [name, open] of stores) {
    if (only.length > 0 && !only.some((word) => name.toLowerCase().includes(word))) continue;
    const store = await open();
    const contenders: LoadContender[] = [];
    for (const mode of ["merge", "overwrite"] as const) {
      const port = await counterServer(store, mode);
      contenders.push({ name: `S2 ${name}, ${mode}`, port, path: "/", cookie: "" });
    }
    const results = await compareLoad(contenders, { total, rounds, concurrency });
    report(`S2: counter saved on every request, ${name}`, results, results[1]!);
  }

  // W: the protected write path on Redis against a bare node:http server doing the same I/O.
  const bareCookies: string[] = [];
  for (let i = 0; i < POOL; i++) {
    const sid = `bare${String(i).padStart(28, "0")}`;
    await redis.set(`${prefix}:bare:${sid}`, JSON.stringify({ n: 0 }), { EX: 3600 });
    bareCookies.push(`sessionid=${sid}`);
  }
  const bare = await startServer(
    createServer(
      rotating(bareCookies, (req, res) => {
        const sid = /sessionid=([a-z0-9]+)/.exec(req.headers.cookie ?? "")?.[1] ?? "";
        const key = `${prefix}:bare:${sid}`;
        void (async () => {
          const raw = await redis.get(key);
          const data = (raw === null ? {} : JSON.parse(raw)) as { n?: number };
          data.n = (data.n ?? 0) + 1;
          await redis.set(key, JSON.stringify(data), { EX: 1_209_600 });
          res.setHeader(
            "Set-Cookie",
            `sessionid=${sid}; expires=Mon, 21 Dec 2026 00:00:00 GMT; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax`,
          );
          res.setHeader("Content-Type", "text/plain");
          res.end("ok");
        })();
      }),
    ),
  );
  cleanups.push(bare.close);
  const cache = new DjangoCacheStore({ client: redis, keyPrefix: `${prefix}:w` });
  const w: LoadContender[] = [
    { name: "W bare node:http GET+JSON+SET+Set-Cookie", port: bare.port, path: "/", cookie: "" },
    {
      name: "W sessionbridge node:http, merge",
      port: await counterServer(cache, "merge"),
      path: "/",
      cookie: "",
    },
    {
      name: "W sessionbridge node:http, overwrite",
      port: await counterServer(cache, "overwrite"),
      path: "/",
      cookie: "",
    },
  ];
  const results = await compareLoad(w, { total, rounds, concurrency });
  report(
    "W: counter saved on every request, Redis (node-redis), against a bare server",
    results,
    results[0]!,
  );
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup();
}
