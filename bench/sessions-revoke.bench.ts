// `sessions revoke --user` ("log out everywhere", also `changepassword`) for a user with 100
// sessions among BENCH_SESSIONS (default 100,000; the scale is 1,000,000) Django
// sessions on one Redis (django-redis pickles, 2-week TTL, 100 per user), three ways, in the
// same run, each on its own user:
//   - the old walk: the store's walk (SCAN, then GET + PTTL of each page, now one batch per
//     page), deletes one at a time: the code path every store without a Redis fast path takes
//     (before issue 20 it was also one GET and one PTTL round trip per key);
//   - the new walk: SCAN pages in flight, one GET per key (no PTTL), each page's deletes together;
//   - the per-user index (complete): SMEMBERS, a GET per member, the deletes.
// Each runs the CLI's own revokeUserSessions in this process (the index's time is the command's
// work, not Node's start-up; the whole CLI process is timed too), with a concurrent PING loop on
// the same Redis (p50/p99, against the same loop on an idle Redis). Keys under one prefix in
// database 0, deleted at the end. BENCH_SESSIONS=1000000 for the numbers.
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { dumpsPickle } from "../src/codecs/pickle/index.ts";
import { readEnvConfig } from "../src/cli/env-config.ts";
import { revokeUserSessions } from "../src/cli/manage/revoke.ts";
import { openConfiguredStore, type ManagedStore } from "../src/cli/manage/stores.ts";
import { backfillUserIndex } from "../src/cli/manage/user-index.ts";

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 100_000);
const PER_USER = 100;
const USERS = Math.max(4, Math.floor(SESSIONS / PER_USER));
const PREFIX = `sbbench-revoke-${process.pid}`;
const SECRET = "bench-secret-key";
const CLI = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
const ENV = {
  SESSION_STORE: "cache",
  REDIS_URL: "redis://127.0.0.1:6379/0",
  CACHE_KEY_PREFIX: PREFIX,
  SECRET_KEY: SECRET,
  SESSIONBRIDGE_NO_PROGRESS: "1",
};

const redis = new Redis("redis://127.0.0.1:6379/0");
const head = `${PREFIX}:1:django.contrib.sessions.cache`;
const sessionKey = (i: number): string => `k${String(i).padStart(31, "0")}`;
const value = (user: number): Buffer =>
  Buffer.from(
    dumpsPickle(
      new Map<string, string>([
        ["_auth_user_id", String(user)],
        ["_auth_user_backend", "django.contrib.auth.backends.ModelBackend"],
        ["_auth_user_hash", "0".repeat(64)],
      ]),
      { protocol: 4 },
    ),
  );

/**
 * PINGs from another process (its own event loop: the walk's decoding in this one must not
 * show up as Redis latency), one every ~1 ms until stopped; the latencies in ms.
 */
const PINGER = `
const { Redis } = require("ioredis");
const redis = new Redis("redis://127.0.0.1:6379/0");
const samples = [];
let running = true;
process.stdin.once("data", () => { running = false; });
(async () => {
  await redis.ping();
  process.stdout.write("ready\\n");
  while (running) {
    const t = process.hrtime.bigint();
    await redis.ping();
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
    await new Promise((r) => setTimeout(r, 1));
  }
  redis.disconnect();
  process.stdout.write(JSON.stringify(samples) + "\\n", () => process.exit(0));
})();
`;

