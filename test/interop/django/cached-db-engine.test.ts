// Interop with real Django (3.2, 4.2, 5.2) on the cached_db session engine: one SQLite
// django_session table and one Redis (django-redis, db 13, a key prefix unique to the run)
// shared by Django and CachedDbStore(SqlSessionStore + DjangoCacheStore "cached_db"). Each side
// reads what the other wrote from the cache alone and from the database alone, cache misses
// are refilled with the row's remaining age, and a cookie is shared over HTTP.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { getSession, withSessions } from "../../../src/adapters/node/index.ts";
import { DjangoSessionCodec } from "../../../src/codecs/django/session-encoding.ts";
import type { PyValue } from "../../../src/codecs/python-values.ts";
import { sessionFromTypedJson, toTypedJson } from "../../../src/codecs/typed-json.ts";
import { resolveSessionSettings } from "../../../src/engine/config.ts";
import { Session } from "../../../src/engine/session.ts";
import { CachedDbStore } from "../../../src/stores/cached-db/index.ts";
import { DjangoCacheStore } from "../../../src/stores/redis/index.ts";
import {
  createSqlStore,
  openDatabaseUrl,
  type SqlSessionStore,
} from "../../../src/stores/sql/index.ts";
import { CookieJar, listen } from "../../support/http.ts";
import { DJANGO_VERSIONS, runDjango, startDjangoServer, type DjangoServer } from "./peer.ts";

const SECRET = "interop-secret-key-for-sessionbridge-cached-db";
const REDIS_DB = 13;
const DAY = 86_400_000;

interface CreateResult {
  key: string;
  expiry_age: number;
}
interface LoadResult {
  exists: boolean;
  data: Record<string, unknown>;
  key_after_load: string | null;
}

const SAMPLE = { user: "zoë 😀", n: 42, nested: { list: [1, "two", null, true] } } satisfies Record<
  string,
  PyValue
>;
const sample = (): Map<string, PyValue> => new Map(Object.entries(SAMPLE));

