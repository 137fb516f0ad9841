// Interop with real Django (3.2, 4.2, 5.2) on Redis: the cache session engine on django-redis
// (pickle, pickle+zlib, JSON, key prefix + version) and on Django's own RedisCache (4.2, 5.2),
// the cache half of cached_db, and the redis-sessions layouts checked against Django's decode().
// Django writes and we read (directly and over HTTP through SessionMiddleware), we write and
// Django reads. Redis database 11, a key prefix per case; keys are deleted afterwards.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DjangoSessionCodec } from "../../../src/codecs/django/session-encoding.ts";
import { PyDateTime, type PyValue } from "../../../src/codecs/python-values.ts";
import { sessionFromTypedJson, toTypedJson } from "../../../src/codecs/typed-json.ts";
import {
  DjangoCacheStore,
  DjangoRedisSessionsStore,
  type DjangoCacheStoreOptions,
  type RedisSessionsFlavor,
} from "../../../src/stores/redis/index.ts";
import { CookieJar } from "../../support/http.ts";
import {
  RawRedis,
  expiryIn,
  ioredisClient,
  newKey,
  nodeRedisClient,
  recordingLogger,
  uniquePrefix,
} from "../../stores/redis/helpers.ts";
import { fetchSession, startNodeApp } from "./engine-scenario.ts";
import { DJANGO_VERSIONS, runDjango, startDjangoServer, type DjangoVersion } from "./peer.ts";

const DB = 11;
const SECRET = "interop-secret-key-for-sessionbridge";
const REDIS_URL = `redis://127.0.0.1:6379/${DB}`;

interface CreateResult {
  key: string;
  expiry_age: number;
}
interface LoadResult {
  exists: boolean;
  data: Record<string, unknown>;
  key_after_load: string | null;
}

const DATETIME = { $type: "datetime", value: "2024-01-02T03:04:05.123456+00:00" };
const SAMPLE = {
  user: "zoë 😀",
  n: 42,
  f: 1.5,
  nested: { list: [1, "two", null, true], empty: {} },
  "10": "integer-like key",
};

interface Variant {
  readonly label: string;
  readonly env: Record<string, string>;
  readonly options: Omit<DjangoCacheStoreOptions, "client" | "logger" | "keyPrefix">;
  /** Pickled caches keep a datetime; JSON turns it into DjangoJSONEncoder's string. */
  readonly pickled: boolean;
  readonly versions: readonly DjangoVersion[];
}

const VARIANTS: readonly Variant[] = [
  {
    label: "django-redis pickle",
    env: { DJANGO_CACHE: `django-redis:${REDIS_URL}` },
    options: {},
    pickled: true,
    versions: DJANGO_VERSIONS,
  },
  {
    label: "django-redis pickle + zlib, VERSION 2",
    env: {
      DJANGO_CACHE: `django-redis:${REDIS_URL}`,
      DJANGO_REDIS_COMPRESSOR: "zlib",
      CACHE_VERSION: "2",
    },
    options: { compressor: "zlib", version: 2 },
    pickled: true,
    versions: DJANGO_VERSIONS,
  },
  {
    label: "django-redis JSON",
    env: { DJANGO_CACHE: `django-redis:${REDIS_URL}`, DJANGO_REDIS_SERIALIZER: "json" },
    options: { serializer: "json" },
    pickled: false,
    versions: DJANGO_VERSIONS,
  },
  {
    label: "django-redis msgpack",
    env: { DJANGO_CACHE: `django-redis:${REDIS_URL}`, DJANGO_REDIS_SERIALIZER: "msgpack" },
    options: { serializer: "msgpack" },
    pickled: false,
    versions: DJANGO_VERSIONS,
  },
  {
    label: "Django RedisCache",
    env: { DJANGO_CACHE: `redis:${REDIS_URL}` },
    options: { backend: "django" },
    pickled: true,
    versions: ["4.2", "5.2", "6.1"],
  },
];

