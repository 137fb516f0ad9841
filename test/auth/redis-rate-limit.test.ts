// RedisRateLimiter against a real Redis at 127.0.0.1:6379 (database 14, a key prefix unique to
// the run; every key made here is deleted afterwards): MemoryRateLimiter's semantics with both
// clients, one budget shared by several limiters (processes), exact counting under concurrency,
// key TTLs and bounded keys, typed errors on an outage (and authenticate failing closed), a
// brute force blocked through authenticate, and Cluster and Sentinel on throwaway servers.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { Cluster, Redis } from "ioredis";
import { createClient, createCluster, createSentinel } from "redis";
import {
  DEFAULT_RATE_LIMIT_KEY_PREFIX,
  MemoryRateLimiter,
  RATE_LIMITED_MESSAGE,
  RedisRateLimiter,
  authenticate,
  loginRateLimit,
  type RateLimiter,
} from "../../src/auth/index.ts";
import { ConfigurationError, SessionStoreError, httpStatusOf } from "../../src/errors.ts";
import { redisScript } from "../../src/internal/redis/client.ts";
import {
  fromIoredis,
  toRedisClient,
  type RedisClientInput,
  type RedisCommandClient,
} from "../../src/stores/redis/index.ts";
import {
  CLIENT_KINDS,
  REDIS_HOST,
  REDIS_PORT,
  RawRedis,
  RedisProcesses,
  highPorts,
  openClient,
  redisCli,
  startProxy,
  uniquePrefix,
  type ClientKind,
  type Proxy,
  type TestClient,
} from "../stores/redis/helpers.ts";
import { fixture } from "./support.ts";

/** This file's database index (the store tests use 10–13, the benches 15). */
const DB = 14;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The rejection of `promise` (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => assert.fail("resolved while Redis is unreachable"),
    (err: unknown) => err,
  );
}

/**
 * A client of the caller's own kind (any RedisCommandClient is accepted) that runs the
 * limiter's real scripts on the real Redis, with one change: `TIME` reads a test clock passed
 * as two extra arguments. It makes exact comparisons with MemoryRateLimiter possible, and hits
 * in one microsecond (which a live server clock never repeats for one key). Key TTLs still run
 * on the server's real clock, so windows here are long next to a test's real duration.
 */
function pinnedClock(inner: RedisCommandClient): {
  client: RedisCommandClient;
  /** Sets the clock, in milliseconds from an arbitrary epoch. */
  at(ms: number): void;
} {
  const base = 1_700_000_000_000_000; // µs
  let micros = base;
  const client: RedisCommandClient = {
    kind: "pinned-clock",
    get: (key) => inner.get(key),
    set: (key, value, options) => inner.set(key, value, options),
    del: (key) => inner.del(key),
    exists: (key) => inner.exists(key),
    expire: (key, ttl) => inner.expire(key, ttl),
    scan: (pattern, count) => inner.scan(pattern, count),
    evalScript(script, key, args) {
      const source = script.source.replace(
        "redis.call('TIME')",
        "{ ARGV[#ARGV - 1], ARGV[#ARGV] }",
      );
      // The cancel script (a ZREM) reads no clock.
      if (source === script.source) return inner.evalScript!(script, key, args);
      const clock = [String(Math.floor(micros / 1e6)), String(micros % 1e6)];
      return inner.evalScript!(redisScript(source), key, [...args, ...clock]);
    },
  };
  return {
    client,
    at(ms) {
      micros = base + Math.round(ms * 1000);
    },
  };
}

/** A fresh prefix for one test, under the file's prefix (so `after` deletes it). */
const filePrefix = uniquePrefix("ratelimit");
let testCount = 0;
const freshPrefix = (): string => `${filePrefix}:${++testCount}:`;

