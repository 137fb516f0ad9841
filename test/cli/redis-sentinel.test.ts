// The CLI and `serve` through Redis Sentinel (`REDIS_URL=redis+sentinel://…/mymaster`), on
// throwaway processes started here (a master, its replica and two Sentinels on free high
// loopback ports, stopped by PID at the end; the shared Redis on 6379 is not touched), with
// ioredis and node-redis: `sessions list|show|revoke|migrate` reach the master the Sentinels
// name (the first Sentinel listed being down), a failover between an interrupted migrate and
// its resume still copies every session exactly once, a failover in the middle of a walk fails
// it with valid JSON and an honest count, and `serve` goes on serving its logins after one.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import pg from "pg";
import { DjangoCacheStore } from "../../src/stores/redis/index.ts";
import { CLI, redisCacheCliEnv, runCli } from "../support/cli.ts";
import { createTempDatabases, type TempDatabases } from "../support/databases.ts";
import { CookieJar } from "../support/http.ts";
import { startServe, submitLogin } from "../support/serve.ts";
import {
  REDIS_HOST,
  RedisProcesses,
  expiryIn,
  highPorts,
  redisCli,
} from "../stores/redis/helpers.ts";

const SECRET = "sentinel-cli-test-secret";
const PREFIX = "sbh-scaleops-sentinel";
const NAME = "sbmaster";
const DRIVERS = ["ioredis", "redis"] as const;
type Driver = (typeof DRIVERS)[number];
const USERS = 5;
const SESSIONS = 4000;

const [portA = 0, portB = 0, sentinelOne = 0, sentinelTwo = 0, deadPort = 0] = highPorts(5);
const processes = new RedisProcesses();
/** The Sentinels, the first listed one down: the clients must go on to the next. */
const URL = `redis+sentinel://${REDIS_HOST}:${deadPort},${REDIS_HOST}:${sentinelOne},${REDIS_HOST}:${sentinelTwo}/${NAME}`;
let databases: TempDatabases | undefined;
let pgUrl = "";
let keys: string[] = [];
let store: DjangoCacheStore;
let seeder: Redis;

/** A session key of Django's shape. */
const sessionKey = (i: number): string =>
  `s${i.toString(36).padStart(6, "0")}zzzzzzzzzzzzzzzzzzzzzzzzz`.slice(0, 32);
const userOf = (i: number): string => String(i % USERS);

function env(driver: Driver, extra: Record<string, string> = {}): Record<string, string> {
  return redisCacheCliEnv(driver, { secretKey: SECRET, keyPrefix: PREFIX, url: URL }, extra);
}

/** A Sentinel watching `portA` as NAME (quorum 1, quick to fail over). */
function startSentinel(port: number): Promise<void> {
  return processes.sentinel(port, NAME, portA, [
    `sentinel down-after-milliseconds ${NAME} 5000`,
    `sentinel failover-timeout ${NAME} 10000`,
  ]);
}

/** The master's port as the Sentinels see it. */
async function masterPort(): Promise<number> {
  const reply = await redisCli(sentinelOne, "sentinel", "get-master-addr-by-name", NAME);
  return Number(reply.trim().split("\n")[1]);
}

/**
 * Promotes the replica (`SENTINEL FAILOVER`, retried until the Sentinel knows a good replica),
 * then waits until the new master serves and the old one replicates from it, in sync.
 */
