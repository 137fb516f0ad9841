// `sessionbridge sessions migrate` of BENCH_ROWS (default 100,000) live sessions from
// PostgreSQL's django_session to Redis (django-redis layout): wall time, sessions/s, peak RSS.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { DjangoSessionCodec } from "../src/codecs/django/session-encoding.ts";
import { createBenchDatabase, measureChild } from "./support.ts";

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const NAME = `sb_bench_migrate_${process.pid}`;
const PREFIX = `sbbench${process.pid}`;
const SECRET = "bench-secret-key";
const CLI = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
const database = await createBenchDatabase(NAME);
const { client, url: DB } = database;
const redis = new Redis("redis://127.0.0.1:6379/0");
const checkpoint = join(tmpdir(), `${NAME}.checkpoint.json`);
try {
  spawnSync(process.execPath, [CLI, "migrate", "--database-url", DB], { stdio: "ignore" });
  const value = new DjangoSessionCodec({ secret: SECRET }).encode(
    new Map<string, string>([
      ["_auth_user_id", "42"],
      ["_auth_user_backend", "django.contrib.auth.backends.ModelBackend"],
      ["_auth_user_hash", "0".repeat(64)],
    ]),
  );
  await client.query(
    `INSERT INTO django_session SELECT lpad(i::text, 32, 'k'), $1, now() + interval '1 day' FROM generate_series(1, $2) AS i`,
    [value, ROWS],
  );
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    SECRET_KEY: SECRET,
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
    if (keys.length > 0) await redis.del(keys);
  } while (cursor !== "0");
  console.log(
    `sessions migrate: ${ROWS.toLocaleString("en")} sessions PostgreSQL → Redis (django-redis, pickle)`,
  );
  console.log(
    `  ${m.seconds.toFixed(2)} s   ${(ROWS / m.seconds).toFixed(0)} sessions/s   peak RSS ${(m.maxrss_kib / 1024).toFixed(1)} MiB   keys in Redis ${copied}`,
  );
} finally {
  rmSync(checkpoint, { force: true });
  redis.disconnect();
  await database.drop();
}
