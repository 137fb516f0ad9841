// Shared fixtures for the Redis store tests: a real Redis at 127.0.0.1:6379 (no mocks), in a
// dedicated database index, with a key prefix unique to the run and file. Nothing here flushes a
// database: tests delete the keys they made.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { createClient } from "redis";
import type { SessionExpiry } from "../../../src/stores/contract.ts";

export { newKey, recordingLogger, startProxy, type Proxy } from "../sql/helpers.ts";

export const REDIS_HOST = "127.0.0.1";
export const REDIS_PORT = Number(process.env["SB_TEST_REDIS_PORT"] ?? 6379);
/** The database index the store tests use (the interop tests use 11). */
export const STORE_DB = 10;

/** A key prefix unique to this run and label. */
export function uniquePrefix(label: string): string {
  return `sbtest-${label}-${process.pid}-${randomBytes(3).toString("hex")}`;
}

/** An expiry `age` seconds from now, as the engine computes it. */
export function expiryIn(age: number): SessionExpiry {
  return { age, date: new Date(Date.now() + age * 1000) };
}

export type ClientKind = "node-redis" | "ioredis";
export const CLIENT_KINDS: readonly ClientKind[] = ["node-redis", "ioredis"];

/** A connected node-redis client on `db` (error events swallowed: tests assert on rejections). */
export async function nodeRedisClient(db = STORE_DB, port = REDIS_PORT) {
  const client = createClient({
    socket: { host: REDIS_HOST, port, reconnectStrategy: 100, connectTimeout: 1000 },
    database: db,
  });
  client.on("error", () => {});
  await client.connect();
  return client;
}

/** A connected ioredis client on `db`. */
export async function ioredisClient(db = STORE_DB, port = REDIS_PORT): Promise<Redis> {
  const client = new Redis({
    host: REDIS_HOST,
    port,
    db,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => 100,
  });
  client.on("error", () => {});
  await client.connect();
  return client;
}

/** A raw client of either kind, with a way to close it and a raw view for assertions. */
export interface TestClient {
  readonly kind: ClientKind;
  readonly client: Awaited<ReturnType<typeof nodeRedisClient>> | Redis;
  close(): Promise<void>;
}

export async function openClient(kind: ClientKind, db = STORE_DB): Promise<TestClient> {
  if (kind === "node-redis") {
    const client = await nodeRedisClient(db);
    return {
      kind,
      client,
      close: async () => {
        await client.close();
      },
    };
  }
  const client = await ioredisClient(db);
  return {
    kind,
    client,
    close: async () => {
      await client.quit();
    },
  };
}

/** An independent ioredis connection for looking at raw keys, TTLs and bytes. */
export class RawRedis {
  readonly redis: Redis;
  constructor(db = STORE_DB, port = REDIS_PORT) {
    this.redis = new Redis({ host: REDIS_HOST, port, db, maxRetriesPerRequest: 1 });
  }
  get(key: string): Promise<Buffer | null> {
    return this.redis.getBuffer(key);
  }
  async set(key: string, value: Buffer | string, ttlSeconds = 600): Promise<void> {
    await this.redis.set(key, value, "EX", ttlSeconds);
  }
  pttl(key: string): Promise<number> {
    return this.redis.pttl(key);
  }
  ttl(key: string): Promise<number> {
    return this.redis.ttl(key);
  }
  exists(key: string): Promise<number> {
    return this.redis.exists(key);
  }
  /** Deletes every key matching `pattern` (SCAN, never KEYS or FLUSH*). */
  async deleteMatching(pattern: string): Promise<number> {
    let cursor = "0";
    let removed = 0;
    do {
      const [next, keys] = await this.redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) removed += await this.redis.del(...keys);
    } while (cursor !== "0");
    return removed;
  }
  async close(): Promise<void> {
    await this.redis.quit();
  }
}

/** Resolves once something accepts TCP connections on `port`. */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, REDIS_HOST);
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => {
        resolve(false);
      });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const runFile = promisify(execFile);

