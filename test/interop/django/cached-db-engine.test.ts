// Interop with real Django (3.2, 4.2, 5.2) on the cached_db session engine: one SQLite
// django_session table and one Redis (django-redis, db 13, a key prefix unique to the run)
// shared by Django and CachedDbStore(SqlSessionStore + DjangoCacheStore "cached_db"). Each side
// reads what the other wrote from the cache alone and from the database alone, cache misses
// are refilled with the row's remaining age, and a cookie is shared over HTTP.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Redis } from "ioredis";
import { DjangoSessionCodec } from "../../../src/codecs/django/session-encoding.ts";
import { sessionFromTypedJson, toTypedJson } from "../../../src/codecs/typed-json.ts";
import { CachedDbStore } from "../../../src/stores/cached-db/index.ts";
import { DjangoCacheStore } from "../../../src/stores/redis/index.ts";
import {
  createSqlStore,
  openDatabaseUrl,
  type SqlSessionStore,
} from "../../../src/stores/sql/index.ts";
import {
  SAMPLE,
  djangoEngine,
  itFollowsCycleAndFlush,
  itSharesOneCookie,
  overHttp,
  sample,
} from "./engine-scenario.ts";
import { DJANGO_VERSIONS, runDjango } from "./peer.ts";

const SECRET = "interop-secret-key-for-sessionbridge-cached-db";
const REDIS_DB = 13;
const DAY = 86_400_000;

