// `sessions migrate --verify` (src/cli/manage/verify.ts) through the built CLI, both ways
// between the real Redis (127.0.0.1:6379, database 0, keys under this run's own prefix) and a
// PostgreSQL database of this file's own: a faithful copy verifies, and a target broken on
// purpose afterwards (rows deleted, a session's data or expiry changed, a session given to
// another user) fails the verify with exit 1, one line on stderr, and a report naming the users
// whose counts differ and the sampled sessions that are missing or different.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import pg from "pg";
import { DjangoSessionCodec } from "../../../src/codecs/django/session-encoding.ts";
import type { SessionData } from "../../../src/codecs/python-values.ts";
import { DjangoCacheStore } from "../../../src/stores/redis/index.ts";
import { runCli } from "../../support/cli.ts";
import { createTempDatabases, type TempDatabases } from "../../support/databases.ts";
import { expiryIn } from "../../stores/redis/helpers.ts";

const SECRET = "verify-test-secret";
const PREFIX = `sbh-scaleops:verify${process.pid}`;
const USERS = 6;
const SESSIONS = 300;
const ANONYMOUS = 12;

const redis = new Redis("redis://127.0.0.1:6379/0");
const source = new DjangoCacheStore({ client: redis, keyPrefix: PREFIX });
const back = new DjangoCacheStore({ client: redis, keyPrefix: `${PREFIX}-back` });
const codec = new DjangoSessionCodec({ secret: SECRET });
let databases: TempDatabases;
let dir: string;

const sessionKey = (i: number): string =>
  `v${i.toString(36).padStart(5, "0")}yyyyyyyyyyyyyyyyyyyyyyyyyy`.slice(0, 32);
const keys = Array.from({ length: SESSIONS }, (_, i) => sessionKey(i));
/** Users 0–5; the last ANONYMOUS sessions have none. */
const userOf = (i: number): string | null => (i >= SESSIONS - ANONYMOUS ? null : String(i % USERS));
const dataOf = (i: number): SessionData => {
  const user = userOf(i);
  const data: SessionData = new Map();
  if (user !== null) data.set("_auth_user_id", user);
  data.set("n", i);
  data.set("cart", [i, "x", { qty: i % 3 }]);
  return data;
};
const countOf = (user: string): number => keys.filter((_, i) => userOf(i) === user).length;

interface Report {
  ok: boolean;
  source: { sessions: number; users: number; anonymous: number };
  target: { sessions: number; users: number; anonymous: number };
  mismatched_users: number;
  user_mismatches: { user_id: string; source: number; target: number }[];
  sampled: number;
  missing: number;
  different_data: number;
  different_expiry: number;
  sample_mismatches: { session: string; problem: string }[];
}

function migrate(from: string, to: string, checkpoint: string, extra: string[] = []) {
  return runCli(
    [
      "sessions",
      "migrate",
      "--from",
      from,
      "--to",
      to,
      "--checkpoint",
      join(dir, checkpoint),
      "--verify",
      "--verify-sample",
      "1000",
      ...extra,
    ],
    { env: { SECRET_KEY: SECRET, SESSIONBRIDGE_NO_PROGRESS: "1" } },
  );
}

async function sql(text: string, params: unknown[] = []): Promise<void> {
  const client = new pg.Client(databases.postgresUrl);
  await client.connect();
  try {
    await client.query(text, params);
  } finally {
    await client.end();
  }
}

async function deleteMatching(pattern: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, found] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    cursor = next;
    if (found.length > 0) await redis.del(found);
  } while (cursor !== "0");
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "sb-verify-"));
  databases = await createTempDatabases("scaleops_verify");
  const r = await runCli(["migrate", "--database-url", databases.postgresUrl]);
  assert.equal(r.code, 0, r.stderr);
  await redis.ping(); // connected: the store refuses writes while the client connects
  await Promise.all(
    keys.map((key, i) => source.save(key, dataOf(i), { mustCreate: true, expiry: expiryIn(3600) })),
  );
});

