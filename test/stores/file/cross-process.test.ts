// The file engine's compare-and-set across processes (issue 16): two Node processes serving
// one session directory (this one and a child, test/stores/file/cross-process-child.ts) take
// each other's per-file lock (`<file>_lock`, O_EXCL), so 50 parallel requests split between
// them keep all 50 writes and a logout racing writes from both stays a logout; no lock file
// is left behind, and one left by a crashed process is taken over once stale.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { resolveSessionSettings } from "../../../src/engine/config.ts";
import { Session } from "../../../src/engine/session.ts";
import { FileSessionStore } from "../../../src/stores/file/index.ts";
import { buildApp, cookieValue } from "../../engine/concurrent-writes.ts";
import { listen } from "../../support/http.ts";
import { startReadyServer, type ReadyServer } from "../../support/python.ts";
import { codec } from "../sql/helpers.ts";

const CHILD = join(import.meta.dirname, "cross-process-child.ts");

describe("file engine: two Node processes on one session directory", () => {
  const directory = mkdtempSync(join(tmpdir(), "sessionbridge-cas-procs-"));
  const store = new FileSessionStore({ directory, codec });
  let here: { url: string; close: () => Promise<void> };
  let child: ReadyServer;
  before(async () => {
    here = await listen(createServer(buildApp(store, "merge", [])));
    child = await startReadyServer("file store child", ["--import", "tsx", CHILD, directory], {
      cwd: process.cwd(),
      env: process.env,
      python: process.execPath,
    });
  });
  after(async () => {
    await child.stop();
    await here.close();
    rmSync(directory, { recursive: true, force: true });
  });

  /** `/add?k=<prefix><i>` for i < count, alternating between the two processes. */
  const addOnBoth = (key: string, prefix: string, count: number) =>
    Promise.all(
      Array.from({ length: count }, (_, i) =>
        fetch(`${i % 2 === 0 ? here.url : child.url}/add?k=${prefix}${i}`, {
          headers: { cookie: `sessionid=${key}` },
        }),
      ),
    );

  const lockFiles = () => readdirSync(directory).filter((name) => name.endsWith("_lock"));

  it("keeps all 50 writes of 50 parallel requests split between the processes", async () => {
    const key = cookieValue(await fetch(`${child.url}/login`));
    assert.ok(key);
    for (const round of [0, 1, 2]) {
      const responses = await addOnBoth(key, `r${round}k`, 50);
      assert.deepEqual(
        responses.map((r) => r.status),
        Array.from({ length: 50 }, () => 200),
      );
      const data = await store.load(key);
      assert.ok(data);
      for (let r = 0; r <= round; r++) {
        for (let i = 0; i < 50; i++) assert.ok(data.has(`r${r}k${i}`), `r${r}k${i} was lost`);
      }
      assert.equal(data.size, 1 + 50 * (round + 1));
    }
    assert.deepEqual(lockFiles(), []);
  });

  it("a logout in one process racing writes in both stays a logout", async () => {
    for (let run = 0; run < 3; run++) {
      const key = cookieValue(await fetch(`${here.url}/login`));
      assert.ok(key);
      const [logout, writes] = await Promise.all([
        new Promise<Response>((resolve, reject) => {
          setImmediate(() => {
            fetch(`${child.url}/logout`, { headers: { cookie: `sessionid=${key}` } }).then(
              resolve,
              reject,
            );
          });
        }),
        addOnBoth(key, `w${run}_`, 20),
      ]);
      assert.equal(logout.status, 200);
      assert.ok(writes.every((r) => [200, 400].includes(r.status)));
      assert.equal(await store.exists(key), false, "the logged-out session stays deleted");
    }
    assert.deepEqual(lockFiles(), []);
  });

  it("takes over a lock file a crashed process left behind, once it is stale", async () => {
    const session = new Session(store, null, resolveSessionSettings());
    await session.set("n", 1);
    await session.save();
    const key = session.key!;
    const lock = join(directory, `sessionid${key}_lock`);
    writeFileSync(lock, "");
    const longAgo = new Date(Date.now() - 60_000);
    utimesSync(lock, longAgo, longAgo);
    const again = new Session(store, key, resolveSessionSettings());
    await again.set("n", 2);
    await again.save();
    assert.equal((await store.load(key))?.get("n"), 2);
    assert.deepEqual(lockFiles(), []);
  });
});
