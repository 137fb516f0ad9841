// The store contract's `inspectMany` (issue 14: a real-time gate re-checks every connected
// session with it) on every store that keeps sessions, against real backends: it answers what
// `inspect` answers key by key (absent, expired and undecodable sessions included), a key asked
// twice once, and 10,000 keys in one call. Redis runs on a single server (node-redis and
// ioredis: one pipeline) and on a throwaway three-master Cluster (one pipeline per master).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Cluster } from "ioredis";
import { createCluster } from "redis";
import { DjangoSessionCodec } from "../../src/codecs/django/session-encoding.ts";
import type { SessionData } from "../../src/codecs/python-values.ts";
import type { SessionStore, StoredSession } from "../../src/stores/contract.ts";
import { createCachedDbStore } from "../../src/stores/cached-db/index.ts";
import { FileSessionStore } from "../../src/stores/file/index.ts";
import { FlaskSessionRedisStore } from "../../src/stores/flask-session/index.ts";
import { MemoryStore } from "../../src/stores/memory/index.ts";
import { DjangoCacheStore, type RedisClientInput } from "../../src/stores/redis/index.ts";
import { SignedCookieStore } from "../../src/stores/signed-cookies/index.ts";
import { createSqlStore, openDatabaseUrl, type SqlDatabase } from "../../src/stores/sql/index.ts";
import {
  CLIENT_KINDS,
  REDIS_HOST,
  RawRedis,
  RedisProcesses,
  expiryIn,
  highPorts,
  newKey,
  openClient,
  type TestClient,
} from "./redis/helpers.ts";
import { OpenClients, ready } from "./redis/open-clients.ts";

const SECRET = "inspect-many-contract-secret";
const codec = new DjangoSessionCodec({ secret: SECRET });
const quiet = { warn: () => undefined };
const PREFIX = `sbh-realtime:contract:${process.pid}`;

function data(n: number): SessionData {
  return new Map<string, string | number>([
    ["_auth_user_id", String(n)],
    ["n", n],
  ]);
}

/** Saves `count` live sessions; returns their keys (the cookie values, for signed cookies). */
async function saveSessions(store: SessionStore, count: number): Promise<string[]> {
  const keys: string[] = [];
  for (let start = 0; start < count; start += 200) {
    const chunk = Array.from({ length: Math.min(200, count - start) }, (_, i) => start + i);
    keys.push(
      ...(await Promise.all(
        chunk.map(async (n) => {
          const expiry = expiryIn(3600 + n);
          if (store.encodeKey) return store.encodeKey(data(n), expiry);
          const key = newKey();
          await store.save(key, data(n), { mustCreate: true, expiry });
          return key;
        }),
      )),
    );
  }
  return keys;
}

/** Two reads of one session agree (Redis expiries come from PTTL: a few ms apart). */
function assertSame(actual: StoredSession | undefined, expected: StoredSession | null): void {
  if (expected === null) {
    assert.equal(actual, undefined);
    return;
  }
  assert.ok(actual, `${expected.key} is in the map`);
  assert.equal(actual.key, expected.key);
  assert.deepEqual(actual.data, expected.data);
  if (expected.expireDate === null) assert.equal(actual.expireDate, null);
  else {
    assert.ok(actual.expireDate);
    assert.ok(Math.abs(actual.expireDate.getTime() - expected.expireDate.getTime()) < 5000);
  }
}

interface Subject {
  readonly store: SessionStore;
  /** Makes the session under `key` unreadable (a bad value stored), when the store keeps values. */
  readonly corrupt?: (key: string) => Promise<void>;
}

/** The contract, on the store `open` makes (after `before`). */
function inspectManyContract(label: string, open: () => Subject, many = 10_000): void {
  describe(`${label}: inspectMany`, () => {
    it("answers what inspect answers key by key: absent keys missing, a repeated key once", async () => {
      const { store, corrupt } = open();
      assert.equal(typeof store.inspect, "function");
      assert.equal(typeof store.inspectMany, "function");
      const keys = await saveSessions(store, 5);
      const unknown = newKey();
      if (corrupt) await corrupt(keys[4]!);
      const asked = [...keys, unknown, keys[0]!, keys[1]!];
      const found = await store.inspectMany!(asked);
      assert.equal(found.size, 5);
      for (const key of [...keys, unknown]) assertSame(found.get(key), await store.inspect!(key));
      assert.deepEqual(found.get(keys[2]!)?.data, data(2));
      if (corrupt) assert.equal(found.get(keys[4]!)?.data, null, "undecodable: present, no data");
      assert.equal((await store.inspectMany!([])).size, 0);
    });

    it(`reads ${many.toLocaleString("en")} sessions in one call`, async () => {
      const { store } = open();
      const keys = await saveSessions(store, many);
      const found = await store.inspectMany!(keys);
      assert.equal(found.size, many);
      assert.deepEqual(found.get(keys[many - 1]!)?.data, data(many - 1));
    });
  });
}

describe("inspectMany without I/O: memory and signed cookies", () => {
  inspectManyContract("MemoryStore", () => ({ store: new MemoryStore() }));
  inspectManyContract("SignedCookieStore", () => ({
    store: new SignedCookieStore({ secret: SECRET, logger: quiet }),
  }));
});

