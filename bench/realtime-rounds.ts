// bench/realtime.bench.ts's revocation rounds (see there): per store, a gated ws server in a
// child process (bench/realtime-server.ts) with 1,000 then 10,000 idle sockets from this process.
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createClient } from "redis";
import WebSocket from "ws";
import { DjangoSessionCodec } from "../src/codecs/django/session-encoding.ts";
import type { SessionStore } from "../src/stores/contract.ts";
import { DjangoCacheStore } from "../src/stores/redis/index.ts";
import { postgresTriggerSql } from "../src/adapters/realtime/index.ts";
import { createSqlStore, openDatabaseUrl, type SqlDatabase } from "../src/stores/sql/index.ts";
import { createBenchDatabase } from "./support.ts";

const SECRET = "realtime-bench-secret";
const ORIGIN = "http://app.test";
const SIZES = [1_000, 10_000] as const;
/** Revocations timed per round, spread over about four seconds. */
const REVOCATIONS = 200;
/** Seconds of idleness over which the server's CPU is measured. */
const IDLE_SECONDS = 5;

interface Memory {
  readonly rss: number;
  readonly heapUsed: number;
  /** Buffers and other memory outside the JS heap. */
  readonly external: number;
  readonly sockets: number;
}

interface Cpu {
  readonly cpu: NodeJS.CpuUsage;
  readonly sockets: number;
}

interface Server {
  readonly port: number;
  memory(): Promise<Memory>;
  cpu(): Promise<Cpu>;
  stop(): Promise<void>;
}

async function startServer(kind: string, target: string): Promise<Server> {
  const script = fileURLToPath(new URL("./realtime-server.ts", import.meta.url));
  const child: ChildProcess = fork(script, [kind, target], {
    execArgv: ["--import", "tsx", "--expose-gc"],
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done === true) throw new Error(`the ${kind} bench server exited`);
  const { port } = JSON.parse(first.value) as { port: number };
  const ask = (question: string): Promise<unknown> =>
    new Promise((resolve) => {
      child.once("message", resolve);
      child.send(question);
    });
  return {
    port,
    memory: () => ask("memory") as Promise<Memory>,
    cpu: () => ask("cpu") as Promise<Cpu>,
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.send("stop");
      }),
  };
}

interface Client {
  readonly ws: WebSocket;
  readonly closed: Promise<number>;
}

function connect(port: number, key: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, {
      headers: { Cookie: `sessionid=${key}`, Origin: ORIGIN },
    });
    const closed = new Promise<number>((r) => ws.once("close", () => r(performance.now())));
    ws.once("message", () => resolve({ ws, closed }));
    ws.once("error", reject);
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Backend {
  readonly label: string;
  readonly kind: string;
  readonly target: string;
  readonly store: SessionStore;
  /** Removes every session of the round. */
  clear(): Promise<void>;
  close(): Promise<void>;
}

async function sqlBackend(
  label: string,
  kind: string,
  url: string,
  database: SqlDatabase,
  release: () => Promise<void>,
): Promise<Backend> {
  const store = createSqlStore({ database, codec: new DjangoSessionCodec({ secret: SECRET }) });
  await store.ensureSessionTable();
  return {
    label,
    kind,
    target: url,
    store,
    clear: async () => {
      await database.execute("DELETE FROM django_session", []);
    },
    close: async () => {
      await database.close();
      await release();
    },
  };
}