describe("RedisRateLimiter", () => {
  const raw = new RawRedis(DB);
  const clients = new Map<ClientKind, TestClient>();

  before(async () => {
    for (const kind of CLIENT_KINDS) clients.set(kind, await openClient(kind, DB));
  });
  after(async () => {
    for (const client of clients.values()) await client.close();
    await raw.deleteMatching(`${filePrefix}:*`);
    await raw.close();
  });

  const limiter = (
    kind: ClientKind,
    options: { limit: number; windowMs: number; keyPrefix?: string },
  ): RedisRateLimiter =>
    new RedisRateLimiter({
      client: clients.get(kind)!.client,
      keyPrefix: freshPrefix(),
      ...options,
    });

  for (const kind of CLIENT_KINDS) {
    describe(kind, () => {
      it("blocks at the limit: retryAfter > 0 and ≤ windowMs, on the Redis server's clock", async () => {
        const l = limiter(kind, { limit: 3, windowMs: 60_000 });
        assert.equal(await l.retryAfter("username:alice"), 0, "no failures yet");
        await l.hit("username:alice");
        await l.hit("username:alice");
        assert.equal(await l.retryAfter("username:alice"), 0, "below the limit");
        await l.hit("username:alice");
        const wait = await l.retryAfter("username:alice");
        assert.ok(wait > 59_000 && wait <= 60_000, `retryAfter ${wait}`);
        assert.equal(await l.retryAfter("username:bob"), 0, "other keys are not affected");
        // Scores are the server's TIME in microseconds.
        const [seconds, micros] = (await raw.redis.call("TIME")) as [string, string];
        const serverMicros = Number(seconds) * 1e6 + Number(micros);
        const scores = (
          await raw.redis.zrange(l.redisKey("username:alice"), "0", "-1", "WITHSCORES")
        )
          .filter((_, i) => i % 2 === 1)
          .map(Number);
        assert.equal(scores.length, 3);
        for (const score of scores) {
          assert.ok(Number.isInteger(score) && serverMicros - score < 5e6, `score ${score}`);
        }
      });

      it("slides like MemoryRateLimiter (same operations, same answers, real time)", async () => {
        const windowMs = 600;
        const r = limiter(kind, { limit: 3, windowMs });
        const m = new MemoryRateLimiter({ limit: 3, windowMs });
        // Redis first, then memory: each failure is stamped no later in Redis than in memory.
        const both = async (op: "hit" | "reset"): Promise<void> => {
          await r[op]("k");
          await m[op]("k");
        };
        // Memory first, then Redis: with the order of `both`, Redis's answer is at most Memory's
        // (+2: Date.now truncates both of Memory's times to the millisecond, Redis rounds its
        // microseconds up), and close to it. (Exact equality is checked with a test clock below.)
        const waits = async (): Promise<[number, number]> => {
          const memory = await m.retryAfter("k");
          return [await r.retryAfter("k"), memory];
        };
        const close = ([redis, memory]: [number, number], what: string): void => {
          assert.ok(
            redis <= memory + 2 && memory - redis <= 150,
            `${what}: redis ${redis}, memory ${memory}`,
          );
        };
        await both("hit");
        await both("hit");
        assert.deepEqual(await waits(), [0, 0]);
        await both("hit");
        const blocked = await waits();
        close(blocked, "at the limit");
        assert.ok(blocked[0] > 0 && blocked[0] <= windowMs, `blocked ${blocked[0]}`);
        await sleep(250);
        await both("hit");
        await both("hit");
        // Five failures, but the oldest of the newest three is the third: ~350 ms left.
        const later = await waits();
        close(later, "after five failures");
        assert.ok(later[0] > 200 && later[0] <= windowMs - 250, `later ${later[0]}`);
        // Waiting retryAfter always unblocks (the third failure ages out, two stay live).
        await sleep(Math.max(...later));
        assert.deepEqual(await waits(), [0, 0]);
        await both("hit");
        close(await waits(), "blocked again");
        assert.ok((await r.retryAfter("k")) > 0);
        await both("reset");
        assert.deepEqual(await waits(), [0, 0]);
      });

      it("forgets failures once the window has passed, and Redis drops the idle key", async () => {
        const l = limiter(kind, { limit: 2, windowMs: 500 });
        await l.hit("ip:10.0.0.1");
        await l.hit("ip:10.0.0.1");
        assert.ok((await l.retryAfter("ip:10.0.0.1")) > 0);
        await sleep(600);
        assert.equal(await l.retryAfter("ip:10.0.0.1"), 0);
        assert.equal(await raw.exists(l.redisKey("ip:10.0.0.1")), 0, "the key expired");
        await l.hit("ip:10.0.0.1");
        assert.equal(await l.retryAfter("ip:10.0.0.1"), 0, "old failures do not come back");
      });

      it("reset forgets the key", async () => {
        const l = limiter(kind, { limit: 1, windowMs: 60_000 });
        await l.hit("username:carol");
        assert.ok((await l.retryAfter("username:carol")) > 0);
        await l.reset("username:carol");
        assert.equal(await l.retryAfter("username:carol"), 0);
        assert.equal(await raw.exists(l.redisKey("username:carol")), 0);
        await l.reset("username:never-seen"); // resetting an unknown key is fine
        assert.equal(await l.retryAfter("username:never-seen"), 0);
      });

      it("keeps only the newest `limit` failures, and they alone decide", async () => {
        const windowMs = 1000;
        const l = limiter(kind, { limit: 2, windowMs });
        for (let i = 0; i < 5; i++) await l.hit("k");
        assert.equal(await raw.redis.zcard(l.redisKey("k")), 2);
        await sleep(300);
        await l.hit("k");
        await l.hit("k");
        assert.equal(await raw.redis.zcard(l.redisKey("k")), 2);
        // Only the two fresh failures count: nearly a full window, not the old ones' < 700 ms.
        const wait = await l.retryAfter("k");
        assert.ok(wait > windowMs - 250 && wait <= windowMs, `retryAfter ${wait}`);
      });

      it("sets the key's TTL to the window on every failure", async () => {
        const l = limiter(kind, { limit: 5, windowMs: 60_000 });
        await l.hit("username:dave");
        const ttl = await raw.pttl(l.redisKey("username:dave"));
        assert.ok(ttl > 59_000 && ttl <= 60_000, `PTTL ${ttl}`);
        const fractional = limiter(kind, { limit: 5, windowMs: 1500.5 });
        await fractional.hit("username:dave");
        const rounded = await raw.pttl(fractional.redisKey("username:dave"));
        assert.ok(rounded > 1000 && rounded <= 1501, `PTTL ${rounded}`);
      });

      it("bounds long keys (SHA-256) without mixing keys up", async () => {
        const keyPrefix = freshPrefix();
        const l = limiter(kind, { limit: 1, windowMs: 60_000, keyPrefix });
        const long = `username:${"x".repeat(10_000)}`;
        const other = `${long.slice(0, -1)}y`;
        await l.hit(long);
        assert.ok((await l.retryAfter(long)) > 0);
        assert.equal(await l.retryAfter(other), 0, "a different long key has its own budget");
        const redisKey = l.redisKey(long);
        assert.match(redisKey, /^.*:sha256:[0-9a-f]{64}$/);
        assert.equal(redisKey.length, keyPrefix.length + 71);
        assert.equal(await raw.exists(redisKey), 1);
        // The hashed form, submitted as a key, is not the same key; nor are lone surrogates
        // (which UTF-8 would blur into U+FFFD) the same as each other.
        assert.equal(await l.retryAfter(redisKey.slice(keyPrefix.length)), 0);
        assert.notEqual(l.redisKey("username:a\uD800"), l.redisKey("username:a\uDFFF"));
        await l.hit("username:a\uD800");
        assert.equal(await l.retryAfter("username:a\uDFFF"), 0);
        // Short, well-formed keys stay readable, non-ASCII included.
        assert.equal(l.redisKey("username:ålice"), `${keyPrefix}username:ålice`);
        await l.hit("username:ålice");
        assert.equal(await raw.exists(`${keyPrefix}username:ålice`), 1);
        const keys: string[] = [];
        let cursor = "0";
        do {
          const [next, page] = await raw.redis.scan(cursor, "MATCH", `${keyPrefix}*`, "COUNT", 100);
          cursor = next;
          keys.push(...page);
        } while (cursor !== "0");
        assert.equal(keys.length, 3);
        for (const key of keys) assert.ok(Buffer.byteLength(key) <= keyPrefix.length + 71, key);
      });
    });
  }

  for (const kind of CLIENT_KINDS) {
    describe(`${kind}, with a test clock`, () => {
      const pinned = (): ReturnType<typeof pinnedClock> =>
        pinnedClock(toRedisClient(clients.get(kind)!.client));

      it("answers exactly what MemoryRateLimiter answers (its own unit test's steps)", async () => {
        const clock = pinned();
        let now = 0;
        const r = new RedisRateLimiter({
          client: clock.client,
          limit: 2,
          windowMs: 1000,
          keyPrefix: freshPrefix(),
        });
        const m = new MemoryRateLimiter({ limit: 2, windowMs: 1000, now: () => now });
        const step = async (ms: number, op: "hit" | "retryAfter"): Promise<unknown> => {
          now = ms;
          clock.at(ms);
          const [a, b] = await Promise.all([r[op]("a"), m[op]("a")]);
          assert.equal(a, b, `${op} at ${ms}`);
          return a;
        };
        await step(0, "hit");
        await step(500, "hit");
        assert.equal(await step(500, "retryAfter"), 500);
        assert.equal(await step(1000, "retryAfter"), 0, "a failure exactly windowMs old is gone");
        await step(1000, "hit");
        assert.equal(await step(1000, "retryAfter"), 500);
        assert.equal(await step(1499, "retryAfter"), 1);
        assert.equal(await step(1500, "retryAfter"), 0);
      });

      it("counts hits of the same microsecond, and keeps only the newest `limit`", async () => {
        const clock = pinned();
        const keyPrefix = freshPrefix();
        const r = new RedisRateLimiter({
          client: clock.client,
          limit: 5,
          windowMs: 1000,
          keyPrefix,
        });
        clock.at(0);
        for (let i = 0; i < 4; i++) await r.hit("same");
        assert.equal(await raw.redis.zcard(r.redisKey("same")), 4);
        assert.equal(await r.retryAfter("same"), 0);
        await r.hit("same");
        assert.equal(await r.retryAfter("same"), 1000);
        clock.at(400);
        for (let i = 0; i < 5; i++) await r.hit("same");
        assert.equal(await raw.redis.zcard(r.redisKey("same")), 5);
        assert.equal(await r.retryAfter("same"), 1000, "only the newest five count");
      });

      it("after a redeploy with a lower limit, only the newest `limit` stored failures count", async () => {
        const clock = pinned();
        const keyPrefix = freshPrefix();
        const before = new RedisRateLimiter({
          client: clock.client,
          limit: 5,
          windowMs: 1000,
          keyPrefix,
        });
        for (const ms of [0, 100, 200, 300, 400]) {
          clock.at(ms);
          await before.hit("k");
        }
        const after = new RedisRateLimiter({
          client: clock.client,
          limit: 2,
          windowMs: 1000,
          keyPrefix,
        });
        // The oldest of the newest two is the failure at 300: 300 + 1000 - 400.
        assert.equal(await after.retryAfter("k"), 900);
        await after.hit("k");
        assert.equal(await raw.redis.zcard(after.redisKey("k")), 2);
      });

      it("matches MemoryRateLimiter on random operation sequences", async () => {
        const op = fc.oneof(
          fc.record({ kind: fc.constant("hit" as const), key: fc.constantFrom("a", "b") }),
          fc.record({ kind: fc.constant("retryAfter" as const), key: fc.constantFrom("a", "b") }),
          fc.record({ kind: fc.constant("reset" as const), key: fc.constantFrom("a", "b") }),
          fc.record({ kind: fc.constant("reserve" as const), key: fc.constantFrom("a", "b") }),
          fc.record({ kind: fc.constant("cancel" as const) }),
          fc.record({
            kind: fc.constant("advance" as const),
            // Often exactly onto a window boundary.
            ms: fc.oneof(fc.integer({ min: 0, max: 2500 }), fc.constantFrom(1, 500, 1000, 1500)),
          }),
        );
        await fc.assert(
          fc.asyncProperty(
            fc.integer({ min: 1, max: 4 }),
            fc.constantFrom(1000, 1500, 2000),
            fc.array(op, { maxLength: 40 }),
            async (limit, windowMs, ops) => {
              const clock = pinned();
              let now = 0;
              clock.at(0);
              const r = new RedisRateLimiter({
                client: clock.client,
                limit,
                windowMs,
                keyPrefix: freshPrefix(),
              });
              const m = new MemoryRateLimiter({ limit, windowMs, now: () => now });
              // Granted reservations not yet cancelled, newest last: [redis, memory] pairs.
              const held: [() => Promise<void>, () => Promise<void>][] = [];
              for (const o of ops) {
                if (o.kind === "advance") {
                  now += o.ms;
                  clock.at(now);
                } else if (o.kind === "retryAfter") {
                  assert.equal(await r.retryAfter(o.key), await m.retryAfter(o.key));
                } else if (o.kind === "reserve") {
                  const [fromRedis, fromMemory] = [await r.reserve(o.key), await m.reserve(o.key)];
                  assert.equal(fromRedis.granted, fromMemory.granted);
                  if (fromRedis.granted && fromMemory.granted) {
                    held.push([fromRedis.cancel, fromMemory.cancel]);
                  } else if (!fromRedis.granted && !fromMemory.granted) {
                    assert.equal(fromRedis.retryAfter, fromMemory.retryAfter);
                  }
                } else if (o.kind === "cancel") {
                  const pair = held.pop();
                  if (pair !== undefined) {
                    await pair[0]();
                    await pair[1]();
                  }
                } else {
                  await r[o.kind](o.key);
                  await m[o.kind](o.key);
                }
              }
              for (const key of ["a", "b"]) {
                assert.equal(await r.retryAfter(key), await m.retryAfter(key));
              }
            },
          ),
          { numRuns: 40 },
        );
      });
    });
  }

  it("several limiters (processes, either client) share one budget", async () => {
    const keyPrefix = freshPrefix();
    const a = limiter("node-redis", { limit: 3, windowMs: 60_000, keyPrefix });
    const b = limiter("ioredis", { limit: 3, windowMs: 60_000, keyPrefix });
    await a.hit("username:erin");
    await b.hit("username:erin");
    assert.equal(await a.retryAfter("username:erin"), 0);
    await a.hit("username:erin");
    assert.ok((await a.retryAfter("username:erin")) > 0);
    assert.ok((await b.retryAfter("username:erin")) > 0, "the other process sees the lock");
    await b.reset("username:erin");
    assert.equal(await a.retryAfter("username:erin"), 0, "and the reset");
  });

  it("counts 50 concurrent failures exactly (unique members, atomic scripts)", async () => {
    const keyPrefix = freshPrefix();
    const a = limiter("node-redis", { limit: 50, windowMs: 60_000, keyPrefix });
    const b = limiter("ioredis", { limit: 50, windowMs: 60_000, keyPrefix });
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).hit("ip:203.0.113.9")),
    );
    const members = await raw.redis.zrange(a.redisKey("ip:203.0.113.9"), "0", "-1");
    assert.equal(members.length, 50);
    assert.equal(new Set(members).size, 50);
    assert.ok((await a.retryAfter("ip:203.0.113.9")) > 0, "the 50th failure blocks");
    const roomier = limiter("ioredis", { limit: 51, windowMs: 60_000, keyPrefix });
    assert.equal(await roomier.retryAfter("ip:203.0.113.9"), 0, "exactly 50, not 51");
  });

  it("grants exactly `limit` of 50 concurrent reservations from two processes; cancel gives one back", async () => {
    const keyPrefix = freshPrefix();
    const a = limiter("node-redis", { limit: 5, windowMs: 60_000, keyPrefix });
    const b = limiter("ioredis", { limit: 5, windowMs: 60_000, keyPrefix });
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).reserve("username:race")),
    );
    const granted = answers.filter((r) => r.granted);
    assert.equal(granted.length, 5);
    for (const r of answers) if (!r.granted) assert.ok(r.retryAfter > 0 && r.retryAfter <= 60_000);
    assert.equal(await raw.redis.zcard(a.redisKey("username:race")), 5, "refusals record nothing");
    const first = granted[0];
    assert.ok(first?.granted);
    await first.cancel();
    assert.equal(await raw.redis.zcard(a.redisKey("username:race")), 4);
    assert.equal(await b.retryAfter("username:race"), 0, "one attempt free again");
    assert.equal((await b.reserve("username:race")).granted, true);
    assert.equal((await a.reserve("username:race")).granted, false);
  });

  it("validates its options like MemoryRateLimiter, and refuses unusable clients", () => {
    const client = clients.get("ioredis")!.client;
    for (const [limit, windowMs] of [
      [0, 1000],
      [1.5, 1000],
      [-1, 1000],
      [Number.NaN, 1000],
      [1, 0],
      [1, -5],
      [1, Number.NaN],
      [1, Number.POSITIVE_INFINITY],
    ] as const) {
      assert.throws(
        () => new RedisRateLimiter({ client, limit, windowMs }),
        ConfigurationError,
        `${limit}/${windowMs}`,
      );
    }
    assert.throws(
      () => new RedisRateLimiter({ client: {} as RedisClientInput, limit: 1, windowMs: 1 }),
      ConfigurationError,
    );
    // A RedisCommandClient of the caller's own, written for the stores, has no evalScript.
    const adapter = fromIoredis(client as Redis);
    const withoutScripts: RedisCommandClient = {
      kind: "custom",
      get: (key) => adapter.get(key),
      set: (key, value, options) => adapter.set(key, value, options),
      del: (key) => adapter.del(key),
      exists: (key) => adapter.exists(key),
      expire: (key, ttl) => adapter.expire(key, ttl),
      scan: (pattern, count) => adapter.scan(pattern, count),
    };
    assert.throws(
      () => new RedisRateLimiter({ client: withoutScripts, limit: 1, windowMs: 1 }),
      (err: unknown) => err instanceof ConfigurationError && /evalScript/.test(err.message),
    );
    assert.equal(
      new RedisRateLimiter({ client, limit: 1, windowMs: 1 }).redisKey("ip:1.2.3.4"),
      `${DEFAULT_RATE_LIMIT_KEY_PREFIX}ip:1.2.3.4`,
    );
  });

  describe("through authenticate()", () => {
    it("blocks a brute force across processes, with the same answer for unknown users", async () => {
      const keyPrefix = freshPrefix();
      const username = `victim${String(Date.now())}`;
      const rules = { perUsername: { limit: 5, windowMs: 60_000 }, keyPrefix };
      // Two app processes: one on node-redis, one on ioredis, the same users.
      const a = await fixture({
        rateLimit: loginRateLimit({ ...rules, redis: clients.get("node-redis")!.client }),
      });
      await a.addUser(username, "correct horse");
      const b = {
        ...a.config,
        rateLimit: loginRateLimit({ ...rules, redis: clients.get("ioredis")!.client }),
      };
      for (let i = 0; i < 5; i++) {
        const guess = await authenticate({ username, password: `guess${i}` }, i % 2 ? b : a.config);
        assert.ok(!guess.ok && guess.reason === "invalid-credentials");
      }
      for (const config of [a.config, b]) {
        const r = await authenticate({ username, password: "correct horse" }, config);
        assert.ok(!r.ok, "the right password is refused while locked out");
        assert.equal(r.reason, "rate-limited");
        assert.equal(r.message, RATE_LIMITED_MESSAGE);
        assert.equal(r.retryAfter, 60);
      }
      // Case variants share the budget (the key is case-folded before it reaches Redis).
      const upper = await authenticate({ username: username.toUpperCase(), password: "x" }, b);
      assert.ok(!upper.ok && upper.reason === "rate-limited");
      // An unknown user is locked out the same way after the same number of failures.
      for (let i = 0; i < 5; i++) await authenticate({ username: "nobody", password: "x" }, b);
      const unknown = await authenticate({ username: "nobody", password: "x" }, a.config);
      assert.ok(!unknown.ok && unknown.reason === "rate-limited" && unknown.retryAfter === 60);
      assert.equal(await raw.exists(`${keyPrefix}username:${username}`), 1);
      // Once the lock is lifted (here by hand), a success resets the username's failures.
      await raw.redis.del(`${keyPrefix}username:${username}`);
      await authenticate({ username, password: "wrong" }, a.config);
      assert.ok((await authenticate({ username, password: "correct horse" }, b)).ok);
      assert.equal(await raw.exists(`${keyPrefix}username:${username}`), 0);
      await a.database.close();
    });

    it("limits per IP across usernames", async () => {
      const f = await fixture({
        rateLimit: loginRateLimit({
          perIp: { limit: 3, windowMs: 60_000 },
          redis: clients.get("ioredis")!.client,
          keyPrefix: freshPrefix(),
        }),
      });
      await f.addUser("alice", "pw");
      for (const username of ["a", "b", "c"]) {
        await authenticate({ username, password: "x", ip: "198.51.100.7" }, f.config);
      }
      const blocked = await authenticate(
        { username: "alice", password: "pw", ip: "198.51.100.7" },
        f.config,
      );
      assert.ok(!blocked.ok && blocked.reason === "rate-limited");
      const elsewhere = await authenticate(
        { username: "alice", password: "pw", ip: "198.51.100.8" },
        f.config,
      );
      assert.ok(elsewhere.ok);
      await f.database.close();
    });

    it("loginRateLimit keeps memory limits by default and refuses mixed options", () => {
      const memory = loginRateLimit({ perUsername: { limit: 1, windowMs: 1 } });
      assert.ok(memory.byUsername instanceof MemoryRateLimiter);
      const redis = loginRateLimit({
        perUsername: { limit: 1, windowMs: 1 },
        perIp: { limit: 4, windowMs: 1 },
        redis: clients.get("node-redis")!.client,
      });
      assert.ok(redis.byUsername instanceof RedisRateLimiter);
      assert.ok(redis.byIp instanceof RedisRateLimiter);
      assert.throws(
        () =>
          loginRateLimit({
            perUsername: { limit: 1, windowMs: 1 },
            redis: clients.get("node-redis")!.client,
            now: () => 0,
          }),
        ConfigurationError,
      );
      assert.throws(
        () => loginRateLimit({ perUsername: { limit: 1, windowMs: 1 }, keyPrefix: "x:" }),
        ConfigurationError,
      );
      assert.throws(
        () =>
          loginRateLimit({
            perUsername: { limit: 0, windowMs: 1 },
            redis: clients.get("node-redis")!.client,
          }),
        ConfigurationError,
      );
    });
  });
});

