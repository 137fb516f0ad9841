// DjangoCacheValueCodec and the DjangoJSONEncoder port, without Redis: django-redis's and
// Django RedisCache's value rules, checked against Python where bytes matter.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deflateSync } from "node:zlib";
import fc from "fast-check";
import {
  PyDate,
  PyDateTime,
  PyDecimal,
  PyFloat,
  PyMarkup,
  PyTimeDelta,
  PyTuple,
  PyUUID,
  type PyValue,
  type SessionData,
} from "../../../src/codecs/python-values.ts";
import { Redis } from "ioredis";
import { createClient } from "redis";
import {
  ConfigurationError,
  SessionStoreError,
  TooLargeError,
  UnsupportedValueError,
} from "../../../src/errors.ts";
import {
  DjangoCacheStore,
  DjangoCacheValueCodec,
  dumpsDjangoJson,
  toRedisClient,
  type RedisClientInput,
} from "../../../src/stores/redis/index.ts";
import { redisStoreError } from "../../../src/internal/redis/errors.ts";
import { djangoCacheKey, escapeGlob } from "../../../src/stores/redis/keys.ts";
import { peerEnv } from "../../interop/django/peer.ts";
import { runPython } from "../../support/python.ts";

describe("DjangoCacheValueCodec", () => {
  it("stores plain ints as decimal ASCII and reads Python int() syntax back", () => {
    for (const backend of ["django-redis", "django"] as const) {
      const codec = new DjangoCacheValueCodec({ backend });
      assert.equal(codec.encode(42).toString(), "42");
      assert.equal(codec.encode(-7).toString(), "-7");
      assert.equal(codec.encode(2n ** 70n).toString(), (2n ** 70n).toString());
      assert.equal(codec.decode(Buffer.from(" -1_000\n")), -1000);
      assert.equal(codec.decode(Buffer.from("1180591620717411303424")), 2n ** 70n);
      // A float or a bool is not an int: pickled.
      assert.equal(codec.encode(new PyFloat(1))[0], 0x80);
      assert.equal(codec.encode(true)[0], 0x80);
      assert.equal(codec.encode(1.5)[0], 0x80);
    }
  });

  it("compresses with zlib only above 15 bytes and reads uncompressed values too", () => {
    const codec = new DjangoCacheValueCodec({ compressor: "zlib" });
    const empty = codec.encodeSession(new Map());
    assert.equal(empty.toString("hex"), "80047d942e"); // 5 bytes: stored as is
    const big = new Map<string, PyValue>([["text", "x".repeat(200)]]);
    const stored = codec.encodeSession(big);
    assert.equal(stored[0], 0x78); // zlib header
    assert.deepEqual(codec.decodeSession(stored), big);
    // Written by a django-redis without the compressor: the zlib attempt fails, raw is used.
    const plain = new DjangoCacheValueCodec().encodeSession(big);
    assert.deepEqual(codec.decodeSession(plain), big);
  });

  it("refuses a zlib bomb and oversized values with TooLargeError", () => {
    const codec = new DjangoCacheValueCodec({ compressor: "zlib", maxValueBytes: 1024 * 1024 });
    const bomb = deflateSync(Buffer.alloc(32 * 1024 * 1024));
    assert.ok(bomb.length < 64 * 1024);
    assert.throws(() => codec.decodeSession(bomb), TooLargeError);
    assert.throws(() => codec.decodeSession(Buffer.alloc(1024 * 1024 + 1)), TooLargeError);
  });

  it("writes protocol 4 for django-redis and 5 for RedisCache by default", () => {
    const data = new Map([["a", 1]]);
    assert.equal(new DjangoCacheValueCodec().encodeSession(data)[1], 4);
    assert.equal(new DjangoCacheValueCodec({ backend: "django" }).encodeSession(data)[1], 5);
    assert.equal(new DjangoCacheValueCodec({ pickleProtocol: 5 }).encodeSession(data)[1], 5);
  });

  it("writes msgpack like msgpack-python and refuses what it cannot pack", () => {
    const codec = new DjangoCacheValueCodec({ serializer: "msgpack" });
    const data = new Map<string, PyValue>([
      ["a", 1],
      ["s", "é"],
      ["l", [1.5, null, true]],
    ]);
    // msgpack.packb({"a": 1, "s": "é", "l": [1.5, None, True]}) with msgpack-python 1.0
    assert.equal(
      Buffer.from(codec.encodeSession(data)).toString("hex"),
      "83a16101a173a2c3a9a16c93cb3ff8000000000000c0c3",
    );
    assert.deepEqual(codec.decodeSession(codec.encodeSession(data)), data);
    assert.throws(
      () => codec.encodeSession(new Map([["d", new PyDecimal("1.5")]])),
      UnsupportedValueError,
    );
  });

  it("rejects unsupported configurations", () => {
    assert.throws(
      () => new DjangoCacheValueCodec({ serializer: "yaml" as "json" }),
      ConfigurationError,
    );
    assert.throws(
      () => new DjangoCacheValueCodec({ backend: "django", serializer: "json" }),
      ConfigurationError,
    );
    assert.throws(
      () => new DjangoCacheValueCodec({ backend: "django", compressor: "zlib" }),
      ConfigurationError,
    );
  });

  it("round-trips session data through every pickle setting (property)", () => {
    const leaf = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.double({ noNaN: true, noInteger: true }),
    );
    const value = fc.letrec<{ v: PyValue }>((tie) => ({
      v: fc.oneof(
        { depthSize: "small" },
        leaf,
        fc.array(tie("v"), { maxLength: 4 }),
        fc.dictionary(fc.string(), tie("v"), { maxKeys: 4, noNullPrototype: true }),
      ),
    })).v;
    const session = fc
      .array(fc.tuple(fc.string(), value), { maxLength: 6 })
      .map((entries): SessionData => new Map(entries));
    const codecs = [
      new DjangoCacheValueCodec(),
      new DjangoCacheValueCodec({ compressor: "zlib" }),
      new DjangoCacheValueCodec({ backend: "django" }),
    ];
    fc.assert(
      fc.property(session, (data) => {
        for (const codec of codecs)
          assert.deepEqual(codec.decodeSession(codec.encodeSession(data)), data);
      }),
      { numRuns: 200 },
    );
  });
});

