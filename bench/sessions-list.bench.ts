// `sessionbridge sessions list --json` of BENCH_ROWS (default 100,000) sessions in Redis
// (django-redis layout, put there by `sessions migrate` from PostgreSQL) into a pipe whose
// reader stalls for BENCH_STALL_S seconds (default 20) before reading everything: the child's
// RSS while stalled and its peak (issue 20's target: under 250 MB), then the whole list's wall
// time and size. The same list from PostgreSQL's django_session for comparison.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { SYSTEM_PYTHON } from "../test/interop/django/peer.ts";
import {
  createBenchDatabase,
  deleteRedisPrefix,
  measureChild,
  seedDjangoSessions,
} from "./support.ts";

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const STALL_S = Number(process.env.BENCH_STALL_S ?? 20);
const NAME = `sb_bench_list_${process.pid}`;
const PREFIX = `sbbenchlist${process.pid}`;
const SECRET = "bench-secret-key";
const CLI = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));

/**
 * A Python parent: starts the command with stdout on a pipe, reads nothing for `stall` seconds
 * while sampling the child's VmRSS, then reads everything; prints the numbers as JSON.
 */
const STALLED_READER = `import json, resource, subprocess, sys, time
stall = float(sys.argv[1])
t = time.monotonic()
p = subprocess.Popen(sys.argv[2:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
def rss():
    try:
        with open(f"/proc/{p.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"): return int(line.split()[1])
    except OSError: return 0
    return 0
stalled_max = 0
while time.monotonic() - t < stall and p.poll() is None:
    stalled_max = max(stalled_max, rss()); time.sleep(0.25)
size = 0; rows = 0; tail = b""
while True:
    chunk = p.stdout.read(1 << 20)
    if not chunk: break
    # A row's key may straddle two reads: the last 12 bytes (less than the 13 of the key) go on.
    size += len(chunk); rows += (tail + chunk).count(b'"session_key"'); tail = chunk[-12:]
err = p.stderr.read().decode()[-500:]
code = p.wait()
print(json.dumps({"seconds": time.monotonic() - t, "stalled_rss_kib": stalled_max, "maxrss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "bytes": size, "rows": rows, "code": code, "err": err}))`;

interface Stalled {
  seconds: number;
  stalled_rss_kib: number;
  maxrss_kib: number;
  bytes: number;
  rows: number;
  code: number;
  err: string;
}

const database = await createBenchDatabase(NAME);
const { url: DB } = database;
const redis = new Redis("redis://127.0.0.1:6379/0");
const checkpoint = join(tmpdir(), `${NAME}.checkpoint.json`);
const env = {
  PATH: process.env.PATH ?? "",
  HOME: process.env.HOME ?? "",
  SECRET_KEY: SECRET,
  SESSIONBRIDGE_NO_PROGRESS: "1",
};
try {
  await seedDjangoSessions(database, CLI, SECRET, ROWS);
  const redisUrl = `redis://127.0.0.1:6379/0?layout=django-redis&prefix=${PREFIX}`;
  measureChild(
    [
      process.execPath,
      CLI,
      "sessions",
      "migrate",
      "--from",
      `sql+${DB}`,
      "--to",
      redisUrl,
      "--checkpoint",
      checkpoint,
    ],
    env,
  );
  const stores: [string, Record<string, string>][] = [
    [
      "Redis (django-redis, pickle)",
      { SESSION_STORE: "cache", REDIS_URL: "redis://127.0.0.1:6379/0", CACHE_KEY_PREFIX: PREFIX },
    ],
    ["PostgreSQL django_session", { DATABASE_URL: DB }],
  ];
  for (const [label, storeEnv] of stores) {
    const r = spawnSync(
      SYSTEM_PYTHON,
      ["-c", STALLED_READER, String(STALL_S), process.execPath, CLI, "sessions", "list", "--json"],
      { env: { ...env, ...storeEnv }, encoding: "utf8", maxBuffer: 1 << 20 },
    );
    const m = JSON.parse(r.stdout) as Stalled;
    if (m.code !== 0 || m.rows !== ROWS)
      throw new Error(`list from ${label} failed (exit ${m.code}, ${m.rows} rows): ${m.err}`);
    console.log(
      `sessions list --json: ${ROWS.toLocaleString("en")} sessions from ${label}, reader stalled ${STALL_S} s`,
    );
    console.log(
      `  RSS while stalled ≤ ${(m.stalled_rss_kib / 1024).toFixed(1)} MiB   peak RSS ${(m.maxrss_kib / 1024).toFixed(1)} MiB (target < 250 MB)   ${(m.bytes / 1e6).toFixed(1)} MB of JSON   ${m.seconds.toFixed(2)} s in all`,
    );
  }
} finally {
  await deleteRedisPrefix(redis, PREFIX);
  rmSync(checkpoint, { force: true });
  redis.disconnect();
  await database.drop();
}
