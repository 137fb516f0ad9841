// A stored value's version (src/internal/value-version.ts) is the digest Redis's Lua computes
// for the same bytes (`redis.sha1hex`), so the compare-and-set script compares like with like:
// checked on a real Redis for empty, text, binary (a pickle's bytes) and large values.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, it } from "node:test";
import type { Redis } from "ioredis";
import { valueVersion } from "../../src/internal/value-version.ts";
import { STORE_DB, ioredisClient } from "../stores/redis/helpers.ts";

let redis: Redis;
before(async () => {
  redis = await ioredisClient(STORE_DB);
});
after(() => {
  redis.disconnect();
});

it("equals redis.sha1hex of the same bytes", async () => {
  const values = [
    Buffer.alloc(0),
    Buffer.from("abc"),
    Buffer.from([0x80, 0x05, 0x95, 0x00, 0xff, 0x2e]),
    randomBytes(70_000),
  ];
  for (const value of values) {
    const server = await redis.eval("return redis.sha1hex(ARGV[1])", 0, value);
    assert.equal(valueVersion(value), server, `${value.length} bytes`);
  }
});