async function failover(): Promise<number> {
  const before = await masterPort();
  const replica = before === portA ? portB : portA;
  // Nothing written to the master is lost: the replica has it all before it is promoted.
  await redisCli(before, "wait", "1", "5000");
  const deadline = Date.now() + 150_000;
  const done = async (): Promise<boolean> =>
    (await masterPort()) === replica &&
    /^role:master/m.test(await redisCli(replica, "info", "replication")) &&
    /^master_link_status:up/m.test(await redisCli(before, "info", "replication"));
  while (Date.now() < deadline) {
    const reply = (await redisCli(sentinelOne, "sentinel", "failover", NAME)).trim();
    if (reply !== "OK") {
      // NOGOODSLAVE until the Sentinel has fresh news of the replica; INPROG while one runs.
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    // A failover the Sentinel aborts (its timeout) is asked for again.
    const attempt = Date.now() + 40_000;
    while (Date.now() < attempt) {
      if (await done()) return replica;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const role = async (port: number): Promise<string> =>
    (await redisCli(port, "info", "replication"))
      .split("\n")
      .filter((l) => /^(role|master_port|master_link_status)/.test(l))
      .join(" ");
  throw new Error(
    `the failover did not complete: master ${await masterPort()}; ${before}: ${await role(before)}; ${replica}: ${await role(replica)}`,
  );
}

/** How many keys match `pattern` on the server at `port` (SCAN). */
async function countKeys(port: number, pattern: string): Promise<number> {
  const direct = new Redis({ host: REDIS_HOST, port });
  let cursor = "0";
  let n = 0;
  do {
    const [next, found] = await direct.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    cursor = next;
    n += found.length;
  } while (cursor !== "0");
  direct.disconnect();
  return n;
}

async function listed(driver: Driver): Promise<string[]> {
  const r = await runCli(["sessions", "list", "--json"], { env: env(driver) });
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { session_key: string }[]).map((s) => s.session_key);
}

function migrate(driver: Driver, from: string, to: string, checkpoint: string, extra: string[]) {
  return runCli(
    ["sessions", "migrate", "--from", from, "--to", to, "--checkpoint", checkpoint, ...extra],
    { env: env(driver) },
  );
}

async function pgKeys(): Promise<string[]> {
  const client = new pg.Client(pgUrl);
  await client.connect();
  try {
    const { rows } = await client.query<{ key: string }>(
      "SELECT session_key AS key FROM django_session",
    );
    return rows.map((row) => row.key);
  } finally {
    await client.end();
  }
}

async function clearPg(): Promise<void> {
  const client = new pg.Client(pgUrl);
  await client.connect();
  await client.query("DELETE FROM django_session");
  await client.end();
}

before(async () => {
  await processes.server(portA);
  await processes.server(portB, ["--replicaof", REDIS_HOST, String(portA)]);
  await startSentinel(sentinelOne);
  await startSentinel(sentinelTwo);
  seeder = new Redis({ host: REDIS_HOST, port: portA });
  await seeder.ping(); // connected: the store refuses writes while the client connects
  store = new DjangoCacheStore({ client: seeder, keyPrefix: PREFIX });
  keys = Array.from({ length: SESSIONS }, (_, i) => sessionKey(i));
  for (let i = 0; i < keys.length; i += 500) {
    await Promise.all(
      keys.slice(i, i + 500).map((key, j) =>
        store.save(key, new Map([["_auth_user_id", userOf(i + j)]]), {
          mustCreate: true,
          expiry: expiryIn(3600),
        }),
      ),
    );
  }
  databases = await createTempDatabases("scaleops_sentinel");
  pgUrl = databases.postgresUrl;
  const r = await runCli(["migrate", "--database-url", pgUrl]);
  assert.equal(r.code, 0, r.stderr);
});

after(async () => {
  seeder.disconnect();
  await processes.stop();
  await databases?.drop();
});

describe("CLI through Redis Sentinel", { timeout: 300_000 }, () => {
  for (const driver of DRIVERS) {
    it(`${driver}: list, show and revoke reach the master the Sentinels name`, async () => {
      const all = await listed(driver);
      assert.equal(all.length, keys.length);
      assert.deepEqual(new Set(all), new Set(keys));
      const index = driver === "ioredis" ? 7 : 8;
      const shown = await runCli(["sessions", "show", keys[index]!, "--json"], {
        env: env(driver),
      });
      assert.equal(shown.code, 0, shown.stderr);
      assert.equal((JSON.parse(shown.stdout) as { user_id: string }).user_id, userOf(index));
      const revoked = await runCli(["sessions", "revoke", keys[index]!, "--json"], {
        env: env(driver),
      });
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.deepEqual(JSON.parse(revoked.stdout), { session_key: keys[index], deleted: 1 });
      const direct = new Redis({ host: REDIS_HOST, port: await masterPort() });
      assert.equal(await direct.exists(store.redisKey(keys[index]!)), 0);
      direct.disconnect();
      // Put it back for the tests below.
      await store.save(keys[index]!, new Map([["_auth_user_id", userOf(index)]]), {
        mustCreate: true,
        expiry: expiryIn(3600),
      });
    });
  }

  it("an unknown master name or no Sentinel answering: one line, exit 1", async () => {
    for (const driver of DRIVERS) {
      for (const url of [
        `redis+sentinel://${REDIS_HOST}:${sentinelOne}/nosuchmaster`,
        `redis+sentinel://${REDIS_HOST}:${deadPort}/${NAME}`,
      ]) {
        const r = await runCli(["sessions", "list"], { env: env(driver, { REDIS_URL: url }) });
        assert.equal(r.code, 1, `${driver} ${url}: ${r.stdout}`);
        assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
        assert.match(r.stderr, /Sentinel master (nosuchmaster|sbmaster)/);
      }
    }
  });

  it("migrate copies every session Sentinel → PostgreSQL → Sentinel (another prefix)", async () => {
    await clearPg();
    const dir = mkdtempSync(join(tmpdir(), "sb-sentinel-"));
    try {
      const from = `${URL}?layout=django-redis&prefix=${PREFIX}`;
      const r = await migrate("ioredis", from, `sql+${pgUrl}`, join(dir, "a"), ["--json"]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as { copied: number }).copied, keys.length);
      assert.deepEqual(new Set(await pgKeys()), new Set(keys));
      const to = `${URL}?layout=django-redis&prefix=${PREFIX}-back`;
      const back = await migrate("redis", `sql+${pgUrl}`, to, join(dir, "b"), ["--json"]);
      assert.equal(back.code, 0, back.stderr);
      assert.equal((JSON.parse(back.stdout) as { copied: number }).copied, keys.length);
      const copies = await runCli(["sessions", "list", "--json"], {
        env: env("ioredis", { CACHE_KEY_PREFIX: `${PREFIX}-back` }),
      });
      assert.equal(copies.code, 0, copies.stderr);
      const copied = (JSON.parse(copies.stdout) as { session_key: string }[]).map(
        (s) => s.session_key,
      );
      assert.equal(copied.length, keys.length);
      assert.deepEqual(new Set(copied), new Set(keys));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("migrate interrupted, a failover, then resumed: every session exactly once in PostgreSQL", async () => {
    await clearPg();
    const dir = mkdtempSync(join(tmpdir(), "sb-sentinel-"));
    const checkpoint = join(dir, "ckpt.json");
    try {
      const from = `${URL}?layout=django-redis&prefix=${PREFIX}`;
      const args = ["sessions", "migrate", "--from", from, "--to", `sql+${pgUrl}`];
      const child = spawn(
        process.execPath,
        [CLI, ...args, "--checkpoint", checkpoint, "--batch-size", "20"],
        { env: { PATH: process.env.PATH ?? "", ...env("ioredis") }, stdio: "ignore" },
      );
      const exited = new Promise<number | null>((done) => child.once("exit", done));
      while (!existsSync(checkpoint) && child.exitCode === null)
        await new Promise((r) => setTimeout(r, 5));
      child.kill("SIGINT");
      assert.equal(await exited, 1, "the migrate was not interrupted");
      const saved = JSON.parse(readFileSync(checkpoint, "utf8")) as { done: boolean };
      assert.equal(saved.done, false);
      await failover();
      const r = await runCli([...args, "--checkpoint", checkpoint, "--json"], {
        env: env("redis"),
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /restarted or failed over/);
      const summary = JSON.parse(r.stdout) as { copied: number; restarted: boolean };
      assert.equal(summary.restarted, true);
      assert.equal(summary.copied, keys.length);
      const copied = await pgKeys();
      assert.equal(copied.length, keys.length);
      assert.deepEqual(new Set(copied), new Set(keys));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const driver of DRIVERS) {
    it(`${driver}: a failover in the middle of list fails it with valid JSON and an honest count`, async () => {
      const child = spawn(
        process.execPath,
        [CLI, "sessions", "list", "--json", "--batch-size", "50"],
        {
          env: { PATH: process.env.PATH ?? "", ...env(driver) },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      // "close": the process has exited and its output is read to the end.
      const exited = new Promise<number | null>((done) => child.once("close", done));
      // Paused: nothing is read until the first bytes are there, then the reader stalls. The
      // whole list is several times what the pipe holds, so the walk cannot end meanwhile.
      while (child.stdout.readableLength === 0 && child.exitCode === null)
        await new Promise((r) => setTimeout(r, 20));
      let stdout = String(child.stdout.read() ?? "");
      await failover();
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      const code = await exited;
      await new Promise((r) => setImmediate(r));
      assert.equal(code, 1, stderr);
      assert.equal(stderr.trim().split("\n").length, 1, stderr);
      let rows: unknown[] = [];
      assert.doesNotThrow(
        () => {
          rows = JSON.parse(stdout) as unknown[];
        },
        `${stderr} (${stdout.length} bytes: …${stdout.slice(-80)})`,
      );
      const count = Number(/output incomplete: (\d+) sessions written/.exec(stderr)?.[1]);
      assert.equal(count, rows.length, stderr);
      assert.ok(rows.length > 0 && rows.length < keys.length, `${rows.length} rows`);
      assert.equal(stderr.trim().split("\n").length, 1, stderr);
    });
  }

  for (const driver of DRIVERS) {
    it(`${driver}: serve logs in through the Sentinel's master and goes on after a failover`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "sb-sentinel-serve-"));
      const password = "a-long-enough-pass-phrase";
      const serveEnv = {
        ...env(driver, { CACHE_KEY_PREFIX: `${PREFIX}-serve-${driver}` }),
        DATABASE_URL: `sqlite:${join(dir, "db.sqlite3")}`,
        LOGIN_RATE_LIMIT: "off",
      };
      const serve = await startServe(dir, serveEnv);
      try {
        const created = await runCli(["createuser", "--no-input", "--username", "dora"], {
          cwd: dir,
          env: { ...serveEnv, SESSIONBRIDGE_PASSWORD: password },
        });
        assert.equal(created.code, 0, created.stderr);
        const jar = new CookieJar();
        const login = await submitLogin(jar, serve.url, { username: "dora", password });
        await login.text();
        assert.equal(login.status, 302);
        const whoami = async (j: CookieJar): Promise<string | null> => {
          const res = await j.fetch(`${serve.url}/whoami`);
          if (res.status !== 200) {
            await res.text();
            return null;
          }
          return ((await res.json()) as { username: string | null }).username;
        };
        assert.equal(await whoami(jar), "dora");
        const promoted = await failover();
        // The session written before is read from the promoted replica; a new login writes there.
        const deadline = Date.now() + 30_000;
        let who = await whoami(jar);
        while (who !== "dora" && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 200));
          who = await whoami(jar);
        }
        assert.equal(who, "dora");
        const second = new CookieJar();
        const again = await submitLogin(second, serve.url, { username: "dora", password });
        await again.text();
        assert.equal(again.status, 302);
        assert.equal(await whoami(second), "dora");
        const found = await countKeys(promoted, `${PREFIX}-serve-${driver}:*`);
        assert.ok(found >= 2, `sessions on the new master: ${found}`);
      } finally {
        await serve.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
