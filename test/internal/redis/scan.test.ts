// The one SCAN walk (src/internal/redis/scan.ts) on a real Redis: two "masters" are two
// database indexes of the test server (each a connection of its own, as a cluster's masters
// are), holding keys under a prefix unique to this run. The walk over a real Cluster is in
// test/stores/redis/topologies.test.ts.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Redis } from "ioredis";
import { ConfigurationError } from "../../../src/errors.ts";
import {
  RedisWalkError,
  StaleWalkPositionError,
  requireSlotCoverage,
  runIdOf,
  scanEveryMaster,
  type RedisScanTarget,
} from "../../../src/internal/redis/scan.ts";
import { STORE_DB, ioredisClient, uniquePrefix } from "../../stores/redis/helpers.ts";

const prefix = uniquePrefix("scan");
const pattern = `${prefix}:*`;
const OTHER_DB = STORE_DB + 1;
let masters: Redis[] = [];
let targets: RedisScanTarget[] = [];
const expected: string[] = [];

before(async () => {
  masters = [await ioredisClient(STORE_DB), await ioredisClient(OTHER_DB)];
  targets = masters.map((redis) => ({
    scan: (cursor, match, count) => redis.scan(cursor, "MATCH", match, "COUNT", count),
  }));
  for (const [index, redis] of masters.entries()) {
    for (let i = 0; i < 60; i++) {
      const key = `${prefix}:${index}:${i}`;
      await redis.set(key, "x", "EX", 300);
      expected.push(key);
    }
  }
  expected.sort();
});

after(async () => {
  for (const [index, redis] of masters.entries()) {
    const own = expected.filter((key) => key.startsWith(`${prefix}:${index}:`));
    if (own.length > 0) await redis.del(...own);
    redis.disconnect();
  }
});

/** Every key of a walk run to its end, and the positions of its pages. */
async function walkAll(from = ""): Promise<{ keys: string[]; positions: string[] }> {
  const keys: string[] = [];
  const positions: string[] = [];
  for await (const page of scanEveryMaster(targets, pattern, 10, from)) {
    keys.push(...page.keys);
    positions.push(page.position);
  }
  return { keys, positions };
}

describe("scanEveryMaster", () => {
  it("lists the keys of every master, and only the last page has the empty position", async () => {
    const { keys, positions } = await walkAll();
    assert.deepEqual([...new Set(keys)].sort(), expected);
    assert.equal(positions.at(-1), "");
    assert.ok(positions.slice(0, -1).every((p) => p !== ""));
    // Positions on the first master are its bare cursors (as a single server's walk, and the
    // CLI's checkpoints before there were several); on the second they name it.
    assert.ok(positions.some((p) => /^[1-9]\d*$/.test(p)));
    assert.ok(positions.some((p) => p.startsWith("1:")));
  });

  it("resumes from any page's position, in a new walk, as the CLI does after a stop", async () => {
    const keys: string[] = [];
    let position = "";
    let walks = 0;
    do {
      // Take one page, then drop the walk.
      const iterator = scanEveryMaster(targets, pattern, 10, position)[Symbol.asyncIterator]();
      const step = await iterator.next();
      await iterator.return?.();
      if (step.done === true) assert.fail(`a walk from ${position} listed no page`);
      keys.push(...step.value.keys);
      position = step.value.position;
      walks++;
    } while (position !== "");
    assert.ok(walks > 2, `only ${walks} pages`);
    assert.deepEqual([...new Set(keys)].sort(), expected);
  });

  it('starts at the beginning from "" and from "0"', async () => {
    const fromZero = await walkAll("0");
    assert.deepEqual([...new Set(fromZero.keys)].sort(), expected);
  });

  it("refuses a position that is not one of this walk's", async () => {
    for (const bad of ["2:0", "x", "1:", "-1", "1:2:3"]) {
      await assert.rejects(walkAll(bad), ConfigurationError, bad);
    }
  });

  it("fails with how far it got when a master stops answering, after yielding what it listed", async () => {
    const gone = await ioredisClient(OTHER_DB);
    gone.disconnect();
    const broken: RedisScanTarget[] = [
      targets[0]!,
      { ...targets[1]!, scan: (c, m, n) => gone.scan(c, "MATCH", m, "COUNT", n), label: "db11" },
    ];
    const listed: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const page of scanEveryMaster(broken, pattern, 1000)) listed.push(...page.keys);
      })(),
      (err: unknown) => {
        assert.ok(err instanceof RedisWalkError);
        assert.equal(err.code, "redis-walk-incomplete");
        assert.equal(err.mastersDone, 1);
        assert.equal(err.masters, 2);
        assert.match(
          err.message,
          /SCAN on master 2 of 2 \(db11\).*1 of 2 masters walked, \d+ keys listed/,
        );
        return true;
      },
    );
    assert.equal(listed.filter((k) => k.startsWith(`${prefix}:0:`)).length, 60);
  });
});

