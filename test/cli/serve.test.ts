// `sessionbridge serve` as a user runs it: the built CLI, a real SQLite file, real HTTP.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { CLI, runCli } from "../support/cli.ts";
import { CookieJar } from "../support/http.ts";

function startServe(
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, [CLI, "serve", "--port", "0"], {
    cwd,
    env: { PATH: process.env.PATH ?? "", ...env },
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = /serving on (http:\/\/[^ ]+)/.exec(out);
      if (m) resolve({ child, url: m[1]!, stderr: () => stderr });
    });
    child.on("exit", (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
}

describe("sessionbridge serve (embedded default)", () => {
  const dir = mkdtempSync(join(tmpdir(), "sb-serve-"));
  let server: Awaited<ReturnType<typeof startServe>>;
  before(async () => {
    server = await startServe(dir);
  });
  after(() => {
    server.child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates ./sessionbridge.sqlite3 with Django's table and keeps a generated secret beside it", () => {
    const db = new Database(join(dir, "sessionbridge.sqlite3"), { readonly: true });
    const sql = (
      db.prepare("SELECT sql FROM sqlite_master WHERE name = 'django_session'").get() as {
        sql: string;
      }
    ).sql;
    db.close();
    assert.match(sql, /"session_key" varchar\(40\) NOT NULL PRIMARY KEY/);
    const secretFile = join(dir, "sessionbridge.sqlite3.secret-key");
    assert.equal(readFileSync(secretFile, "utf8").trim().length, 50);
    assert.equal(statSync(secretFile).mode & 0o777, 0o600);
    assert.match(server.stderr(), /warning: SECRET_KEY is not set/);
    assert.doesNotMatch(
      server.stderr(),
      new RegExp(
        readFileSync(secretFile, "utf8")
          .trim()
          .replace(/[^a-z0-9]/g, "."),
      ),
    );
  });

  it("counts visits at / and shows the same session at /backend (a Hono app)", async () => {
    const jar = new CookieJar();
    assert.match(await (await jar.fetch(`${server.url}/`)).text(), /id="visits">1</);
    assert.match(await (await jar.fetch(`${server.url}/`)).text(), /id="visits">2</);
    const backend = (await (await jar.fetch(`${server.url}/backend/session`)).json()) as {
      visits: number;
    };
    assert.equal(backend.visits, 2);
    assert.match(jar.cookies.get("sessionid") ?? "", /^[a-z0-9]{32}$/);
  });

  it("keeps sessions across a restart (same secret, same file)", async () => {
    const jar = new CookieJar();
    await jar.fetch(`${server.url}/`);
    server.child.kill("SIGTERM");
    await new Promise((r) => server.child.once("exit", r));
    server = await startServe(dir);
    assert.match(await (await jar.fetch(`${server.url}/`)).text(), /id="visits">2</);
    assert.match(server.stderr(), /using the key saved in/);
  });
});

describe("sessionbridge serve errors", () => {
  it("an unreachable DATABASE_URL is one line without the password, exit 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sb-serve-"));
    const r = await runCli(["serve", "--port", "0"], {
      cwd: dir,
      env: { DATABASE_URL: "postgres://app:hunter2@127.0.0.1:1/app", SECRET_KEY: "k" },
    });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /hunter2|at \w+ \(/);
  });

  it("an unparseable DATABASE_URL is one line, exit 1, and writes no secret file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sb-serve-"));
    const r = await runCli(["serve"], { cwd: dir, env: { DATABASE_URL: "oracle://x:pw@h/db" } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Unsupported DATABASE_URL scheme "oracle"/);
    assert.equal(existsSync(join(dir, ".sessionbridge-secret")), false);
    rmSync(dir, { recursive: true, force: true });
  });

  it("an unknown option is a usage error, exit 2", async () => {
    assert.equal((await runCli(["serve", "--nope"])).code, 2);
  });
});
