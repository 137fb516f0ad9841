// Redis Cluster and Sentinel with both clients, on throwaway redis-server processes started on
// high loopback ports (Debian's redis-server / redis-cli) and stopped by PID afterwards.
// Cluster: keys spread over three masters, and SCAN must find every one of them.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
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
  redisCli,
} from "./helpers.ts";
import { OpenClients, ready } from "./open-clients.ts";

/** How a suite's clients connect, by label: each is tracked by `opened`, to be closed after. */
type Openers = Record<string, (opened: OpenClients) => Promise<RedisClientInput>>;

/**
 * A suite on throwaway servers that `start` launches (and that are stopped after it), with one
 * `test` per client in `clients`.
 */
function describeTopology(
  name: string,
  start: (processes: RedisProcesses) => Promise<void>,
  clients: Openers,
  test: (label: string, open: () => Promise<RedisClientInput>) => void,
): void {
  describe(name, { timeout: 60_000 }, () => {
    const processes = new RedisProcesses();
    const opened = new OpenClients();
    before(() => start(processes));
    after(async () => {
      await opened.closeAll();
      await processes.stop();
    });
    for (const [label, open] of Object.entries(clients)) test(label, () => open(opened));
  });
}

const ports = highPorts(3);

/** Three cluster-enabled masters on `ports`, joined into one cluster that reports ok. */
function startCluster(processes: RedisProcesses): Promise<void> {
  return processes.cluster(ports);
}

const clusterClients: Openers = {
  "node-redis createCluster": async (opened) => {
    const cluster = opened.track(
      createCluster({ rootNodes: [{ socket: { host: REDIS_HOST, port: ports[0] ?? 0 } }] }),
      (c) => c.destroy(),
    );
    await cluster.connect();
    return cluster;
  },
  "ioredis Cluster": async (opened) => {
    const cluster = opened.track(new Cluster([{ host: REDIS_HOST, port: ports[0] ?? 0 }]), (c) =>
      c.disconnect(),
    );
    await ready(cluster);
    return cluster;
  },
};

describeTopology("Redis Cluster (3 masters)", startCluster, clusterClients, (label, open) => {
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
      ports.map(async (port) => Number((await redisCli(port, "dbsize")).trim())),
    );
    assert.ok(perMaster.filter((n) => n > 0).length >= 2, `per master: ${perMaster.join(",")}`);
    const listed = new Set<string>();
    for await (const key of scanSessionKeys(store, { count: 7 })) listed.add(key);
    assert.deepEqual([...listed].sort(), [...keys].sort());
    // The same walk a page at a time, each page in a new walk resumed from the last position
    // (the CLI's `sessions migrate` after a stop): every master's keys, none lost.
    const resumed = new Set<string>();
    const positions: string[] = [];
    let position = "";
    do {
      const pages = store.client.scanPages?.(store.scanPattern, 7, position);
      assert.ok(pages !== undefined, "the adapter walks page by page");
      const iterator = pages[Symbol.asyncIterator]();
      const step = await iterator.next();
      await iterator.return?.();
      if (step.done === true) break;
      for (const redisKey of step.value.keys) resumed.add(store.sessionKeyOf(redisKey) ?? "");
      position = step.value.position;
      positions.push(position);
    } while (position !== "");
    assert.deepEqual([...resumed].sort(), [...keys].sort());
    assert.ok(
      positions.some((p) => p.startsWith("2:")),
      positions.join(" "),
    );
    // The store's own walk, resumed in a new walk after every page: each session with its data.
    const walked = new Map<string, unknown>();
    position = "";
    do {
      const iterator = store.walk({ batchSize: 7, position })[Symbol.asyncIterator]();
      const step = await iterator.next();
      await iterator.return?.();
      if (step.done === true) break;
      for (const session of step.value.sessions) walked.set(session.key, session.data?.get("k"));
      position = step.value.position;
    } while (position !== "");
    assert.deepEqual([...walked.keys()].sort(), [...keys].sort());
    for (const [key, k] of walked) assert.equal(k, key);
    for (const key of keys) await store.delete(key);
  });
});

const [masterPort = 0, sentinelPort = 0] = highPorts(2);
const codec = new DjangoSessionCodec({ secret: "sentinel-test-secret" });

/** A master and a sentinel watching it as "sbmaster". */
async function startSentinel(processes: RedisProcesses): Promise<void> {
  await processes.server(masterPort);
  await processes.sentinel(sentinelPort, "sbmaster", masterPort);
}

const sentinelClients: Openers = {
  "node-redis createSentinel": async (opened) => {
    const sentinel = opened.track(
      createSentinel({
        name: "sbmaster",
        sentinelRootNodes: [{ host: REDIS_HOST, port: sentinelPort }],
      }),
      (c) => c.destroy(),
    );
    await sentinel.connect();
    return sentinel;
  },
  "ioredis sentinels": async (opened) => {
    const client = opened.track(
      new Redis({ sentinels: [{ host: REDIS_HOST, port: sentinelPort }], name: "sbmaster" }),
      (c) => c.disconnect(),
    );
    await ready(client);
    return client;
  },
};

describeTopology("Redis Sentinel", startSentinel, sentinelClients, (label, open) => {
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
});
