// FileSessionStore on the real file system, in a temp directory per test file: layout, atomic
// writes, create/update races, Django's expiry rules (mtime, _session_expiry), clearExpired,
// key validation (path traversal) and error wrapping.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DjangoSessionCodec } from "../../../src/codecs/django/session-encoding.ts";
import { PyDateTime, type PyValue, type SessionData } from "../../../src/codecs/python-values.ts";
import { resolveSessionSettings } from "../../../src/engine/config.ts";
import { Session } from "../../../src/engine/session.ts";
import {
  ConfigurationError,
  InvalidArgumentError,
  SessionExistsError,
  SessionMissingError,
  SessionStoreError,
  UnsupportedValueError,
} from "../../../src/errors.ts";
import type { SessionExpiry, StoreLogger } from "../../../src/stores/contract.ts";
import {
  FileSessionStore,
  createFileStore,
  fileExpiryAge,
  sessionFileName,
  sessionKeyOfFile,
} from "../../../src/stores/file/index.ts";

const SECRET = "file-store-test-secret";
const codec = new DjangoSessionCodec({ secret: SECRET });
const DAY = 86_400_000;
const AGE = 1_209_600;
const EXPIRY: SessionExpiry = { age: AGE, date: new Date(Date.now() + AGE * 1000) };

function newKey(): string {
  return randomBytes(16).toString("hex");
}

function map(entries: Record<string, PyValue>): SessionData {
  return new Map(Object.entries(entries));
}

function recordingLogger(): StoreLogger & { calls: { message: string; detail: unknown }[] } {
  const calls: { message: string; detail: unknown }[] = [];
  return {
    calls,
    warn(message, detail) {
      calls.push({ message, detail });
    },
  };
}

/** Sets a file's mtime `ms` into the past (relative to the real clock). */
function age(path: string, ms: number): void {
  const when = (Date.now() - ms) / 1000;
  utimesSync(path, when, when);
}

