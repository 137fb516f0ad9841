// `sessions index`, and `sessions list|revoke --user` through the per-user index or the walk,
// on real Redis servers started here (one plain server with keyspace notifications on, a
// 3-master Cluster on ports 7370–7372) with ioredis and node-redis. Sessions are written the
// way Django writes them (raw SETs of django-redis pickles), never through the index: only the
// indexer (`sessions index --follow`) or a backfill can put them there.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { Cluster, Redis } from "ioredis";
import { dumpsPickle } from "../../../src/codecs/pickle/index.ts";
import { DjangoCacheStore } from "../../../src/stores/redis/index.ts";
import { CLI, TEST_DJANGO, redisCacheCliEnv, runCli } from "../../support/cli.ts";
import { REDIS_HOST, RedisProcesses, redisCli } from "../../stores/redis/helpers.ts";
import { ready } from "../../stores/redis/open-clients.ts";

const SECRET = "user-index-secret";
const PREFIX = "sbh-userindex";
const SINGLE = 7375;
const CLUSTER = [7370, 7371, 7372];
type Driver = "ioredis" | "redis";

const processes = new RedisProcesses(resolve(".work"));
const children: ChildProcess[] = [];
const clients: (Redis | Cluster)[] = [];

before(async () => {
  await processes.server(SINGLE, ["--notify-keyspace-events", "Kg$xe"]);
});

after(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  for (const client of clients) client.disconnect();
  await processes.stop();
});

function env(driver: Driver, url: string, extra: Record<string, string> = {}) {
  return redisCacheCliEnv(driver, { secretKey: SECRET, keyPrefix: PREFIX, url }, extra);
}

/** A session key of Django's shape. */
const sessionKey = (tag: string, i: number): string =>
  `${tag}${i.toString(36).padStart(6, "0")}zzzzzzzzzzzzzzzzzzzzzzzzzz`.slice(0, 32);

/** Django's write: `SET <prefix>:1:django.contrib.sessions.cache<key> <pickle> PX <ttl>`. */
function djangoSet(
  redis: Redis | Cluster,
  key: string,
  user: string | null,
  ttlMs = 600_000,
): Promise<unknown> {
  const data = new Map<string, string>(user === null ? [["cart", "1"]] : [["_auth_user_id", user]]);
  return redis.set(
    `${PREFIX}:1:django.contrib.sessions.cache${key}`,
    Buffer.from(dumpsPickle(data, { protocol: 4 })),
    "PX",
    ttlMs,
  );
}

/**
 * `n` sessions for users `base + i % users` (every 7th anonymous: `null`), written as Django
 * does. Each test has its own `base`, so revoking a user touches that test's sessions only.
 */
async function seed(
  redis: Redis | Cluster,
  tag: string,
  n: number,
  users: number,
  base = 0,
): Promise<Map<string, string | null>> {
  const owners = new Map<string, string | null>();
  for (let i = 0; i < n; i += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, n - i) }, (_, j) => {
        const k = i + j;
        const user = k % 7 === 6 ? null : String(base + (k % users));
        const key = sessionKey(tag, k);
        owners.set(key, user);
        return djangoSet(redis, key, user);
      }),
    );
  }
  return owners;
}

async function cli(
  driver: Driver,
  url: string,
  args: string[],
  extra: Record<string, string> = {},
) {
  const r = await runCli(args, { env: env(driver, url, extra) });
  return r;
}

