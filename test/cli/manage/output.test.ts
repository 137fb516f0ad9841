// Many-row output (src/cli/manage/output.ts) waits for its reader and stays well-formed or
// declared incomplete when the walk fails: `sessions list`, `users list` and `dumpdata` run
// in-process on a PostgreSQL database of this file's own, into an output that stops taking
// bytes (a reader that stalls), with the bytes buffered counted; the database connection is then
// killed mid-walk (pg_terminate_backend) and the command must fail with exit-1 output that says
// how much it holds. One real pipe too: the built CLI's `sessions list --json` into a pipe the
// test does not read, on a Redis server of its own, where the GETs done meanwhile are counted.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { Writable } from "node:stream";
import { Redis } from "ioredis";
import pg from "pg";
import { dumpdataCommand } from "../../../src/cli/commands/dumpdata.ts";
import { sessionsCommand } from "../../../src/cli/commands/sessions.ts";
import { usersCommand } from "../../../src/cli/commands/users.ts";
import type { Command } from "../../../src/cli/command.ts";
import { CommandFailure } from "../../../src/cli/command.ts";
import { DjangoSessionCodec } from "../../../src/codecs/django/session-encoding.ts";
import { DjangoCacheStore } from "../../../src/stores/redis/index.ts";
import { CLI, runCli } from "../../support/cli.ts";
import { createTempDatabases, type TempDatabases } from "../../support/databases.ts";
import { REDIS_HOST, RedisProcesses, expiryIn, highPorts } from "../../stores/redis/helpers.ts";

const SECRET = "output-test-secret";
const ROWS = 5000;
/** What the writer may hold back at once: one 64 KiB chunk, plus the row that crossed it. */
const CHUNK_BOUND = 64 * 1024 + 4096;
let databases: TempDatabases;

