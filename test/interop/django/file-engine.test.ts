// Interop with real Django (3.2, 4.2, 5.2) on the file session engine: one SESSION_FILE_PATH
// shared by Django and FileSessionStore. Django writes and we read, we write and Django reads,
// both agree on expiry (mtime + SESSION_COOKIE_AGE, set_expiry(0), an int, an absolute date),
// both clearsessions remove the same files, and both share a cookie over HTTP.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DjangoSessionCodec } from "../../../src/codecs/django/session-encoding.ts";
import type { PyValue } from "../../../src/codecs/python-values.ts";
import { generateSessionKey } from "../../../src/engine/keys.ts";
import { FileSessionStore } from "../../../src/stores/file/index.ts";
import { CookieJar } from "../../support/http.ts";
import {
  SESSION_COOKIE_AGE as AGE,
  djangoEngine,
  itAgreesOnBrowserClose,
  itFollowsCycleAndFlush,
  itReadsWhatDjangoCreated,
  itSharesOneCookie,
  itWritesWhatDjangoReads,
  overHttp,
} from "./engine-scenario.ts";
import { DJANGO_VERSIONS, runDjango } from "./peer.ts";

const SECRET = "interop-secret-key-for-sessionbridge-file";
const DAY = 86_400_000;

/** Moves a file's mtime `ms` into the past. */
function backdate(path: string, ms: number): void {
  const when = (Date.now() - ms) / 1000;
  utimesSync(path, when, when);
}