describe("positions across Redis processes", () => {
  it("carry the servers' run_id hash, and one of other processes is refused as stale", async () => {
    const identified: RedisScanTarget[] = masters.map((redis, i) => ({
      scan: (cursor, match, count) => redis.scan(cursor, "MATCH", match, "COUNT", count),
      identity: async () => runIdOf(await redis.info("server")),
      label: `db${i}`,
    }));
    const iterator = scanEveryMaster(identified, pattern, 10)[Symbol.asyncIterator]();
    const step = await iterator.next();
    await iterator.return?.();
    assert.ok(step.done !== true);
    const [at, epoch] = step.value.position.split("~");
    assert.match(epoch ?? "", /^[0-9a-f]{12}$/);
    // The same servers resume it; a restarted one (another run_id) makes it stale.
    const again = await walkAllOf(identified, step.value.position);
    assert.ok(again.length > 0);
    await assert.rejects(walkAllOf(identified, `${at}~000000000000`), StaleWalkPositionError);
  });
});

describe("a master that becomes another process mid-walk", () => {
  it("fails the walk at the next page, with how far it got, instead of reading a dead cursor", async () => {
    // The second master answers as another process (a failover the client followed) from its
    // second page on.
    let calls = 0;
    const identified: RedisScanTarget[] = masters.map((redis, i) => ({
      scan: (cursor, match, count) => redis.scan(cursor, "MATCH", match, "COUNT", count),
      identity: async () => {
        const id = runIdOf(await redis.info("server"));
        if (i === 1 && ++calls > 2) return `${id.slice(0, -1)}x`;
        return id;
      },
      label: `db${i}`,
    }));
    const listed: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const page of scanEveryMaster(identified, pattern, 10))
          listed.push(...page.keys);
      })(),
      (err: unknown) => {
        assert.ok(err instanceof RedisWalkError);
        assert.equal(err.mastersDone, 1);
        assert.match(
          err.message,
          /master 2 of 2 \(db1\) is another Redis process than when the walk began .* \(1 of 2 masters walked, (\d+) keys listed before\)/,
        );
        const count = Number(/(\d+) keys listed before/.exec(err.message)?.[1]);
        assert.equal(count, listed.length);
        return true;
      },
    );
    // Every key of the first master, and the second's first page only.
    assert.equal(listed.filter((k) => k.startsWith(`${prefix}:0:`)).length, 60);
    assert.ok(listed.filter((k) => k.startsWith(`${prefix}:1:`)).length < 60);
  });
});

async function walkAllOf(targets: readonly RedisScanTarget[], from: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of scanEveryMaster(targets, pattern, 10, from)) keys.push(...page.keys);
  return keys;
}

describe("requireSlotCoverage", () => {
  it("passes when every slot has a reachable master, names the first gap otherwise", () => {
    const table = (slot: number): string => (slot < 8192 ? "a:1" : "b:2");
    requireSlotCoverage(table, new Set(["a:1", "b:2"]));
    assert.throws(
      () => {
        requireSlotCoverage(table, new Set(["a:1"]));
      },
      (err: unknown) =>
        err instanceof RedisWalkError &&
        /hash slots 8192-16383 have no reachable master \(b:2 is gone\)/.test(err.message),
    );
    assert.throws(() => {
      requireSlotCoverage((slot) => (slot === 5 ? undefined : "a:1"), new Set(["a:1"]));
    }, /hash slots 5-5/);
  });
});