/** `redis-cli -h REDIS_HOST -p <port> <args>`'s output. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await runFile("redis-cli", ["-h", REDIS_HOST, "-p", String(port), ...args]);
  return stdout;
}

/** `cluster_state` from `CLUSTER INFO` on one node (`ok` once every slot is served). */
export async function clusterState(port: number): Promise<string> {
  return /cluster_state:(\w+)/.exec(await redisCli(port, "cluster", "info"))?.[1] ?? "";
}

/** Throwaway `redis-server` processes on loopback, stopped (by PID) with {@link stop}. */
export class RedisProcesses {
  readonly dir: string;
  readonly #children: ChildProcess[] = [];
  readonly #byPort = new Map<number, ChildProcess>();

  /** `parent`: where the servers' directory is made (default the system temporary directory). */
  constructor(parent = tmpdir()) {
    mkdirSync(parent, { recursive: true });
    this.dir = mkdtempSync(join(parent, "sb-redis-"));
  }

  /** Starts `redis-server` with `args` (a config file path first for sentinels). */
  async start(port: number, args: string[]): Promise<void> {
    const child = spawn("redis-server", args, { stdio: "ignore", cwd: this.dir });
    this.#children.push(child);
    this.#byPort.set(port, child);
    await waitForPort(port);
  }

  /** Kills (SIGKILL) the server on `port` and resolves once it has exited. */
  async kill(port: number): Promise<void> {
    const child = this.#byPort.get(port);
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => {
        resolve();
      });
      child.kill("SIGKILL");
    });
  }

  /** A plain or cluster-enabled server. */
  server(port: number, extra: string[] = []): Promise<void> {
    return this.start(port, [
      "--port",
      String(port),
      "--bind",
      REDIS_HOST,
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      this.dir,
      ...extra,
    ]);
  }

  /**
   * Cluster-enabled servers on `ports`, joined into one cluster that reports ok: no replicas
   * by default; with `replicas` per master, the first `ports.length / (replicas + 1)` become
   * masters (`redis-cli --cluster create` decides).
   */
  async cluster(ports: readonly number[], replicas = 0): Promise<void> {
    for (const port of ports) {
      await this.server(port, [
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        `nodes-${port}.conf`,
      ]);
    }
    await runFile("redis-cli", [
      "--cluster",
      "create",
      ...ports.map((p) => `${REDIS_HOST}:${p}`),
      "--cluster-replicas",
      String(replicas),
      "--cluster-yes",
    ]);
    const deadline = Date.now() + 15_000;
    for (const port of ports) {
      while ((await clusterState(port)) !== "ok") {
        if (Date.now() > deadline) throw new Error("cluster did not become ok");
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** A sentinel watching `masterPort` as `name` (quorum 1); `extra`: more configuration lines. */
  sentinel(port: number, name: string, masterPort: number, extra: string[] = []): Promise<void> {
    const conf = join(this.dir, `sentinel-${port}.conf`);
    writeFileSync(
      conf,
      [
        `port ${port}`,
        `bind ${REDIS_HOST}`,
        `dir ${this.dir}`,
        `sentinel monitor ${name} ${REDIS_HOST} ${masterPort} 1`,
        ...extra,
        "",
      ].join("\n"),
    );
    return this.start(port, [conf, "--sentinel"]);
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.#children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) {
              resolve();
              return;
            }
            child.once("exit", () => {
              resolve();
            });
            child.kill("SIGTERM");
          }),
      ),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `n` consecutive free-looking high loopback ports (random base; collisions are unlikely). */
export function highPorts(n: number): number[] {
  // Below Linux's ephemeral range (32768+), and so that a cluster node's bus port (port +
  // 10000) is below it too and never past 65535.
  const base = 10_000 + Math.floor(Math.random() * 9_000);
  return Array.from({ length: n }, (_, i) => base + i);
}