async function revoke(driver: Driver, url: string, user: string) {
  const r = await cli(driver, url, ["sessions", "revoke", "--user", user, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as { deleted: number; via: string; via_reason: string };
}

async function status(driver: Driver, url: string) {
  const r = await cli(driver, url, ["sessions", "index", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as { complete: boolean; reason: string };
}

/** Starts `sessions index --follow` and resolves once it says the index is complete. */
async function follow(
  driver: Driver,
  url: string,
): Promise<{ child: ChildProcess; exited: Promise<number | null>; output: () => string }> {
  const child = spawn(process.execPath, [CLI, "sessions", "index", "--follow", "--json"], {
    env: { PATH: process.env.PATH ?? "", ...TEST_DJANGO, ...env(driver, url) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once("exit", done));
  while (!out.includes('"complete":true')) {
    if (child.exitCode !== null) assert.fail(`the indexer exited: ${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, exited, output: () => out };
}

/** Waits until `check` holds (the indexer works asynchronously). */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`never: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The keys of `owners` that still exist. */
async function alive(store: DjangoCacheStore, keys: readonly string[]): Promise<Set<string>> {
  const found = await Promise.all(keys.map((key) => store.exists(key)));
  return new Set(keys.filter((_, i) => found[i]));
}

describe("sessions index on one Redis server", { timeout: 60_000 }, () => {
  const url = `redis://${REDIS_HOST}:${SINGLE}/0`;
  let redis: Redis;
  let store: DjangoCacheStore;
  before(() => {
    redis = new Redis({ host: REDIS_HOST, port: SINGLE });
    clients.push(redis);
    store = new DjangoCacheStore({ client: redis, keyPrefix: PREFIX });
  });

  for (const [driver, base] of [
    ["ioredis", 100],
    ["redis", 200],
  ] as const) {
    it(`${driver}: without a complete index, revoke --user walks (GET only) and deletes all and only that user's sessions`, async () => {
      const owners = await seed(redis, `w${driver[0]}`, 1500, 10, base);
      // An undecodable value among them is skipped, not an error.
      await redis.set(store.redisKey(sessionKey(`x${driver[0]}`, 1)), "garbage", "EX", 600);
      const result = await revoke(driver, url, `${base + 3}`);
      const mine = [...owners].filter(([, u]) => u === `${base + 3}`).map(([k]) => k);
      assert.equal(result.via, "walk");
      assert.match(result.via_reason, /no backfill|not running|without an indexer/);
      assert.equal(result.deleted, mine.length);
      const left = await alive(store, [...owners.keys()]);
      for (const [key, user] of owners) assert.equal(left.has(key), user !== `${base + 3}`, key);
      const text = await cli(driver, url, ["sessions", "revoke", "--user", `${base + 4}`]);
      assert.match(
        text.stdout,
        /Deleted \d+ sessions of user \d+ .*\(walked every session, the user index is not complete: /,
      );
    });
  }

  it("--backfill alone indexes every session but does not call the index complete", async () => {
    const owners = await seed(redis, "b", 300, 5, 300);
    const r = await cli("ioredis", url, ["sessions", "index", "--backfill", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { complete: boolean; indexed: number };
    assert.equal(out.complete, false);
    assert.ok(out.indexed >= [...owners.values()].filter((u) => u !== null).length);
    const members = new Set(await store.userIndex.members("302"));
    for (const [key, user] of owners) if (user === "302") assert.ok(members.has(key), key);
    const s = await status("ioredis", url);
    assert.equal(s.complete, false);
    assert.match(s.reason, /backfilled without an indexer/);
    assert.equal((await revoke("ioredis", url, "302")).via, "walk");
  });

  for (const [driver, base] of [
    ["ioredis", 400],
    ["redis", 500],
  ] as const) {
    it(`${driver}: under the indexer, Django's writes are indexed and revoke --user uses the index, checking each member`, async () => {
      const owners = await seed(redis, `f${driver[0]}`, 400, 4, base);
      const one = `${base + 1}`;
      const two = `${base + 2}`;
      const indexer = await follow(driver, url);
      assert.equal((await status(driver, url)).complete, true);
      // Django logs user 1 in again, while the indexer runs: the new key gets indexed.
      const fresh = sessionKey(`g${driver[0]}`, 1);
      await djangoSet(redis, fresh, one);
      await eventually(
        async () => (await store.userIndex.members(one)).includes(fresh),
        "the indexer indexed Django's new session",
      );
      // Stale members: a session now of another user, one that is gone, one anonymous now.
      const theirs = sessionKey(`s${driver[0]}`, 1);
      const gone = sessionKey(`s${driver[0]}`, 2);
      const anonymous = sessionKey(`s${driver[0]}`, 3);
      await store.userIndex.add(one, [theirs, gone, anonymous], 600_000);
      await djangoSet(redis, theirs, two);
      await djangoSet(redis, anonymous, null);
      // list --user says which way it went and lists exactly the user's sessions.
      const listed = await cli(driver, url, ["sessions", "list", "--user", one, "--json"]);
      assert.equal(listed.code, 0, listed.stderr);
      assert.match(listed.stderr, /via the user index/);
      const expected = [...owners].filter(([, u]) => u === one).map(([k]) => k);
      expected.push(fresh);
      assert.deepEqual(
        (JSON.parse(listed.stdout) as { session_key: string }[]).map((s) => s.session_key).sort(),
        expected.sort(),
      );
      const result = await revoke(driver, url, one);
      assert.equal(result.via, "index");
      assert.equal(result.deleted, expected.length);
      const left = await alive(store, [...owners.keys(), fresh, theirs, anonymous]);
      for (const key of expected) assert.equal(left.has(key), false, key);
      assert.ok(
        left.has(theirs) && left.has(anonymous),
        "another user's and anonymous sessions survive",
      );
      for (const [key, user] of owners) if (user !== one) assert.ok(left.has(key), key);
      const members = await store.userIndex.members(one);
      assert.ok(
        ![theirs, gone, anonymous].some((k) => members.includes(k)),
        "stale members removed",
      );
      // Stopping the indexer gives its lease up: the index is not complete any more.
      indexer.child.kill("SIGINT");
      assert.equal(await indexer.exited, 0, indexer.output());
      const s = await status(driver, url);
      assert.equal(s.complete, false);
      assert.match(s.reason, /not running/);
      await djangoSet(redis, sessionKey(`h${driver[0]}`, 1), one);
      const after = await revoke(driver, url, one);
      assert.deepEqual(
        [after.via, after.deleted],
        ["walk", 1],
        "written while no indexer ran: found by the walk",
      );
    });
  }

  it("changepassword revokes the user's sessions through the complete index", async () => {
    const sqlite = resolve(`.work/user-index-${process.pid}.sqlite3`);
    rmSync(sqlite, { force: true });
    const extra = { DATABASE_URL: `sqlite:${sqlite}` };
    assert.equal((await cli("ioredis", url, ["migrate"], extra)).code, 0);
    const made = await cli(
      "ioredis",
      url,
      ["createuser", "--no-input", "--username", "ivy", "--json"],
      {
        ...extra,
        SESSIONBRIDGE_PASSWORD: "ivy-pass-1",
      },
    );
    assert.equal(made.code, 0, made.stderr);
    const id = String((JSON.parse(made.stdout) as { id: number }).id);
    const indexer = await follow("ioredis", url);
    // Django logs ivy in twice while the indexer runs; someone else's session is left alone.
    const keys = [sessionKey("pw", 1), sessionKey("pw", 2)];
    const other = sessionKey("pw", 3);
    await Promise.all([
      ...keys.map((k) => djangoSet(redis, k, id)),
      djangoSet(redis, other, "999"),
    ]);
    await eventually(
      async () => (await store.userIndex.members(id)).length === 2,
      "the indexer indexed both logins",
    );
    const r = await cli("ioredis", url, ["changepassword", "ivy", "--json"], {
      ...extra,
      SESSIONBRIDGE_PASSWORD: "ivy-pass-2",
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      username: "ivy",
      id: Number(id),
      sessions_deleted: 2,
      sessions_via: "index",
    });
    assert.deepEqual([...(await alive(store, [...keys, other]))], [other]);
    indexer.child.kill("SIGINT");
    assert.equal(await indexer.exited, 0, indexer.output());
    rmSync(sqlite, { force: true });
  });

  it("an indexer whose subscription dies gives up its lease and fails", async () => {
    const indexer = await follow("ioredis", url);
    const clientsList = await redisCli(SINGLE, "client", "list");
    const subscriber = clientsList.split("\n").find((line) => /cmd=psubscribe/.test(line));
    assert.ok(subscriber !== undefined, clientsList);
    const id = /\bid=(\d+)/.exec(subscriber)![1]!;
    await redisCli(SINGLE, "client", "kill", "id", id);
    assert.equal(await indexer.exited, 1, indexer.output());
    assert.match(indexer.output(), /indexer stopped: the subscriber connection/);
    assert.equal((await status("ioredis", url)).complete, false);
  });
});

describe("sessions index on a 3-master Redis Cluster", { timeout: 90_000 }, () => {
  let cluster: Cluster;
  let store: DjangoCacheStore;
  let owners: Map<string, string | null>;
  const revoked = new Set<string>();
  before(async () => {
    await processes.cluster(CLUSTER, 0);
    for (const port of CLUSTER)
      await redisCli(port, "config", "set", "notify-keyspace-events", "Kg$xe");
    cluster = new Cluster([{ host: REDIS_HOST, port: CLUSTER[0]! }]);
    clients.push(cluster);
    await ready(cluster);
    store = new DjangoCacheStore({ client: cluster, keyPrefix: PREFIX });
    owners = await seed(cluster, "c", 1200, 6);
    for (const port of CLUSTER) assert.ok(Number(await redisCli(port, "dbsize")) > 100);
  });

  for (const [driver, user] of [
    ["ioredis", "1"],
    ["redis", "2"],
  ] as const) {
    it(`${driver}: the walk fallback, then the indexer, reach every master`, async () => {
      const url = `redis://${REDIS_HOST}:${CLUSTER[1]}`;
      const walked = await revoke(driver, url, user);
      const mine = [...owners].filter(([, u]) => u === user).map(([k]) => k);
      assert.deepEqual([walked.via, walked.deleted], ["walk", mine.length]);
      // Sessions of another user on every master, revoked through the index.
      const other = String(Number(user) + 2);
      const theirs = [...owners].filter(([, u]) => u === other).map(([k]) => k);
      const indexer = await follow(driver, url);
      const fresh = sessionKey(`n${driver[0]}`, 7);
      await djangoSet(cluster, fresh, other);
      await eventually(
        async () => (await store.userIndex.members(other)).includes(fresh),
        "the indexer indexed a write on the cluster",
      );
      const result = await revoke(driver, url, other);
      assert.deepEqual([result.via, result.deleted], ["index", theirs.length + 1]);
      revoked.add(user).add(other);
      const left = await alive(store, [...owners.keys(), fresh]);
      for (const [key, u] of owners)
        assert.equal(left.has(key), u === null || !revoked.has(u), key);
      indexer.child.kill("SIGINT");
      assert.equal(await indexer.exited, 0, indexer.output());
    });
  }
});
