// Small benchmark helpers: an HTTP load loop over keep-alive connections on loopback, a
// micro-benchmark timer, and the fixtures several benchmarks share (a logged-in Django session in
// Redis, a throwaway PostgreSQL database, a child's wall time and peak RSS). Everything is
// bounded in count and time.
import { spawn, spawnSync } from "node:child_process";
import type { Server } from "node:http";
import { createInterface } from "node:readline";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import type { AddressInfo } from "node:net";
import type { Redis } from "ioredis";
import pg from "pg";
import { createClient } from "redis";
import { DjangoSessionCodec } from "../src/codecs/django/session-encoding.ts";
import { Session, resolveSessionSettings } from "../src/index.ts";
import type { SessionStore } from "../src/stores/contract.ts";
import { SYSTEM_PYTHON } from "../test/interop/django/peer.ts";

/** Result of one measured scenario. */
export interface Measurement {
  readonly name: string;
  /** Operations (requests) per second. */
  readonly opsPerSecond: number;
  /** Mean microseconds per operation. */
  readonly microsPerOp: number;
}

/** Starts a server on an ephemeral loopback port. */
export async function startServer(
  server: Server,
): Promise<{ port: number; close: () => Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/**
 * Sends `total` GET requests with `concurrency` in flight from a worker thread (its own event
 * loop and core) and returns requests per second.
 */
async function loadTest(
  name: string,
  port: number,
  path: string,
  cookie: string | readonly string[],
  { total = 20_000, concurrency = 16 } = {},
): Promise<Measurement> {
  const worker = new Worker(new URL("./load-client.mjs", import.meta.url), {
    workerData: { port, path, cookie, total, concurrency, warmup: warmupOf(total) },
  });
  const { seconds } = await new Promise<{ seconds: number }>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  await worker.terminate();
  return { name, opsPerSecond: total / seconds, microsPerOp: (seconds * 1e6) / total };
}

/** One HTTP contender of {@link compareLoad}. */
export interface LoadContender {
  readonly name: string;
  readonly port: number;
  readonly path: string;
  /** The Cookie header, or one per connection (connection i sends `cookie[i % length]`). */
  readonly cookie: string | readonly string[];
}

/** A contender's median over the rounds of {@link compareLoad}, with its spread. */
export interface RoundsMeasurement extends Measurement {
  /** Fastest and slowest round, µs per request. */
  readonly spread: readonly [number, number];
  /**
   * Median over the rounds of the server's own busy time per request (event loop utilization
   * of this thread, which runs every server while the load comes from a worker thread).
   */
  readonly serverMicros: number;
}

/**
 * Load-tests every contender in interleaved rounds (A B C, A B C, …) and reports each one's
 * median round. On a small shared VM the machine's speed drifts by tens of percent within a
 * minute; interleaving exposes every contender to the same drift, and the median discards
 * the rounds a neighbour or the garbage collector spoiled.
 */
export async function compareLoad(
  contenders: readonly LoadContender[],
  { rounds = 5, total = 10_000, concurrency = 16 } = {},
): Promise<RoundsMeasurement[]> {
  const micros: number[][] = contenders.map(() => []);
  const busy: number[][] = contenders.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (const [i, c] of contenders.entries()) {
      const before = performance.eventLoopUtilization();
      const m = await loadTest(c.name, c.port, c.path, c.cookie, { total, concurrency });
      const elu = performance.eventLoopUtilization(before);
      micros[i]!.push(m.microsPerOp);
      busy[i]!.push((elu.active * 1000) / (total + warmupOf(total)));
    }
  }
  return contenders.map((c, i) => {
    const sorted = [...micros[i]!].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    return {
      name: c.name,
      opsPerSecond: 1e6 / median,
      microsPerOp: median,
      spread: [sorted[0]!, sorted[sorted.length - 1]!] as const,
      serverMicros: [...busy[i]!].sort((a, b) => a - b)[Math.floor(busy[i]!.length / 2)]!,
    };
  });
}

function warmupOf(total: number): number {
  return Math.min(2000, Math.floor(total / 5));
}

/** Times an async or sync function over `iterations` calls (after a warm-up). */
export async function timeOps(
  name: string,
  fn: () => unknown,
  iterations = 100_000,
): Promise<Measurement> {
  for (let i = 0; i < Math.min(10_000, iterations); i++) await fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await fn();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { name, opsPerSecond: iterations / seconds, microsPerOp: (seconds * 1e6) / iterations };
}

