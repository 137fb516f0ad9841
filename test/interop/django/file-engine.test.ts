// Interop with real Django (3.2, 4.2, 5.2) on the file session engine: one SESSION_FILE_PATH
// shared by Django and FileSessionStore. Django writes and we read, we write and Django reads,
// both agree on expiry (mtime + SESSION_COOKIE_AGE, set_expiry(0), an int, an absolute date),
// both clearsessions remove the same files, and both share a cookie over HTTP.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { getSession, withSessions } from "../../../src/adapters/node/index.ts";
import { DjangoSessionCodec } from "../../../src/codecs/django/session-encoding.ts";
import type { PyValue } from "../../../src/codecs/python-values.ts";
import { sessionFromTypedJson, toTypedJson } from "../../../src/codecs/typed-json.ts";
import { resolveSessionSettings } from "../../../src/engine/config.ts";
import { generateSessionKey } from "../../../src/engine/keys.ts";
import { Session } from "../../../src/engine/session.ts";
import { FileSessionStore } from "../../../src/stores/file/index.ts";
import { CookieJar, listen } from "../../support/http.ts";
import { DJANGO_VERSIONS, runDjango, startDjangoServer, type DjangoServer } from "./peer.ts";

const SECRET = "interop-secret-key-for-sessionbridge-file";
const AGE = 1_209_600;
const DAY = 86_400_000;

interface CreateResult {
  key: string;
  expiry_age: number;
  expire_date: string;
}
interface LoadResult {
  exists: boolean;
  data: Record<string, unknown>;
  key_after_load: string | null;
  expiry_age: number;
  expire_at_browser_close: boolean;
}

const SAMPLE = { user: "zoë 😀", n: 42, nested: { list: [1, "two", null, true] } } satisfies Record<
  string,
  PyValue
>;

/** Moves a file's mtime `ms` into the past. */
function backdate(path: string, ms: number): void {
  const when = (Date.now() - ms) / 1000;
  utimesSync(path, when, when);
}