for (const version of DJANGO_VERSIONS) {
  describe(`Django ${version} cached_db engine`, () => {
    const prefix = `sbcdb-${version}-${process.pid}-${randomBytes(3).toString("hex")}`;
    const settings = resolveSessionSettings({ djangoVersion: version });
    let dir: string;
    let env: Record<string, string>;
    let redis: Redis;
    let sql: SqlSessionStore;
    let cache: DjangoCacheStore;
    let store: CachedDbStore;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), `sb-cached-db-interop-${version}-`));
      const sqlite = `sqlite:${join(dir, "db.sqlite3")}`;
      env = {
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
      store = new CachedDbStore({ db: sql, cache, djangoVersion: version });
    });
    after(async () => {
      const keys: string[] = [];
      for await (const batch of redis.scanStream({ match: `${prefix}:*`, count: 500 })) {
        keys.push(...(batch as string[]));
      }
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
      await sql.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("uses Django's cache key: KEY_PREFIX:1:django.contrib.sessions.cached_db<key>", async () => {
      const created = (await runDjango(version, ["create"], {
        env,
        input: '{"a": 1}',
      })) as CreateResult;
      const redisKey = `${prefix}:1:django.contrib.sessions.cached_db${created.key}`;
      assert.equal(cache.redisKey(created.key), redisKey);
      assert.equal(await redis.exists(redisKey), 1);
    });

    it("reads a session Django created from the cache alone, and from the DB alone", async () => {
      const input = JSON.stringify(toTypedJson(sample()));
      const a = (await runDjango(version, ["create"], { env, input })) as CreateResult;
      await sql.delete(a.key); // only the cache (Django's pickle) is left
      assert.deepEqual(toTypedJson(await store.load(a.key)), toTypedJson(sample()));

      const b = (await runDjango(version, ["create"], { env, input })) as CreateResult;
      await redis.del(cache.redisKey(b.key)); // only the DB row is left
      assert.deepEqual(toTypedJson(await store.load(b.key)), toTypedJson(sample()));
      // Refilled like Django: the remaining age of the row as the TTL (PX).
      const ttl = await redis.pttl(cache.redisKey(b.key));
      assert.ok(Math.abs(ttl - b.expiry_age * 1000) < 5000, `ttl ${ttl}`);
      await sql.delete(b.key);
      const loaded = (await runDjango(version, ["load", b.key], { env })) as LoadResult;
      assert.equal(loaded.key_after_load, b.key, "Django reads our refill from the cache");
      assert.equal(loaded.data["user"], SAMPLE.user);
    });

    it("writes a session Django reads from the cache alone, and from the DB alone", async () => {
      const one = new Session(store, null, settings);
      await one.update(SAMPLE);
      await one.save();
      const ttl = await redis.pttl(cache.redisKey(one.key!));
      assert.ok(Math.abs(ttl - 14 * DAY) < 5000, `ttl ${ttl}`);
      await sql.delete(one.key!);
      const fromCache = (await runDjango(version, ["load", one.key!], { env })) as LoadResult;
      assert.deepEqual(
        toTypedJson(sessionFromTypedJson(fromCache.data)),
        toTypedJson(await one.toMap()),
      );

      const two = new Session(store, null, settings);
      await two.update(SAMPLE);
      await two.setExpiry(600);
      await two.save();
      await redis.del(cache.redisKey(two.key!));
      const fromDb = (await runDjango(version, ["load", two.key!], { env })) as LoadResult;
      assert.equal(fromDb.key_after_load, two.key);
      assert.equal(fromDb.data["n"], 42);
      // Django refilled the cache from our row, with its remaining age.
      const refill = await redis.pttl(cache.redisKey(two.key!));
      assert.ok(refill > 590_000 && refill <= 600_000, `ttl ${refill}`);
      assert.equal((await cache.load(two.key!))?.get("_session_expiry"), 600);
    });

    it("an expired session is gone for both, and clearsessions removes its row", async () => {
      const key = randomBytes(16).toString("hex");
      const past = new Date(Date.now() - DAY);
      // What the engine passes for an absolute expiry already over: the age is negative.
      await store.save(key, new Map([["a", 1]]), {
        mustCreate: true,
        expiry: { age: -86_400, date: past },
      });
      assert.equal(await redis.exists(cache.redisKey(key)), 0, "TTL <= 0: not cached");
      assert.equal(await sql.exists(key), true);
      assert.equal(await store.load(key), null);
      const loaded = (await runDjango(version, ["load", key], { env })) as LoadResult;
      assert.equal(loaded.key_after_load, null);
      await runDjango(version, ["clearsessions"], { env });
      assert.equal(await sql.exists(key), false, "clearsessions removed the row");
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
        await jar.fetch(`${django.url}/set?user=alice&count=1`);
        const key = jar.cookies.get("sessionid")!;
        assert.match(key, /^[a-z0-9]{32}$/);
        const read = (await (await jar.fetch(`${node.url}/read`)).json()) as { data: unknown };
        assert.deepEqual(read.data, { user: "alice", count: "1" });
        await jar.fetch(`${node.url}/bump`);
        assert.equal(jar.cookies.get("sessionid"), key);
        const back = (await (await jar.fetch(`${django.url}/get`)).json()) as { data: unknown };
        assert.deepEqual(back.data, { user: "alice", count: "2" });
        assert.equal((await sql.load(key))?.get("count"), "2", "the DB has it too");
      });

      it("Node cycles, Django follows; Django's flush clears the DB and the cache", async () => {
        const jar = new CookieJar();
        await jar.fetch(`${node.url}/bump`);
        const first = jar.cookies.get("sessionid")!;
        await jar.fetch(`${node.url}/cycle`);
        const second = jar.cookies.get("sessionid")!;
        assert.notEqual(second, first);
        assert.equal(await redis.exists(cache.redisKey(first)), 0);
        assert.equal(await sql.exists(first), false);
        const seen = (await (await jar.fetch(`${django.url}/get`)).json()) as {
          data: unknown;
          key: string;
        };
        assert.deepEqual(seen.data, { count: "1" });
        assert.equal(seen.key, second);
        await jar.fetch(`${django.url}/flush`);
        assert.equal(await redis.exists(cache.redisKey(second)), 0);
        assert.equal(await sql.exists(second), false);
        assert.equal(await store.load(second), null);
      });
    });
  });
}