/** Prints a table of measurements with ratios against `baseline`. */
export function report(title: string, rows: readonly Measurement[], baseline: Measurement): void {
  console.log(`\n${title}`);
  for (const row of rows) {
    const ratio = row.opsPerSecond / baseline.opsPerSecond;
    console.log(
      `  ${row.name.padEnd(52)} ${row.opsPerSecond.toFixed(0).padStart(9)} ops/s  ${row.microsPerOp.toFixed(2).padStart(8)} µs/op  ${ratio.toFixed(2)}× ${baseline.name}${spreadOf(row)}`,
    );
  }
}

function spreadOf(row: Measurement): string {
  const spread = (row as Partial<RoundsMeasurement>).spread;
  return spread === undefined
    ? ""
    : `  (rounds ${spread[0].toFixed(1)}–${spread[1].toFixed(1)} µs; server busy ${(row as RoundsMeasurement).serverMicros.toFixed(1)} µs/req)`;
}

/** A long-lived timing child (see {@link startTimedChild}). */
export interface TimedChild<Ready> {
  /** The child's first line, parsed as JSON. */
  readonly ready: Ready;
  /** Asks for one timed round of `name`; resolves to the child's answer (µs per call). */
  round(name: string): Promise<number>;
  /** Closes the child's stdin, which ends it. */
  close(): void;
}

/**
 * Starts a child process that times another runtime (Python) in rounds on request, so that its
 * rounds can alternate with ours: `input` is written to its stdin as one line, its first stdout
 * line is a JSON "ready" message, then each `name` line written gets one line back, the
 * microseconds per call of one timed round. Timing all of one side and then all of the other
 * puts the machine's speed drift into the ratio; paired rounds cancel it.
 */