for (const version of DJANGO_VERSIONS) {
  describe(`Django ${version} cache sessions on Redis`, () => {
    const raw = new RawRedis(DB);
    const prefixes: string[] = [];
    let nodeRedis: Awaited<ReturnType<typeof nodeRedisClient>>;
    let ioredis: Awaited<ReturnType<typeof ioredisClient>>;
    before(async () => {
      nodeRedis = await nodeRedisClient(DB);
      ioredis = await ioredisClient(DB);
    });
    after(async () => {
      for (const prefix of prefixes) await raw.deleteMatching(`${prefix}:*`);
      await raw.close();
      await nodeRedis.close();
      await ioredis.quit();
    });

    for (const variant of VARIANTS) {
      if (!variant.versions.includes(version)) continue;
      describe(variant.label, () => {
        const prefix = uniquePrefix(`dj${version.replace(".", "")}`);
        prefixes.push(prefix);
        const env = {
          ...variant.env,
          CACHE_KEY_PREFIX: prefix,
          SECRET_KEY: SECRET,
          SESSION_ENGINE: "django.contrib.sessions.backends.cache",
        };
        const logger = recordingLogger();
        const store = (client: "node-redis" | "ioredis"): DjangoCacheStore =>
          new DjangoCacheStore({
            client: client === "node-redis" ? nodeRedis : ioredis,
            keyPrefix: prefix,
            logger,
            ...variant.options,
          });

        it("Django creates, we read (a datetime included, except for msgpack)", async () => {
          // msgpack-python cannot pack a datetime: Django itself raises TypeError there.
          const msgpack = variant.options.serializer === "msgpack";
          const input = msgpack ? { ...SAMPLE } : { ...SAMPLE, at: DATETIME };
          const created = (await runDjango(version, ["create"], {
            env,
            input: JSON.stringify(input),
          })) as CreateResult;
          for (const client of ["node-redis", "ioredis"] as const) {
            const data = await store(client).load(created.key);
            assert.ok(data !== null, `${client} could not read Django's session`);
            if (variant.pickled) {
              assert.ok(data.get("at") instanceof PyDateTime);
              assert.deepEqual(toTypedJson(data), input);
            } else if (msgpack) {
              assert.deepEqual(toTypedJson(data), input);
            } else {
              // DjangoJSONEncoder: milliseconds, "Z"; read back as the string it is.
              assert.deepEqual(toTypedJson(data), { ...SAMPLE, at: "2024-01-02T03:04:05.123Z" });
            }
          }
          const ttl = await raw.ttl(store("ioredis").redisKey(created.key));
          assert.ok(ttl > created.expiry_age - 5 && ttl <= created.expiry_age, `TTL ${ttl}`);
        });

        it("we write, Django reads, and a datetime comes back unchanged", async () => {
          for (const client of ["node-redis", "ioredis"] as const) {
            const key = newKey();
            const data = sessionFromTypedJson({
              ...SAMPLE,
              big: "x".repeat(300),
              ...(variant.pickled ? { at: DATETIME } : {}),
            });
            await store(client).save(key, data, { mustCreate: true, expiry: expiryIn(3600) });
            const loaded = (await runDjango(version, ["load", key], { env })) as LoadResult;
            assert.equal(loaded.exists, true);
            assert.equal(loaded.key_after_load, key);
            assert.deepEqual(loaded.data, toTypedJson(data));
          }
        });

        if (variant.pickled) {
          it("a set, a frozenset and an OrderedDict keep their types through Node requests that write (issue 18 #14)", async () => {
            const input = {
              tags: { $type: "set", value: [1, 2, 3] },
              roles: { $type: "frozenset", value: [7] },
              steps: {
                $type: "ordereddict",
                value: [
                  ["2", "pay"],
                  ["1", { $type: "set", value: [] }],
                ],
              },
              count: "0",
            };
            const created = (await runDjango(version, ["create"], {
              env,
              input: JSON.stringify(input),
            })) as CreateResult;
            const node = await startNodeApp(store("ioredis"), version);
            try {
              const jar = new CookieJar();
              jar.cookies.set("sessionid", created.key);
              for (let i = 1; i <= 3; i++) {
                const doc = await fetchSession(jar, `${node.url}/bump`);
                assert.equal(doc.key, created.key);
                assert.deepEqual(doc.data, { ...input, count: String(i) });
              }
            } finally {
              await node.close();
            }
            const loaded = (await runDjango(version, ["load", created.key], { env })) as LoadResult;
            assert.deepEqual(loaded.data, { ...input, count: "3" });
          });
        }

        it("round-trips through Django's SessionMiddleware over HTTP", async () => {
          const django = await startDjangoServer(version, env);
          try {
            const jar = new CookieJar();
            await jar.fetch(`${django.url}/set?user=alice&count=1`);
            const key = jar.cookies.get("sessionid");
            assert.ok(key !== undefined);
            const ours = store("node-redis");
            const data = await ours.load(key);
            assert.deepEqual(
              data,
              new Map<string, PyValue>([
                ["user", "alice"],
                ["count", "1"],
              ]),
            );
            data.set("count", "2");
            await ours.save(key, data, { mustCreate: false, expiry: expiryIn(3600) });
            const back = (await (await jar.fetch(`${django.url}/get`)).json()) as {
              data: Record<string, unknown>;
            };
            assert.deepEqual(back.data, { user: "alice", count: "2" });
            await jar.fetch(`${django.url}/flush`);
            assert.equal(await ours.load(key), null);
            assert.equal(await ours.exists(key), false);
          } finally {
            await django.stop();
          }
        });
      });
    }

    describe("cached_db (the cache half)", () => {
      const prefix = uniquePrefix(`cdb${version.replace(".", "")}`);
      prefixes.push(prefix);
      const dir = mkdtempSync(join(tmpdir(), "sb-cdb-"));
      const env = {
        DJANGO_CACHE: `django-redis:${REDIS_URL}`,
        CACHE_KEY_PREFIX: prefix,
        SECRET_KEY: SECRET,
        SESSION_ENGINE: "django.contrib.sessions.backends.cached_db",
        DJANGO_DB: `sqlite:${join(dir, "db.sqlite3")}`,
      };
      before(async () => {
        await runDjango(version, ["migrate"], { env });
      });
      after(() => {
        rmSync(dir, { recursive: true, force: true });
      });

      it("Django's cached_db writes the pickled dict we read; Django reads our cache entry", async () => {
        const store = new DjangoCacheStore({
          client: ioredis,
          keyPrefix: prefix,
          engine: "cached_db",
          logger: recordingLogger(),
        });
        const created = (await runDjango(version, ["create"], {
          env,
          // The database half signs JSON: no datetime in a cached_db session.
          input: JSON.stringify(SAMPLE),
        })) as CreateResult;
        assert.deepEqual(toTypedJson((await store.load(created.key)) ?? new Map()), SAMPLE);
        // A cache hit is all Django reads: change only the cache entry and Django sees it.
        await store.save(created.key, new Map([["from", "node"]]), {
          mustCreate: false,
          expiry: expiryIn(600),
        });
        const loaded = (await runDjango(version, ["load", created.key], { env })) as LoadResult;
        assert.deepEqual(loaded.data, { from: "node" });
      });
    });

    describe("redis-sessions layouts (values = Django's encode())", () => {
      const codec = new DjangoSessionCodec({ secret: SECRET });
      const cases: [RedisSessionsFlavor, string | undefined, (k: string) => string][] = [
        ["redis-sessions", "sbrs", (k) => `sbrs:${k}`],
        ["redis-sessions-fork", undefined, (k) => `django_sessions:${k}`],
      ];
      for (const [flavor, prefix, redisKey] of cases) {
        it(`${flavor}: Django's decode() reads what we store, under the exact key and TTL`, async () => {
          const store = new DjangoRedisSessionsStore({
            client: nodeRedis,
            codec,
            flavor,
            logger: recordingLogger(),
            ...(prefix === undefined ? {} : { prefix }),
          });
          const key = newKey();
          const data = sessionFromTypedJson(SAMPLE);
          await store.save(key, data, { mustCreate: true, expiry: expiryIn(1209600) });
          try {
            const value = (await raw.get(redisKey(key)))?.toString("utf8");
            assert.ok(value !== undefined, "not stored under the engine's key");
            const ttl = await raw.ttl(redisKey(key));
            assert.ok(ttl > 1209595 && ttl <= 1209600, `TTL ${ttl}`);
            const decoded = (await runDjango(version, ["decode", value], {
              env: { SECRET_KEY: SECRET },
            })) as { data: unknown };
            assert.deepEqual(decoded.data, toTypedJson(data));
            // And the other way: Django's encode() stored by the engine, read by us.
            const encoded = (await runDjango(version, ["encode"], {
              env: { SECRET_KEY: SECRET },
              input: JSON.stringify(SAMPLE),
            })) as { encoded: string };
            await raw.set(redisKey(key), encoded.encoded);
            assert.deepEqual(await store.load(key), data);
          } finally {
            await store.delete(key);
          }
        });
      }
    });
  });
}