/** An output that takes the first write and then nothing, until `release()`. */
class StallingOutput extends Writable {
  readonly chunks: Buffer[] = [];
  #held: (() => void)[] = [];
  #stalled = true;
  constructor() {
    super({ highWaterMark: 16 * 1024 });
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.chunks.push(chunk);
    if (this.#stalled) this.#held.push(done);
    else done();
  }
  release(): void {
    this.#stalled = false;
    for (const done of this.#held.splice(0)) done();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}

/** A command run in-process into a stalling output. */
function start(command: Command, args: string[]) {
  const out = new StallingOutput();
  const err = new StallingOutput();
  err.release();
  let settled = false;
  const run = command
    .run({
      args,
      env: {
        DATABASE_URL: databases.postgresUrl,
        SECRET_KEY: SECRET,
        DJANGO_VERSION: "5.2",
        SESSIONBRIDGE_NO_PROGRESS: "1",
      },
      stdout: out,
      stderr: err,
      stopSignal: new Promise<void>(() => undefined),
    })
    .finally(() => {
      settled = true;
    });
  // Assertions are on the promise; this only keeps an early rejection from going unhandled.
  run.catch(() => undefined);
  return { out, run, settled: () => settled };
}

/** Waits for the first write, then for many database round trips while nothing is read. */
async function stall(out: StallingOutput, settled: () => boolean): Promise<void> {
  while (out.chunks.length === 0 && !settled()) await new Promise((r) => setTimeout(r, 10));
  const client = new pg.Client(databases.postgresUrl);
  await client.connect();
  for (let i = 0; i < 50; i++) await client.query("SELECT 1");
  await client.end();
}

/** Ends the database connections of the command (every one of this database but ours). */
async function killConnections(): Promise<number> {
  const client = new pg.Client(databases.postgresUrl);
  await client.connect();
  const { rows } = await client.query<{ killed: boolean }>(
    "SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
  );
  await client.end();
  return rows.filter((r) => r.killed).length;
}

before(async () => {
  databases = await createTempDatabases("scaleops_output");
  const r = await runCli(["migrate", "--database-url", databases.postgresUrl]);
  assert.equal(r.code, 0, r.stderr);
  const data = new DjangoSessionCodec({ secret: SECRET }).encode(new Map([["_auth_user_id", "1"]]));
  const client = new pg.Client(databases.postgresUrl);
  await client.connect();
  await client.query(
    `INSERT INTO auth_user (password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
     SELECT '!', NULL, false, 'user' || i, 'First', 'Last', 'user' || i || '@example.com', false, true, now() FROM generate_series(1, $1) AS i`,
    [ROWS],
  );
  await client.query(
    `INSERT INTO django_session SELECT lpad(i::text, 32, 'k'), $1, now() + interval '1 day' FROM generate_series(1, $2) AS i`,
    [data, ROWS],
  );
  await client.end();
});

after(async () => {
  await databases.drop();
});

const commands: { name: string; command: Command; args: string[]; noun: string }[] = [
  {
    name: "sessions list --json",
    command: sessionsCommand,
    args: ["list", "--json"],
    noun: "sessions",
  },
  { name: "users list --json", command: usersCommand, args: ["list", "--json"], noun: "users" },
];

describe("many-row output into a reader that stalls", () => {
  for (const { name, command, args } of commands) {
    it(`${name}: holds one chunk while the reader stalls, then writes every row`, async () => {
      const { out, run, settled } = start(command, args);
      await stall(out, settled);
      assert.equal(settled(), false, "the command waits for the reader");
      assert.equal(out.chunks.length, 1);
      assert.ok(out.writableLength <= CHUNK_BOUND, `${out.writableLength} bytes buffered`);
      out.release();
      await run;
      const rows = JSON.parse(out.text()) as unknown[];
      assert.equal(rows.length, ROWS);
    });

    it(`${name}: a connection killed mid-walk leaves valid JSON, declared incomplete`, async () => {
      const { out, run, settled } = start(command, args);
      await stall(out, settled);
      assert.ok((await killConnections()) >= 1);
      out.release();
      await assert.rejects(run, (error: unknown) => {
        assert.ok(error instanceof CommandFailure);
        const written = Number(
          /^output incomplete: (\d+) \w+ written before: /.exec(error.message)?.[1],
        );
        const rows = JSON.parse(out.text()) as unknown[];
        assert.equal(rows.length, written, error.message);
        assert.ok(written > 0 && written < ROWS, error.message);
        return true;
      });
    });
  }

  it("dumpdata: holds one chunk while the reader stalls, then writes the whole fixture", async () => {
    const { out, run, settled } = start(dumpdataCommand, ["auth.user"]);
    await stall(out, settled);
    assert.equal(settled(), false);
    assert.equal(out.chunks.length, 1);
    assert.ok(out.writableLength <= CHUNK_BOUND, `${out.writableLength} bytes buffered`);
    out.release();
    await run;
    assert.equal((JSON.parse(out.text()) as unknown[]).length, ROWS);
  });

  it("dumpdata: a connection killed mid-dump fails saying so, and leaves no fixture loaddata would take", async () => {
    const { out, run, settled } = start(dumpdataCommand, ["auth.user"]);
    await stall(out, settled);
    assert.ok((await killConnections()) >= 1);
    out.release();
    await assert.rejects(run, (error: unknown) => {
      assert.ok(error instanceof CommandFailure);
      assert.match(
        error.message,
        /^output incomplete: \d+ objects written to standard output before: .*not a complete fixture/,
      );
      return true;
    });
    const text = out.text();
    assert.ok(text.startsWith("[{"));
    assert.throws(() => JSON.parse(text) as unknown, SyntaxError);
  });
});

describe("sessions list --json into a real pipe nobody reads", { timeout: 120_000 }, () => {
  const SESSIONS = 20_000;
  const PREFIX = "sbh-scaleops-pipe";
  const [port = 0] = highPorts(1);
  const processes = new RedisProcesses();
  let redis: Redis;
  before(async () => {
    await processes.server(port);
    redis = new Redis({ host: REDIS_HOST, port });
    await redis.ping(); // connected: the store refuses writes while the client connects
    const store = new DjangoCacheStore({ client: redis, keyPrefix: PREFIX });
    const data = new Map([["_auth_user_id", "1"]]);
    for (let i = 0; i < SESSIONS; i += 1000) {
      await Promise.all(
        Array.from({ length: 1000 }, (_, j) =>
          store.save(`p${String(i + j).padStart(31, "0")}`, data, {
            mustCreate: true,
            expiry: expiryIn(3600),
          }),
        ),
      );
    }
  });
  after(async () => {
    redis.disconnect();
    await processes.stop();
  });

  const gets = async (): Promise<number> =>
    Number(/^cmdstat_get:calls=(\d+)/m.exec(await redis.info("commandstats"))?.[1] ?? 0);

  it("reads only what the pipe can hold while stalled, then lists every session", async () => {
    await redis.config("RESETSTAT");
    const child = spawn(
      process.execPath,
      [CLI, "sessions", "list", "--json", "--batch-size", "100"],
      {
        env: {
          PATH: process.env.PATH ?? "",
          SECRET_KEY: SECRET,
          SESSION_STORE: "cache",
          CACHE_KEY_PREFIX: PREFIX,
          REDIS_URL: `redis://${REDIS_HOST}:${port}/0`,
          SESSIONBRIDGE_NO_PROGRESS: "1",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once("close", done));
    // Not read: wait until the walk stops asking Redis for more (the GET count holds still).
    let last = -1;
    let still = 0;
    while (still < 10 && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 100));
      const now = await gets();
      still = now === last && now > 0 ? still + 1 : 0;
      last = now;
    }
    assert.equal(child.exitCode, null, `the list ended without a reader: ${stderr}`);
    // About 130 bytes a row: the pipe (64 KiB), the child's chunk (64 KiB) and this side's
    // buffer hold ~1,500 rows; a walk that ignored the reader would have read all 20,000.
    const stalledGets = await gets();
    assert.ok(stalledGets < SESSIONS / 5, `${stalledGets} GETs while stalled`);
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    assert.equal(await exited, 0, stderr);
    await new Promise((r) => setImmediate(r));
    assert.equal((JSON.parse(stdout) as unknown[]).length, SESSIONS);
  });
});
