// The CLI on real Redis Clusters started here (3 masters without replicas, 3 masters with one
// replica each, ports 7300–7399, directories under .work/), with ioredis and node-redis:
// `sessions list|show|revoke|migrate` reach 100 % of the sessions on every master, the
// cluster is found from any one node or a seed list, and a master killed mid-walk makes the
// command fail with an honest count (valid JSON up to there). Servers are killed at the end.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { Cluster, Redis } from "ioredis";
import pg from "pg";
import { DjangoCacheStore } from "../../src/stores/redis/index.ts";
import { CLI, redisCacheCliEnv, runCli } from "../support/cli.ts";
import { REDIS_HOST, RedisProcesses, expiryIn, redisCli } from "../stores/redis/helpers.ts";
import { ready } from "../stores/redis/open-clients.ts";

const SECRET = "cluster-test-secret";
const PREFIX = "sbh-scale";
const PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres";
const PG_URL = "postgres://postgres@127.0.0.1:5432/sb_scale";
const DRIVERS = ["ioredis", "redis"] as const;
type Driver = (typeof DRIVERS)[number];
const USERS = 6;

/** A session key of Django's shape, unique per cluster and index. */
const sessionKey = (tag: string, i: number): string =>
  `${tag}${i.toString(36).padStart(6, "0")}zzzzzzzzzzzzzzzzzzzz`.slice(0, 32);

interface TestCluster {
  readonly ports: readonly number[];
  readonly masters: number[];
  readonly keys: string[];
  readonly client: Cluster;
  readonly store: DjangoCacheStore;
}

const processes = new RedisProcesses(resolve(".work"));
const opened: Cluster[] = [];

/** Starts a cluster on `ports`, seeds `n` sessions (user `i % USERS`), returns its masters. */
async function startCluster(
  ports: readonly number[],
  replicas: number,
  n: number,
  tag: string,
): Promise<TestCluster> {
  await processes.cluster(ports, replicas);
  for (const port of ports) await redisCli(port, "config", "set", "cluster-node-timeout", "60000");
  const client = new Cluster([{ host: REDIS_HOST, port: ports[0]! }]);
  opened.push(client);
  await ready(client);
  const store = new DjangoCacheStore({ client, keyPrefix: PREFIX });
  const keys = Array.from({ length: n }, (_, i) => sessionKey(tag, i));
  for (let i = 0; i < n; i += 500) {
    await Promise.all(
      keys.slice(i, i + 500).map((key, j) =>
        store.save(key, new Map([["_auth_user_id", String((i + j) % USERS)]]), {
          mustCreate: true,
          expiry: expiryIn(3600),
        }),
      ),
    );
  }
  const masters: number[] = [];
  for (const port of ports) {
    if (/^role:master/m.test(await redisCli(port, "info", "replication"))) masters.push(port);
  }
  assert.equal(masters.length, 3);
  for (const port of masters) assert.ok(Number(await redisCli(port, "dbsize")) > 0);
  return { ports, masters, keys, client, store };
}

function env(driver: Driver, url: string, extra: Record<string, string> = {}) {
  return redisCacheCliEnv(driver, { secretKey: SECRET, keyPrefix: PREFIX, url }, extra);
}

async function listed(driver: Driver, url: string, args: string[] = []): Promise<string[]> {
  const r = await runCli(["sessions", "list", "--json", ...args], { env: env(driver, url) });
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { session_key: string }[]).map((s) => s.session_key);
}

const userOf = (keys: readonly string[], i: number): string => String(i % USERS);
const keysOfUser = (keys: readonly string[], user: string): string[] =>
  keys.filter((_, i) => userOf(keys, i) === user);

