// DjangoCacheStore against a real Redis, for each layout (django-redis pickle / JSON+zlib,
// Django's RedisCache, the cache half of cached_db) and each client (node-redis, ioredis):
// the store contract, exact key names, bytes and TTLs, and bad stored values.
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import { SessionExistsError, SessionMissingError } from "../../../src/errors.ts";
import type { StoredSession } from "../../../src/stores/contract.ts";
import { dumpsPickle } from "../../../src/codecs/pickle/index.ts";
import { PyDateTime, PyTuple, type PyValue } from "../../../src/codecs/python-values.ts";
import {
  DjangoCacheStore,
  scanSessionKeys,
  type DjangoCacheStoreOptions,
} from "../../../src/stores/redis/index.ts";
import {
  CLIENT_KINDS,
  RawRedis,
  expiryIn,
  newKey,
  openClient,
  recordingLogger,
  uniquePrefix,
  type TestClient,
} from "./helpers.ts";

const REFERENCE = new Map<string, PyValue>([
  ["foo", "bar"],
  ["n", 1],
  ["l", [1, "two", null, true]],
  ["u", "é😀"],
]);
// django-formats.md §3.6, vector storage.redis.cache_backend.raw_hex (protocol 4).
const REFERENCE_HEX =
  "80049536000000000000007d94288c03666f6f948c03626172948c016e944b018c016c945d94284b018c0374776f944e88658c0175948c06c3a9f09f988094752e";

interface Layout {
  readonly label: string;
  readonly options: Omit<DjangoCacheStoreOptions, "client" | "logger">;
  readonly name: string;
  readonly keyHead: (prefix: string) => string;
  /** PX (django-redis) or EX (RedisCache). */
  readonly unit: "PX" | "EX";
  /** cached_db: plain SET, no create/update checks. */
  readonly plainSet: boolean;
}

const LAYOUTS: readonly Layout[] = [
  {
    label: "django-redis pickle",
    options: {},
    name: "redis:django-cache",
    keyHead: (p) => `${p}:1:django.contrib.sessions.cache`,
    unit: "PX",
    plainSet: false,
  },
  {
    label: "django-redis json+zlib, version 3",
    options: { serializer: "json", compressor: "zlib", version: 3 },
    name: "redis:django-cache",
    keyHead: (p) => `${p}:3:django.contrib.sessions.cache`,
    unit: "PX",
    plainSet: false,
  },
  {
    label: "Django RedisCache",
    options: { backend: "django" },
    name: "redis:django-cache:builtin",
    keyHead: (p) => `${p}:1:django.contrib.sessions.cache`,
    unit: "EX",
    plainSet: false,
  },
  {
    label: "cached_db (django-redis)",
    options: { engine: "cached_db" },
    name: "redis:django-cached-db",
    keyHead: (p) => `${p}:1:django.contrib.sessions.cached_db`,
    unit: "PX",
    plainSet: true,
  },
];

const DAY = 86_400;

