// Concurrent requests on one session (issue 16) on Redis: Django's cache engine (django-redis and
// Django's own RedisCache layouts) with node-redis and ioredis, the redis_sessions engine,
// Flask-Session's layout, and a real three-master Redis Cluster (throwaway redis-server
// processes, stopped by PID). The scenarios are in concurrent-writes.ts.
import { after, before, describe } from "node:test";
import { Cluster } from "ioredis";
import { FlaskSessionRedisStore } from "../../src/stores/flask-session/index.ts";
import {
  DjangoCacheStore,
  DjangoRedisSessionsStore,
  type RedisSessionKeyspace,
} from "../../src/stores/redis/index.ts";
import type { SessionStore } from "../../src/stores/contract.ts";
import { codec } from "../stores/sql/helpers.ts";
import {
  REDIS_HOST,
  RedisProcesses,
  highPorts,
  ioredisClient,
  openClient,
  uniquePrefix,
  type ClientKind,
} from "../stores/redis/helpers.ts";
import { ready } from "../stores/redis/open-clients.ts";
import { itKeepsConcurrentWrites, type OpenedStore } from "./concurrent-writes.ts";

/** Deletes every key of the store's layout (its prefix is unique to this run), then `close`. */
function disposing(
  store: SessionStore & RedisSessionKeyspace,
  close: () => Promise<void>,
): OpenedStore {
  return {
    store,
    async close() {
      for await (const key of store.client.scan(store.scanPattern, 1000)) {
        await store.client.del(key);
      }
      await close();
    },
  };
}

for (const kind of ["node-redis", "ioredis"] as const satisfies readonly ClientKind[]) {
  itKeepsConcurrentWrites(`Redis, Django cache engine (django-redis), ${kind}`, async () => {
    const client = await openClient(kind);
    const store = new DjangoCacheStore({ client: client.client, keyPrefix: uniquePrefix("cas") });
    return disposing(store, () => client.close());
  });
}

itKeepsConcurrentWrites("Redis, Django cache engine (Django's RedisCache), ioredis", async () => {
  const client = await openClient("ioredis");
  const store = new DjangoCacheStore({
    client: client.client,
    keyPrefix: uniquePrefix("cas-builtin"),
    backend: "django",
  });
  return disposing(store, () => client.close());
});

itKeepsConcurrentWrites("Redis, redis_sessions engine, node-redis", async () => {
  const client = await openClient("node-redis");
  const store = new DjangoRedisSessionsStore({
    client: client.client,
    codec,
    prefix: uniquePrefix("cas-rs"),
  });
  return disposing(store, () => client.close());
});

itKeepsConcurrentWrites("Redis, Flask-Session layout (msgpack), ioredis", async () => {
  const client = await ioredisClient();
  const keyPrefix = `${uniquePrefix("cas-fs")}:`;
  const store = new FlaskSessionRedisStore({ client, serializer: "msgpack", keyPrefix });
  return {
    store,
    keys: async () => (await client.keys(`${keyPrefix}*`)).map((k) => k.slice(keyPrefix.length)),
    async close() {
      const keys = await client.keys(`${keyPrefix}*`);
      if (keys.length > 0) await client.del(...keys);
      await client.quit();
    },
  };
});

describe("Redis Cluster (3 masters)", { timeout: 120_000 }, () => {
  const processes = new RedisProcesses();
  const ports = highPorts(3);
  before(() => processes.cluster(ports));
  after(() => processes.stop());
  itKeepsConcurrentWrites("Django cache engine, ioredis Cluster", async () => {
    const cluster = new Cluster([{ host: REDIS_HOST, port: ports[0] ?? 0 }]);
    await ready(cluster);
    const store = new DjangoCacheStore({ client: cluster, keyPrefix: uniquePrefix("cas-cl") });
    return disposing(store, async () => {
      await cluster.quit();
    });
  });
});
