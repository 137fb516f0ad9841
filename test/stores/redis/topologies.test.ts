// Redis Cluster and Sentinel with both clients, on throwaway redis-server processes started on
// high loopback ports (Debian's redis-server / redis-cli) and stopped by PID afterwards.
// Cluster: keys spread over three masters, and SCAN must find every one of them.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { Cluster, Redis } from "ioredis";
import { createCluster, createSentinel } from "redis";
import {
  DjangoCacheStore,
  DjangoRedisSessionsStore,
  scanSessionKeys,
  type RedisClientInput,
} from "../../../src/stores/redis/index.ts";
import { DjangoSessionCodec } from "../../../src/codecs/django/session-encoding.ts";
import {
  REDIS_HOST,
  RedisProcesses,
  expiryIn,
  highPorts,
  newKey,
  recordingLogger,
} from "./helpers.ts";

const run = promisify(execFile);

async function clusterState(port: number): Promise<string> {
  const { stdout } = await run("redis-cli", [
    "-h",
    REDIS_HOST,
    "-p",
    String(port),
    "cluster",
    "info",
  ]);
  return /cluster_state:(\w+)/.exec(stdout)?.[1] ?? "";
}

describe("Redis Cluster (3 masters)", { timeout: 60_000 }, () => {
  const processes = new RedisProcesses();
  const ports = highPorts(3);
  const closers: (() => void)[] = [];

  before(async () => {
    for (const port of ports) {
      await processes.server(port, [
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        `nodes-${port}.conf`,
      ]);
    }
    await run("redis-cli", [
      "--cluster",
      "create",
      ...ports.map((p) => `${REDIS_HOST}:${p}`),
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ]);
    const deadline = Date.now() + 15_000;
    for (const port of ports) {
      while ((await clusterState(port)) !== "ok") {
        if (Date.now() > deadline) throw new Error("cluster did not become ok");
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });
  after(async () => {
    for (const close of closers) {
      try {
        close();
      } catch {
        // already closed
      }
    }
    await processes.stop();
  });

  const clients: [string, () => Promise<RedisClientInput>][] = [
    [
      "node-redis createCluster",
      async () => {
        const cluster = createCluster({
          rootNodes: [{ socket: { host: REDIS_HOST, port: ports[0] ?? 0 } }],
        });
        cluster.on("error", () => {});
        await cluster.connect();
        closers.push(() => {
          cluster.destroy();
        });
        return cluster;
      },
    ],
    [
      "ioredis Cluster",
      async () => {
        const cluster = new Cluster([{ host: REDIS_HOST, port: ports[0] ?? 0 }]);
        cluster.on("error", () => {});
        await new Promise((resolve) => cluster.once("ready", resolve));
        closers.push(() => {
          cluster.disconnect();
        });
        return cluster;
      },
    ],
  ];

  for (const [label, open] of clients) {
    it(`${label}: saves, loads and lists sessions on every master`, async () => {
      const store = new DjangoCacheStore({
        client: await open(),
        keyPrefix: label.replace(/\W/g, ""),
        logger: recordingLogger(),
      });
      assert.match(store.client.kind, /cluster$/);
      const keys = Array.from({ length: 40 }, () => newKey());
      for (const key of keys) {
        await store.save(key, new Map([["k", key]]), { mustCreate: true, expiry: expiryIn(300) });
      }
      for (const key of keys) assert.deepEqual(await store.load(key), new Map([["k", key]]));
      // The keys really are on several masters.
      const perMaster = await Promise.all(
        ports.map(async (port) => {
          const { stdout } = await run("redis-cli", [
            "-h",
            REDIS_HOST,
            "-p",
            String(port),
            "dbsize",
          ]);
          return Number(stdout.trim());
        }),
      );
      assert.ok(perMaster.filter((n) => n > 0).length >= 2, `per master: ${perMaster.join(",")}`);
      const listed = new Set<string>();
      for await (const key of scanSessionKeys(store, { count: 7 })) listed.add(key);
      assert.deepEqual([...listed].sort(), [...keys].sort());
      for (const key of keys) await store.delete(key);
    });
  }
});

describe("Redis Sentinel", { timeout: 60_000 }, () => {
  const processes = new RedisProcesses();
  const [masterPort = 0, sentinelPort = 0] = highPorts(2);
  const closers: (() => void)[] = [];
  const codec = new DjangoSessionCodec({ secret: "sentinel-test-secret" });

  before(async () => {
    await processes.server(masterPort);
    await processes.sentinel(sentinelPort, "sbmaster", masterPort);
  });
  after(async () => {
    for (const close of closers) {
      try {
        close();
      } catch {
        // already closed
      }
    }
    await processes.stop();
  });

  const clients: [string, () => Promise<RedisClientInput>][] = [
    [
      "node-redis createSentinel",
      async () => {
        const sentinel = createSentinel({
          name: "sbmaster",
          sentinelRootNodes: [{ host: REDIS_HOST, port: sentinelPort }],
        });
        sentinel.on("error", () => {});
        await sentinel.connect();
        closers.push(() => {
          sentinel.destroy();
        });
        return sentinel;
      },
    ],
    [
      "ioredis sentinels",
      async () => {
        const client = new Redis({
          sentinels: [{ host: REDIS_HOST, port: sentinelPort }],
          name: "sbmaster",
        });
        client.on("error", () => {});
        await new Promise((resolve) => client.once("ready", resolve));
        closers.push(() => {
          client.disconnect();
        });
        return client;
      },
    ],
  ];

  for (const [label, open] of clients) {
    it(`${label}: the Sentinel's master serves the stores`, async () => {
      const client = await open();
      const stores = [
        new DjangoCacheStore({ client, logger: recordingLogger() }),
        new DjangoRedisSessionsStore({ client, codec, prefix: "s", logger: recordingLogger() }),
      ];
      for (const store of stores) {
        const key = newKey();
        await store.save(key, new Map([["a", 1]]), { mustCreate: true, expiry: expiryIn(60) });
        assert.deepEqual(await store.load(key), new Map([["a", 1]]));
        const listed: string[] = [];
        for await (const k of scanSessionKeys(store)) listed.push(k);
        assert.ok(listed.includes(key));
        await store.delete(key);
      }
      const direct = new Redis({ host: REDIS_HOST, port: masterPort });
      try {
        assert.equal(await direct.dbsize(), 0);
      } finally {
        direct.disconnect();
      }
    });
  }
});