export async function startTimedChild<Ready>(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  input: string,
): Promise<TimedChild<Ready>> {
  const child = spawn(command, args, { env, stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const line = async (): Promise<string> => {
    const next = await lines.next();
    if (next.done === true) throw new Error(`${command} exited before answering`);
    return next.value;
  };
  child.stdin.write(`${input}\n`);
  const ready = JSON.parse(await line()) as Ready;
  return {
    ready,
    async round(name) {
      child.stdin.write(`${name}\n`);
      const micros = Number(await line());
      if (!Number.isFinite(micros)) throw new Error(`${command} answered a non-number`);
      return micros;
    },
    close() {
      child.stdin.end();
    },
  };
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

const benchRedis = () => createClient({ url: "redis://127.0.0.1:6379/15" });

/** The Redis client of the read benchmarks (database 15; keys under one prefix, deleted after). */
export type BenchRedis = ReturnType<typeof benchRedis>;

/** Django's `_auth_user_*` keys of a logged-in user: what the read benchmarks answer. */
export const DJANGO_LOGIN = {
  _auth_user_id: "1",
  _auth_user_backend: "django.contrib.auth.backends.ModelBackend",
  _auth_user_hash: "51c1d14a69b3a402add48f0715fa42ba6e953c6730f7a5269a187912c2528ea8",
};

/** What {@link redisLogin} seeds: the client, the store under test and a logged-in session. */
export interface RedisLogin<S extends SessionStore> {
  readonly client: BenchRedis;
  readonly prefix: string;
  readonly store: S;
  /** The session key of {@link DJANGO_LOGIN}, saved through `store`. */
  readonly key: string;
  /**
   * The plain routes' work, without sessionbridge: one Redis GET of the session's JSON copy and
   * JSON.parse, the user id out.
   */
  plainUserId(cookie: string | undefined): Promise<string>;
  /** Deletes every key under the prefix and quits the client. */
  close(): Promise<void>;
}

/**
 * A logged-in Django session in Redis: `makeStore` builds the store under test (from src/ or
 * dist/, as the benchmark measures), the session is saved through it, and its data is copied as
 * JSON under `<prefix>:json:<key>` for the plain routes.
 */
export async function redisLogin<S extends SessionStore>(
  prefix: string,
  makeStore: (client: BenchRedis, prefix: string) => S,
): Promise<RedisLogin<S>> {
  const client = benchRedis();
  await client.connect();
  const store = makeStore(client, prefix);
  const seed = new Session(store, null, resolveSessionSettings());
  await seed.update(DJANGO_LOGIN);
  await seed.save();
  const key = seed.key!;
  await client.set(`${prefix}:json:${key}`, JSON.stringify(DJANGO_LOGIN), { EX: 3600 });
  return {
    client,
    prefix,
    store,
    key,
    async plainUserId(cookie) {
      const sid = /sessionid=([a-z0-9]+)/.exec(cookie ?? "")?.[1] ?? "";
      const raw = await client.get(`${prefix}:json:${sid}`);
      const data = raw === null ? {} : (JSON.parse(raw) as Record<string, string>);
      return data._auth_user_id ?? "";
    },
    async close() {
      for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
        if (keys.length > 0) await client.del(keys);
      }
      await client.quit();
    },
  };
}

/** A PostgreSQL database made for one benchmark run. */
export interface BenchDatabase {
  readonly url: string;
  /** A connection to it. */
  readonly client: pg.Client;
  /** Ends `client` and drops the database. */
  drop(): Promise<void>;
}

/** Creates the database `name` on the local PostgreSQL and connects to it. */
export async function createBenchDatabase(name: string): Promise<BenchDatabase> {
  const admin = "postgres://postgres@127.0.0.1:5432/postgres";
  const url = `postgres://postgres@127.0.0.1:5432/${name}`;
  const creator = new pg.Client(admin);
  await creator.connect();
  await creator.query(`CREATE DATABASE ${name}`);
  await creator.end();
  const client = new pg.Client(url);
  await client.connect();
  return {
    url,
    client,
    async drop() {
      await client.end();
      const dropper = new pg.Client(admin);
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    },
  };
}

/**
 * Fills the `django_session` of a bench database (made by `sessionbridge migrate`) with `rows`
 * live sessions of one logged-in user (keys `kkk…1` to `kkk…rows`), signed with `secret`.
 */
export async function seedDjangoSessions(
  database: BenchDatabase,
  cli: string,
  secret: string,
  rows: number,
): Promise<void> {
  spawnSync(process.execPath, [cli, "migrate", "--database-url", database.url], {
    stdio: "ignore",
  });
  const value = new DjangoSessionCodec({ secret }).encode(
    new Map<string, string>([
      ["_auth_user_id", "42"],
      ["_auth_user_backend", "django.contrib.auth.backends.ModelBackend"],
      ["_auth_user_hash", "0".repeat(64)],
    ]),
  );
  await database.client.query(
    `INSERT INTO django_session SELECT lpad(i::text, 32, 'k'), $1, now() + interval '1 day' FROM generate_series(1, $2) AS i`,
    [value, rows],
  );
}

/** Deletes (SCAN, never KEYS) the keys under `prefix` in database 0 of the local Redis. */
export async function deleteRedisPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = "0";
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 5000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.del(keys);
  } while (cursor !== "0");
  return deleted;
}

/** What {@link measureChild} reports of one command. */
export interface ChildMeasurement {
  readonly seconds: number;
  /** The child's peak RSS (`ru_maxrss`, KiB on Linux). */
  readonly maxrss_kib: number;
  readonly code: number;
  /** The last 300 characters of its stdout, and the last 500 of its stderr. */
  readonly out: string;
  readonly err: string;
}

const MEASURE_CHILD = `import resource, subprocess, sys, time, json
t = time.monotonic(); r = subprocess.run(sys.argv[1:], capture_output=True)
print(json.dumps({"seconds": time.monotonic() - t, "maxrss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "code": r.returncode, "out": r.stdout.decode()[-300:], "err": r.stderr.decode()[-500:]}))`;

/**
 * Runs `command` under a Python parent that reports its wall time and peak RSS (getrusage of
 * the child, which Node cannot read of its own children).
 * @throws when the command exits non-zero.
 */
export function measureChild(
  command: readonly string[],
  env: Readonly<Record<string, string>>,
): ChildMeasurement {
  const r = spawnSync(SYSTEM_PYTHON, ["-c", MEASURE_CHILD, ...command], { env, encoding: "utf8" });
  const m = JSON.parse(r.stdout) as ChildMeasurement;
  if (m.code !== 0) throw new Error(`${command.join(" ")} failed: ${m.err}`);
  return m;
}
