// `sessionbridge sessions migrate` of BENCH_ROWS (default 100,000) live sessions from
// PostgreSQL's django_session to Redis (django-redis layout): wall time, sessions/s, peak RSS.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import pg from "pg";
import { DjangoSessionCodec } from "../src/codecs/django/session-encoding.ts";
import { SYSTEM_PYTHON } from "../test/interop/django/peer.ts";

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const ADMIN = "postgres://postgres@127.0.0.1:5432/postgres";
const NAME = `sb_bench_migrate_${process.pid}`;
const DB = `postgres://postgres@127.0.0.1:5432/${NAME}`;
const PREFIX = `sbbench${process.pid}`;
const SECRET = "bench-secret-key";
const CLI = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
const MEASURE = `import resource, subprocess, sys, time, json
t = time.monotonic(); r = subprocess.run(sys.argv[1:], capture_output=True)
print(json.dumps({"seconds": time.monotonic() - t, "maxrss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "code": r.returncode, "out": r.stdout.decode()[-300:], "err": r.stderr.decode()[-500:]}))`;

const admin = new pg.Client(ADMIN);
await admin.connect();
await admin.query(`CREATE DATABASE ${NAME}`);
await admin.end();
const client = new pg.Client(DB);
await client.connect();
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
  const r = spawnSync(
    SYSTEM_PYTHON,
    [
      "-c",
      MEASURE,
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
    { env, encoding: "utf8" },
  );
  const m = JSON.parse(r.stdout) as {
    seconds: number;
    maxrss_kib: number;
    code: number;
    out: string;
    err: string;
  };
  if (m.code !== 0) throw new Error(m.err);
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
  await client.end();
  const drop = new pg.Client(ADMIN);
  await drop.connect();
  await drop.query(`DROP DATABASE IF EXISTS ${NAME} WITH (FORCE)`);
  await drop.end();
}
