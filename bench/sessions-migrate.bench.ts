// `sessionbridge sessions migrate` of BENCH_ROWS (default 100,000) live sessions from
// PostgreSQL's django_session to Redis (django-redis layout), then back from Redis into an
// emptied django_session (issue 20's target: at least 20,000 sessions/s), then `--verify` of
// that copy alone (both stores walked, 1,000 sessions read back): wall time, sessions/s, peak RSS.
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import {
  createBenchDatabase,
  deleteRedisPrefix,
  measureChild,
  seedDjangoSessions,
} from "./support.ts";

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const NAME = `sb_bench_migrate_${process.pid}`;
const PREFIX = `sbbench${process.pid}`;
const SECRET = "bench-secret-key";
const CLI = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
const database = await createBenchDatabase(NAME);
const { client, url: DB } = database;
const redis = new Redis("redis://127.0.0.1:6379/0");
const checkpoint = join(tmpdir(), `${NAME}.checkpoint.json`);
const checkpointBack = join(tmpdir(), `${NAME}.checkpoint-back.json`);
try {
  await seedDjangoSessions(database, CLI, SECRET, ROWS);
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    SECRET_KEY: SECRET,
    SESSIONBRIDGE_NO_PROGRESS: "1",
    // BENCH_NODE_OPTIONS: e.g. --max-old-space-size=48, to tell retained memory from garbage.
    ...(process.env.BENCH_NODE_OPTIONS === undefined
      ? {}
      : { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS }),
  };
  const m = measureChild(
    [
      process.execPath,
      CLI,
      "sessions",
      "migrate",
      "--from",
      `sql+${DB}`,
      "--to",
      `redis://127.0.0.1:6379/0?layout=django-redis&prefix=${PREFIX}`,
      "--checkpoint",
      checkpoint,
      "--json",
    ],
    env,
  );
  let copied = 0;
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${PREFIX}:*`, "COUNT", 5000);
    cursor = next;
    copied += keys.length;
  } while (cursor !== "0");
  const line = (what: string, r: { seconds: number; maxrss_kib: number }, extra: string): void => {
    console.log(what);
    console.log(
      `  ${r.seconds.toFixed(2)} s   ${(ROWS / r.seconds).toFixed(0)} sessions/s   peak RSS ${(r.maxrss_kib / 1024).toFixed(1)} MiB   ${extra}`,
    );
  };
  line(
    `sessions migrate: ${ROWS.toLocaleString("en")} sessions PostgreSQL → Redis (django-redis, pickle)`,
    m,
    `keys in Redis ${copied}`,
  );
  // The other direction, into the emptied table: multi-row upserts, one transaction a batch.
  await client.query("DELETE FROM django_session");
  const back = [
    process.execPath,
    CLI,
    "sessions",
    "migrate",
    "--from",
    `redis://127.0.0.1:6379/0?layout=django-redis&prefix=${PREFIX}`,
    "--to",
    `sql+${DB}`,
    "--checkpoint",
    checkpointBack,
    "--json",
  ];
  const b = measureChild(back, env);
  const rows = Number(
    (await client.query<{ n: string }>("SELECT count(*) AS n FROM django_session")).rows[0]?.n,
  );
  line(
    `sessions migrate: ${ROWS.toLocaleString("en")} sessions Redis (django-redis, pickle) → PostgreSQL (target ≥ 20,000/s)`,
    b,
    `rows in PostgreSQL ${rows}`,
  );
  // The same command again: the checkpoint says complete, so only the verify runs (a
  // mismatch would exit 1, and measureChild throw).
  const v = measureChild([...back, "--verify"], env);
  line(
    `sessions migrate --verify alone: ${ROWS.toLocaleString("en")} sessions on each side, 1,000 read back`,
    v,
    "the copy matches",
  );
} finally {
  await deleteRedisPrefix(redis, PREFIX);
  rmSync(checkpoint, { force: true });
  rmSync(checkpointBack, { force: true });
  redis.disconnect();
  await database.drop();
}
