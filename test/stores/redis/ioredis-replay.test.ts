// ioredis with its defaults (`enableOfflineQueue: true`, `autoResendUnfulfilledCommands: true`):
// a write the store reported as failed must never reach Redis later. Three ways ioredis could
// send it again, each checked against a plain ioredis command in the same spot (the control,
// which ioredis does replay, so the scenario is known to be real) and with a separate client:
// - issued during an outage: refused at once, never queued;
// - queued before a lazyConnect client ever connected, then timed out: withdrawn from the queue;
// - sent, with the reply stalled until our timeout, then the connection dropped: not re-sent.
// The outage is a TCP proxy in front of the real Redis (single server), or in front of throwaway
// servers: each Cluster node, a Sentinel's master (ioredis `natMap` sends the traffic through).
import assert from "node:assert/strict";
import { createServer, connect, type Server, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { Cluster, Redis } from "ioredis";
import { RedisRateLimiter } from "../../../src/auth/index.ts";
import { SessionStoreError } from "../../../src/errors.ts";
import {
  DjangoCacheStore,
  RedisCommandTimeoutError,
  RedisNotReadyError,
  fromIoredis,
} from "../../../src/stores/redis/index.ts";
import {
  REDIS_HOST,
  REDIS_PORT,
  RawRedis,
  RedisProcesses,
  STORE_DB,
  expiryIn,
  highPorts,
  newKey,
  recordingLogger,
  uniquePrefix,
} from "./helpers.ts";
import { OpenClients, ready } from "./open-clients.ts";

const TIMEOUT_MS = 400;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A TCP proxy to one Redis that can refuse connections (`stop`/`start`), or `stall`: keep the
 * connections open but swallow what clients send, like a server that hung after reading a
 * command. `resume` drops the connections and forwards again, so clients reconnect through it.
 */
class StallingProxy {
  readonly #target: number;
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #stalled = false;
  port = 0;

  constructor(target: number) {
    this.#target = target;
  }

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.#target, REDIS_HOST);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on("close", () => this.#sockets.delete(socket));
        socket.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.on("data", (chunk: Buffer) => {
        if (!this.#stalled) upstream.write(chunk);
      });
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, REDIS_HOST, () => {
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no proxy port");
    this.port = address.port;
    this.#server = server;
  }

  stall(): void {
    this.#stalled = true;
  }

  resume(): void {
    this.#drop();
    this.#stalled = false;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.#drop();
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  #drop(): void {
    for (const socket of this.#sockets) socket.destroy();
  }
}

/** The rejection of `promise`, and how long it took (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<{ err: unknown; ms: number }> {
  const started = Date.now();
  const err = await promise.then(
    () => assert.fail("resolved while Redis was unreachable"),
    (e: unknown) => e,
  );
  return { err, ms: Date.now() - started };
}

/** The store's typed outage error, caused by `cause` (the adapter's own error class). */
function assertOutage(err: unknown, cause: new (...args: never[]) => Error): void {
  assert.ok(err instanceof SessionStoreError, String(err));
  assert.equal(err.code, "store-unavailable");
  assert.ok(err.cause instanceof cause, `cause: ${String(err.cause)}`);
}

/** Resolves once `client.status` is no longer `ready` (ioredis noticed the outage). */
async function notReady(client: { status: string }): Promise<void> {
  const deadline = Date.now() + 5000;
  while (client.status === "ready") {
    if (Date.now() > deadline) throw new Error("the client never noticed the outage");
    await sleep(10);
  }
}

describe("ioredis defaults: a write reported as failed never runs later", () => {
  const prefix = uniquePrefix("ioredis-replay");
  const raw = new RawRedis();
  const opened = new OpenClients();
  const proxies: StallingProxy[] = [];

  after(async () => {
    await opened.closeAll();
    for (const proxy of proxies) await proxy.stop();
    await raw.deleteMatching(`${prefix}*`);
    await raw.close();
  });

  /** A proxy and an ioredis client with every queueing option at its default, through it. */
  async function setup(options: { lazyConnect?: true } = {}) {
    const proxy = new StallingProxy(REDIS_PORT);
    proxies.push(proxy);
    await proxy.start();
    const client = opened.track(
      new Redis({ host: REDIS_HOST, port: proxy.port, db: STORE_DB, ...options }),
      (c) => c.disconnect(),
    );
    if (!options.lazyConnect) await ready(client);
    const store = new DjangoCacheStore({
      client: fromIoredis(client, { commandTimeoutMs: TIMEOUT_MS }),
      keyPrefix: prefix,
      logger: recordingLogger(),
    });
    const limiter = new RedisRateLimiter({
      client,
      limit: 3,
      windowMs: 60_000,
      keyPrefix: `${prefix}:rl:`,
      commandTimeoutMs: TIMEOUT_MS,
    });
    return { proxy, client, store, limiter };
  }

  type Setup = Awaited<ReturnType<typeof setup>>;

  /** Two sessions in Redis: one to overwrite, one to delete. */
  async function sessions(store: DjangoCacheStore) {
    const kept = newKey();
    const doomed = newKey();
    for (const key of [kept, doomed]) {
      await store.save(key, new Map([["v", "before"]]), { mustCreate: true, expiry: expiryIn(60) });
    }
    return { kept, doomed, fresh: newKey(), limited: `username:${newKey()}` };
  }

  /** Every write the stores and the limiter make, on those keys. */
  function writes(s: Setup, keys: Awaited<ReturnType<typeof sessions>>): Promise<unknown>[] {
    return WRITES.map((write) => write(s, keys));
  }

  type Write = (s: Setup, keys: Awaited<ReturnType<typeof sessions>>) => Promise<unknown>;
  const WRITES: Write[] = [
    (s, k) =>
      s.store.save(k.kept, new Map([["v", "after"]]), { mustCreate: false, expiry: expiryIn(60) }),
    (s, k) =>
      s.store.save(k.fresh, new Map([["v", "new"]]), { mustCreate: true, expiry: expiryIn(60) }),
    (s, k) => s.store.delete(k.doomed),
    (s, k) => s.store.touch(k.kept, expiryIn(5)),
    (s, k) => s.limiter.hit(k.limited),
  ];

  /** Redis, seen by a separate client, holds exactly what it held before the failed writes. */
  async function assertUntouched(s: Setup, keys: Awaited<ReturnType<typeof sessions>>) {
    for (const key of [keys.kept, keys.doomed]) {
      assert.deepEqual(await s.store.load(key), new Map([["v", "before"]]), "a late write ran");
      assert.ok((await raw.ttl(s.store.redisKey(key))) > 30, "a late touch ran");
    }
    assert.equal(await raw.exists(s.store.redisKey(keys.fresh)), 0, "a late save ran");
    assert.equal(await raw.exists(s.limiter.redisKey(keys.limited)), 0, "a late script ran");
  }

  /** The store and the limiter work again on the same client, without a restart. */
  async function assertRecovered(s: Setup) {
    const key = newKey();
    await s.store.save(key, new Map([["v", "again"]]), { mustCreate: true, expiry: expiryIn(60) });
    assert.deepEqual(await s.store.load(key), new Map([["v", "again"]]));
    await s.store.delete(key);
    assert.equal(await s.store.load(key), null);
    const limited = `username:${newKey()}`;
    await s.limiter.hit(limited);
    assert.equal(await s.limiter.retryAfter(limited), 0);
    await s.limiter.reset(limited);
  }

  it("writes issued during an outage fail at once, and nothing runs once Redis is back", async () => {
    const s = await setup();
    const keys = await sessions(s.store);
    await s.proxy.stop();
    await notReady(s.client);
    // The control: a plain ioredis command goes to the offline queue and runs after reconnecting.
    const controlKey = `${prefix}:control:${newKey()}`;
    const control = s.client.set(controlKey, "queued");
    for (const write of writes(s, keys)) {
      const { err, ms } = await rejection(write);
      assert.ok(err instanceof SessionStoreError, String(err));
      assert.equal(err.code, "store-unavailable");
      assert.ok(err.cause instanceof RedisNotReadyError, `cause: ${String(err.cause)}`);
      assert.ok(ms < 50, `took ${ms} ms`);
    }
    await s.proxy.start();
    assert.equal(await control, "OK"); // replayed from the offline queue, after reconnecting
    assert.equal(await raw.get(controlKey).then(String), "queued");
    await sleep(200);
    await assertUntouched(s, keys);
    await assertRecovered(s);
  });

  it("a write queued before a lazyConnect client connected, then timed out, is withdrawn", async () => {
    // Only a client's first command finds it in `wait` (it then connects): one client per write.
    const other = await setup();
    await Promise.all(
      WRITES.map(async (write) => {
        const s = await setup({ lazyConnect: true });
        const keys = await sessions(other.store);
        await s.proxy.stop();
        assert.equal(s.client.status, "wait");
        const { err, ms } = await rejection(write(s, keys));
        assertOutage(err, RedisCommandTimeoutError);
        assert.ok(ms < TIMEOUT_MS + 300, `took ${ms} ms`);
        const controlKey = `${prefix}:control:${newKey()}`;
        const control = s.client.set(controlKey, "queued"); // behind the withdrawn write
        await s.proxy.start();
        assert.equal(await control, "OK");
        assert.equal(await raw.get(controlKey).then(String), "queued");
        await sleep(200);
        await assertUntouched(s, keys);
        await assertRecovered(s);
      }),
    );
  });

  it("writes sent but unanswered within the timeout are not re-sent after a reconnection", async () => {
    const s = await setup();
    const keys = await sessions(s.store);
    s.proxy.stall();
    const pending = writes(s, keys);
    // The control: sent with them, also unanswered; ioredis re-sends it after reconnecting.
    const controlKey = `${prefix}:control:${newKey()}`;
    const control = s.client.set(controlKey, "re-sent");
    for (const write of pending) {
      const { err, ms } = await rejection(write);
      assertOutage(err, RedisCommandTimeoutError);
      assert.ok(ms < TIMEOUT_MS + 300, `took ${ms} ms`);
    }
    assert.equal(s.client.status, "ready"); // nothing told ioredis the server was gone
    s.proxy.resume();
    assert.equal(await control, "OK"); // re-sent on the new connection, as ours would be
    assert.equal(await raw.get(controlKey).then(String), "re-sent");
    await sleep(200);
    await assertUntouched(s, keys);
    await assertRecovered(s);
  });
});

describe(
  "ioredis Cluster: a write reported as failed never runs later",
  { timeout: 60_000 },
  () => {
    const ports = highPorts(3);
    const processes = new RedisProcesses();
    const opened = new OpenClients();
    const proxies = new Map<number, StallingProxy>();
    let cluster: Cluster;
    let store: DjangoCacheStore;
    let limiter: RedisRateLimiter;

    before(async () => {
      await processes.cluster(ports);
      const natMap: Record<string, { host: string; port: number }> = {};
      for (const port of ports) {
        const proxy = new StallingProxy(port);
        await proxy.start();
        proxies.set(port, proxy);
        natMap[`${REDIS_HOST}:${port}`] = { host: REDIS_HOST, port: proxy.port };
      }
      const first = proxies.get(ports[0] ?? 0)!;
      cluster = opened.track(
        new Cluster([{ host: REDIS_HOST, port: first.port }], { natMap }),
        (c) => c.disconnect(),
      );
      await ready(cluster);
      store = new DjangoCacheStore({
        client: fromIoredis(cluster, { commandTimeoutMs: TIMEOUT_MS }),
        keyPrefix: "replay",
        logger: recordingLogger(),
      });
      limiter = new RedisRateLimiter({
        client: cluster,
        limit: 3,
        windowMs: 60_000,
        keyPrefix: "",
        commandTimeoutMs: TIMEOUT_MS,
      });
    });
    after(async () => {
      await opened.closeAll();
      for (const proxy of proxies.values()) await proxy.stop();
      await processes.stop();
    });

    /** The proxy in front of the master that holds `redisKey`. */
    async function proxyOf(redisKey: string): Promise<StallingProxy> {
      const slot = await cluster.cluster("KEYSLOT", redisKey);
      const slots = await cluster.cluster("SLOTS");
      const owner = slots.find(([from, to]) => from <= slot && slot <= to)?.[2]?.[1];
      const proxy = owner === undefined ? undefined : proxies.get(owner);
      if (proxy === undefined) throw new Error(`no proxy for slot ${slot}`);
      return proxy;
    }

    /** A key that lives on the same master as `redisKey`. */
    async function neighbourOf(redisKey: string, label: string): Promise<string> {
      const proxy = await proxyOf(redisKey);
      for (;;) {
        const key = `${label}:${newKey()}`;
        if ((await proxyOf(key)) === proxy) return key;
      }
    }

    /** A direct connection to the node behind `proxy`, for assertions. */
    function direct(proxy: StallingProxy): Redis {
      const [port] = [...proxies].find(([, p]) => p === proxy) ?? [];
      return opened.track(new Redis({ host: REDIS_HOST, port: port ?? 0 }), (c) => c.disconnect());
    }

    it("writes sent to a node that stalls, then drops, are not retried after the reconnection", async () => {
      const kept = newKey();
      await store.save(kept, new Map([["v", "before"]]), {
        mustCreate: true,
        expiry: expiryIn(60),
      });
      const proxy = await proxyOf(store.redisKey(kept));
      const node = direct(proxy);
      // The control: a key on the same node, written by a plain cluster command.
      const controlKey = await neighbourOf(store.redisKey(kept), "control");
      const limited = await neighbourOf(store.redisKey(kept), "rl");
      proxy.stall();
      const pending = [
        store.save(kept, new Map([["v", "after"]]), { mustCreate: false, expiry: expiryIn(60) }),
        store.delete(kept),
        limiter.hit(limited),
      ];
      const control = cluster.set(controlKey, "retried");
      for (const write of pending) {
        const { err, ms } = await rejection(write);
        assertOutage(err, RedisCommandTimeoutError);
        assert.ok(ms < TIMEOUT_MS + 300, `took ${ms} ms`);
      }
      proxy.resume();
      assert.equal(await control, "OK"); // ioredis retries it once the node is back
      assert.equal(String(await node.get(controlKey)), "retried");
      await sleep(300);
      assert.deepEqual(await store.load(kept), new Map([["v", "before"]]), "a late write ran");
      assert.equal(await node.exists(limited), 0, "a late script ran");
      await limiter.hit(limited);
      await limiter.reset(limited);
      await store.save(kept, new Map([["v", "again"]]), {
        mustCreate: false,
        expiry: expiryIn(60),
      });
      assert.deepEqual(await store.load(kept), new Map([["v", "again"]]));
      await store.delete(kept);
      await node.del(controlKey);
    });

    it("writes fail at once while the cluster is down, and work once it is back", async () => {
      const key = newKey();
      await store.save(key, new Map([["v", "before"]]), { mustCreate: true, expiry: expiryIn(60) });
      for (const proxy of proxies.values()) await proxy.stop();
      await notReady(cluster);
      for (const write of [
        store.save(key, new Map([["v", "after"]]), { mustCreate: false, expiry: expiryIn(60) }),
        store.delete(key),
      ]) {
        const { err, ms } = await rejection(write);
        assertOutage(err, RedisNotReadyError);
        assert.ok(ms < 50, `took ${ms} ms`);
      }
      for (const proxy of proxies.values()) await proxy.start();
      if (cluster.status !== "ready") await ready(cluster);
      await sleep(200);
      assert.deepEqual(await store.load(key), new Map([["v", "before"]]));
      await store.delete(key);
      assert.equal(await store.load(key), null);
    });
  },
);

describe(
  "ioredis Sentinel: a write reported as failed never runs later",
  { timeout: 60_000 },
  () => {
    // The master's address, as the sentinel reports it, is mapped (`natMap`) to a proxy.
    const [masterPort = 0, sentinelPort = 0] = highPorts(2);
    const processes = new RedisProcesses();
    const opened = new OpenClients();
    const proxy = new StallingProxy(masterPort);
    let client: Redis;
    let store: DjangoCacheStore;
    let master: Redis;

    before(async () => {
      await processes.server(masterPort);
      await processes.sentinel(sentinelPort, "sbreplay", masterPort);
      await proxy.start();
      client = opened.track(
        new Redis({
          sentinels: [{ host: REDIS_HOST, port: sentinelPort }],
          name: "sbreplay",
          natMap: { [`${REDIS_HOST}:${masterPort}`]: { host: REDIS_HOST, port: proxy.port } },
        }),
        (c) => c.disconnect(),
      );
      await ready(client);
      store = new DjangoCacheStore({
        client: fromIoredis(client, { commandTimeoutMs: TIMEOUT_MS }),
        logger: recordingLogger(),
      });
      master = opened.track(new Redis({ host: REDIS_HOST, port: masterPort }), (c) =>
        c.disconnect(),
      );
    });
    after(async () => {
      await opened.closeAll();
      await proxy.stop();
      await processes.stop();
    });

    it("a write sent to a master that stalls, then drops, is not re-sent", async () => {
      const key = newKey();
      await store.save(key, new Map([["v", "before"]]), { mustCreate: true, expiry: expiryIn(60) });
      proxy.stall();
      const pending = [
        store.save(key, new Map([["v", "after"]]), { mustCreate: false, expiry: expiryIn(60) }),
        store.delete(key),
      ];
      const controlKey = `control:${newKey()}`;
      const control = client.set(controlKey, "re-sent");
      for (const write of pending) {
        const { err } = await rejection(write);
        assertOutage(err, RedisCommandTimeoutError);
      }
      proxy.resume();
      assert.equal(await control, "OK");
      assert.equal(String(await master.get(controlKey)), "re-sent");
      await sleep(200);
      assert.deepEqual(await store.load(key), new Map([["v", "before"]]), "a late write ran");
      await master.del(controlKey);
    });

    it("writes fail at once while the master is unreachable, and work once it is back", async () => {
      const key = newKey();
      await store.save(key, new Map([["v", "before"]]), { mustCreate: true, expiry: expiryIn(60) });
      await proxy.stop();
      await notReady(client);
      const { err, ms } = await rejection(store.delete(key));
      assertOutage(err, RedisNotReadyError);
      assert.ok(ms < 50, `took ${ms} ms`);
      await proxy.start();
      if (client.status !== "ready") await ready(client);
      await sleep(200);
      assert.deepEqual(await store.load(key), new Map([["v", "before"]]));
      await store.delete(key);
      assert.equal(await store.load(key), null);
    });
  },
);