for (const version of DJANGO_VERSIONS) {
  describe(`Django ${version} file engine`, () => {
    let root: string;
    let dir: string;
    let env: Record<string, string>;
    let store: FileSessionStore;
    const settings = resolveSessionSettings({ djangoVersion: version });
    const codec = new DjangoSessionCodec({ secret: SECRET, readLegacy: version === "3.2" });
    const file = (key: string): string => join(dir, `sessionid${key}`);

    before(() => {
      root = mkdtempSync(join(tmpdir(), `sb-file-interop-${version}-`));
      dir = mkdtempSync(join(root, "sessions-"));
      env = {
        SECRET_KEY: SECRET,
        SESSION_ENGINE: "django.contrib.sessions.backends.file",
        SESSION_FILE_PATH: dir,
        DJANGO_DB: `sqlite:${join(root, "db.sqlite3")}`,
      };
      store = new FileSessionStore({ directory: dir, codec });
    });
    after(() => {
      rmSync(root, { recursive: true, force: true });
    });

    it("reads a session file Django created, with the same expiry", async () => {
      const created = (await runDjango(version, ["create"], {
        env,
        input: JSON.stringify(toTypedJson(new Map(Object.entries(SAMPLE)))),
      })) as CreateResult;
      assert.deepEqual(readdirSync(dir).includes(`sessionid${created.key}`), true);
      const data = await store.load(created.key);
      assert.ok(data, "session not found");
      assert.deepEqual(toTypedJson(data), toTypedJson(new Map(Object.entries(SAMPLE))));
      const session = new Session(store, created.key, settings);
      assert.equal(await session.getExpiryAge(), created.expiry_age);
    });

    it("writes a session file Django reads (and its int expiry)", async () => {
      const session = new Session(store, null, settings);
      await session.update(SAMPLE);
      await session.setExpiry(300);
      await session.save();
      const loaded = (await runDjango(version, ["load", session.key!], { env })) as LoadResult;
      assert.equal(loaded.exists, true);
      assert.equal(loaded.key_after_load, session.key);
      assert.deepEqual(
        toTypedJson(sessionFromTypedJson(loaded.data)),
        toTypedJson(await session.toMap()),
      );
      assert.equal(loaded.expiry_age, 300);
      assert.equal(loaded.expire_at_browser_close, false);
    });

    it("agrees on browser-close sessions (set_expiry(0)) both ways", async () => {
      const created = (await runDjango(version, ["create", "--expiry", "0"], {
        env,
        input: '{"a": 1}',
      })) as CreateResult;
      const theirs = new Session(store, created.key, settings);
      assert.equal(await theirs.getExpireAtBrowserClose(), true);
      assert.equal(await theirs.get("a"), 1);
      const ours = new Session(store, null, settings);
      await ours.set("a", 1);
      await ours.setExpiry(0);
      await ours.save();
      const loaded = (await runDjango(version, ["load", ours.key!], { env })) as LoadResult;
      assert.equal(loaded.key_after_load, ours.key);
      assert.equal(loaded.expire_at_browser_close, true);
      assert.equal(loaded.expiry_age, AGE);
    });

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
          const ours = await store.load(mine);
          assert.equal(ours === null, expired, "ours");
          const loaded = (await runDjango(version, ["load", theirs], { env })) as LoadResult;
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

      await runDjango(version, ["clearsessions"], { env: { ...env, SESSION_FILE_PATH: a } });
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

    describe("through Django's real SessionMiddleware over HTTP", () => {
      let django: DjangoServer;
      let node: Awaited<ReturnType<typeof listen>>;
      before(async () => {
        django = await startDjangoServer(version, env);
        node = await listen(
          createServer(
            withSessions({ store, djangoVersion: version }, async (req, res) => {
              const session = getSession(req);
              if (req.url?.startsWith("/bump")) {
                const count = Number((await session.get("count")) ?? 0) + 1;
                await session.set("count", String(count));
              } else if (req.url?.startsWith("/cycle")) {
                await session.cycleKey();
              }
              res.setHeader("Content-Type", "application/json");
              res.end(
                JSON.stringify({ data: toTypedJson(await session.toMap()), key: session.key }),
              );
            }),
          ),
        );
      });
      after(async () => {
        await django.stop();
        await node.close();
      });

      it("shares one cookie: Django sets, Node reads and writes, Django sees it", async () => {
        const jar = new CookieJar();
        assert.equal((await jar.fetch(`${django.url}/set?user=alice&count=1`)).status, 200);
        const key = jar.cookies.get("sessionid");
        assert.match(key ?? "", /^[a-z0-9]{32}$/);
        assert.ok(readdirSync(dir).includes(`sessionid${key!}`));
        const read = (await (await jar.fetch(`${node.url}/read`)).json()) as {
          data: unknown;
          key: string;
        };
        assert.deepEqual(read.data, { user: "alice", count: "1" });
        const bumped = (await (await jar.fetch(`${node.url}/bump`)).json()) as { data: unknown };
        assert.deepEqual(bumped.data, { user: "alice", count: "2" });
        assert.equal(jar.cookies.get("sessionid"), key, "same key kept on update");
        const back = (await (await jar.fetch(`${django.url}/get`)).json()) as { data: unknown };
        assert.deepEqual(back.data, { user: "alice", count: "2" });
      });

      it("Node creates and cycles, Django follows; Django's flush removes the file", async () => {
        const jar = new CookieJar();
        await jar.fetch(`${node.url}/bump`);
        const first = jar.cookies.get("sessionid")!;
        await jar.fetch(`${node.url}/cycle`);
        const second = jar.cookies.get("sessionid")!;
        assert.notEqual(second, first);
        assert.ok(!readdirSync(dir).includes(`sessionid${first}`), "old file removed");
        const seen = (await (await jar.fetch(`${django.url}/get`)).json()) as {
          data: unknown;
          key: string;
        };
        assert.deepEqual(seen.data, { count: "1" });
        assert.equal(seen.key, second);
        await jar.fetch(`${django.url}/flush`);
        assert.ok(!readdirSync(dir).includes(`sessionid${second}`));
        assert.equal(jar.cookies.has("sessionid"), false);
      });

      it("a browser-close session set by Django stays one for us", async () => {
        const jar = new CookieJar();
        await jar.fetch(`${django.url}/expiry?seconds=0`);
        const key = jar.cookies.get("sessionid")!;
        const session = new Session(store, key, settings);
        assert.equal(await session.getExpireAtBrowserClose(), true);
        const res = await jar.fetch(`${node.url}/bump`);
        const line = res.headers.getSetCookie()[0] ?? "";
        assert.doesNotMatch(line, /Max-Age|expires/i, "still a browser-session cookie");
      });
    });
  });
}
