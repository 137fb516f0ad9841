// REDIS_URL and REDIS_CLUSTER_NODES as the CLI reads them (src/cli/redis-url.ts): one server,
// a Cluster's seed nodes, or Sentinels and the master they name.
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

  it("reads a Sentinel URL: the Sentinels (port 26379 by default), the master's name, database and credentials", () => {
    const t = parseRedisTarget(
      "rediss+sentinel://app:p%40ss@s1,[::1]:26380,s3:26381/my%2Dmaster/3?sentinel_password=sp&sentinel_username=su",
    );
    assert.deepEqual(t, {
      tls: true,
      username: "app",
      password: "p@ss",
      seeds: [
        { host: "s1", port: 26379 },
        { host: "::1", port: 26380 },
        { host: "s3", port: 26381 },
      ],
      db: 3,
      cluster: "no",
      sentinel: { name: "my-master", username: "su", password: "sp" },
    });
    const plain = parseRedisTarget("redis+sentinel://s1:26379/mymaster");
    assert.equal(plain.db, 0);
    assert.equal(plain.tls, false);
    assert.deepEqual(plain.sentinel, { name: "mymaster", username: "", password: "" });
    assert.equal(parseRedisTarget("redis+sentinel://s1/mymaster/").db, 0);
  });

  it("refuses a Sentinel URL without a master name, with a bad database, as a Cluster, or with REDIS_CLUSTER_NODES", () => {
    for (const bad of [
      "redis+sentinel://s1:26379",
      "redis+sentinel://s1:26379/",
      "redis+sentinel://s1:26379/mymaster/x",
      "redis+sentinel://s1:26379/mymaster/0/1",
      "redis+sentinel://s1:26379/mymaster?cluster=yes",
    ]) {
      assert.throws(() => parseRedisTarget(bad), ConfigurationError, bad);
    }
    assert.throws(
      () => parseRedisTarget("redis+sentinel://s1/mymaster", "c:7000"),
      /REDIS_CLUSTER_NODES is for a Redis Cluster/,
    );
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