for (const version of DJANGO_VERSIONS) {
  describe(`Django ${version} cached_db engine`, () => {
    const prefix = `sbcdb-${version}-${process.pid}-${randomBytes(3).toString("hex")}`;
    let redis: Redis;
    let sql: SqlSessionStore;
    let cache: DjangoCacheStore;
    const engine = djangoEngine(version, async () => {
      const dir = mkdtempSync(join(tmpdir(), `sb-cached-db-interop-${version}-`));
      const sqlite = `sqlite:${join(dir, "db.sqlite3")}`;
      const env = {
        SECRET_KEY: SECRET,
        SESSION_ENGINE: "django.contrib.sessions.backends.cached_db",
        DJANGO_DB: sqlite,
        DJANGO_CACHE: `django-redis:redis://127.0.0.1:6379/${REDIS_DB}`,
        CACHE_KEY_PREFIX: prefix,
      };
      await runDjango(version, ["migrate"], { env });
      redis = new Redis({ host: "127.0.0.1", port: 6379, db: REDIS_DB, lazyConnect: true });
      redis.on("error", () => undefined);
      await redis.connect();
      sql = createSqlStore({
        database: await openDatabaseUrl(sqlite),
        codec: new DjangoSessionCodec({ secret: SECRET, readLegacy: version === "3.2" }),
      });
      cache = new DjangoCacheStore({ client: redis, keyPrefix: prefix, engine: "cached_db" });
      const store = new CachedDbStore({ db: sql, cache, djangoVersion: version });
      const close = async (): Promise<void> => {
        const keys: string[] = [];
        for await (const batch of redis.scanStream({ match: `${prefix}:*`, count: 500 })) {
          keys.push(...(batch as string[]));
        }
        if (keys.length > 0) await redis.del(...keys);
        redis.disconnect();
        await sql.close();
        rmSync(dir, { recursive: true, force: true });
      };
      return { env, store, close };
    });

    it("uses Django's cache key: KEY_PREFIX:1:django.contrib.sessions.cached_db<key>", async () => {
      const created = await engine.create('{"a": 1}');
      const redisKey = `${prefix}:1:django.contrib.sessions.cached_db${created.key}`;
      assert.equal(cache.redisKey(created.key), redisKey);
      assert.equal(await redis.exists(redisKey), 1);
    });

    it("reads a session Django created from the cache alone, and from the DB alone", async () => {
      const input = JSON.stringify(toTypedJson(sample()));
      const a = await engine.create(input);
      await sql.delete(a.key); // only the cache (Django's pickle) is left
      assert.deepEqual(toTypedJson(await engine.store.load(a.key)), toTypedJson(sample()));

      const createdFrom = Date.now();
      const b = await engine.create(input);
      await redis.del(cache.redisKey(b.key)); // only the DB row is left
      assert.deepEqual(toTypedJson(await engine.store.load(b.key)), toTypedJson(sample()));
      // Refilled like Django: the remaining age of the row as the TTL (PX), which can only have
      // shrunk by the time elapsed since Django was asked to create it (the row may keep whole
      // seconds only).
      const ttl = await redis.pttl(cache.redisKey(b.key));
      const age = b.expiry_age * 1000;
      assert.ok(ttl <= age + 1000 && ttl >= age - (Date.now() - createdFrom) - 1000, `ttl ${ttl}`);
      await sql.delete(b.key);
      const loaded = await engine.load(b.key);
      assert.equal(loaded.key_after_load, b.key, "Django reads our refill from the cache");
      assert.equal(loaded.data["user"], SAMPLE.user);
    });

    it("writes a session Django reads from the cache alone, and from the DB alone", async () => {
      const savedFrom = Date.now();
      const one = engine.session();
      await one.update(SAMPLE);
      await one.save();
      const ttl = await redis.pttl(cache.redisKey(one.key!));
      // 14 days, less only the time the save and this read took.
      assert.ok(ttl <= 14 * DAY && ttl >= 14 * DAY - (Date.now() - savedFrom) - 1000, `ttl ${ttl}`);
      await sql.delete(one.key!);
      const fromCache = await engine.load(one.key!);
      assert.deepEqual(
        toTypedJson(sessionFromTypedJson(fromCache.data)),
        toTypedJson(await one.toMap()),
      );

      const two = engine.session();
      await two.update(SAMPLE);
      await two.setExpiry(600);
      const savedAt = Date.now();
      await two.save();
      await redis.del(cache.redisKey(two.key!));
      const fromDb = await engine.load(two.key!);
      assert.equal(fromDb.key_after_load, two.key);
      assert.equal(fromDb.data["n"], 42);
      // Django refilled the cache from our row, with its remaining age: at most 600 s, and at
      // least what was left when we read it (whole seconds in Django, so a second of slack),
      // however long the Python peer took to start.
      const refill = await redis.pttl(cache.redisKey(two.key!));
      const left = 600_000 - (Date.now() - savedAt);
      assert.ok(refill > left - 1000 && refill <= 600_000, `ttl ${refill}, left ${left}`);
      assert.equal((await cache.load(two.key!))?.get("_session_expiry"), 600);
    });

    it("an expired session is gone for both, and clearsessions removes its row", async () => {
      const key = randomBytes(16).toString("hex");
      const past = new Date(Date.now() - DAY);
      // What the engine passes for an absolute expiry already over: the age is negative.
      await engine.store.save(key, new Map([["a", 1]]), {
        mustCreate: true,
        expiry: { age: -86_400, date: past },
      });
      assert.equal(await redis.exists(cache.redisKey(key)), 0, "TTL <= 0: not cached");
      assert.equal(await sql.exists(key), true);
      assert.equal(await engine.store.load(key), null);
      const loaded = await engine.load(key);
      assert.equal(loaded.key_after_load, null);
      await runDjango(version, ["clearsessions"], { env: engine.env });
      assert.equal(await sql.exists(key), false, "clearsessions removed the row");
    });

    overHttp(engine, (peers) => {
      itSharesOneCookie(peers, async (key) => {
        assert.equal((await sql.load(key))?.get("count"), "2", "the DB has it too");
      });

      itFollowsCycleAndFlush(peers, "clears the DB and the cache", async (key, what) => {
        assert.equal(await redis.exists(cache.redisKey(key)), 0, `${what}: not cached`);
        assert.equal(await sql.exists(key), false, `${what}: no row`);
      });
    });
  });
}
