// DjangoRedisSessionsStore (django-redis-sessions, django-redis-sessions-fork) against a real
// Redis with node-redis and ioredis: exact keys, TTLs and values (Django's encode()).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DjangoSessionCodec } from "../../../src/codecs/django/session-encoding.ts";
import type { PyValue } from "../../../src/codecs/python-values.ts";
import { SessionExistsError } from "../../../src/errors.ts";
import {
  DjangoRedisSessionsStore,
  scanSessionKeys,
  type RedisSessionsFlavor,
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

const SECRET = "test-secret-key-for-django-vectors";
const codec = new DjangoSessionCodec({ secret: SECRET });
/** The bare-key layout shares its database with nothing else of ours. */
const BARE_DB = 12;

interface Case {
  readonly flavor: RedisSessionsFlavor;
  /** `undefined`: the flavor's default prefix. */
  readonly prefix: string | undefined;
  readonly redisKey: (key: string, prefix: string) => string;
  readonly db: number;
}

const CASES: readonly Case[] = [
  { flavor: "redis-sessions", prefix: undefined, redisKey: (k) => k, db: BARE_DB },
  { flavor: "redis-sessions", prefix: "P", redisKey: (k, p) => `${p}:${k}`, db: 10 },
  {
    flavor: "redis-sessions-fork",
    prefix: undefined,
    redisKey: (k) => `django_sessions:${k}`,
    db: 10,
  },
  { flavor: "redis-sessions-fork", prefix: "P", redisKey: (k, p) => `${p}:${k}`, db: 10 },
];

for (const c of CASES) {
  for (const kind of CLIENT_KINDS) {
    const label = `${c.flavor} (${c.prefix === undefined ? "default prefix" : "custom prefix"})`;
    describe(`DjangoRedisSessionsStore ${label} via ${kind}`, () => {
      const prefix = c.prefix === undefined ? "" : uniquePrefix("rs");
      const logger = recordingLogger();
      const raw = new RawRedis(c.db);
      const made: string[] = [];
      let client: TestClient;
      let store: DjangoRedisSessionsStore;
      const redisKey = (key: string): string => c.redisKey(key, prefix);
      const key = (): string => {
        const k = newKey();
        made.push(redisKey(k));
        return k;
      };

      before(async () => {
        client = await openClient(kind, c.db);
        store = new DjangoRedisSessionsStore({
          client: client.client,
          codec,
          flavor: c.flavor,
          logger,
          ...(c.prefix === undefined ? {} : { prefix }),
        });
      });
      after(async () => {
        if (made.length > 0) await raw.redis.del(...made);
        await raw.close();
        await client.close();
      });

      it("is named after its flavor", () => {
        assert.equal(store.name, `redis:${c.flavor}`);
      });

      it("stores Django's encode() under the engine's key with an EX TTL", async () => {
        const k = key();
        const data = new Map<string, PyValue>([
          ["_auth_user_id", "1"],
          ["u", "é😀"],
        ]);
        await store.save(k, data, { mustCreate: true, expiry: expiryIn(1209600) });
        const stored = (await raw.get(redisKey(k)))?.toString("utf8");
        assert.ok(stored !== undefined);
        assert.match(stored, /^[A-Za-z0-9_.:-]+$/); // Django's signed format, ASCII
        assert.deepEqual(codec.decode(stored), data);
        const ttl = await raw.ttl(redisKey(k));
        assert.ok(ttl > 1209595 && ttl <= 1209600, `TTL ${ttl}`);
        assert.deepEqual(await store.load(k), data);
        assert.equal(await store.exists(k), true);
        await store.delete(k);
        assert.equal(await store.load(k), null);
        assert.equal(await raw.exists(redisKey(k)), 0);
      });

      it("refuses a taken key on create", async () => {
        const k = key();
        await store.save(k, new Map([["a", 1]]), { mustCreate: true, expiry: expiryIn(60) });
        await assert.rejects(
          store.save(k, new Map([["a", 2]]), { mustCreate: true, expiry: expiryIn(60) }),
          SessionExistsError,
        );
        assert.deepEqual(await store.load(k), new Map([["a", 1]]));
      });

      it("recreates a vanished key on update (SETEX; never UpdateError)", async () => {
        const k = key();
        await store.save(k, new Map([["a", 1]]), { mustCreate: false, expiry: expiryIn(90) });
        assert.deepEqual(await store.load(k), new Map([["a", 1]]));
        const ttl = await raw.ttl(redisKey(k));
        assert.ok(ttl > 85 && ttl <= 90);
      });

      it("deletes instead of writing an expired session", async () => {
        const k = key();
        await store.save(k, new Map([["a", 1]]), { mustCreate: true, expiry: expiryIn(60) });
        await store.save(k, new Map([["a", 1]]), { mustCreate: false, expiry: expiryIn(-1) });
        assert.equal(await raw.exists(redisKey(k)), 0);
      });

      it("answers null and warns for a value Django's decode refuses", async () => {
        const k = key();
        const forged = codec
          .encode(new Map([["a", 1]]))
          .replace(/.$/, (ch) => (ch === "A" ? "B" : "A"));
        await raw.set(redisKey(k), forged);
        assert.equal(await store.load(k), null);
        assert.equal(logger.calls.at(-1)?.detail?.["reason"], "bad-signature");
        await raw.set(redisKey(k), Buffer.from([0xff, 0xfe, 0x00]));
        assert.equal(await store.load(k), null);
        assert.equal(logger.calls.at(-1)?.detail?.["reason"], "malformed");
      });

      it("refuses a value over the codec's bound as too-large before decoding it, and keeps it (issue 18 #7)", async () => {
        const k = key();
        await raw.set(redisKey(k), Buffer.alloc(4 * 1024 * 1024, "}"));
        assert.equal(await store.load(k), null);
        assert.equal(logger.calls.at(-1)?.detail?.["reason"], "too-large");
        assert.equal(await raw.exists(redisKey(k)), 1);
      });

      it("lists its session keys with SCAN", async () => {
        const keys = [key(), key()];
        for (const k of keys) {
          await store.save(k, new Map([["k", k]]), { mustCreate: true, expiry: expiryIn(60) });
        }
        const listed = new Set<string>();
        for await (const k of scanSessionKeys(store)) listed.add(k);
        for (const k of keys) assert.ok(listed.has(k));
      });
    });
  }
}

describe("redis-sessions-fork key prefix rule", () => {
  it("adds the prefix unless the key already contains it (utils.add_prefix)", () => {
    const store = new DjangoRedisSessionsStore({
      client: {
        kind: "none",
        get: () => Promise.resolve(null),
        set: () => Promise.resolve(true),
        del: () => Promise.resolve(0),
        exists: () => Promise.resolve(false),
        expire: () => Promise.resolve(false),
        scan: async function* () {},
      },
      codec,
      flavor: "redis-sessions-fork",
    });
    assert.equal(store.redisKey("abc12345"), "django_sessions:abc12345");
    assert.equal(store.redisKey("django_sessions:abc12345"), "django_sessions:abc12345");
    assert.equal(store.sessionKeyOf("django_sessions:abc12345"), "abc12345");
    assert.equal(store.sessionKeyOf("other:abc12345"), null);
    assert.equal(store.scanPattern, "django_sessions:*");
  });
});
