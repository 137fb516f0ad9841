// clearsessions and sessions list/show/revoke/migrate on real SQLite, PostgreSQL, MariaDB,
// files and Redis, checked against Django's own clearsessions.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { CLI, runCli } from "../../support/cli.ts";
import { createTempDatabases, type TempDatabases } from "../../support/databases.ts";
import { django, djangoJson, SECRET } from "./support.ts";

let dbs: TempDatabases;
let dir: string;
const redis = new Redis("redis://127.0.0.1:6379/0");
const prefix = `sbtest${process.pid}`;
before(async () => {
  dbs = await createTempDatabases("mgmt_sessions");
  dir = dbs.sqlitePath.replace(/db\.sqlite3$/, "");
});
after(async () => {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(keys);
  } while (cursor !== "0");
  redis.disconnect();
  await dbs.drop();
});

const url = (dialect: string): string =>
  dialect === "sqlite"
    ? `sqlite:${dbs.sqlitePath}`
    : dialect === "postgres"
      ? dbs.postgresUrl
      : dbs.mysqlUrl;

/** Writes `n` sessions through sessionbridge's own store with given ages (seconds). */
async function seed(databaseUrl: string, ages: readonly number[], user = "7"): Promise<void> {
  const { openManagedDatabase } = await import("../../../src/cli/manage/db.ts");
  const { DjangoSessionCodec } = await import("../../../src/codecs/django/session-encoding.ts");
  const { expireDateParam } = await import("../../../src/internal/sql/dates.ts");
  const db = await openManagedDatabase(databaseUrl);
  const codec = new DjangoSessionCodec({ secret: SECRET });
  const data = codec.encode(
    new Map<string, string | number>([
      ["_auth_user_id", user],
      ["n", 1],
    ]),
  );
  await db.transaction(async () => {
    let i = 0;
    for (const age of ages) {
      const key = `k${String(i++).padStart(31, "0")}${user}`.slice(0, 32);
      await db.execute(
        `INSERT INTO ${db.q("django_session")} VALUES (${db.p(1)}, ${db.p(2)}, ${db.p(3)})`,
        [key, data, expireDateParam(db.dialect, new Date(Date.now() + age * 1000))],
      );
    }
  });
  await db.close();
}

async function keysOf(databaseUrl: string): Promise<string[]> {
  const r = await runCli(["sessions", "list", "--json"], {
    env: { DATABASE_URL: databaseUrl, SECRET_KEY: SECRET },
  });
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { session_key: string }[]).map((s) => s.session_key).sort();
}