/** Runs `sessions list --json` with a stalled reader, kills a master not yet walked, reads on. */
async function listWhileKilling(
  cluster: TestCluster,
  driver: Driver,
): Promise<{ code: number | null; stdout: string; stderr: string; killed: number[] }> {
  const child = spawn(process.execPath, [CLI, "sessions", "list", "--json", "--batch-size", "50"], {
    env: {
      PATH: process.env.PATH ?? "",
      ...env(driver, `redis://${REDIS_HOST}:${cluster.masters[0]}`),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  // "close": the process has exited and its output has been read to the end ("exit" may come
  // first, and the JSON would look cut short).
  const exited = new Promise<number | null>((done) => child.once("close", done));
  // Paused: nothing is read until the first bytes are there, then the reader stalls.
  while (child.stdout.readableLength === 0) {
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  let stdout = String(child.stdout.read() ?? "");
  const first = /"session_key":"([a-z0-9]+)"/.exec(stdout)?.[1];
  assert.ok(first !== undefined, `no first row: ${stdout.slice(0, 200)} ${stderr}`);
  // The walk stalls within the first or second master: the first holds the first key. Killing
  // both others leaves the walk a master it cannot finish, whichever it is on.
  const redisKey = cluster.store.redisKey(first);
  let walking = 0;
  for (const port of cluster.masters) {
    if ((await redisCli(port, "exists", redisKey)).trim() === "1") walking = port;
  }
  const killed = cluster.masters.filter((p) => p !== walking);
  for (const port of killed) await processes.kill(port);
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const code = await exited;
  await new Promise((r) => setImmediate(r));
  return { code, stdout, stderr, killed };
}

/** `sessions migrate --from --to` afresh, with `driver` for the Redis side. */
function migrate(driver: Driver, from: string, to: string, tag: string) {
  return runCli(
    [
      "sessions",
      "migrate",
      "--from",
      from,
      "--to",
      to,
      "--json",
      "--restart",
      "--checkpoint",
      `.work/ckpt-${tag}.json`,
    ],
    { env: env(driver, "redis://unused:1") },
  );
}

/** A list that a dead master cut short: exit 1, one stderr line, valid JSON of that many rows. */
function assertHonestFailure(
  r: { code: number | null; stdout: string; stderr: string },
  total: number,
): void {
  assert.equal(r.code, 1, r.stderr);
  const rows = JSON.parse(r.stdout) as unknown[];
  const count = Number(/output incomplete: (\d+) sessions written/.exec(r.stderr)?.[1]);
  assert.equal(count, rows.length, r.stderr);
  assert.ok(rows.length > 0 && rows.length < total);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
}

before(async () => {
  const client = new pg.Client(PG_ADMIN);
  await client.connect();
  await client.query("DROP DATABASE IF EXISTS sb_scale WITH (FORCE)");
  await client.query("CREATE DATABASE sb_scale");
  await client.end();
  const r = await runCli(["migrate", "--database-url", PG_URL]);
  assert.equal(r.code, 0, r.stderr);
});

after(async () => {
  for (const client of opened) client.disconnect();
  await processes.stop();
  const client = new pg.Client(PG_ADMIN);
  await client.connect();
  await client.query("DROP DATABASE IF EXISTS sb_scale WITH (FORCE)");
  await client.end();
});

describe("CLI on a 3-master Redis Cluster without replicas", { timeout: 60_000 }, () => {
  let cluster: TestCluster;
  let killed: number[] = [];
  before(async () => {
    cluster = await startCluster([7300, 7301, 7302], 0, 3000, "a");
  });

  for (const driver of DRIVERS) {
    it(`${driver}: list finds every session on every master, from any one node`, async () => {
      for (const port of driver === "ioredis" ? cluster.masters : cluster.masters.slice(1)) {
        const keys = await listed(driver, `redis://${REDIS_HOST}:${port}`);
        assert.equal(keys.length, cluster.keys.length);
        assert.deepEqual(new Set(keys), new Set(cluster.keys));
      }
    });

    it(`${driver}: show reads keys of other masters (addressed by slot)`, async () => {
      for (const port of driver === "ioredis"
        ? cluster.masters.slice(1)
        : cluster.masters.slice(2)) {
        const redisKey = (await redisCli(port, "randomkey")).trim();
        const key = cluster.store.sessionKeyOf(redisKey)!;
        const r = await runCli(["sessions", "show", key, "--json"], {
          env: env(driver, `redis://${REDIS_HOST}:${cluster.masters[0]}`),
        });
        assert.equal(r.code, 0, r.stderr);
        const index = cluster.keys.indexOf(key);
        assert.equal(
          (JSON.parse(r.stdout) as { user_id: string }).user_id,
          userOf(cluster.keys, index),
        );
      }
    });
  }

  it("a seed list and REDIS_CLUSTER_NODES reach the cluster when the first node is down", async () => {
    const keys = await listed(
      "ioredis",
      `redis://${REDIS_HOST}:7399,${REDIS_HOST}:${cluster.masters[1]}`,
      ["--user", "1"],
    );
    assert.equal(keys.length, keysOfUser(cluster.keys, "1").length);
    const r = await runCli(["sessions", "list", "--json", "--user", "2"], {
      env: env("redis", `redis://${REDIS_HOST}:7398`, {
        REDIS_CLUSTER_NODES: `${REDIS_HOST}:${cluster.masters[2]}`,
      }),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as unknown[]).length, keysOfUser(cluster.keys, "2").length);
  });

  for (const [driver, user] of [
    ["ioredis", "3"],
    ["redis", "4"],
  ] as const) {
    it(`${driver}: revoke --user deletes every session of the user on every master`, async () => {
      const expected = keysOfUser(cluster.keys, user);
      const r = await runCli(["sessions", "revoke", "--user", user, "--json"], {
        env: env(driver, `redis://${REDIS_HOST}:${cluster.masters[2]}`),
      });
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { user_id: string; deleted: number; via: string };
      assert.deepEqual(
        { user_id: out.user_id, deleted: out.deleted, via: out.via },
        { user_id: user, deleted: expected.length, via: "walk" },
      );
      const left = await Promise.all(expected.map((key) => cluster.store.exists(key)));
      assert.equal(left.filter(Boolean).length, 0);
    });
  }

  it("migrate copies every session cluster → PostgreSQL → another prefix on the cluster", async () => {
    const live = cluster.keys.filter((_, i) => !["3", "4"].includes(userOf(cluster.keys, i)));
    const from = `redis://${REDIS_HOST}:${cluster.masters[0]}?layout=django-redis&prefix=${PREFIX}`;
    const r = await migrate("redis", from, `sql+${PG_URL}`, "a");
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { copied: number }).copied, live.length);
    const client = new pg.Client(PG_URL);
    await client.connect();
    const { rows } = await client.query<{ n: string }>("SELECT count(*) AS n FROM django_session");
    await client.end();
    assert.equal(Number(rows[0]!.n), live.length);
    const to = `redis://${REDIS_HOST}:${cluster.masters[1]}?layout=django-redis&prefix=${PREFIX}-back`;
    const back = await migrate("ioredis", `sql+${PG_URL}`, to, "b");
    assert.equal(back.code, 0, back.stderr);
    assert.equal((JSON.parse(back.stdout) as { copied: number }).copied, live.length);
    const copies = await runCli(["sessions", "list", "--json"], {
      env: {
        ...env("ioredis", `redis://${REDIS_HOST}:${cluster.masters[2]}`),
        CACHE_KEY_PREFIX: `${PREFIX}-back`,
      },
    });
    assert.equal(copies.code, 0, copies.stderr);
    const copied = (JSON.parse(copies.stdout) as { session_key: string }[]).map(
      (s) => s.session_key,
    );
    assert.deepEqual(new Set(copied), new Set(live));
  });

  it("ioredis: a master killed mid-walk fails list with valid JSON and an honest count", async () => {
    const r = await listWhileKilling(cluster, "ioredis");
    killed = r.killed;
    assertHonestFailure(r, cluster.keys.length);
    assert.match(r.stderr, /Redis walk incomplete: SCAN on master \d of 3|Redis session store/);
  });

  it("node-redis: revoke on a cluster with a dead master fails and reports what it deleted", async () => {
    const user = "5";
    const live = cluster.masters.filter((p) => !killed.includes(p));
    const node = new Redis({ host: REDIS_HOST, port: live[0]! });
    const mine = keysOfUser(cluster.keys, user).map((key) => cluster.store.redisKey(key));
    /** How many of the user's sessions the live master still holds. */
    const held = async (): Promise<number> => {
      // A key of another master answers MOVED: not held here.
      const found = await Promise.all(mine.map((k) => node.call("EXISTS", k).catch(() => 0)));
      return found.filter((n) => Number(n) === 1).length;
    };
    const before = await held();
    assert.ok(before > 0);
    const r = await runCli(["sessions", "revoke", "--user", user], {
      env: env("redis", `redis://${REDIS_HOST}:${live[0]}`),
    });
    assert.equal(r.code, 1, r.stdout);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    // Either the client refuses the half-dead cluster at connect (nothing deleted), or the walk
    // stops at the dead master and says how many it had deleted: exactly what is gone.
    const deleted = Number(/after deleting (\d+) session/.exec(r.stderr)?.[1] ?? 0);
    assert.equal(before - (await held()), deleted, r.stderr);
    node.disconnect();
  });
});

describe(
  "CLI on a Redis Cluster with replicas (3 masters, 3 replicas)",
  // Six nodes, a failover and two CLI migrates: a loaded CI machine needs more than a minute.
  { timeout: 180_000 },
  () => {
    let cluster: TestCluster;
    before(async () => {
      cluster = await startCluster([7310, 7311, 7312, 7313, 7314, 7315], 1, 3000, "b");
    });

    it("both clients list every session exactly once, seeded from a replica", async () => {
      const replica = cluster.ports.find((p) => !cluster.masters.includes(p))!;
      for (const driver of DRIVERS) {
        const keys = await listed(driver, `redis://${REDIS_HOST}:${replica}`);
        assert.equal(keys.length, cluster.keys.length);
        assert.deepEqual(new Set(keys), new Set(cluster.keys));
      }
    });

    it("migrate interrupted, a replica promoted, then resumed: every session exactly once in PostgreSQL", async () => {
      const client = new pg.Client(PG_URL);
      await client.connect();
      await client.query("DELETE FROM django_session");
      const from = `redis://${REDIS_HOST}:${cluster.masters[0]}?layout=django-redis&prefix=${PREFIX}`;
      const checkpoint = resolve(".work/ckpt-failover.json");
      rmSync(checkpoint, { force: true });
      const args = [CLI, "sessions", "migrate", "--from", from, "--to", `sql+${PG_URL}`];
      const child = spawn(
        process.execPath,
        [...args, "--checkpoint", checkpoint, "--batch-size", "20"],
        {
          env: { PATH: process.env.PATH ?? "", ...env("ioredis", "redis://unused:1") },
          stdio: "ignore",
        },
      );
      const exited = new Promise<number | null>((done) => child.once("exit", done));
      while (!existsSync(checkpoint) && child.exitCode === null)
        await new Promise((r) => setTimeout(r, 5));
      child.kill("SIGINT");
      assert.equal(await exited, 1, "the migrate was not interrupted");
      const saved = JSON.parse(readFileSync(checkpoint, "utf8")) as {
        done: boolean;
        copied: number;
      };
      assert.equal(saved.done, false);
      // A replica takes over its master (a graceful CLUSTER FAILOVER): new run_ids.
      const replica = cluster.ports.find((p) => !cluster.masters.includes(p))!;
      // A graceful failover gives up when the replica has not caught up with its master in
      // time (a busy machine): asked again every 2 s until the replica is the master.
      for (let tick = 0; ; tick++) {
        if (tick % 40 === 0) await redisCli(replica, "cluster", "failover");
        if (/^role:master/m.test(await redisCli(replica, "info", "replication"))) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      for (const port of cluster.ports) {
        while (!/cluster_state:ok/.test(await redisCli(port, "cluster", "info")))
          await new Promise((r) => setTimeout(r, 50));
      }
      const r = await runCli([...args.slice(1), "--checkpoint", checkpoint, "--json"], {
        env: env("redis", "redis://unused:1"),
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /restarted or failed over/);
      const summary = JSON.parse(r.stdout) as { copied: number; restarted: boolean };
      assert.equal(summary.restarted, true);
      assert.equal(summary.copied, cluster.keys.length);
      const { rows } = await client.query<{ key: string }>(
        "SELECT session_key AS key FROM django_session",
      );
      await client.end();
      assert.equal(rows.length, cluster.keys.length);
      assert.deepEqual(new Set(rows.map((row) => row.key)), new Set(cluster.keys));
      // The old master is a replica now: the kill test below kills masters only.
      cluster.masters.splice(0, cluster.masters.length);
      for (const port of cluster.ports) {
        if (/^role:master/m.test(await redisCli(port, "info", "replication")))
          cluster.masters.push(port);
      }
    });

    it("node-redis: a master killed mid-walk fails list with valid JSON and an honest count", async () => {
      const r = await listWhileKilling(cluster, "redis");
      assertHonestFailure(r, cluster.keys.length);
    });
  },
);