async function pingLoop(): Promise<{ stop: () => Promise<number[]> }> {
  const child = spawn(process.execPath, ["-e", PINGER], { stdio: ["pipe", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  while (!out.includes("ready\n")) await new Promise((r) => setTimeout(r, 5));
  return {
    async stop() {
      const exited = new Promise((r) => child.once("exit", r));
      child.stdin.write("stop\n");
      await exited;
      return JSON.parse(out.slice(out.indexOf("ready\n") + 6)) as number[];
    },
  };
}

const pct = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
};

async function seed(): Promise<void> {
  const ttl = 14 * 24 * 3600 * 1000;
  const values = Array.from({ length: USERS }, (_, u) => value(u));
  for (let i = 0; i < SESSIONS; i += 5000) {
    const pipeline = redis.pipeline();
    for (let j = i; j < Math.min(SESSIONS, i + 5000); j++)
      pipeline.set(`${head}${sessionKey(j)}`, values[j % USERS]!, "PX", ttl);
    await pipeline.exec();
  }
}

interface Run {
  readonly name: string;
  readonly seconds: number;
  readonly deleted: number;
  readonly via: string;
  readonly p50: number;
  readonly p99: number;
}

async function timed(
  name: string,
  action: () => Promise<{ deleted: number; via: string }>,
): Promise<Run> {
  const probe = await pingLoop();
  const t = performance.now();
  const { deleted, via } = await action();
  const seconds = (performance.now() - t) / 1000;
  const pings = await probe.stop();
  return { name, seconds, deleted, via, p50: pct(pings, 50), p99: pct(pings, 99) };
}

/** The whole CLI process, `sessions revoke --user` (Node start-up included). */
function cliRevoke(user: number): Promise<{ deleted: number; via: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [CLI, "sessions", "revoke", "--user", String(user), "--json"],
      {
        env: { PATH: process.env.PATH ?? "", ...ENV },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.once("exit", (code) => {
      if (code !== 0) reject(new Error(`revoke exited ${code}`));
      else resolve(JSON.parse(out) as { deleted: number; via: string });
    });
  });
}

try {
  const t0 = performance.now();
  await seed();
  const seedSeconds = (performance.now() - t0) / 1000;
  const idle = await pingLoop();
  await new Promise((r) => setTimeout(r, 1000));
  const idlePings = await idle.stop();
  const managed = await openConfiguredStore(readEnvConfig(ENV), SECRET);
  const store = managed.redis!;
  try {
    // Today's path: the store's walk (GET + PTTL per key), one delete at a time.
    const old = await timed("old walk (GET+PTTL, deletes one by one)", async () => {
      // No Redis fast path: the store's own walk, as every command walked before.
      const generic: ManagedStore = { ...managed };
      delete (generic as { redis?: unknown }).redis;
      const r = await revokeUserSessions(generic, "1", { batchSize: 1000 });
      return { deleted: r.deleted, via: "walk (old)" };
    });
    const walk = await timed("new walk (GET only, pages in flight)", async () => {
      const r = await revokeUserSessions(managed, "2", { batchSize: 1000 });
      return { deleted: r.deleted, via: r.via };
    });
    // The index, made complete as an indexer makes it: a lease held through a backfill.
    await store.userIndex.holdLease("bench", 3_600_000);
    const b0 = performance.now();
    const backfill = await backfillUserIndex(store, { batchSize: 1000 });
    const backfillSeconds = (performance.now() - b0) / 1000;
    const index = await timed("index (complete)", async () => {
      const r = await revokeUserSessions(managed, "3", { batchSize: 1000 });
      return { deleted: r.deleted, via: r.via };
    });
    const cli = await timed("index, whole CLI process", () => cliRevoke(4));
    await store.userIndex.dropLease("bench");
    console.log(
      `sessions revoke --user: 1 user × ${PER_USER} sessions among ${SESSIONS.toLocaleString("en")} (django-redis pickle, one Redis; seeded in ${seedSeconds.toFixed(1)} s)`,
    );
    console.log(
      `  idle Redis PING: p50 ${pct(idlePings, 50).toFixed(3)} ms  p99 ${pct(idlePings, 99).toFixed(3)} ms`,
    );
    for (const r of [old, walk, index, cli]) {
      const rate = r.name.startsWith("index")
        ? ""
        : `  ${(SESSIONS / r.seconds).toFixed(0)} keys/s`;
      console.log(
        `  ${r.name.padEnd(42)} ${(r.seconds * 1000).toFixed(1).padStart(9)} ms${rate}  deleted ${r.deleted} via ${r.via}  PING p50 ${r.p50.toFixed(3)} p99 ${r.p99.toFixed(3)} ms`,
      );
    }
    console.log(
      `  new walk vs old walk: ${(old.seconds / walk.seconds).toFixed(1)}× keys/s;  index vs old walk: ${(old.seconds / index.seconds).toFixed(0)}× faster`,
    );
    console.log(
      `  backfill (GET+PTTL walk, SADD per user): ${backfillSeconds.toFixed(2)} s, ${(backfill.sessions / backfillSeconds).toFixed(0)} sessions/s, ${backfill.users} users`,
    );
  } finally {
    await managed.close();
  }
} finally {
  for (const pattern of [`${PREFIX}*`, `sessionbridge:user-index:${PREFIX}*`]) {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 5000);
      cursor = next;
      if (keys.length > 0) await redis.del(keys);
    } while (cursor !== "0");
  }
  redis.disconnect();
}