describe("RedisRateLimiter when Redis is unreachable", () => {
  const TIMEOUT_MS = 300;
  const closers: (() => void)[] = [];
  const raw = new RawRedis(DB);
  const prefix = `${uniquePrefix("ratelimit-outage")}:`;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  let proxy: Proxy;

  before(async () => {
    process.on("unhandledRejection", onUnhandled);
    proxy = await startProxy(REDIS_PORT, REDIS_HOST);
  });
  after(async () => {
    for (const close of closers) close();
    await proxy.stop();
    await raw.deleteMatching(`${prefix}*`);
    await raw.close();
    process.off("unhandledRejection", onUnhandled);
  });

  /** Clients pointed at a port nothing listens on, that keep retrying in the background. */
  const closedPortClients: [string, () => RedisClientInput][] = [
    [
      "node-redis (offline queue: the command would wait forever)",
      () => {
        const [port = 1] = highPorts(1);
        const client = createClient({
          socket: { host: REDIS_HOST, port, reconnectStrategy: 100, connectTimeout: 200 },
        });
        client.on("error", () => {});
        client.connect().catch(() => {});
        closers.push(() => {
          client.destroy();
        });
        return client;
      },
    ],
    [
      "ioredis (maxRetriesPerRequest: null: the command would wait forever)",
      () => {
        const [port = 1] = highPorts(1);
        const client = new Redis({
          host: REDIS_HOST,
          port,
          maxRetriesPerRequest: null,
          retryStrategy: () => 100,
        });
        client.on("error", () => {});
        closers.push(() => {
          client.disconnect();
        });
        return client;
      },
    ],
  ];

  /** The typed, fast, key-free error every method must reject with. */
  async function assertUnavailable(promise: Promise<unknown>, key: string): Promise<void> {
    const started = Date.now();
    const err = await rejection(promise);
    const ms = Date.now() - started;
    assert.ok(err instanceof SessionStoreError, String(err));
    assert.equal(err.code, "store-unavailable");
    assert.equal(httpStatusOf(err), 503);
    assert.match(err.message, /^Redis login rate limiter failed: \S/);
    assert.ok(!err.message.includes(key), "the message never carries the key (a username)");
    assert.ok(ms < TIMEOUT_MS + 700, `took ${ms} ms`);
  }

  for (const [label, open] of closedPortClients) {
    it(`${label}: every method rejects with SessionStoreError within the command timeout`, async () => {
      const limiter = new RedisRateLimiter({
        client: open(),
        limit: 3,
        windowMs: 60_000,
        commandTimeoutMs: TIMEOUT_MS,
      });
      const key = "username:secret-name";
      await assertUnavailable(limiter.retryAfter(key), key);
      await assertUnavailable(limiter.hit(key), key);
      await assertUnavailable(limiter.reset(key), key);
    });
  }

  it("authenticate fails closed: never a login, never a crash, a 503-typed error", async () => {
    const down = loginRateLimit({
      perUsername: { limit: 5, windowMs: 60_000 },
      perIp: { limit: 20, windowMs: 60_000 },
      redis: fromIoredis(closedPortClients[1]![1]() as Redis, { commandTimeoutMs: TIMEOUT_MS }),
    });
    const f = await fixture({ rateLimit: down });
    await f.addUser("alice", "pw");
    for (const password of ["pw", "wrong"]) {
      const err = await rejection(
        authenticate({ username: "alice", password, ip: "192.0.2.1" }, f.config),
      );
      assert.ok(err instanceof SessionStoreError, String(err));
      assert.equal(httpStatusOf(err), 503);
    }
    // One limiter up and one down: still refused, the working one untouched.
    const upClient = new Redis({ host: REDIS_HOST, port: REDIS_PORT, db: DB });
    closers.push(() => {
      upClient.disconnect();
    });
    const up = new RedisRateLimiter({
      client: upClient,
      limit: 5,
      windowMs: 60_000,
      keyPrefix: prefix,
    });
    const mixed = await fixture({ rateLimit: { byUsername: up, byIp: down.byIp! } });
    await mixed.addUser("alice", "pw");
    const err = await rejection(
      authenticate({ username: "alice", password: "pw", ip: "192.0.2.1" }, mixed.config),
    );
    assert.ok(err instanceof SessionStoreError);
    assert.equal(await raw.exists(`${prefix}username:alice`), 0, "no failure was recorded");
    await sleep(TIMEOUT_MS); // late replies or rejections of the dropped commands
    assert.deepEqual(unhandled, []);
    await f.database.close();
    await mixed.database.close();
  });

  it("a Redis that goes away and comes back: typed errors meanwhile, then the same limits", async () => {
    const client = createClient({
      socket: { host: REDIS_HOST, port: proxy.port, reconnectStrategy: 100 },
      database: DB,
      disableOfflineQueue: true,
    });
    client.on("error", () => {});
    await client.connect();
    closers.push(() => {
      client.destroy();
    });
    const limiter: RateLimiter = new RedisRateLimiter({
      client,
      limit: 2,
      windowMs: 60_000,
      keyPrefix: prefix,
      commandTimeoutMs: TIMEOUT_MS,
    });
    await limiter.hit("ip:192.0.2.50");
    await limiter.hit("ip:192.0.2.50");
    await proxy.stop();
    try {
      await assertUnavailable(limiter.retryAfter("ip:192.0.2.50"), "192.0.2.50");
      await assertUnavailable(limiter.hit("ip:192.0.2.50"), "192.0.2.50");
    } finally {
      await proxy.start();
    }
    const deadline = Date.now() + 10_000;
    let wait: number | undefined;
    while (wait === undefined) {
      try {
        wait = await limiter.retryAfter("ip:192.0.2.50");
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await sleep(100);
      }
    }
    assert.ok(wait > 0, "the failures from before the outage still count");
  });
});

