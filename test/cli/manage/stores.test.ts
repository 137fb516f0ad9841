// One store factory for the whole CLI: every SESSION_STORE value, end to end. A session is
// written by the library's own store class (as an application would), then the built CLI lists,
// shows and revokes it through SESSION_STORE and its settings, on real Redis (both client
// packages), SQLite and files. Redis keys use a prefix unique to this run, deleted afterwards.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Redis } from "ioredis";
import { DjangoSessionCodec } from "../../../src/codecs/django/session-encoding.ts";
import type { SessionData, SessionStore } from "../../../src/stores/contract.ts";
import { readEnvConfig } from "../../../src/cli/env-config.ts";
import { openSessionStore } from "../../../src/cli/session-store.ts";
import { CachedDbStore } from "../../../src/stores/cached-db/store.ts";
import { FileSessionStore } from "../../../src/stores/file/store.ts";
import { DjangoCacheStore } from "../../../src/stores/redis/cache-store.ts";
import { DjangoRedisSessionsStore } from "../../../src/stores/redis/redis-sessions-store.ts";
import { SignedCookieStore } from "../../../src/stores/signed-cookies/store.ts";
import { openDatabaseUrl } from "../../../src/internal/sql/url.ts";
import { SqlSessionStore } from "../../../src/stores/sql/store.ts";
import { runCli } from "../../support/cli.ts";
import { SECRET } from "./support.ts";

const REDIS_URL = "redis://127.0.0.1:6379/12";
const redis = new Redis(REDIS_URL);
const run = `sbstores${process.pid}${randomBytes(2).toString("hex")}`;
const dir = mkdtempSync(join(tmpdir(), "sessionbridge-stores-"));
const codec = new DjangoSessionCodec({ secret: SECRET });