describe("inspectMany on files", () => {
  const dir = mkdtempSync(join(tmpdir(), "sb-inspect-many-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const store = new FileSessionStore({ directory: dir, codec, logger: quiet });
  inspectManyContract(
    "FileSessionStore",
    () => ({
      store,
      corrupt: async (key) => {
        const { writeFile } = await import("node:fs/promises");
        await writeFile(join(dir, `sessionid${key}`), "not-a-session");
      },
    }),
    2_000,
  );
});

describe("inspectMany on SQLite and cached_db (SQLite behind Redis)", () => {
  const dir = mkdtempSync(join(tmpdir(), "sb-inspect-many-sql-"));
  let database: SqlDatabase | undefined;
  let cacheClient: TestClient | undefined;
  const raw = new RawRedis(0);
  before(async () => {
    database = await openDatabaseUrl(`sqlite:${join(dir, "db.sqlite3")}`);
    await createSqlStore({ database, codec }).ensureSessionTable();
    cacheClient = await openClient("ioredis", 0);
  });
  after(async () => {
    await database?.close();
    await cacheClient?.close();
    await raw.deleteMatching(`${PREFIX}:cdb*`);
    await raw.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const sql = () => createSqlStore({ database: database!, codec, logger: quiet });
  inspectManyContract(
    "SqlSessionStore (SQLite)",
    () => ({
      store: sql(),
      corrupt: async (key) => {
        await database!.execute(
          "UPDATE django_session SET session_data = 'garbage' WHERE session_key = ?",
          [key],
        );
      },
    }),
    2_000,
  );
  inspectManyContract(
    "CachedDbStore",
    () => ({
      store: createCachedDbStore({
        db: sql(),
        cache: new DjangoCacheStore({
          client: cacheClient!.client,
          keyPrefix: `${PREFIX}:cdb`,
          logger: quiet,
        }),
        logger: quiet,
      }),
    }),
    2_000,
  );
});

describe("inspectMany on Redis (one pipeline of GET/PTTL)", () => {
  const raw = new RawRedis(0);
  const clients: TestClient[] = [];
  before(async () => {
    for (const kind of CLIENT_KINDS) clients.push(await openClient(kind, 0));
  });
  after(async () => {
    for (const c of clients) await c.close();
    await raw.deleteMatching(`${PREFIX}:*`);
    await raw.close();
  });
  CLIENT_KINDS.forEach((kind, i) => {
    const prefix = `${PREFIX}:${kind}`;
    inspectManyContract(`DjangoCacheStore on ${kind}`, () => {
      const store = new DjangoCacheStore({
        client: clients[i]!.client,
        keyPrefix: prefix,
        logger: quiet,
      });
      return {
        store,
        corrupt: async (key) => {
          // A hash where a session should be: WRONGTYPE on GET, read as undecodable.
          const redisKey = store.redisKey(key);
          await raw.redis.del(redisKey);
          await raw.redis.hset(redisKey, "a", "b");
          await raw.redis.expire(redisKey, 600);
        },
      };
    });
    inspectManyContract(`FlaskSessionRedisStore on ${kind}`, () => {
      const store = new FlaskSessionRedisStore({
        client: clients[i]!.client,
        keyPrefix: `${prefix}:flask:`,
        serializer: "msgpack",
        logger: quiet,
      });
      return {
        store,
        corrupt: async (key) => {
          await raw.set(store.storeKey(key), "\x00garbage");
        },
      };
    });
  });
});

describe("inspectMany on a Redis Cluster (one pipeline per master)", { timeout: 120_000 }, () => {
  const ports = highPorts(3);
  const processes = new RedisProcesses();
  const opened = new OpenClients();
  const clients = new Map<string, RedisClientInput>();
  before(async () => {
    await processes.cluster(ports);
    const nodeRedis = opened.track(
      createCluster({ rootNodes: [{ socket: { host: REDIS_HOST, port: ports[0]! } }] }),
      (c) => c.close(),
    );
    await nodeRedis.connect();
    clients.set("node-redis createCluster", nodeRedis);
    const ioredis = opened.track(new Cluster([{ host: REDIS_HOST, port: ports[0]! }]), (c) =>
      c.disconnect(),
    );
    await ready(ioredis);
    clients.set("ioredis Cluster", ioredis);
  });
  after(async () => {
    await opened.closeAll();
    await processes.stop();
  });
  for (const label of ["node-redis createCluster", "ioredis Cluster"]) {
    inspectManyContract(
      `DjangoCacheStore on ${label}`,
      () => ({
        store: new DjangoCacheStore({
          client: clients.get(label)!,
          keyPrefix: "sb",
          logger: quiet,
        }),
      }),
      3_000,
    );
    inspectManyContract(
      `FlaskSessionRedisStore on ${label}`,
      () => ({
        store: new FlaskSessionRedisStore({
          client: clients.get(label)!,
          serializer: "pickle",
          logger: quiet,
        }),
      }),
      3_000,
    );
  }
});