for (const version of DJANGO_VERSIONS) {
  describe(`Django ${version} file engine`, () => {
    let root: string;
    let dir: string;
    const codec = new DjangoSessionCodec({ secret: SECRET, readLegacy: version === "3.2" });
    const file = (key: string): string => join(dir, `sessionid${key}`);
    const hasFile = (key: string): boolean => readdirSync(dir).includes(`sessionid${key}`);
    const engine = djangoEngine(version, () => {
      root = mkdtempSync(join(tmpdir(), `sb-file-interop-${version}-`));
      dir = mkdtempSync(join(root, "sessions-"));
      const env = {
        SECRET_KEY: SECRET,
        SESSION_ENGINE: "django.contrib.sessions.backends.file",
        SESSION_FILE_PATH: dir,
        DJANGO_DB: `sqlite:${join(root, "db.sqlite3")}`,
      };
      const store = new FileSessionStore({ directory: dir, codec });
      return { env, store, close: () => rmSync(root, { recursive: true, force: true }) };
    });

    itReadsWhatDjangoCreated(engine, {
      noun: "session file",
      verify: (created) => {
        assert.ok(hasFile(created.key), "Django wrote the file");
      },
    });

    itWritesWhatDjangoReads(engine, { noun: "session file" });

    itAgreesOnBrowserClose(engine);

    describe("expiry agrees file by file", () => {
      // [name, data, mtime age in ms, expired?]. Each case is written twice (same content and
      // mtime, two keys): one copy is loaded by Django, the other by us.
      const cases: [string, Record<string, PyValue>, number, boolean][] = [
        ["fresh", { a: 1 }, 60_000, false],
        ["a minute before mtime + SESSION_COOKIE_AGE", { a: 1 }, AGE * 1000 - 60_000, false],
        ["a minute after mtime + SESSION_COOKIE_AGE", { a: 1 }, AGE * 1000 + 60_000, true],
        ["browser-close (0), old mtime", { a: 1, _session_expiry: 0 }, AGE * 1000 + 60_000, true],
        ["browser-close (0), fresh", { a: 1, _session_expiry: 0 }, 60_000, false],
        // Django returns an int _session_expiry unchanged: the file never expires by its mtime.
        ["int 300, mtime 30 days old", { a: 1, _session_expiry: 300 }, 30 * DAY, false],
        ["negative int", { a: 1, _session_expiry: -5 }, 60_000, true],
      ];
      if (version !== "3.2") {
        // 4.x+: an ISO string is an absolute date (3.2's get_expiry_age returns the string).
        cases.push(
          ["ISO date in the past", { a: 1, _session_expiry: "2001-01-01T00:00:00+00:00" }, 0, true],
          [
            "ISO date in the future, old mtime",
            { a: 1, _session_expiry: new Date(Date.now() + DAY).toISOString() },
            AGE * 1000 + 60_000,
            false,
          ],
        );
      }
      for (const [name, data, mtimeAge, expired] of cases) {
        it(`${name}: ${expired ? "expired" : "alive"} for both`, async () => {
          const content = codec.encode(new Map(Object.entries(data)));
          const [mine, theirs] = [generateSessionKey(), generateSessionKey()];
          for (const key of [mine, theirs]) {
            writeFileSync(file(key), content, { mode: 0o600 });
            backdate(file(key), mtimeAge);
          }
          const ours = await engine.store.load(mine);
          assert.equal(ours === null, expired, "ours");
          const loaded = await engine.load(theirs);
          // Django's load of an expired file deletes it and create()s a new key (and file).
          assert.equal(loaded.key_after_load !== theirs, expired, "Django's");
          if (expired) assert.deepEqual(loaded.data, {});
          const left = new Set(readdirSync(dir));
          assert.equal(left.has(`sessionid${mine}`), !expired, "we delete expired files on load");
          assert.equal(left.has(`sessionid${theirs}`), !expired, "and so does Django");
        });
      }
    });

    it("clearsessions and clearExpired remove the same files", async () => {
      const a = mkdtempSync(join(root, "clear-a-"));
      const files: [string, string, number][] = [
        ["live", codec.encode(new Map([["a", 1]])), 60_000],
        ["old", codec.encode(new Map([["a", 1]])), AGE * 1000 + 60_000],
        [
          "old-browser-close",
          codec.encode(new Map<string, PyValue>([["_session_expiry", 0]])),
          AGE * 1000 + 60_000,
        ],
        ["old-int", codec.encode(new Map<string, PyValue>([["_session_expiry", 60]])), 30 * DAY],
        ["old-corrupt", "garbage:garbage:garbage", AGE * 1000 + 60_000],
        ["new-corrupt", "garbage:garbage:garbage", 60_000],
        ["old-placeholder", "", AGE * 1000 + 60_000],
      ];
      for (const [, content, mtimeAge] of files) {
        const path = join(a, `sessionid${generateSessionKey()}`);
        writeFileSync(path, content, { mode: 0o600 });
        backdate(path, mtimeAge);
      }
      const temp = join(a, `sessionid${generateSessionKey()}_out_ab12cd34`);
      writeFileSync(temp, "partial");
      backdate(temp, AGE * 1000 + 60_000);
      const b = mkdtempSync(join(root, "clear-b-"));
      cpSync(a, b, { recursive: true, preserveTimestamps: true });

      await runDjango(version, ["clearsessions"], {
        env: { ...engine.env, SESSION_FILE_PATH: a },
      });
      const removed = await new FileSessionStore({
        directory: b,
        codec,
        logger: { warn: () => undefined },
      }).clearExpired();
      const theirs = readdirSync(a).sort();
      const ours = readdirSync(b).sort();
      assert.deepEqual(ours, theirs);
      assert.equal(removed, 3);
      assert.equal(ours.length, files.length + 1 - 3);
    });

    overHttp(engine, (peers) => {
      itSharesOneCookie(peers, (key) => {
        assert.ok(hasFile(key), "the shared file");
      });

      itFollowsCycleAndFlush(peers, "removes the file", (key, what) => {
        assert.ok(!hasFile(key), `${what}: file removed`);
      });

      it("a browser-close session set by Django stays one for us", async () => {
        const jar = new CookieJar();
        await jar.fetch(`${peers.django.url}/expiry?seconds=0`);
        const key = jar.cookies.get("sessionid")!;
        const session = engine.session(key);
        assert.equal(await session.getExpireAtBrowserClose(), true);
        const res = await jar.fetch(`${peers.node.url}/bump`);
        const line = res.headers.getSetCookie()[0] ?? "";
        assert.doesNotMatch(line, /Max-Age|expires/i, "still a browser-session cookie");
      });
    });
  });
}