after(async () => {
  await deleteMatching(`${PREFIX}*`);
  redis.disconnect();
  await databases.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe("sessions migrate --verify", () => {
  const redisUrl = `redis://127.0.0.1:6379/0?layout=django-redis&prefix=${PREFIX}`;
  const backUrl = `redis://127.0.0.1:6379/0?layout=django-redis&prefix=${PREFIX}-back`;

  it("Redis → PostgreSQL: a faithful copy verifies; a broken target fails with a report", async () => {
    const sqlUrl = `sql+${databases.postgresUrl}`;
    const r = await migrate(redisUrl, sqlUrl, "to-pg.json", ["--json"]);
    assert.equal(r.code, 0, r.stderr);
    const good = JSON.parse(r.stdout) as { copied: number; verify: Report };
    assert.equal(good.copied, SESSIONS);
    assert.equal(good.verify.ok, true);
    assert.deepEqual(good.verify.source, good.verify.target);
    assert.deepEqual(good.verify.source, {
      sessions: SESSIONS,
      users: USERS,
      anonymous: ANONYMOUS,
      undecodable: 0,
    });
    assert.equal(good.verify.sampled, SESSIONS);

    // Broken on purpose: three of user 2's rows gone, one of user 4's sessions with other
    // data (same user), one of user 5's expiring a day later.
    const two = keys.filter((_, i) => userOf(i) === "2").slice(0, 3);
    await sql("DELETE FROM django_session WHERE session_key = ANY($1)", [two]);
    const four = keys.findIndex((_, i) => userOf(i) === "4");
    const changed = new Map(dataOf(four));
    changed.set("n", -1);
    await sql("UPDATE django_session SET session_data = $1 WHERE session_key = $2", [
      codec.encode(changed),
      keys[four],
    ]);
    const five = keys.find((_, i) => userOf(i) === "5")!;
    await sql(
      "UPDATE django_session SET expire_date = expire_date + interval '1 day' WHERE session_key = $1",
      [five],
    );
    // The checkpoint says the copy is complete: the same command only verifies.
    const bad = await migrate(redisUrl, sqlUrl, "to-pg.json", ["--json"]);
    assert.equal(bad.code, 1, bad.stdout);
    assert.equal(bad.stderr.trim().split("\n").length, 1, bad.stderr);
    assert.match(
      bad.stderr,
      /verify failed: source 300 sessions, target 297; 1 users with different counts; 5 of 300 sampled sessions missing or different/,
    );
    const report = (JSON.parse(bad.stdout) as { copied: number; verify: Report }).verify;
    assert.equal(report.ok, false);
    assert.deepEqual(report.user_mismatches, [
      { user_id: "2", source: countOf("2"), target: countOf("2") - 3 },
    ]);
    assert.equal(report.missing, 3);
    assert.equal(report.different_data, 1);
    assert.equal(report.different_expiry, 1);
    assert.deepEqual(report.sample_mismatches.map((m) => m.problem).sort(), [
      "data differs",
      "expiry differs",
      "missing in target",
      "missing in target",
      "missing in target",
    ]);
    // Session keys are secrets: the report shows only their first characters.
    assert.ok(report.sample_mismatches.every((m) => /^[a-z0-9]{8}…$/.test(m.session)));
    assert.ok(!bad.stdout.includes(five));
  });

  it("PostgreSQL → Redis: a faithful copy verifies; sessions deleted or moved to another user fail it", async () => {
    const sqlUrl = `sql+${databases.postgresUrl}`;
    const r = await migrate(sqlUrl, backUrl, "to-redis.json");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Copied 297 sessions from PostgreSQL to Redis/m);
    assert.match(r.stdout, /^Verify: the target matches the source$/m);
    assert.match(r.stdout, /source: 297 live sessions, 6 users, 12 anonymous/);
    // Two of user 1's sessions gone from Redis, one of user 3's now user 0's.
    const ones = keys.filter((_, i) => userOf(i) === "1").slice(0, 2);
    for (const key of ones) await back.delete(key);
    const three = keys.findIndex((_, i) => userOf(i) === "3");
    const moved = new Map(dataOf(three));
    moved.set("_auth_user_id", "0");
    await back.save(keys[three]!, moved, { mustCreate: false, expiry: expiryIn(3600) });
    const bad = await migrate(sqlUrl, backUrl, "to-redis.json");
    assert.equal(bad.code, 1, bad.stdout);
    assert.match(bad.stdout, /^Nothing to copy: already complete/m);
    assert.match(bad.stdout, /^Verify: MISMATCH$/m);
    assert.match(bad.stdout, /source: 297 live sessions/);
    assert.match(bad.stdout, /target: 295 live sessions/);
    assert.match(bad.stdout, /3 users have different session counts/);
    assert.match(
      bad.stdout,
      new RegExp(`user 0: source ${countOf("0")}, target ${countOf("0") + 1}`),
    );
    assert.match(
      bad.stdout,
      new RegExp(`user 1: source ${countOf("1")}, target ${countOf("1") - 2}`),
    );
    // User 2 lost 3 rows in PostgreSQL before this copy: its counts agree.
    assert.match(
      bad.stdout,
      new RegExp(`user 3: source ${countOf("3")}, target ${countOf("3") - 1}`),
    );
    assert.match(
      bad.stdout,
      /sampled 297 sessions: 2 missing in the target, 1 with different data/,
    );
    assert.match(
      bad.stderr,
      /^sessionbridge sessions: verify failed: source 297 sessions, target 295; 3 users/,
    );
  });
});