describe("RedisRateLimiter on a Redis Cluster (3 masters)", { timeout: 60_000 }, () => {
  const processes = new RedisProcesses();
  const ports = highPorts(3);
  const closers: (() => void)[] = [];

  before(async () => {
    await processes.cluster(ports);
  });
  after(async () => {
    for (const close of closers) close();
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
    it(`${label}: keys on several masters, scripts sent on NOSCRIPT (EVALSHA → EVAL)`, async () => {
      const limiter = new RedisRateLimiter({
        client: await open(),
        limit: 2,
        windowMs: 60_000,
        keyPrefix: `${label.replace(/\W/g, "")}:`,
      });
      const keys = Array.from({ length: 20 }, (_, i) => `username:user${i}`);
      for (const key of keys) {
        await limiter.hit(key);
        assert.equal(await limiter.retryAfter(key), 0);
        await limiter.hit(key);
      }
      for (const key of keys) assert.ok((await limiter.retryAfter(key)) > 0, key);
      const perMaster = await Promise.all(
        ports.map(async (port) => Number((await redisCli(port, "dbsize")).trim())),
      );
      assert.ok(perMaster.filter((n) => n > 0).length >= 2, `per master: ${perMaster.join(",")}`);
      for (const key of keys) await limiter.reset(key);
      for (const key of keys) assert.equal(await limiter.retryAfter(key), 0);
      // Scripts flushed from every server (a restart, a failover) are sent again in full.
      for (const port of ports) {
        await redisCli(port, "script", "flush");
      }
      for (const key of keys.slice(0, 5)) {
        await limiter.hit(key);
        await limiter.hit(key);
        assert.ok((await limiter.retryAfter(key)) > 0, key);
        await limiter.reset(key);
      }
    });
  }
});

describe("RedisRateLimiter behind Redis Sentinel", { timeout: 60_000 }, () => {
  const processes = new RedisProcesses();
  const [masterPort = 0, sentinelPort = 0] = highPorts(2);
  const closers: (() => void)[] = [];

  before(async () => {
    await processes.server(masterPort);
    await processes.sentinel(sentinelPort, "sbmaster", masterPort);
  });
  after(async () => {
    for (const close of closers) close();
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
    it(`${label}: the limits live on the Sentinel's master`, async () => {
      const limiter = new RedisRateLimiter({ client: await open(), limit: 2, windowMs: 60_000 });
      const key = `username:${label.replace(/\W/g, "")}`;
      await limiter.hit(key);
      await limiter.hit(key);
      assert.ok((await limiter.retryAfter(key)) > 0);
      const direct = new Redis({ host: REDIS_HOST, port: masterPort });
      try {
        assert.equal(await direct.exists(limiter.redisKey(key)), 1);
        await limiter.reset(key);
        assert.equal(await direct.exists(limiter.redisKey(key)), 0);
      } finally {
        direct.disconnect();
      }
    });
  }
});
