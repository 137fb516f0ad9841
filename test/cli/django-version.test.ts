// Issue 19 #2: the Django version is stated, never guessed, wherever it changes bytes. Every
// command that writes such bytes stops with exit 2 and one line naming DJANGO_VERSION, the flag
// and the accepted values, before it prompts, opens or writes anything; commands that only
// read, delete or copy stored bytes run without it. The built CLI, as an operator runs it.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli } from "../support/cli.ts";

const UNSET = { DJANGO_VERSION: "" };
const SAYS =
  /^sessionbridge [a-z]+: DJANGO_VERSION is not set, and .+ depends on it: set DJANGO_VERSION \(or --django-version\) .+: 3\.2, 4\.2, 5\.2, 6\.0 or 6\.1/;

describe("DJANGO_VERSION is required where it changes bytes", () => {
  const dir = mkdtempSync(join(tmpdir(), "sb-djv-"));
  const env = { ...UNSET, DATABASE_URL: "sqlite:./db.sqlite3", SECRET_KEY: "djv-test-key" };
  before(async () => {
    // SQLite's schema is the same in every version: migrate runs without one.
    const migrated = await runCli(["migrate"], { cwd: dir, env });
    assert.equal(migrated.code, 0, migrated.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [what, args] of [
    ["serve", ["serve", "--port", "0"]],
    ["demo", ["demo", "--port", "0"]],
    [
      "createsuperuser (the hash's work factor)",
      ["createsuperuser", "--no-input", "--username", "a"],
    ],
    ["createuser", ["createuser", "--no-input", "--username", "a"]],
    ["changepassword", ["changepassword", "a"]],
    ["dumpdata without --indent (the last newline)", ["dumpdata", "auth.user"]],
  ] as const) {
    it(`${what}: exit 2, nothing written`, async () => {
      const r = await runCli(args, {
        cwd: dir,
        env: { ...env, SESSIONBRIDGE_PASSWORD: "a long enough password 1" },
      });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, SAYS);
      assert.equal(r.stdout, "");
    });
  }

  it("migrate on PostgreSQL (serial or identity ids) refuses; --sql too, before connecting", async () => {
    const r = await runCli(["migrate", "--sql"], {
      env: { ...UNSET, DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" },
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /PostgreSQL schema/);
    assert.match(r.stderr, SAYS);
    const given = await runCli(["migrate", "--sql", "--django-version", "3.2"], {
      env: { ...UNSET, DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" },
    });
    assert.equal(given.code, 0, given.stderr);
    assert.match(given.stdout, /bigserial/);
  });

  it("the flag or the variable satisfies it, and the start line names the version", async () => {
    const created = await runCli(
      ["createsuperuser", "--no-input", "--username", "b", "--django-version", "4.2"],
      { cwd: dir, env: { ...env, SESSIONBRIDGE_PASSWORD: "a long enough password 1" } },
    );
    assert.equal(created.code, 0, created.stderr);
    const dumped = await runCli(["dumpdata", "auth.user", "--indent", "2"], { cwd: dir, env });
    assert.equal(dumped.code, 0, dumped.stderr);
    // Django 4.2's PBKDF2 work factor: the version was the one given, not a default.
    assert.match(dumped.stdout, /pbkdf2_sha256\$600000\$/);
  });

  it("reading, listing and deleting need no version", async () => {
    for (const args of [["sessions", "list"], ["clearsessions"], ["users", "list"]]) {
      const r = await runCli(args, { cwd: dir, env });
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
    }
    assert.equal(existsSync(join(dir, "db.sqlite3")), true);
  });
});
