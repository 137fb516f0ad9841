// FlaskSessionRedisStore's value decoding (no Redis I/O here: the client never connects).
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { Redis } from "ioredis";
import { encodeMsgspecMsgpack } from "../../../src/codecs/msgpack/msgspec.ts";
import { dumpsPickle } from "../../../src/codecs/pickle/index.ts";
import type { PyValue, SessionData } from "../../../src/codecs/python-values.ts";
import { TooLargeError } from "../../../src/errors.ts";
import { FlaskSessionRedisStore } from "../../../src/stores/flask-session/index.ts";

const ts = (o: Record<string, PyValue>): SessionData => new Map(Object.entries(o));

describe("FlaskSessionRedisStore values", () => {
  const client = new Redis({ lazyConnect: true });
  after(() => client.disconnect());

  test("the store decodes msgpack, then JSON, then (safe) pickle, as Flask-Session 0.8 does", () => {
    const store = new FlaskSessionRedisStore({ client, serializer: "msgpack" });
    const data = ts({ user: "alice", n: 1 });
    assert.deepEqual(store.decode(encodeMsgspecMsgpack(data)), data);
    assert.deepEqual(store.decode(Buffer.from('{"user": "alice", "n": 1}')), data);
    assert.deepEqual(store.decode(dumpsPickle(data, { protocol: 4 })), data);
    assert.throws(() => store.decode(Buffer.from("\x00garbage")));
  });

  // Issue 18 #7: a 4 MiB stored value of `}` bytes blocked a request 3.3 s and added 609 MB.
  // The size is refused before a byte is parsed, and a value just under it by the item count
  // while parsing, both as too-large, for either serializer.
  test("a 4 MiB value, or a 900 KiB one of a million tiny items, is too-large at once", () => {
    for (const serializer of ["pickle", "msgpack"] as const) {
      const store = new FlaskSessionRedisStore({ client, serializer });
      assert.throws(() => store.decode(Buffer.alloc(4 * 1024 * 1024, "}")), TooLargeError);
      const items = Buffer.concat([Buffer.from([0x80, 4]), Buffer.alloc(900 * 1024, "}")]);
      assert.throws(() => store.decode(items), TooLargeError);
    }
  });
});
