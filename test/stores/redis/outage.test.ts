// A Redis that goes away: every store call fails quickly with SessionStoreError (never hangs in
// the client's offline queue), and works again once Redis is back. The outage is a local TCP
// proxy in front of the real Redis that the test stops and restarts.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { SessionStoreError } from "../../../src/errors.ts";
import { DjangoCacheStore, fromIoredis, fromNodeRedis } from "../../../src/stores/redis/index.ts";
import type { RedisCommandClient } from "../../../src/stores/redis/index.ts";
import {
  REDIS_HOST,
  REDIS_PORT,
  RawRedis,
  STORE_DB,
  expiryIn,
  highPorts,
  newKey,
  recordingLogger,
  startProxy,
  uniquePrefix,
  type Proxy,
} from "./helpers.ts";
import { OpenClients, ready } from "./open-clients.ts";

const TIMEOUT_MS = 400;

async function failsFast(promise: Promise<unknown>, store: string): Promise<number> {
  const started = Date.now();
  const err = await promise.then(
    () => assert.fail("resolved while Redis is down"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof SessionStoreError, String(err));
  assert.equal(err.code, "store-unavailable");
  assert.ok(err.message.startsWith(`Redis session store ${store} failed`), err.message);
  assert.ok(!err.message.includes("\n"));
  return Date.now() - started;
}

/** Retries `action` until it succeeds (the client reconnects in the background). */
async function eventually<T>(action: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await action();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe("Redis outage", () => {
  const prefix = uniquePrefix("outage");
  const raw = new RawRedis();
  const opened = new OpenClients();
  let proxy: Proxy;

  before(async () => {
    proxy = await startProxy(REDIS_PORT, REDIS_HOST);
  });
  after(async () => {
    await opened.closeAll();
    await proxy.stop();
    await raw.deleteMatching(`${prefix}:*`);
    await raw.close();
  });

  /** A node-redis client through the proxy, with the store's command timeout. */
  const viaNodeRedis =
    (options: { disableOfflineQueue?: true }) => async (): Promise<RedisCommandClient> => {
      const client = opened.track(
        createClient({
          socket: { host: REDIS_HOST, port: proxy.port, reconnectStrategy: 100 },
          database: STORE_DB,
          ...options,
        }),
        (c) => c.destroy(),
      );
      await client.connect();
      return fromNodeRedis(client, { commandTimeoutMs: TIMEOUT_MS });
    };

  /** An ioredis client through the proxy, once `connected`, with the store's command timeout. */
  const viaIoredis =
    (
      options: { maxRetriesPerRequest?: number; enableOfflineQueue?: boolean },
      connected: (client: Redis) => Promise<unknown>,
    ) =>
    async (): Promise<RedisCommandClient> => {
      const client = opened.track(
        new Redis({ host: REDIS_HOST, port: proxy.port, db: STORE_DB, ...options }),
        (c) => c.disconnect(),
      );
      await connected(client);
      return fromIoredis(client, { commandTimeoutMs: TIMEOUT_MS });
    };
  const ping = (client: Redis): Promise<string> => client.ping();

  // [label, open]: with every client, a write that failed never runs once Redis is back.
  const clients: [string, () => Promise<RedisCommandClient>][] = [
    ["node-redis (offline queue on)", viaNodeRedis({})],
    ["node-redis (disableOfflineQueue)", viaNodeRedis({ disableOfflineQueue: true })],
    ["ioredis (maxRetriesPerRequest: 1)", viaIoredis({ maxRetriesPerRequest: 1 }, ping)],
    ["ioredis (enableOfflineQueue: false)", viaIoredis({ enableOfflineQueue: false }, ready)],
    // ioredis keeps queued commands for 20 reconnections by default; the adapter keeps writes
    // out of that queue (ioredis-replay.test.ts covers the ways ioredis could replay them).
    ["ioredis (defaults)", viaIoredis({}, ping)],
  ];

  for (const [label, open] of clients) {
    it(`${label}: fails fast while Redis is down, then recovers`, async () => {
      const store = new DjangoCacheStore({
        client: await open(),
        keyPrefix: prefix,
        logger: recordingLogger(),
      });
      const key = newKey();
      await store.save(key, new Map([["a", 1]]), { mustCreate: true, expiry: expiryIn(60) });
      await proxy.stop();
      try {
        for (const call of [
          () => store.load(key),
          () => store.save(key, new Map([["a", 2]]), { mustCreate: false, expiry: expiryIn(60) }),
          () => store.exists(key),
          () => store.delete(key),
          () => store.touch(key, expiryIn(60)),
        ]) {
          const ms = await failsFast(call(), store.name);
          assert.ok(ms < TIMEOUT_MS + 1000, `took ${ms} ms`);
        }
      } finally {
        await proxy.start();
      }
      const back = await eventually(() => store.load(key));
      assert.deepEqual(back, new Map([["a", 1]]));
      await store.delete(key);
    });
  }

  it("a client pointed at a closed port fails fast", async () => {
    const [closedPort = 1] = highPorts(1);
    const client = opened.track(
      new Redis({
        host: REDIS_HOST,
        port: closedPort,
        maxRetriesPerRequest: 1,
        retryStrategy: () => 200,
      }),
      (c) => c.disconnect(),
    );
    const store = new DjangoCacheStore({ client, commandTimeoutMs: TIMEOUT_MS });
    const ms = await failsFast(store.load(newKey()), "redis:django-cache");
    assert.ok(ms < TIMEOUT_MS + 1000, `took ${ms} ms`);
  });

  it("a node-redis client that was never connected fails at once", async () => {
    const client = createClient({ socket: { host: REDIS_HOST, port: REDIS_PORT } });
    const store = new DjangoCacheStore({ client });
    const ms = await failsFast(store.load(newKey()), "redis:django-cache");
    assert.ok(ms < 200, `took ${ms} ms`);
  });
});
