// The per-user session index on a real Redis, with node-redis and ioredis: kept by every login,
// save and key cycle a store with `userIndex: true` performs (Django's layout untouched), the
// sets' TTLs cover their members, deletes leave stale members (readers check them), the status
// is complete only under a live indexer lease, and `loadPages` reads every session with GETs
// only.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { resolveSessionSettings } from "../../../src/engine/config.ts";
import { Session } from "../../../src/engine/session.ts";
import type { RedisCommandClient } from "../../../src/internal/redis/client.ts";
import { fromIoredis } from "../../../src/internal/redis/ioredis.ts";
import { fromNodeRedis } from "../../../src/internal/redis/node-redis.ts";
import { DjangoCacheStore, DjangoRedisSessionsStore } from "../../../src/stores/redis/index.ts";
import { DjangoSessionCodec } from "../../../src/codecs/django/session-encoding.ts";
import {
  CLIENT_KINDS,
  expiryIn,
  ioredisClient,
  nodeRedisClient,
  type ClientKind,
} from "./helpers.ts";

const ioredis = await ioredisClient();
const nodeRedis = await nodeRedisClient();
const prefixes: string[] = [];
after(async () => {
  for (const prefix of prefixes) {
    for (const pattern of [`${prefix}*`, `sessionbridge:user-index:${prefix}*`]) {
      let cursor = "0";
      do {
        const [next, keys] = await ioredis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
        cursor = next;
        if (keys.length > 0) await ioredis.del(keys);
      } while (cursor !== "0");
    }
  }
  ioredis.disconnect();
  await nodeRedis.close();
});

function client(kind: ClientKind): RedisCommandClient {
  return kind === "ioredis" ? fromIoredis(ioredis) : fromNodeRedis(nodeRedis);
}

/** A client that counts the commands the store sends through it (a real Redis underneath). */
function counting(
  inner: RedisCommandClient,
  batched: boolean,
): {
  client: RedisCommandClient;
  calls: Map<string, number>;
} {
  const calls = new Map<string, number>();
  const count = (name: string): void => {
    calls.set(name, (calls.get(name) ?? 0) + 1);
  };
  const wrapped: RedisCommandClient = {
    kind: inner.kind,
    get(key) {
      count("get");
      return inner.get(key);
    },
    set(key, value, options) {
      count("set");
      return inner.set(key, value, options);
    },
    del(key) {
      count("del");
      return inner.del(key);
    },
    exists(key) {
      count("exists");
      return inner.exists(key);
    },
    expire(key, ttl) {
      count("expire");
      return inner.expire(key, ttl);
    },
    pttl(key) {
      count("pttl");
      return inner.pttl!(key);
    },
    scan(pattern, n) {
      count("scan");
      return inner.scan(pattern, n);
    },
    scanPages(pattern, n, from) {
      count("scanPages");
      return inner.scanPages!(pattern, n, from);
    },
    evalScript(script, key, args) {
      count("eval");
      return inner.evalScript!(script, key, args);
    },
    ...(batched
      ? {
          getMany(keys: readonly string[]) {
            count("getMany");
            return inner.getMany!(keys);
          },
        }
      : {}),
  };
  return { client: wrapped, calls };
}

