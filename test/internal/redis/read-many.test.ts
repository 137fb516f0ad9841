// readValuesWithTtl: the client's own pipelined batch, and the fallback for a client without
// one (a caller's own RedisCommandClient), which must answer the same, on a real Redis; and
// the adapters' getMany (values only).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { RedisCommandClient } from "../../../src/internal/redis/client.ts";
import { toRedisClient } from "../../../src/internal/redis/detect.ts";
import { readValuesWithTtl } from "../../../src/internal/redis/read-many.ts";
import { RawRedis, openClient, type TestClient } from "../../stores/redis/helpers.ts";

const PREFIX = `sbh-realtime:read-many:${process.pid}`;

describe("readValuesWithTtl", () => {
  const raw = new RawRedis(0);
  const clients: TestClient[] = [];
  before(async () => {
    clients.push(await openClient("node-redis", 0), await openClient("ioredis", 0));
    await raw.set(`${PREFIX}:a`, "A", 600);
    await raw.redis.set(`${PREFIX}:persistent`, "P");
    await raw.redis.hset(`${PREFIX}:hash`, "f", "v");
  });
  after(async () => {
    for (const c of clients) await c.close();
    await raw.deleteMatching(`${PREFIX}:*`);
    await raw.close();
  });

  it("reads value and PTTL per key, in order, with and without the client's batch", async () => {
    const keys = ["a", "missing", "persistent", "hash", "a"].map((k) => `${PREFIX}:${k}`);
    for (const c of clients) {
      const adapter = toRedisClient(c.client);
      assert.equal(typeof adapter.readMany, "function", c.kind);
      // The same adapter without its batch: what a caller's own client gets.
      const plain: RedisCommandClient = {
        kind: adapter.kind,
        get: (k) => adapter.get(k),
        set: (k, v, o) => adapter.set(k, v, o),
        del: (k) => adapter.del(k),
        exists: (k) => adapter.exists(k),
        expire: (k, t) => adapter.expire(k, t),
        pttl: (k) => adapter.pttl!(k),
        scan: (p, n) => adapter.scan(p, n),
      };
      for (const client of [adapter, plain]) {
        const read = await readValuesWithTtl(client, keys);
        assert.equal(read.length, 5);
        assert.equal(read[0]!.value?.toString(), "A");
        assert.ok(read[0]!.pttl > 0 && read[0]!.pttl <= 600_000);
        assert.deepEqual(read[1], { value: null, pttl: -2 });
        assert.deepEqual(read[2], { value: Buffer.from("P"), pttl: -1 });
        assert.equal(read[3]!.value, null, "a hash reads as no value");
        assert.equal(read[3]!.pttl, -1);
        assert.equal(read[4]!.value?.toString(), "A");
      }
      assert.deepEqual(await readValuesWithTtl(adapter, []), []);
    }
  });

  it("getMany: values only (one MGET on a single server), in order, another type as null", async () => {
    const keys = ["a", "missing", "persistent", "hash", "a"].map((k) => `${PREFIX}:${k}`);
    for (const c of clients) {
      const adapter = toRedisClient(c.client);
      const values = await adapter.getMany!(keys);
      assert.deepEqual(
        values.map((v) => v?.toString() ?? null),
        ["A", null, "P", null, "A"],
        c.kind,
      );
      assert.deepEqual(await adapter.getMany!([]), []);
    }
  });
});