describe("django-redis JSONSerializer (DjangoJSONEncoder)", () => {
  it("writes exactly what Python's json.dumps(cls=DjangoJSONEncoder) writes", async () => {
    const data = new Map<string, PyValue>([
      ["utc", new PyDateTime(2024, 1, 2, 3, 4, 5, 123456, 0)],
      ["naive", new PyDateTime(2024, 1, 2, 3, 4, 5, 7)],
      ["plus2", new PyDateTime(2024, 1, 2, 3, 4, 5, 0, 7200)],
      ["date", new PyDate(2024, 2, 29)],
      ["td", new PyTimeDelta(1, 3723, 5)],
      ["neg", new PyTimeDelta(-1, 5, 7)],
      ["dec", new PyDecimal("12.50")],
      ["uuid", new PyUUID("12345678123456781234567812345678")],
      ["markup", new PyMarkup("<b>é</b>")],
      ["tuple", new PyTuple([1, "two", null])],
      ["float", new PyFloat(1)],
      ["nested", { "é😀": [1.5, true, { x: null }] }],
    ]);
    const python = `
import datetime, decimal, json, sys, uuid
from django.core.serializers.json import DjangoJSONEncoder
utc = datetime.timezone.utc
d = {
  "utc": datetime.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=utc),
  "naive": datetime.datetime(2024, 1, 2, 3, 4, 5, 7),
  "plus2": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
  "date": datetime.date(2024, 2, 29),
  "td": datetime.timedelta(1, 3723, 5),
  "neg": datetime.timedelta(-1, 5, 7),
  "dec": decimal.Decimal("12.50"),
  "uuid": uuid.UUID("12345678123456781234567812345678"),
  "markup": "<b>\\u00e9</b>",
  "tuple": (1, "two", None),
  "float": 1.0,
  "nested": {"\\u00e9\\U0001f600": [1.5, True, {"x": None}]},
}
sys.stdout.write(json.dumps(d, cls=DjangoJSONEncoder).encode().hex())
`;
    const expected = await runPython(python, "", peerEnv("django-5.2"));
    assert.equal(dumpsDjangoJson(data).toString("hex"), expected);
  });

  it("refuses bytes, as Python's json does", () => {
    assert.throws(
      () => dumpsDjangoJson(new Map([["b", new Uint8Array([1])]])),
      UnsupportedValueError,
    );
  });
});

describe("Redis key names and errors", () => {
  it("builds Django's cache keys", () => {
    assert.equal(
      djangoCacheKey("abc", { keyPrefix: "", version: 1, engine: "cache" }),
      ":1:django.contrib.sessions.cacheabc",
    );
    assert.equal(
      djangoCacheKey("abc", { keyPrefix: "myapp", version: 3, engine: "cached_db" }),
      "myapp:3:django.contrib.sessions.cached_dbabc",
    );
    assert.equal(escapeGlob("a*b?[c]\\"), "a\\*b\\?\\[c\\]\\\\");
  });

  it("wraps driver errors as SessionStoreError naming the store, without credentials", () => {
    const err = redisStoreError(
      "redis:django-cache",
      Object.assign(new Error("connect to redis://:hunter2@10.0.0.1:6379 failed\nstack"), {
        code: "ECONNREFUSED",
      }),
    );
    assert.ok(err instanceof SessionStoreError);
    assert.equal(err.code, "store-unavailable");
    assert.match(err.message, /^Redis session store redis:django-cache failed: ECONNREFUSED /);
    assert.ok(!err.message.includes("hunter2"));
    assert.ok(!err.message.includes("\n"));
  });
});

describe("client detection", () => {
  it("recognises node-redis and ioredis clients by shape, without connecting", () => {
    const nodeRedis = createClient();
    assert.equal(toRedisClient(nodeRedis).kind, "node-redis");
    const ioredis = new Redis({ lazyConnect: true });
    try {
      assert.equal(toRedisClient(ioredis).kind, "ioredis");
      const adapted = toRedisClient(ioredis);
      assert.equal(toRedisClient(adapted), adapted);
    } finally {
      ioredis.disconnect();
    }
  });

  it("refuses an ioredis keyPrefix and unknown objects", () => {
    const prefixed = new Redis({ lazyConnect: true, keyPrefix: "app:" });
    try {
      assert.throws(() => new DjangoCacheStore({ client: prefixed }), ConfigurationError);
    } finally {
      prefixed.disconnect();
    }
    assert.throws(
      () => toRedisClient({ get: () => null } as unknown as RedisClientInput),
      ConfigurationError,
    );
  });
});