describe("clearsessions", () => {
  for (const dialect of ["sqlite", "postgres", "mysql"] as const) {
    it(`leaves the same rows as Django's clearsessions on ${dialect}, in batches`, async () => {
      const target = url(dialect);
      const env = { DATABASE_URL: target, SECRET_KEY: SECRET };
      assert.equal((await runCli(["migrate"], { env })).code, 0);
      await runCli(["flush", "--no-input"], { env });
      const ages = Array.from({ length: 250 }, (_, i) => (i % 3 === 0 ? 3600 : -1 - i));
      await seed(target, ages);
      const r = await runCli(["clearsessions", "--batch-size", "37", "--json"], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(
        (JSON.parse(r.stdout) as { deleted: number }).deleted,
        ages.filter((a) => a < 0).length,
      );
      const ours = await keysOf(target);
      await runCli(["flush", "--no-input"], { env });
      await seed(target, ages);
      await django("5.2", target, ["call", "clearsessions"]);
      assert.deepEqual(await keysOf(target), ours);
      assert.equal(ours.length, 84);
    });
  }

  it("on the file store deletes expired files as Django decides; on Redis it says the backend expires itself", async () => {
    const sessions = join(dir, "files");
    mkdirSync(sessions, { recursive: true });
    const fileEnv = {
      SESSION_ENGINE: "django.contrib.sessions.backends.file",
      SESSION_FILE_PATH: sessions,
    };
    // Django writes two sessions with its file backend; one has already expired.
    const py = `
import sys; sys.argv=['x']; sys.path.insert(0, ${JSON.stringify(join(import.meta.dirname))})
import django_manage as m; m.configure()
from django.contrib.sessions.backends.file import SessionStore
import datetime
a = SessionStore(); a['x'] = 1; a.set_expiry(3600); a.create()
b = SessionStore(); b['x'] = 2; b.create(); b.set_expiry(datetime.timedelta(seconds=-5)); b.save()
print(a.session_key)`;
    const { runPython } = await import("../../support/python.ts");
    const { djangoPeerEnv } = await import("../../interop/django/peer.ts");
    const live = (
      await runPython(py, "", {
        ...djangoPeerEnv("5.2"),
        DJANGO_DB: `sqlite:${join(dir, "f.sqlite3")}`,
        SECRET_KEY: SECRET,
        ...fileEnv,
      })
    ).trim();
    assert.equal(readdirSync(sessions).length, 2);
    const r = await runCli(["clearsessions", "--json"], {
      env: { SESSION_STORE: "file", SESSION_FILE_PATH: sessions, SECRET_KEY: SECRET },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { deleted: number }).deleted, 1);
    assert.deepEqual(readdirSync(sessions), [`sessionid${live}`]);
    const c = await runCli(["clearsessions"], {
      env: { SESSION_STORE: "cache", REDIS_URL: "redis://127.0.0.1:6379/0" },
    });
    assert.equal(c.code, 0);
    assert.match(c.stdout, /expires sessions itself/);
  });
});

describe("sessions list / show / revoke", () => {
  it("--user matches the id in Django's str(pk) form whatever form it is typed in", async () => {
    const uuid = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
    for (const [stored, typed, other] of [
      [uuid, "{0F1E2D3C4B5A69788796A5B4C3D2E1F0}", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f1"],
      ["42", "042", "43"],
    ] as const) {
      const target = `sqlite:${join(dir, `user-forms-${stored.length}.sqlite3`)}`;
      const env = { DATABASE_URL: target, SECRET_KEY: SECRET };
      assert.equal((await runCli(["migrate"], { env })).code, 0);
      await seed(target, [3600, 7200], stored);
      const list = await runCli(["sessions", "list", "--user", typed, "--json"], { env });
      assert.equal(list.code, 0, list.stderr);
      const rows = JSON.parse(list.stdout) as { user_id: string }[];
      assert.deepEqual(
        rows.map((r) => r.user_id),
        [stored, stored],
      );
      const none = await runCli(["sessions", "list", "--user", other, "--json"], { env });
      assert.deepEqual(JSON.parse(none.stdout), [], `${other} is someone else`);
      const revoked = await runCli(["sessions", "revoke", "--user", typed, "--json"], { env });
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.equal((JSON.parse(revoked.stdout) as { deleted: number }).deleted, 2);
      const after = await runCli(["sessions", "list", "--json"], { env });
      assert.deepEqual(JSON.parse(after.stdout), []);
    }
  });

  it("lists, shows and revokes on the db store (Django then sees the session gone)", async () => {
    const target = url("postgres");
    const env = { DATABASE_URL: target, SECRET_KEY: SECRET };
    assert.equal((await runCli(["migrate"], { env })).code, 0);
    const made = await djangoJson<{ id: number; session_key: string }>("5.2", target, [
      "create-user",
      "henry",
      "pw-henry-1",
    ]);
    const list = await runCli(["sessions", "list", "--user", String(made.id), "--active"], { env });
    assert.match(list.stdout, new RegExp(`${made.session_key}\\t${made.id}\\t`));
    const show = await runCli(["sessions", "show", made.session_key, "--json"], { env });
    assert.equal(show.code, 0, show.stderr);
    const doc = JSON.parse(show.stdout) as {
      user_id: string | null;
      data: Record<string, unknown>;
    };
    assert.equal(doc.user_id, String(made.id));
    assert.equal(doc.data._auth_user_backend, "django.contrib.auth.backends.ModelBackend");
    const revoked = await runCli(["sessions", "revoke", made.session_key], { env });
    assert.match(revoked.stdout, /Deleted session/);
    assert.equal(
      (await djangoJson<{ user_id: unknown }>("5.2", target, ["session-user", made.session_key]))
        .user_id,
      "",
    );
    const missing = await runCli(["sessions", "show", made.session_key], { env });
    assert.equal(missing.code, 1);
    const bad = await runCli(["sessions", "frobnicate"], { env });
    assert.equal(bad.code, 2);
  });

  it("unreachable Redis: one line, exit 1", async () => {
    const r = await runCli(["sessions", "list"], {
      env: { SESSION_STORE: "cache", REDIS_URL: "redis://127.0.0.1:1/0", SECRET_KEY: SECRET },
    });
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split("\n").length, 1);
    assert.match(r.stderr, /cannot connect to Redis/);
  });
});

describe("sessions migrate", () => {
  it("copies live sessions DB → Redis with their TTL, dry-run first, resumable, then Django reads them", async () => {
    const source = url("mysql");
    const env = { DATABASE_URL: source, SECRET_KEY: SECRET };
    assert.equal((await runCli(["migrate"], { env })).code, 0);
    await runCli(["flush", "--no-input"], { env });
    await seed(source, [...Array.from({ length: 120 }, () => 3600), -10, -20], "9");
    const to = `redis://127.0.0.1:6379/0?layout=django-redis&prefix=${prefix}m`;
    const checkpoint = join(dir, "cp.json");
    const dry = await runCli(
      [
        "sessions",
        "migrate",
        "--from",
        `sql+${source}`,
        "--to",
        to,
        "--dry-run",
        "--json",
        "--checkpoint",
        checkpoint,
      ],
      { env },
    );
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal((JSON.parse(dry.stdout) as { copied: number }).copied, 120);
    assert.equal((await redis.keys(`${prefix}m:*`)).length, 0);
    assert.equal(existsSync(checkpoint), false);
    const r = await runCli(
      [
        "sessions",
        "migrate",
        "--from",
        `sql+${source}`,
        "--to",
        to,
        "--batch-size",
        "50",
        "--json",
        "--checkpoint",
        checkpoint,
      ],
      { env },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { copied: number }).copied, 120);
    const keys = await redis.keys(`${prefix}m:1:django.contrib.sessions.cache*`);
    assert.equal(keys.length, 120);
    const ttl = await redis.pttl(keys[0]!);
    assert.ok(ttl > 3500_000 && ttl <= 3600_000, String(ttl));
    const again = await runCli(
      ["sessions", "migrate", "--from", `sql+${source}`, "--to", to, "--checkpoint", checkpoint],
      { env },
    );
    assert.match(again.stdout, /already complete/);
    // Django's cache engine on django-redis reads what was copied.
    const key = keys[0]!.slice(`${prefix}m:1:django.contrib.sessions.cache`.length);
    const { runDjango } = await import("../../interop/django/peer.ts");
    const loaded = (await runDjango("5.2", ["load", key], {
      env: {
        SESSION_ENGINE: "django.contrib.sessions.backends.cache",
        DJANGO_CACHE: "django-redis:redis://127.0.0.1:6379/0",
        CACHE_KEY_PREFIX: `${prefix}m`,
        SECRET_KEY: SECRET,
      },
    })) as { data?: Record<string, unknown> };
    assert.equal(
      JSON.stringify(loaded).includes('"_auth_user_id": "9"') ||
        JSON.stringify(loaded).includes('"_auth_user_id":"9"'),
      true,
      JSON.stringify(loaded),
    );
  });

  it("copies Redis → SQLite and MariaDB in multi-row upserts, and again without duplicating", async () => {
    const from = `redis://127.0.0.1:6379/0?layout=django-redis&prefix=${prefix}m`;
    for (const dialect of ["sqlite", "mysql"] as const) {
      const target = url(dialect);
      const env = { DATABASE_URL: target, SECRET_KEY: SECRET };
      assert.equal((await runCli(["migrate"], { env })).code, 0);
      await runCli(["flush", "--no-input"], { env });
      for (const round of [1, 2]) {
        const r = await runCli(
          ["sessions", "migrate", "--from", from, "--to", `sql+${target}`, "--restart", "--json"],
          { env, cwd: dir },
        );
        assert.equal(r.code, 0, `${dialect} round ${round}: ${r.stderr}`);
        assert.equal((JSON.parse(r.stdout) as { copied: number }).copied, 120);
        const list = await runCli(["sessions", "list", "--user", "9", "--json"], { env });
        assert.equal((JSON.parse(list.stdout) as unknown[]).length, 120, dialect);
        const all = await runCli(["sessions", "list", "--json"], { env });
        assert.equal((JSON.parse(all.stdout) as unknown[]).length, 120, dialect);
      }
    }
  });

  it("SIGINT finishes the current batch, writes the checkpoint, and a re-run resumes", async () => {
    const source = url("sqlite");
    const env = { DATABASE_URL: source, SECRET_KEY: SECRET };
    assert.equal((await runCli(["migrate"], { env })).code, 0);
    await runCli(["flush", "--no-input"], { env });
    await seed(
      source,
      Array.from({ length: 3000 }, () => 3600),
      "5",
    );
    const to = `redis://127.0.0.1:6379/0?layout=django&prefix=${prefix}s`;
    const checkpoint = join(dir, "cp-int.json");
    const args = [
      "sessions",
      "migrate",
      "--from",
      `sql+${source}`,
      "--to",
      to,
      "--batch-size",
      "10",
      "--checkpoint",
      checkpoint,
    ];
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? "", ...env },
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
    // Interrupt once the first batch is committed (its checkpoint exists), not after a fixed
    // delay: on a fast machine the whole copy can finish within any delay chosen.
    const deadline = Date.now() + 20_000;
    while (!existsSync(checkpoint)) {
      assert.ok(Date.now() < deadline, `no checkpoint written: ${stderr}`);
      assert.equal(
        child.exitCode,
        null,
        `the copy ended before it could be interrupted: ${stderr}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    child.kill("SIGINT");
    const code = await closed;
    assert.equal(code, 1, stderr);
    assert.match(stderr, /interrupted after a complete batch/);
    const saved = JSON.parse((await import("node:fs")).readFileSync(checkpoint, "utf8")) as {
      copied: number;
      done: boolean;
    };
    assert.equal(saved.done, false);
    assert.equal((await redis.keys(`${prefix}s:*`)).length, saved.copied); // consistent: exactly the committed batches
    const r = await runCli([...args, "--json"], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { copied: number }).copied + saved.copied, 3000);
    assert.equal((await redis.keys(`${prefix}s:*`)).length, 3000);
  });
});
