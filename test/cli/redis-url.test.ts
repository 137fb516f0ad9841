// REDIS_URL and REDIS_CLUSTER_NODES as the CLI reads them (src/cli/redis-url.ts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigurationError } from "../../src/errors.ts";
import { hostPort, parseRedisTarget, seedUrl } from "../../src/cli/redis-url.ts";

describe("parseRedisTarget", () => {
  it("reads one server with credentials, TLS and database", () => {
    const t = parseRedisTarget("rediss://user:p%40ss@cache:6380/2");
    assert.deepEqual(t, {
      tls: true,
      username: "user",
      password: "p@ss",
      seeds: [{ host: "cache", port: 6380 }],
      db: 2,
      cluster: "auto",
    });
    assert.equal(seedUrl(t, t.seeds[0]!), "rediss://user:p%40ss@cache:6380/2");
  });

  it("reads a seed list, REDIS_CLUSTER_NODES after it, IPv6 and the default port", () => {
    const t = parseRedisTarget("redis://a:7000,[::1]:7001,b?cluster=yes", "c:7002, a:7000");
    assert.deepEqual(t.seeds.map(hostPort), ["a:7000", "[::1]:7001", "b:6379", "c:7002"]);
    assert.equal(t.cluster, "yes");
    assert.equal(t.db, 0);
    assert.equal(parseRedisTarget("redis://a?cluster=no").cluster, "no");
  });

  it("refuses what is not a Redis URL", () => {
    for (const bad of [
      "http://a",
      "redis://",
      "redis://a:99999",
      "redis://a/x",
      "redis://a?cluster=maybe",
    ]) {
      assert.throws(() => parseRedisTarget(bad), ConfigurationError, bad);
    }
  });
});