const settings = resolveSessionSettings();
const quiet = { warn() {} };
/** A key prefix of this helper's own (`sbh-userindex`), unique to the run and label. */
const uniquePrefix = (label: string): string =>
  `sbh-userindex-${label}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

for (const kind of CLIENT_KINDS) {
  describe(`user index (${kind})`, () => {
    it("a login, a save and a key cycle add the session to its user's set; Django's keys are unchanged", async () => {
      const prefix = uniquePrefix("uidx");
      prefixes.push(prefix);
      const store = new DjangoCacheStore({
        client: client(kind),
        keyPrefix: prefix,
        userIndex: true,
      });
      // A login as Django's login() does it: the key cycled, the user id set, saved.
      const session = new Session(store, null, settings);
      await session.set("cart", 1);
      await session.save();
      const anonymous = session.key!;
      assert.deepEqual(
        await store.userIndex.members("7"),
        [],
        "anonymous sessions are not indexed",
      );
      await session.cycleKey();
      await session.set("_auth_user_id", "7");
      await session.save();
      const loggedIn = session.key!;
      assert.notEqual(loggedIn, anonymous);
      assert.deepEqual(await store.userIndex.members("7"), [loggedIn]);
      // A later save and a later cycle keep it indexed; the old key stays as a stale member.
      await session.set("n", 2);
      await session.save();
      await session.cycleKey();
      await session.save();
      const cycled = session.key!;
      assert.deepEqual((await store.userIndex.members("7")).sort(), [loggedIn, cycled].sort());
      assert.equal(await store.exists(loggedIn), false);
      // The index keys are ours: the session key is exactly where Django's cache puts it.
      assert.equal(await ioredis.exists(`${prefix}:1:django.contrib.sessions.cache${cycled}`), 1);
      const setKey = store.userIndex.userKey("7");
      assert.ok(setKey.startsWith("sessionbridge:user-index:"));
      assert.ok((await ioredis.pttl(setKey)) >= (await ioredis.pttl(store.redisKey(cycled))));
      // Logout (a delete) leaves a stale member: it does not know the user.
      await session.flush();
      assert.ok((await store.userIndex.members("7")).includes(cycled));
      assert.equal(await store.exists(cycled), false);
    });

    it("redis-sessions: saves index too; a store without the option writes no index key", async () => {
      const prefix = uniquePrefix("uidx-rs");
      prefixes.push(prefix);
      const codec = new DjangoSessionCodec({ secret: "index-secret" });
      const store = new DjangoRedisSessionsStore({
        client: client(kind),
        codec,
        prefix,
        userIndex: true,
      });
      await store.save("indexedkey000001", new Map([["_auth_user_id", "9"]]), {
        mustCreate: true,
        expiry: expiryIn(600),
      });
      await store.save("indexedkey000001", new Map([["_auth_user_id", "9"]]), {
        mustCreate: false,
        expiry: expiryIn(900),
      });
      assert.deepEqual(await store.userIndex.members("9"), ["indexedkey000001"]);
      const ttl = await ioredis.pttl(store.userIndex.userKey("9"));
      assert.ok(ttl > 900_000 && ttl <= 960_000, String(ttl));
      const plain = new DjangoCacheStore({ client: client(kind), keyPrefix: `${prefix}-plain` });
      await plain.save("plainkey00000001", new Map([["_auth_user_id", "9"]]), {
        mustCreate: true,
        expiry: expiryIn(600),
      });
      assert.deepEqual(await plain.userIndex.members("9"), []);
    });

    it("a session without TTL makes its user's set persist; remove drops stale members", async () => {
      const prefix = uniquePrefix("uidx-ttl");
      prefixes.push(prefix);
      const store = new DjangoCacheStore({ client: client(kind), keyPrefix: prefix });
      await store.userIndex.add("3", ["aaaaaaaaaaaaaaa1"], 60_000);
      assert.ok((await ioredis.pttl(store.userIndex.userKey("3"))) > 60_000);
      await store.userIndex.add("3", ["aaaaaaaaaaaaaaa2"], 1000);
      assert.ok((await ioredis.pttl(store.userIndex.userKey("3"))) > 60_000, "never shortened");
      await store.userIndex.add("3", ["aaaaaaaaaaaaaaa3"], 0);
      assert.equal(await ioredis.pttl(store.userIndex.userKey("3")), -1);
      assert.equal(await store.userIndex.remove("3", ["aaaaaaaaaaaaaaa1", "zzzzzzzzzzzzzzzz"]), 1);
      assert.deepEqual((await store.userIndex.members("3")).sort(), [
        "aaaaaaaaaaaaaaa2",
        "aaaaaaaaaaaaaaa3",
      ]);
    });

    it("is complete only while the indexer that backfilled holds its lease", async () => {
      const prefix = uniquePrefix("uidx-state");
      prefixes.push(prefix);
      const index = new DjangoCacheStore({ client: client(kind), keyPrefix: prefix }).userIndex;
      assert.equal((await index.status()).complete, false);
      const state = { indexer: "", finishedAt: new Date().toISOString(), sessions: 1, users: 1 };
      await index.writeState(state);
      assert.match((await index.status()).reason, /without an indexer/);
      await index.writeState({ ...state, indexer: "a" });
      assert.match((await index.status()).reason, /not running/);
      assert.equal(await index.holdLease("a", 10_000), true);
      assert.equal(await index.holdLease("b", 10_000), false, "one indexer at a time");
      assert.equal((await index.status()).complete, true);
      await index.dropLease("b");
      assert.equal((await index.status()).complete, true, "only the holder drops it");
      await index.dropLease("a");
      assert.equal((await index.status()).complete, false);
      assert.equal(await index.holdLease("b", 10_000), true);
      assert.match((await index.status()).reason, /has not finished its backfill/);
      await index.dropLease("b");
    });

    for (const batched of [true, false]) {
      it(`loadPages reads every session once, with GETs only (no PTTL), pages in flight (${batched ? "getMany: MGET or a pipeline per node" : "a GET per key"})`, async () => {
        const prefix = uniquePrefix("uidx-walk");
        prefixes.push(prefix);
        const { client: counted, calls } = counting(client(kind), batched);
        const store = new DjangoCacheStore({ client: counted, keyPrefix: prefix, logger: quiet });
        const keys = Array.from({ length: 700 }, (_, i) => `walkkey${String(i).padStart(9, "0")}`);
        await Promise.all(
          keys.map((key, i) =>
            store.save(key, new Map([["_auth_user_id", String(i % 5)]]), {
              mustCreate: true,
              expiry: expiryIn(600),
            }),
          ),
        );
        // An undecodable value is read as null data, not an error.
        await ioredis.set(store.redisKey("brokenkey0000001"), "not a pickle", "EX", 600);
        calls.clear();
        const seen = new Map<string, unknown>();
        for await (const page of store.loadPages({ batchSize: 50, inFlight: 3 })) {
          for (const s of page.sessions) {
            assert.equal(seen.has(s.key), false, `twice: ${s.key}`);
            seen.set(s.key, s.data?.get("_auth_user_id") ?? null);
          }
        }
        assert.equal(seen.size, keys.length + 1);
        keys.forEach((key, i) => assert.equal(seen.get(key), String(i % 5)));
        assert.equal(seen.get("brokenkey0000001"), null);
        assert.equal(calls.get("pttl") ?? 0, 0);
        if (batched) {
          assert.equal(calls.get("get") ?? 0, 0);
          assert.ok((calls.get("getMany") ?? 0) >= 1);
        } else assert.equal(calls.get("get"), keys.length + 1);
      });
    }
  });
}