describe("FileSessionStore", () => {
  let dir: string;
  let store: FileSessionStore;
  const logger = recordingLogger();
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "sb-file-store-"));
    store = createFileStore({ directory: dir, codec, logger });
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("lays sessions out as Django does: <dir>/sessionid<key>, encode() as ASCII", async () => {
    const key = newKey();
    await store.save(key, map({ foo: "bär" }), { mustCreate: true, expiry: EXPIRY });
    const text = readFileSync(join(dir, `sessionid${key}`), "latin1");
    assert.match(text, /^[\x21-\x7e]+$/);
    assert.deepEqual(codec.decode(text), map({ foo: "bär" }));
    assert.equal(statSync(join(dir, `sessionid${key}`)).mode & 0o777, 0o600);
    assert.deepEqual(await store.load(key), map({ foo: "bär" }));
    assert.equal(await store.exists(key), true);
  });

  it("walks its files in name order, resumably, each with its expiry; inspects one", async () => {
    const own = mkdtempSync(join(tmpdir(), "sb-file-walk-"));
    try {
      const walker = createFileStore({ directory: own, codec, logger, cookieAge: 3600 });
      const keys = [newKey(), newKey(), newKey()].sort();
      for (const key of keys) {
        await walker.save(key, map({ k: key }), { mustCreate: true, expiry: EXPIRY });
      }
      // Expired by its mtime (no _session_expiry: mtime + cookieAge decides), and not a session.
      age(join(own, `sessionid${keys[1]!}`), 2 * 3600 * 1000);
      writeFileSync(join(own, "other-file"), "x");
      const pages = [];
      for await (const page of walker.walk({ batchSize: 2 })) pages.push(page);
      assert.deepEqual(
        pages.map((page) => [page.sessions.map((session) => session.key), page.position]),
        [
          [keys.slice(0, 2), `sessionid${keys[1]!}`],
          [[keys[2]], ""],
        ],
      );
      const first = pages[0]!.sessions[0]!;
      assert.deepEqual(first.data, map({ k: keys[0]! }));
      const mtime = statSync(join(own, `sessionid${keys[0]!}`)).mtimeMs;
      // mtime + cookieAge, to the whole second Django's expiry ages count in.
      assert.ok(Math.abs(first.expireDate!.getTime() - (mtime + 3_600_000)) < 1000);
      const active = [];
      for await (const page of walker.walk({ activeOnly: true })) {
        active.push(...page.sessions.map((session) => session.key));
      }
      assert.deepEqual(active, [keys[0], keys[2]]);
      const resumed = [];
      for await (const page of walker.walk({ position: pages[0]!.position })) {
        resumed.push(...page.sessions.map((session) => session.key));
      }
      assert.deepEqual(resumed, [keys[2]]);
      assert.equal((await walker.inspect(keys[1]!))?.key, keys[1]);
      assert.equal(await walker.inspect(newKey()), null);
      assert.equal(await walker.inspect("../etc"), null);
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });

  it("leaves no temporary file behind", async () => {
    const key = newKey();
    await store.save(key, map({ a: 1 }), { mustCreate: true, expiry: EXPIRY });
    await store.save(key, map({ a: 2 }), { mustCreate: false, expiry: EXPIRY });
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.includes(key)),
      [`sessionid${key}`],
    );
    assert.deepEqual(await store.load(key), map({ a: 2 }));
  });

  it("creates exclusively and updates only what exists", async () => {
    const key = newKey();
    await store.save(key, map({ a: 1 }), { mustCreate: true, expiry: EXPIRY });
    await assert.rejects(
      store.save(key, map({ a: 9 }), { mustCreate: true, expiry: EXPIRY }),
      SessionExistsError,
    );
    assert.deepEqual(await store.load(key), map({ a: 1 }), "a failed create changes nothing");
    const gone = newKey();
    await assert.rejects(
      store.save(gone, map({ a: 1 }), { mustCreate: false, expiry: EXPIRY }),
      SessionMissingError,
    );
    assert.equal(existsSync(join(dir, `sessionid${gone}`)), false, "an update creates nothing");
  });

  it("lets exactly one of many concurrent creators of a key win", async () => {
    const key = newKey();
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        store.save(key, map({ i }), { mustCreate: true, expiry: EXPIRY }),
      ),
    );
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    for (const r of results) {
      if (r.status === "rejected") assert.ok(r.reason instanceof SessionExistsError);
    }
  });

  it("never shows a reader a torn file during concurrent updates", async () => {
    const key = newKey();
    const big = "x".repeat(200_000);
    await store.save(key, map({ big, n: 0 }), { mustCreate: true, expiry: EXPIRY });
    const writes = Array.from({ length: 10 }, (_, n) =>
      store.save(key, map({ big, n }), { mustCreate: false, expiry: EXPIRY }),
    );
    const reads = Array.from({ length: 20 }, () => store.load(key));
    const loaded = await Promise.all(reads);
    await Promise.all(writes);
    for (const data of loaded) assert.equal(data?.get("big"), big);
    assert.equal(logger.calls.length, 0);
  });

  it("deletes, and a missing key is not an error", async () => {
    const key = newKey();
    await store.save(key, map({ a: 1 }), { mustCreate: true, expiry: EXPIRY });
    await store.delete(key);
    await store.delete(key);
    assert.equal(await store.exists(key), false);
    assert.equal(await store.load(key), null);
  });

  describe("compare-and-set (saveIfUnchanged)", () => {
    const lockOf = (key: string) => join(dir, `sessionid${key}_lock`);
    const leftovers = (key: string) =>
      readdirSync(dir).filter((n) => n.includes(key) && n !== `sessionid${key}`);

    it("writes through the lock file: waits while another holds it, then renames it in", async () => {
      const key = newKey();
      await store.save(key, map({ n: 1 }), { mustCreate: true, expiry: EXPIRY });
      const loaded = await store.loadVersioned(key);
      assert.ok(loaded);
      writeFileSync(lockOf(key), "");
      const saving = store.saveIfUnchanged(key, map({ n: 2 }), EXPIRY, loaded.version);
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(await store.load(key), map({ n: 1 }), "nothing written while locked");
      rmSync(lockOf(key));
      const version = await saving;
      assert.equal(version, (await store.loadVersioned(key))?.version);
      assert.deepEqual(await store.load(key), map({ n: 2 }));
      assert.equal(statSync(join(dir, `sessionid${key}`)).mode & 0o777, 0o600);
      assert.deepEqual(leftovers(key), [], "no lock or temporary file left");
    });

    it("writes nothing over a file another writer replaced since the load", async () => {
      const key = newKey();
      await store.save(key, map({ n: 1 }), { mustCreate: true, expiry: EXPIRY });
      const loaded = await store.loadVersioned(key);
      assert.ok(loaded);
      // Django's save: a new file renamed over the session file, no lock taken.
      writeFileSync(join(dir, "django-temp"), codec.encode(map({ n: 1, django: 1 })));
      renameSync(join(dir, "django-temp"), join(dir, `sessionid${key}`));
      assert.equal(await store.saveIfUnchanged(key, map({ n: 2 }), EXPIRY, loaded.version), null);
      assert.deepEqual(await store.load(key), map({ n: 1, django: 1 }));
      assert.deepEqual(leftovers(key), []);
      // Deleted meanwhile (a logout): never written back.
      rmSync(join(dir, `sessionid${key}`));
      assert.equal(await store.saveIfUnchanged(key, map({ n: 2 }), EXPIRY, loaded.version), null);
      assert.equal(existsSync(join(dir, `sessionid${key}`)), false);
      assert.deepEqual(leftovers(key), []);
    });

    it("an expiry already past removes the file if it is unchanged (a key cycle's retirement)", async () => {
      const key = newKey();
      await store.save(key, map({ n: 1 }), { mustCreate: true, expiry: EXPIRY });
      const loaded = await store.loadVersioned(key);
      assert.ok(loaded);
      const past: SessionExpiry = { age: -86_400, date: new Date(Date.now() - DAY) };
      assert.equal(await store.saveIfUnchanged(key, new Map(), past, "0".repeat(40)), null);
      assert.equal(await store.exists(key), true, "a stale version removes nothing");
      assert.equal(await store.saveIfUnchanged(key, new Map(), past, loaded.version), "");
      assert.equal(await store.exists(key), false);
      assert.deepEqual(leftovers(key), []);
    });
  });

  it("treats an empty placeholder file as an empty session that keeps its key (Django)", async () => {
    const key = newKey();
    writeFileSync(join(dir, `sessionid${key}`), "");
    assert.deepEqual(await store.load(key), new Map());
    const session = new Session(store, key, resolveSessionSettings());
    await session.set("a", 1);
    await session.save();
    assert.equal(session.key, key, "an update of the placeholder, as Django's");
    assert.deepEqual(await store.load(key), map({ a: 1 }));
  });

  describe("keys (path traversal)", () => {
    const bad = [
      "../../../../etc/passwd",
      "..%2f..%2fetc",
      "ABCDEFGHIJKLMNOP",
      "abcdefgh/../../x",
      "abcdefgh\0zzzzzz",
      "abc",
      "",
      "abcdefgh_out_12345678",
    ];
    for (const key of bad) {
      it(`never builds a path from ${JSON.stringify(key)}`, async () => {
        assert.equal(sessionFileName("sessionid", key), null);
        assert.equal(await store.load(key), null);
        assert.equal(await store.exists(key), false);
        await store.delete(key);
        await assert.rejects(
          store.save(key, map({ a: 1 }), { mustCreate: true, expiry: EXPIRY }),
          InvalidArgumentError,
        );
      });
    }

    it("does not read a file outside the directory even if it is a valid session", async () => {
      const outside = mkdtempSync(join(tmpdir(), "sb-file-outside-"));
      try {
        const key = newKey();
        writeFileSync(join(outside, `sessionid${key}`), codec.encode(map({ a: 1 })));
        const rel = `../${outside.split("/").pop()!}/sessionid${key}`;
        assert.equal(await store.load(rel), null);
      } finally {
        rmSync(outside, { recursive: true, force: true });
      }
    });

    it("recognises only session files of its prefix", () => {
      const key = newKey();
      assert.equal(sessionKeyOfFile("sessionid", `sessionid${key}`), key);
      assert.equal(sessionKeyOfFile("sessionid", `sessionid${key}_out_abc_1234`), null);
      assert.equal(sessionKeyOfFile("sessionid", `csrftoken${key}`), null);
      assert.equal(sessionKeyOfFile("sessionid", "sessionid"), null);
    });
  });

  describe("expiry (Django's _expiry_date)", () => {
    it("expires a file by mtime + cookie age and deletes it on load", async () => {
      const key = newKey();
      const path = join(dir, `sessionid${key}`);
      await store.save(key, map({ a: 1 }), { mustCreate: true, expiry: EXPIRY });
      age(path, AGE * 1000 - 60_000);
      assert.deepEqual(await store.load(key), map({ a: 1 }), "a minute left");
      age(path, AGE * 1000 + 1000);
      assert.equal(await store.load(key), null);
      assert.equal(existsSync(path), false, "deleted on load");
    });

    it("treats less than a second left as expired (Django floors, then <= 0)", () => {
      const now = 1_700_000_000_000;
      const ctx = { nowMs: now, cookieAge: 100 };
      assert.equal(fileExpiryAge(new Map(), { ...ctx, mtimeMs: now - 99_000 }), 1);
      assert.equal(fileExpiryAge(new Map(), { ...ctx, mtimeMs: now - 99_001 }), 0);
      assert.equal(fileExpiryAge(new Map(), { ...ctx, mtimeMs: now - 100_500 }), -1);
    });

    it("counts browser-close sessions (0) from the mtime, like no expiry", () => {
      const now = 1_700_000_000_000;
      const data = map({ _session_expiry: 0 });
      assert.equal(fileExpiryAge(data, { nowMs: now, mtimeMs: now - 50_000, cookieAge: 100 }), 50);
    });

    it("takes an absolute _session_expiry (ISO string or datetime), ignoring the mtime", () => {
      const now = Date.UTC(2024, 0, 1, 12);
      const ctx = { nowMs: now, mtimeMs: now - 365 * DAY, cookieAge: 100 };
      assert.equal(fileExpiryAge(map({ _session_expiry: "2024-01-01T12:00:30+00:00" }), ctx), 30);
      assert.equal(fileExpiryAge(map({ _session_expiry: "2024-01-01T12:00:30.5" }), ctx), 30);
      assert.equal(fileExpiryAge(map({ _session_expiry: "2024-01-01T11:59:59.5+00:00" }), ctx), -1);
      const dt = PyDateTime.fromDate(new Date(now + 10_000));
      assert.equal(fileExpiryAge(map({ _session_expiry: dt }), ctx), 10);
    });

    it("returns an int _session_expiry unchanged, as Django does (or from the mtime, opt-in)", () => {
      const now = 1_700_000_000_000;
      const ctx = { nowMs: now, mtimeMs: now - 10 * DAY, cookieAge: 100 };
      assert.equal(fileExpiryAge(map({ _session_expiry: 300 }), ctx), 300);
      assert.equal(fileExpiryAge(map({ _session_expiry: -1 }), ctx), -1);
      const strict = { ...ctx, intExpiry: "from-mtime" as const, mtimeMs: now - 200_000 };
      assert.equal(fileExpiryAge(map({ _session_expiry: 300 }), strict), 100);
    });

    it("falls back to the mtime rule for an unparseable _session_expiry", () => {
      const now = 1_700_000_000_000;
      const ctx = { nowMs: now, mtimeMs: now - 40_000, cookieAge: 100 };
      assert.equal(fileExpiryAge(map({ _session_expiry: "soon" }), ctx), 60);
    });

    it("does not touch the file's mtime on load", async () => {
      const key = newKey();
      const path = join(dir, `sessionid${key}`);
      await store.save(key, map({ a: 1 }), { mustCreate: true, expiry: EXPIRY });
      age(path, DAY);
      const before = statSync(path).mtimeMs;
      await store.load(key);
      assert.equal(statSync(path).mtimeMs, before);
    });

    it("uses the configured cookie age and clock", async () => {
      const now = Date.now() + 30_000;
      const short = new FileSessionStore({ directory: dir, codec, cookieAge: 20, now: () => now });
      const key = newKey();
      await short.save(key, map({ a: 1 }), { mustCreate: true, expiry: EXPIRY });
      assert.equal(await short.load(key), null, "20 s cookie age, clock 30 s ahead");
    });
  });

  describe("clearExpired (Django's clear_expired)", () => {
    it("removes exactly the expired session files of its prefix and counts them", async () => {
      const sub = mkdtempSync(join(dir, "clear-"));
      const s = new FileSessionStore({ directory: sub, codec, logger: recordingLogger() });
      const live = newKey();
      const old = newKey();
      const pastAbsolute = newKey();
      const intExpiry = newKey();
      const corruptOld = newKey();
      const corruptNew = newKey();
      const placeholder = newKey();
      await s.save(live, map({ a: 1 }), { mustCreate: true, expiry: EXPIRY });
      await s.save(old, map({ a: 1 }), { mustCreate: true, expiry: EXPIRY });
      age(join(sub, `sessionid${old}`), AGE * 1000 + 5000);
      await s.save(pastAbsolute, map({ _session_expiry: "2001-01-01T00:00:00+00:00" }), {
        mustCreate: true,
        expiry: EXPIRY,
      });
      await s.save(intExpiry, map({ _session_expiry: 60 }), { mustCreate: true, expiry: EXPIRY });
      age(join(sub, `sessionid${intExpiry}`), 30 * DAY);
      writeFileSync(join(sub, `sessionid${corruptOld}`), "not-a-session");
      age(join(sub, `sessionid${corruptOld}`), AGE * 1000 + 5000);
      writeFileSync(join(sub, `sessionid${corruptNew}`), "not-a-session");
      writeFileSync(join(sub, `sessionid${placeholder}`), "");
      age(join(sub, `sessionid${placeholder}`), AGE * 1000 + 5000);
      writeFileSync(join(sub, `sessionid${live}_out_abcd1234`), "partial");
      age(join(sub, `sessionid${live}_out_abcd1234`), AGE * 1000 + 5000);
      writeFileSync(join(sub, `othercookie${newKey()}`), "x");
      mkdirSync(join(sub, `sessionid${newKey()}`));

      assert.equal(await s.clearExpired(), 3);
      const left = new Set(readdirSync(sub));
      for (const key of [live, intExpiry, corruptNew, placeholder]) {
        assert.ok(left.has(`sessionid${key}`), `keeps ${key}`);
      }
      for (const key of [old, pastAbsolute, corruptOld]) {
        assert.ok(!left.has(`sessionid${key}`), `removes ${key}`);
      }
      assert.ok(left.has(`sessionid${live}_out_abcd1234`), "temporary files are not sessions");
      assert.equal(left.size, 7);
      assert.equal(await s.clearExpired(), 0);
      const strict = new FileSessionStore({ directory: sub, codec, intExpiry: "from-mtime" });
      assert.equal(await strict.clearExpired(), 1, "the int expiry counted from the mtime");
    });
  });

  describe("corrupt files", () => {
    it("loads an undecodable or non-ASCII file as missing and logs no data or full key", async () => {
      const log = recordingLogger();
      const s = new FileSessionStore({ directory: dir, codec, logger: log });
      const tampered = newKey();
      const good = codec.encode(map({ secret: "s3cr3t-value" }));
      writeFileSync(join(dir, `sessionid${tampered}`), `${good.slice(0, -2)}xx`);
      const other = new DjangoSessionCodec({ secret: "another-secret" });
      const wrongKey = newKey();
      writeFileSync(join(dir, `sessionid${wrongKey}`), other.encode(map({ a: 1 })));
      const binary = newKey();
      writeFileSync(join(dir, `sessionid${binary}`), Buffer.from([0xff, 0xfe, 0x41]));
      for (const key of [tampered, wrongKey, binary]) assert.equal(await s.load(key), null);
      assert.equal(log.calls.length, 3);
      const text = JSON.stringify(log.calls);
      for (const key of [tampered, wrongKey, binary]) assert.ok(!text.includes(key));
      assert.ok(!text.includes("s3cr3t"));
      assert.ok(existsSync(join(dir, `sessionid${tampered}`)), "a recent corrupt file is kept");
    });

    it("refuses a file over the codec's bound as too-large without reading it whole, and keeps it (issue 18 #7)", async () => {
      const log = recordingLogger();
      const s = new FileSessionStore({ directory: dir, codec, logger: log });
      const key = newKey();
      const path = join(dir, `sessionid${key}`);
      writeFileSync(path, "}".repeat(4 * 1024 * 1024));
      assert.equal(await s.load(key), null);
      assert.equal((await s.inspect(key))?.data, null);
      assert.equal(log.calls.length, 1, "logged once per file, not on every read");
      assert.equal((log.calls[0]!.detail as { reason: string }).reason, "too-large");
      assert.equal(statSync(path).size, 4 * 1024 * 1024, "the file is kept as it was");
      // A codec with a smaller bound: a real session under it still loads.
      const small = new DjangoSessionCodec({ secret: SECRET, maxBytes: 200 });
      const bounded = new FileSessionStore({ directory: dir, codec: small, logger: log });
      const fits = newKey();
      await bounded.save(fits, map({ a: 1 }), { mustCreate: true, expiry: EXPIRY });
      assert.deepEqual(await bounded.load(fits), map({ a: 1 }));
      const big = newKey();
      await store.save(big, map({ a: randomBytes(300).toString("hex") }), {
        mustCreate: true,
        expiry: EXPIRY,
      });
      assert.equal(await bounded.load(big), null);
      assert.equal((log.calls.at(-1)!.detail as { reason: string }).reason, "too-large");
    });
  });

  describe("errors", () => {
    it("refuses a directory that does not exist", () => {
      assert.throws(
        () => new FileSessionStore({ directory: join(dir, "nope", "deeper"), codec }),
        ConfigurationError,
      );
      const file = join(dir, "a-file");
      writeFileSync(file, "");
      assert.throws(() => new FileSessionStore({ directory: file, codec }), ConfigurationError);
    });

    it("refuses a cookie name that is not a file-name prefix", () => {
      for (const cookieName of ["", "a/b", "..", "a\0b"]) {
        assert.throws(
          () => new FileSessionStore({ directory: dir, codec, cookieName }),
          ConfigurationError,
        );
      }
    });

    it("uses the cookie name as the prefix", async () => {
      const s = new FileSessionStore({ directory: dir, codec, cookieName: "myapp_sid" });
      const key = newKey();
      await s.save(key, map({ a: 1 }), { mustCreate: true, expiry: EXPIRY });
      assert.ok(existsSync(join(dir, `myapp_sid${key}`)));
      assert.equal(await store.load(key), null, "not the default prefix's file");
    });

    it("wraps other I/O failures as SessionStoreError, redacting the key in the cause", async () => {
      const key = newKey();
      const loop = join(dir, `sessionid${key}`);
      symlinkSync(loop, loop);
      try {
        const err = await store.load(key).then(
          () => assert.fail("load should fail"),
          (e: unknown) => e,
        );
        assert.ok(err instanceof SessionStoreError);
        assert.match(err.message, /^file session store: cannot read a session file \(ELOOP\)$/);
        const cause = err.cause as Error & { path?: string; code?: string };
        assert.equal(cause.code, "ELOOP");
        assert.ok(!cause.message.includes(key) && !String(cause.path).includes(key));
        assert.ok(String(cause.path).includes(`sessionid${key.slice(0, 4)}…`));
      } finally {
        rmSync(loop);
      }
    });

    it("fails with SessionStoreError when the directory disappears", async () => {
      const gone = mkdtempSync(join(dir, "gone-"));
      const s = new FileSessionStore({ directory: gone, codec });
      rmSync(gone, { recursive: true });
      await assert.rejects(
        s.save(newKey(), map({ a: 1 }), { mustCreate: true, expiry: EXPIRY }),
        (err: unknown) => err instanceof SessionStoreError && /ENOENT/.test(err.message),
      );
      await assert.rejects(s.clearExpired(), SessionStoreError);
      assert.equal(await s.load(newKey()), null);
    });

    it("lets a value the serializer cannot hold fail before any file is made", async () => {
      const key = newKey();
      await assert.rejects(
        store.save(key, map({ at: PyDateTime.fromDate(new Date()) }), {
          mustCreate: true,
          expiry: EXPIRY,
        }),
        UnsupportedValueError,
      );
      assert.equal(existsSync(join(dir, `sessionid${key}`)), false);
    });
  });

  describe("with the engine", () => {
    it("creates, reads, cycles and flushes through Session", async () => {
      const settings = resolveSessionSettings();
      const a = new Session(store, null, settings);
      await a.set("user", "alice");
      await a.save();
      const key = a.key!;
      assert.match(key, /^[a-z0-9]{32}$/);
      const b = new Session(store, key, settings);
      assert.equal(await b.get("user"), "alice");
      await b.cycleKey();
      assert.notEqual(b.key, key);
      assert.equal(existsSync(join(dir, `sessionid${key}`)), false, "old file removed");
      assert.equal(await new Session(store, b.key, settings).get("user"), "alice");
      const newKeyAfterCycle = b.key!;
      await b.flush();
      assert.equal(existsSync(join(dir, `sessionid${newKeyAfterCycle}`)), false);
    });

    it("drops a client key that has no file and makes a new one (no fixation)", async () => {
      const settings = resolveSessionSettings();
      const chosen = "attackerchosenkey0000000000000000";
      const s = new Session(store, chosen, settings);
      await s.set("a", 1);
      await s.save();
      assert.notEqual(s.key, chosen);
      assert.equal(existsSync(join(dir, `sessionid${chosen}`)), false);
    });
  });
});