async function backends(): Promise<Backend[]> {
  const redis = createClient({ url: "redis://127.0.0.1:6379/0" });
  await redis.connect();
  const flags = (await redis.configGet("notify-keyspace-events"))["notify-keyspace-events"] ?? "";
  await redis.configSet("notify-keyspace-events", "Kg$xe");
  const prefix = `sbh-realtime:bench:${process.pid}`;
  const sweep = async (): Promise<void> => {
    for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
      if (keys.length > 0) await redis.del(keys);
    }
  };
  const pgDb = await createBenchDatabase(`sb_rt_bench_${process.pid}`);
  await pgDb.client.query(
    "CREATE TABLE auth_user (id serial PRIMARY KEY, password text NOT NULL DEFAULT '', is_active boolean NOT NULL DEFAULT true)",
  );
  const pgDatabase = await openDatabaseUrl(pgDb.url);
  const pgBackend = await sqlBackend(
    "PostgreSQL, LISTEN/NOTIFY",
    "postgres",
    pgDb.url,
    pgDatabase,
    () => pgDb.drop(),
  );
  for (const sql of postgresTriggerSql()) await pgDb.client.query(sql);
  const dir = mkdtempSync(join(tmpdir(), "sb-bench-realtime-rounds-"));
  const sqliteUrl = `sqlite:${join(dir, "db.sqlite3")}`;
  return [
    {
      label: "Redis, keyspace notifications",
      kind: "redis",
      target: prefix,
      store: new DjangoCacheStore({ client: redis, keyPrefix: prefix }),
      clear: sweep,
      close: async () => {
        await sweep();
        await redis.configSet("notify-keyspace-events", flags);
        await redis.quit();
      },
    },
    pgBackend,
    await sqlBackend(
      "SQLite, batched polling every 1 s",
      "sqlite",
      sqliteUrl,
      await openDatabaseUrl(sqliteUrl),
      () => {
        rmSync(dir, { recursive: true, force: true });
        return Promise.resolve();
      },
    ),
  ];
}

async function round(backend: Backend, count: number): Promise<string> {
  const keys = Array.from({ length: count }, (_, i) => `rt${String(i).padStart(30, "0")}`);
  const expiry = { age: 3600, date: new Date(Date.now() + 3_600_000) };
  for (let start = 0; start < count; start += 250) {
    await Promise.all(
      keys.slice(start, start + 250).map((key, i) =>
        backend.store.save(key, new Map([["_user_id", String(start + i)]]), {
          mustCreate: true,
          expiry,
        }),
      ),
    );
  }
  const server = await startServer(backend.kind, backend.target);
  const empty = await server.memory();
  const clients: Client[] = [];
  for (let start = 0; start < count; start += 200) {
    clients.push(
      ...(await Promise.all(keys.slice(start, start + 200).map((k) => connect(server.port, k)))),
    );
  }
  const loaded = await server.memory();
  // The idle window starts after the connections' garbage is collected and a re-check ran.
  await sleep(1500);
  const before = (await server.cpu()).cpu;
  await sleep(IDLE_SECONDS * 1000);
  const after = (await server.cpu()).cpu;
  const cpuMs = (after.user + after.system - before.user - before.system) / 1000;
  const perThousand = count / 1000;

  // Revocations spread in time (about 20 ms apart, jittered, so that they fall anywhere in a
  // polling interval): each one a DELETE / DEL of one session.
  const step = Math.floor(count / REVOCATIONS);
  const latencies = await Promise.all(
    Array.from({ length: REVOCATIONS }, async (_, n) => {
      await sleep(n * 20 + Math.random() * 20);
      const i = n * step;
      const revokedAt = performance.now();
      await backend.store.delete(keys[i]!);
      return (await clients[i]!.closed) - revokedAt;
    }),
  );
  latencies.sort((a, b) => a - b);
  for (const c of clients) c.ws.terminate();
  await server.stop();
  await backend.clear();
  const kib = (bytes: number): string => (bytes / 1024 / perThousand).toFixed(0);
  return [
    `  ${count.toLocaleString("en").padStart(6)} sockets: revocation → close p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms (${REVOCATIONS} revocations)`,
    `                  server per 1,000 sockets: heap +${kib(loaded.heapUsed - empty.heapUsed)} KiB, external +${kib(loaded.external - empty.external)} KiB, RSS +${kib(loaded.rss - empty.rss)} KiB; idle CPU ${(cpuMs / IDLE_SECONDS / perThousand).toFixed(2)} ms/s (${((cpuMs / IDLE_SECONDS / 1000) * 100).toFixed(2)} % of a core in all)`,
  ].join("\n");
}

/** Runs every store's rounds and prints them. */
export async function revocationRounds(): Promise<void> {
  console.log(
    "\nRevocation to close, real idle ws sockets (server in a child process; clients here)",
  );
  for (const backend of await backends()) {
    console.log(` ${backend.label}`);
    try {
      for (const count of SIZES) console.log(await round(backend, count));
    } finally {
      await backend.close();
    }
  }
}
