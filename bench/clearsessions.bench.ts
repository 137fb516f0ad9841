// `sessionbridge clearsessions` against Django's own `manage.py clearsessions` on the same data
// in the same run: N expired rows (BENCH_ROWS, default 1,000,000) plus 10% live ones in
// PostgreSQL; wall time and peak RSS of each process (getrusage of the child).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type pg from "pg";
import { djangoPeerEnv, SYSTEM_PYTHON } from "../test/interop/django/peer.ts";
import { createBenchDatabase, measureChild, median } from "./support.ts";

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
// BENCH_CLI: another build of the CLI (to compare before/after in one tree).
const CLI = process.env.BENCH_CLI ?? fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
const MANAGE = fileURLToPath(new URL("../test/cli/manage/django_manage.py", import.meta.url));

async function fill(client: pg.Client): Promise<void> {
  await client.query("TRUNCATE django_session");
  await client.query(
    `INSERT INTO django_session (session_key, session_data, expire_date)
     SELECT 'x' || lpad(i::text, 31, '0'), 'eyJmb28iOiJiYXIifQ:1r31eq:nS3WMxIk864-TZxNTF3tbcDvdEJME5izsdXn0HNCPAA',
            now() - (i % 86400) * interval '1 second' - interval '1 second'
     FROM generate_series(1, $1) AS i`,
    [ROWS],
  );
  await client.query(
    `INSERT INTO django_session (session_key, session_data, expire_date)
     SELECT 'y' || lpad(i::text, 31, '0'), 'live', now() + interval '1 day' FROM generate_series(1, $1) AS i`,
    [Math.ceil(ROWS / 10)],
  );
  await client.query("VACUUM ANALYZE django_session");
}

const database = await createBenchDatabase(`sb_bench_clear_${process.pid}`);
const { client, url: URL_ } = database;
try {
  spawnSync(process.execPath, [CLI, "migrate", "--database-url", URL_], { stdio: "ignore" });
  console.log(
    `clearsessions: ${ROWS.toLocaleString("en")} expired + ${Math.ceil(ROWS / 10).toLocaleString("en")} live rows, PostgreSQL`,
  );
  const batch =
    process.env.BENCH_BATCH === undefined ? [] : ["--batch-size", process.env.BENCH_BATCH];
  const left = async (): Promise<number> =>
    Number(
      (await client.query<{ n: string }>("SELECT count(*) AS n FROM django_session")).rows[0]?.n,
    );
  // Each contender runs on a freshly filled table, BENCH_REPEAT rounds (default 1), in turn.
  const contenders: { name: string; command: string[]; env: Record<string, string> }[] = [
    {
      name: "sessionbridge clearsessions",
      command: [process.execPath, CLI, "clearsessions", "--database-url", URL_, ...batch],
      env: {},
    },
    ...(process.env.BENCH_CLI_BEFORE === undefined
      ? []
      : [
          {
            name: "sessionbridge (BENCH_CLI_BEFORE)",
            command: [
              process.execPath,
              process.env.BENCH_CLI_BEFORE,
              "clearsessions",
              "--database-url",
              URL_,
              ...batch,
            ],
            env: {},
          },
        ]),
    {
      name: "Django 5.2 manage.py clearsessions",
      command: [SYSTEM_PYTHON, MANAGE, "call", "clearsessions"],
      env: { ...djangoPeerEnv("5.2"), DJANGO_DB: URL_ },
    },
  ];
  const rounds = Math.max(1, Number(process.env.BENCH_REPEAT ?? 1));
  const seconds = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const row = (name: string, m: { seconds: number; maxrss_kib: number }, rows: number): string =>
    `  ${name.padEnd(36)} ${m.seconds.toFixed(2).padStart(7)} s   peak RSS ${(m.maxrss_kib / 1024).toFixed(1).padStart(6)} MiB   rows left ${rows}`;
  for (let round = 1; round <= rounds; round++) {
    if (rounds > 1) console.log(`round ${round}`);
    for (const contender of contenders) {
      await fill(client);
      const m = measureChild(contender.command, {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        ...contender.env,
      });
      seconds.get(contender.name)?.push(m.seconds);
      console.log(row(contender.name, m, await left()));
    }
  }
  const ours = median(seconds.get("sessionbridge clearsessions") ?? []);
  const theirs = median(seconds.get("Django 5.2 manage.py clearsessions") ?? []);
  console.log(
    `  median: ours ${ours.toFixed(2)} s, Django ${theirs.toFixed(2)} s, speed-up ${(theirs / ours).toFixed(2)}×`,
  );
} finally {
  await database.drop();
}
