// The journal mode of a SQLite database is recorded in the file: switching Django's database to
// WAL would switch it for Django too, for good. Only a database we create gets WAL.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { openDatabaseUrl, sqliteDatabase } from "../../../src/stores/sql/index.ts";
import { django, SECRET } from "../../cli/manage/support.ts";
import { runCli } from "../../support/cli.ts";
import { startServe } from "../../support/serve.ts";

const dir = mkdtempSync(join(tmpdir(), "sb-sqlite-journal-"));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function journalMode(path: string): string {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return String(db.pragma("journal_mode", { simple: true }));
  } finally {
    db.close();
  }
}

/** A database made by real Django 5.2's `migrate` (journal mode `delete`, SQLite's default). */
async function djangoDatabase(name: string): Promise<string> {
  const path = join(dir, name);
  await django("5.2", `sqlite:${path}`, ["call", "migrate", "--verbosity", "0"]);
  assert.equal(journalMode(path), "delete");
  return path;
}

describe("SQLite journal mode", () => {
  it("the library leaves an existing Django database's journal mode alone", async () => {
    const path = await djangoDatabase("library.sqlite3");
    const database = await openDatabaseUrl(`sqlite:${path}`);
    await database.query("SELECT count(*) FROM django_session", []);
    await database.close();
    const direct = await sqliteDatabase(path);
    await direct.close();
    assert.equal(journalMode(path), "delete");
  });

  it("serve and the read-only commands leave it alone too", async () => {
    const path = await djangoDatabase("serve.sqlite3");
    const env = { DATABASE_URL: `sqlite:${path}`, SECRET_KEY: SECRET, DJANGO_VERSION: "5.2" };
    for (const args of [["sessions", "list"], ["users", "list"], ["clearsessions"]]) {
      const r = await runCli(args, { env });
      assert.equal(r.code, 0, r.stderr);
    }
    const server = await startServe(dir, env);
    try {
      assert.equal((await fetch(`${server.url}/whoami`)).status, 200);
    } finally {
      await server.stop();
    }
    assert.equal(journalMode(path), "delete");
  });

  it("a database created here (no file, or an empty one) gets WAL", async () => {
    const fresh = join(dir, "fresh.sqlite3");
    const database = await sqliteDatabase(fresh);
    await database.execute("CREATE TABLE t (x integer)", []);
    await database.close();
    assert.equal(journalMode(fresh), "wal");

    const empty = join(dir, "empty.sqlite3");
    writeFileSync(empty, "");
    const r = await runCli(["migrate"], {
      env: { DATABASE_URL: `sqlite:${empty}`, SECRET_KEY: SECRET, DJANGO_VERSION: "5.2" },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(journalMode(empty), "wal");
  });
});