for (const layout of LAYOUTS) {
  for (const kind of CLIENT_KINDS) {
    describe(`DjangoCacheStore ${layout.label} via ${kind}`, () => {
      const prefix = uniquePrefix("cache");
      const logger = recordingLogger();
      const raw = new RawRedis();
      let client: TestClient;
      let store: DjangoCacheStore;
      const redisKey = (key: string): string => `${layout.keyHead(prefix)}${key}`;

      before(async () => {
        client = await openClient(kind);
        store = new DjangoCacheStore({
          client: client.client,
          keyPrefix: prefix,
          logger,
          ...layout.options,
        });
      });
      after(async () => {
        await raw.deleteMatching(`${prefix}:*`);
        await raw.close();
        await client.close();
      });

      it("is named after its layout and never closes the caller's client", () => {
        assert.equal(store.name, layout.name);
        assert.equal(store.client.kind, kind);
        assert.equal("close" in store, false);
      });

      it("creates, loads, updates and deletes under Django's key with Django's TTL", async () => {
        const key = newKey();
        assert.equal(await store.exists(key), false);
        assert.equal(await store.load(key), null);
        const data = new Map<string, PyValue>([
          ["foo", "bar"],
          ["at", new PyDateTime(2024, 1, 2, 3, 4, 5, 123456, 0)],
        ]);
        if (layout.options.serializer === "json") data.delete("at");
        await store.save(key, data, { mustCreate: true, expiry: expiryIn(14 * DAY) });
        assert.equal(await raw.exists(redisKey(key)), 1);
        assert.equal(await store.exists(key), true);
        assert.deepEqual(await store.load(key), data);
        if (layout.unit === "PX") {
          const pttl = await raw.pttl(redisKey(key));
          assert.ok(pttl > 14 * DAY * 1000 - 5000 && pttl <= 14 * DAY * 1000, `PTTL ${pttl}`);
        } else {
          const ttl = await raw.ttl(redisKey(key));
          assert.ok(ttl > 14 * DAY - 5 && ttl <= 14 * DAY, `TTL ${ttl}`);
        }

        const updated = new Map<string, PyValue>([
          ["foo", "baz"],
          ["t", new PyTuple([1, "x"])],
        ]);
        await store.save(key, updated, { mustCreate: false, expiry: expiryIn(300) });
        const back = await store.load(key);
        // JSON has no tuple: it reads back as a list, as in Python.
        const expected =
          layout.options.serializer === "json"
            ? new Map<string, PyValue>([
                ["foo", "baz"],
                ["t", [1, "x"]],
              ])
            : updated;
        assert.deepEqual(back, expected);
        const ttlAfter =
          layout.unit === "PX" ? await raw.pttl(redisKey(key)) : await raw.ttl(redisKey(key));
        assert.ok(ttlAfter <= (layout.unit === "PX" ? 300_000 : 300) && ttlAfter > 0);

        await store.delete(key);
        assert.equal(await store.load(key), null);
        assert.equal(await store.exists(key), false);
        await store.delete(key); // a missing key is not an error
      });

      it(
        layout.plainSet ? "overwrites on create (cache.set)" : "refuses a taken key on create",
        async () => {
          const key = newKey();
          await store.save(key, new Map([["a", 1]]), { mustCreate: true, expiry: expiryIn(60) });
          const second = store.save(key, new Map([["a", 2]]), {
            mustCreate: true,
            expiry: expiryIn(60),
          });
          if (layout.plainSet) {
            await second;
            assert.deepEqual(await store.load(key), new Map([["a", 2]]));
          } else {
            await assert.rejects(second, SessionExistsError);
            assert.deepEqual(await store.load(key), new Map([["a", 1]]));
          }
        },
      );

      it(
        layout.plainSet
          ? "writes an update of a vanished key (cache.set)"
          : "refuses an update of a vanished key with SessionMissingError, writing nothing",
        async () => {
          const key = newKey();
          const update = store.save(key, new Map([["a", 1]]), {
            mustCreate: false,
            expiry: expiryIn(60),
          });
          if (layout.plainSet) {
            await update;
            assert.equal(await raw.exists(redisKey(key)), 1);
          } else {
            await assert.rejects(update, SessionMissingError);
            assert.equal(await raw.exists(redisKey(key)), 0);
          }
        },
      );

      it("deletes instead of writing when the expiry age is not positive", async () => {
        const key = newKey();
        await store.save(key, new Map([["a", 1]]), { mustCreate: true, expiry: expiryIn(60) });
        await store.save(key, new Map([["a", 2]]), { mustCreate: false, expiry: expiryIn(0) });
        assert.equal(await raw.exists(redisKey(key)), 0);
        const missing = store.save(key, new Map([["a", 3]]), {
          mustCreate: false,
          expiry: expiryIn(-5),
        });
        if (layout.plainSet) await missing;
        else await assert.rejects(missing, SessionMissingError);
        // A creation with an expired age writes nothing (django-redis add: `not has_key`).
        await store.save(key, new Map([["a", 4]]), { mustCreate: true, expiry: expiryIn(0) });
        assert.equal(await raw.exists(redisKey(key)), 0);
      });

      it("touch moves the TTL and never creates a key", async () => {
        const key = newKey();
        await store.save(key, new Map([["x", "y"]]), { mustCreate: true, expiry: expiryIn(60) });
        await store.touch(key, expiryIn(3600));
        const ttl = await raw.ttl(redisKey(key));
        assert.ok(ttl > 3590 && ttl <= 3600, `TTL ${ttl}`);
        assert.deepEqual(await store.load(key), new Map([["x", "y"]]));
        const missing = newKey();
        await store.touch(missing, expiryIn(3600));
        assert.equal(await raw.exists(redisKey(missing)), 0);
        assert.equal(await store.clearExpired(), 0);
      });

      it("answers null and warns, without key or data, for undecodable values", async () => {
        const cases: [string, Buffer][] = [
          // 'n' is no pickle opcode the safe reader runs
          ["unsupported-pickle-opcode", Buffer.from("not a pickle, not json, not zlib")],
          ["malformed", Buffer.from(REFERENCE_HEX.slice(0, 40), "hex")], // truncated pickle
          ["malformed", Buffer.from("42")], // an int is not a session dict
          ["unsupported-pickle-global", Buffer.from("cos\nsystem\n(S'echo pwned'\ntR.", "latin1")],
          // pickle.dumps(obj whose __reduce__ is (os.system, ("echo pwned",)), 4) on Linux
          [
            "unsupported-pickle-global",
            Buffer.from(
              "80049525000000000000008c05706f736978948c0673797374656d9493948c0a6563686f2070776e656494859452942e",
              "hex",
            ),
          ],
        ];
        for (const [reason, bytes] of cases) {
          const key = newKey();
          await raw.set(redisKey(key), bytes);
          const before = logger.calls.length;
          assert.equal(await store.load(key), null, reason);
          assert.equal(logger.calls.length, before + 1);
          const call = logger.calls.at(-1);
          // A JSON store reads the pickle as bad JSON: either way it is refused, never run.
          if (layout.options.serializer !== "json") assert.equal(call?.detail?.["reason"], reason);
          if (reason === "unsupported-pickle-global" && layout.options.serializer !== "json") {
            assert.match(String(call?.detail?.["global"]), /^(os|posix)\.system$/);
          }
          assert.equal(call?.detail?.["store"], layout.name);
          const logged = JSON.stringify(call);
          assert.ok(!logged.includes(key), "full key in log");
          assert.ok(!logged.includes("pwned"), "data in log");
        }
      });

      it("answers null and warns for a key of another Redis type (WRONGTYPE)", async () => {
        const key = newKey();
        await raw.redis.hset(redisKey(key), "a", "b");
        await raw.redis.expire(redisKey(key), 60);
        assert.equal(await store.load(key), null);
        assert.equal(logger.calls.at(-1)?.detail?.["reason"], "wrong-type");
      });

      it("refuses oversized values and zlib bombs as too-large, never expanding them", async () => {
        const small = new DjangoCacheStore({
          client: store.client,
          keyPrefix: prefix,
          logger,
          ...layout.options,
          maxValueBytes: 64 * 1024,
        });
        const key = newKey();
        await raw.set(redisKey(key), Buffer.alloc(64 * 1024 + 1, 0x61));
        assert.equal(await small.load(key), null);
        assert.equal(logger.calls.at(-1)?.detail?.["reason"], "too-large");
        if (layout.options.compressor === "zlib") {
          const bomb = deflateSync(Buffer.alloc(64 * 1024 * 1024)); // 64 MiB of zeros, ~64 KiB
          await raw.set(redisKey(key), bomb);
          assert.equal(await store.load(key), null);
          assert.equal(logger.calls.at(-1)?.detail?.["reason"], "too-large");
        }
      });

      it("lists its session keys with SCAN, and only its own", async () => {
        const keys = [newKey(), newKey(), newKey()];
        for (const key of keys) {
          await store.save(key, new Map([["k", key]]), { mustCreate: true, expiry: expiryIn(60) });
        }
        await raw.set(`${layout.keyHead(prefix)}NOT-A-KEY`, "x");
        await raw.set(`${prefix}:1:other-cache-entry`, "x");
        const listed: string[] = [];
        for await (const key of scanSessionKeys(store, { count: 2 })) listed.push(key);
        for (const key of keys) assert.ok(listed.includes(key), `missing ${key}`);
        assert.ok(listed.every((k) => /^[0-9a-f]{32}$/.test(k)));
      });

      it("walks its sessions with their data and TTLs, resumable in a new walk", async () => {
        // A prefix of its own: the walk sees exactly these keys.
        const own = new DjangoCacheStore({
          client: client.client,
          keyPrefix: `${prefix}w`,
          logger,
          ...layout.options,
        });
        const keys = [newKey(), newKey(), newKey()];
        const startedAt = Date.now();
        for (const key of keys) {
          await own.save(key, new Map([["k", key]]), { mustCreate: true, expiry: expiryIn(60) });
        }
        const seen = new Map<string, StoredSession>();
        let position = "";
        do {
          // One page per walk, each resumed from the previous page's position.
          const iterator = own.walk({ batchSize: 1, position })[Symbol.asyncIterator]();
          const step = await iterator.next();
          await iterator.return?.();
          if (step.done === true) break;
          for (const session of step.value.sessions) seen.set(session.key, session);
          position = step.value.position;
        } while (position !== "");
        const endedAt = Date.now();
        assert.deepEqual([...seen.keys()].sort(), [...keys].sort());
        for (const key of keys) {
          const session = seen.get(key)!;
          assert.deepEqual(session.data, new Map([["k", key]]));
          // Saved between startedAt and endedAt for 60 s (PTTL is whole milliseconds).
          const at = session.expireDate!.getTime();
          assert.ok(at >= startedAt + 60_000 - 1 && at <= endedAt + 60_000, `${at - startedAt}`);
        }
        assert.deepEqual((await own.inspect(keys[0]!))?.data, new Map([["k", keys[0]]]));
        assert.equal(await own.inspect(newKey()), null);
        await raw.deleteMatching(`${prefix}w:*`);
      });

      if (layout.label === "django-redis pickle") {
        it("writes the reference vector byte for byte (protocol 4)", async () => {
          const key = newKey();
          await store.save(key, REFERENCE, { mustCreate: true, expiry: expiryIn(60) });
          assert.equal((await raw.get(redisKey(key)))?.toString("hex"), REFERENCE_HEX);
          await raw.set(redisKey(key), Buffer.from(REFERENCE_HEX, "hex"));
          assert.deepEqual(await store.load(key), REFERENCE);
        });
      }
      if (layout.label === "Django RedisCache") {
        it("writes pickle protocol 5", async () => {
          const key = newKey();
          await store.save(key, REFERENCE, { mustCreate: true, expiry: expiryIn(60) });
          const bytes = await raw.get(redisKey(key));
          assert.deepEqual(bytes, Buffer.from(dumpsPickle(REFERENCE, { protocol: 5 })));
          assert.equal(bytes[1], 5);
        });
      }
    });
  }
}