after(async () => {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${run}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(keys);
  } while (cursor !== "0");
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

const newKey = (): string => randomBytes(16).toString("hex");
const data = (user: string): SessionData => new Map([["_auth_user_id", user]]);
const expiry = { age: 3600, date: new Date(Date.now() + 3_600_000) };

interface ListedSession {
  session_key: string;
  user_id: string | null;
  expired: boolean;
}

/** Writes one session for user 7 with `store`, then lists, shows and revokes it via the CLI. */
async function roundTrip(
  env: Record<string, string>,
  store: SessionStore,
  lifetimeMs = 3_600_000,
): Promise<void> {
  const key = newKey();
  await store.save(key, data("7"), { mustCreate: true, expiry });
  const full = { SECRET_KEY: SECRET, ...env };
  const list = await runCli(["sessions", "list", "--json"], { env: full });
  assert.equal(list.code, 0, list.stderr);
  const listed = JSON.parse(list.stdout) as ListedSession[];
  const mine = listed.find((s) => s.session_key === key);
  assert.ok(mine, `${key} listed`);
  assert.equal(mine.user_id, "7");
  assert.equal(mine.expired, false);
  const show = await runCli(["sessions", "show", key, "--json"], { env: full });
  assert.equal(show.code, 0, show.stderr);
  const shown = JSON.parse(show.stdout) as { user_id: string; expire_date: string };
  assert.equal(shown.user_id, "7");
  const left = Date.parse(shown.expire_date) - Date.now();
  assert.ok(left > lifetimeMs - 100_000 && left <= lifetimeMs, `expiry in ${left} ms`);
  const byUser = await runCli(["sessions", "revoke", "--user", "7", "--json"], { env: full });
  assert.equal(byUser.code, 0, byUser.stderr);
  assert.equal((JSON.parse(byUser.stdout) as { deleted: number }).deleted, 1);
  assert.equal(await store.load(key), null);
}

describe("SESSION_STORE picks the store for every command", () => {
  it("db (default): django_session on SQLite", async () => {
    const databaseUrl = `sqlite:${join(dir, "db.sqlite3")}`;
    assert.equal((await runCli(["migrate"], { env: { DATABASE_URL: databaseUrl } })).code, 0);
    const store = new SqlSessionStore({ database: await openDatabaseUrl(databaseUrl), codec });
    try {
      await roundTrip({ DATABASE_URL: databaseUrl }, store);
    } finally {
      await store.close();
    }
  });

  for (const [driver, backend, serializer] of [
    ["ioredis", "django-redis", "pickle"],
    ["redis", "django", "pickle"],
    ["ioredis", "django-redis", "json"],
  ] as const) {
    it(`cache: CACHE_BACKEND=${backend}, CACHE_SERIALIZER=${serializer}, over ${driver}`, async () => {
      const prefix = `${run}c${driver}${backend}${serializer}`;
      const store = new DjangoCacheStore({
        client: redis,
        backend,
        serializer,
        keyPrefix: prefix,
        version: 3,
      });
      await roundTrip(
        {
          SESSION_STORE: "cache",
          REDIS_URL,
          CACHE_BACKEND: backend,
          CACHE_SERIALIZER: serializer,
          CACHE_KEY_PREFIX: prefix,
          CACHE_VERSION: "3",
          SESSIONBRIDGE_REDIS_CLIENT: driver,
        },
        store,
      );
    });
  }

  it("cached_db: django_session on SQLite behind the Redis cache; revoke clears both", async () => {
    const databaseUrl = `sqlite:${join(dir, "cached.sqlite3")}`;
    assert.equal((await runCli(["migrate"], { env: { DATABASE_URL: databaseUrl } })).code, 0);
    const prefix = `${run}cdb`;
    const db = new SqlSessionStore({ database: await openDatabaseUrl(databaseUrl), codec });
    const cache = new DjangoCacheStore({ client: redis, engine: "cached_db", keyPrefix: prefix });
    const store = new CachedDbStore({ db, cache });
    try {
      await roundTrip(
        {
          SESSION_STORE: "cached_db",
          DATABASE_URL: databaseUrl,
          REDIS_URL,
          CACHE_KEY_PREFIX: prefix,
        },
        store,
      );
      assert.equal((await redis.keys(`${prefix}*`)).length, 0, "the cached copy went too");
    } finally {
      await db.close();
    }
  });

  it("cached_db: revoke --user also reaches sessions whose row is gone but whose cache entry serves them", async () => {
    const databaseUrl = `sqlite:${join(dir, "cached-orphans.sqlite3")}`;
    assert.equal((await runCli(["migrate"], { env: { DATABASE_URL: databaseUrl } })).code, 0);
    const prefix = `${run}cdb2`;
    const db = new SqlSessionStore({ database: await openDatabaseUrl(databaseUrl), codec });
    const cache = new DjangoCacheStore({ client: redis, engine: "cached_db", keyPrefix: prefix });
    const store = new CachedDbStore({ db, cache });
    try {
      const [both, cacheOnly, other] = [newKey(), newKey(), newKey()];
      await store.save(both, data("7"), { mustCreate: true, expiry });
      await store.save(cacheOnly, data("7"), { mustCreate: true, expiry });
      await store.save(other, data("8"), { mustCreate: true, expiry });
      await db.delete(cacheOnly); // e.g. a clearsessions or a manual DELETE on the table
      assert.notEqual(await store.load(cacheOnly), null, "Django's cached_db still serves it");
      const env = {
        SECRET_KEY: SECRET,
        SESSION_STORE: "cached_db",
        DATABASE_URL: databaseUrl,
        REDIS_URL,
        CACHE_KEY_PREFIX: prefix,
      };
      const revoked = await runCli(["sessions", "revoke", "--user", "7", "--json"], { env });
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.equal((JSON.parse(revoked.stdout) as { deleted: number }).deleted, 2);
      assert.equal(await store.load(both), null);
      assert.equal(await store.load(cacheOnly), null);
      assert.deepEqual((await store.load(other))?.get("_auth_user_id"), "8");
    } finally {
      await db.close();
    }
  });

  it("file: SESSION_FILE_PATH, SESSION_COOKIE_NAME", async () => {
    const path = mkdtempSync(join(dir, "files-"));
    // Django's file backend: expiry is the file's mtime + SESSION_COOKIE_AGE.
    const store = new FileSessionStore({ directory: path, codec, cookieName: "appsid" });
    await roundTrip(
      {
        SESSION_STORE: "file",
        SESSION_FILE_PATH: path,
        SESSION_COOKIE_NAME: "appsid",
        SESSION_COOKIE_AGE: "7200",
      },
      store,
      7_200_000,
    );
    assert.deepEqual(readdirSync(path), []);
  });

  for (const flavor of ["redis-sessions", "redis-sessions-fork"] as const) {
    it(`${flavor}: SESSION_REDIS_PREFIX`, async () => {
      const prefix = `${run}${flavor}`;
      const store = new DjangoRedisSessionsStore({ client: redis, codec, flavor, prefix });
      await roundTrip({ SESSION_STORE: flavor, REDIS_URL, SESSION_REDIS_PREFIX: prefix }, store);
    });
  }

  it("signed_cookies: show decodes a cookie; list and revoke say nothing is stored", async () => {
    const store = new SignedCookieStore({ secret: SECRET, cookieAge: 600 });
    const cookie = store.encodeKey(data("7"));
    const env = { SESSION_STORE: "signed_cookies", SECRET_KEY: SECRET, SESSION_COOKIE_AGE: "600" };
    const show = await runCli(["sessions", "show", cookie, "--json"], { env });
    assert.equal(show.code, 0, show.stderr);
    const shown = JSON.parse(show.stdout) as { user_id: string; expire_date: string };
    assert.equal(shown.user_id, "7");
    const left = Date.parse(shown.expire_date) - Date.now();
    assert.ok(left > 590_000 && left <= 601_000, `signature age bound (${left} ms)`);
    for (const args of [["list"], ["revoke", cookie], ["revoke", "--user", "7"]]) {
      const r = await runCli(["sessions", ...args], { env });
      assert.equal(r.code, 1, args.join(" "));
      assert.match(r.stderr, /nothing stored on the server/);
    }
    const forged = await runCli(["sessions", "show", `${cookie.slice(0, -2)}xx`], { env });
    assert.equal(forged.code, 1);
  });

  it("bad settings: one line naming the setting (usage errors add the --help hint)", async () => {
    for (const [env, code, pattern] of [
      [{ SESSION_STORE: "cache" }, 1, /SESSION_STORE=cache needs REDIS_URL/],
      [{ SESSION_STORE: "memcached" }, 2, /SESSION_STORE must be one of db, cache/],
      [{ SESSION_STORE: "cache", REDIS_URL, CACHE_VERSION: "one" }, 2, /CACHE_VERSION must be/],
    ] as const) {
      const r = await runCli(["sessions", "list"], { env: { SECRET_KEY: SECRET, ...env } });
      assert.equal(r.code, code, r.stderr);
      const [first = "", ...rest] = r.stderr.trim().split("\n");
      assert.match(first, pattern);
      assert.deepEqual(rest, code === 2 ? ["Run 'sessionbridge sessions --help' for usage."] : []);
    }
  });
});

describe("openSessionStore (what serve uses)", () => {
  it("close() closes what it opened: the SQL pool and the Redis client", async () => {
    const config = readEnvConfig({
      SESSION_STORE: "cached_db",
      DATABASE_URL: `sqlite:${join(dir, "serve.sqlite3")}`,
      REDIS_URL,
      CACHE_KEY_PREFIX: `${run}serve`,
    });
    const opened = await openSessionStore(config, SECRET, { createTables: true });
    assert.equal(opened.kind, "cached_db");
    assert.match(
      opened.description,
      /^SQLite .* \+ Redis 127\.0\.0\.1:6379\/12 \(redis:django-cached-db\)$/,
    );
    const key = newKey();
    await opened.store.save(key, data("1"), { mustCreate: true, expiry });
    assert.deepEqual(await opened.store.load(key), data("1"));
    await opened.close();
    await assert.rejects(opened.store.load(newKey()));
  });
});
