// The msgspec msgpack codec against the real msgspec (Flask-Session 0.8's peer): byte-equal
// encoding both ways, and the store's read fallbacks (msgpack → json → pickle).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  PyDate,
  PyDateTime,
  PyDecimal,
  PyFloat,
  PyFrozenSet,
  PyOrderedDict,
  PySet,
  PyTuple,
  PyUUID,
  type PyValue,
  type SessionData,
} from "../../../src/codecs/python-values.ts";
import { decodeMsgspecMsgpack, encodeMsgspecMsgpack } from "../../../src/codecs/msgpack/msgspec.ts";
import { peerEnv } from "../../interop/django/peer.ts";
import { runPython } from "../../support/python.ts";
import { UnsupportedValueError } from "../../../src/errors.ts";

const PY = String.raw`
import collections, json, sys, uuid, datetime, decimal, msgspec
tz = datetime.timezone.utc
cases = {
  "ints": {"a": 0, "b": 127, "c": 128, "d": 255, "e": 256, "f": 65535, "g": 65536, "h": 2**32 - 1, "i": 2**32, "j": 2**63 + 5,
           "k": -1, "l": -32, "m": -33, "n": -128, "o": -129, "p": -32768, "q": -32769, "r": -2**31, "s": -2**31 - 1, "t": -2**63},
  "floats": {"a": 1.0, "b": 1.5, "c": -0.0, "d": 1e100, "e": 0.1},
  "strings": {"short": "x", "s31": "y" * 31, "s32": "z" * 32, "s300": "w" * 300, "s70k": "v" * 70000, "uni": "Zo\u00eb \U0001f389"},
  "containers": {"list": list(range(20)), "tuple": (1, "a"), "empty": [], "map": {str(i): i for i in range(20)}, "nested": {"a": {"b": [None, True, False]}}},
  "bytes": {"b": b"\x00\xff", "big": b"x" * 300},
  "times": {"aware": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=tz), "micro": datetime.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=tz),
            "old": datetime.datetime(1960, 1, 1, tzinfo=tz), "naive": datetime.datetime(2024, 1, 2, 3, 4, 5, 7), "date": datetime.date(2024, 1, 2)},
  "others": {"uuid": uuid.UUID(int=5), "dec": decimal.Decimal("12.50"), "_permanent": True},
  "sets": {"s": {1, 2, 3}, "fs": frozenset([7]), "od": collections.OrderedDict([("b", 1), ("a", [2])])},
}
print(json.dumps({k: msgspec.msgpack.Encoder().encode(v).hex() for k, v in cases.items()}))
`;

const ts = (o: Record<string, PyValue>): SessionData => new Map(Object.entries(o));
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const CASES: Record<string, SessionData> = {
  ints: ts({
    a: 0,
    b: 127,
    c: 128,
    d: 255,
    e: 256,
    f: 65535,
    g: 65536,
    h: 2 ** 32 - 1,
    i: 2 ** 32,
    j: 2n ** 63n + 5n,
    k: -1,
    l: -32,
    m: -33,
    n: -128,
    o: -129,
    p: -32768,
    q: -32769,
    r: -(2 ** 31),
    s: -(2 ** 31) - 1,
    t: -(2n ** 63n),
  }),
  floats: ts({ a: new PyFloat(1), b: 1.5, c: new PyFloat(-0), d: new PyFloat(1e100), e: 0.1 }),
  strings: ts({
    short: "x",
    s31: "y".repeat(31),
    s32: "z".repeat(32),
    s300: "w".repeat(300),
    s70k: "v".repeat(70000),
    uni: "Zo\u00eb \u{1f389}",
  }),
  containers: ts({
    list: range(20),
    tuple: new PyTuple([1, "a"]),
    empty: [],
    map: Object.fromEntries(range(20).map((i) => [String(i), i])),
    nested: { a: { b: [null, true, false] } },
  }),
  bytes: ts({ b: Uint8Array.from([0, 255]), big: new Uint8Array(300).fill(0x78) }),
  times: ts({
    aware: new PyDateTime(2024, 1, 2, 3, 4, 5, 0, 0),
    micro: new PyDateTime(2024, 1, 2, 3, 4, 5, 123456, 0),
    old: new PyDateTime(1960, 1, 1, 0, 0, 0, 0, 0),
    naive: new PyDateTime(2024, 1, 2, 3, 4, 5, 7),
    date: new PyDate(2024, 1, 2),
  }),
  others: ts({
    uuid: new PyUUID("00000000000000000000000000000005"),
    dec: new PyDecimal("12.50"),
    _permanent: true,
  }),
  // Issue 18 #14: msgspec writes a set as an array and an OrderedDict as a map (read back as a
  // list and a dict, by msgspec too).
  sets: ts({
    s: new PySet([1, 2, 3]),
    fs: new PyFrozenSet([7]),
    od: new PyOrderedDict([
      ["b", 1],
      ["a", [2]],
    ]),
  }),
};

describe("msgspec msgpack codec", () => {
  test("encodes byte-identically to msgspec, and reads msgspec's bytes back", async () => {
    const out = JSON.parse(await runPython(PY, "", peerEnv("flask-session-0.8"))) as Record<
      string,
      string
    >;
    for (const [name, data] of Object.entries(CASES)) {
      const hex = Buffer.from(encodeMsgspecMsgpack(data)).toString("hex");
      assert.equal(hex, out[name], name);
      const back = decodeMsgspecMsgpack(Buffer.from(out[name]!, "hex"));
      // What comes back is what msgspec's Decoder gives: tuples as lists, uuid/decimal/naive as str.
      assert.equal(
        Buffer.from(encodeMsgspecMsgpack(back)).toString("hex"),
        out[name],
        `${name} re-encoded`,
      );
    }
    const times = decodeMsgspecMsgpack(Buffer.from(out.times!, "hex"));
    assert.deepEqual(times.get("micro"), new PyDateTime(2024, 1, 2, 3, 4, 5, 123456, 0));
    assert.deepEqual(
      decodeMsgspecMsgpack(Buffer.from(out.floats!, "hex")).get("a"),
      new PyFloat(1),
    );
  });

  test("refuses what msgspec refuses; rejects trailing data and non-maps", () => {
    assert.throws(() => decodeMsgspecMsgpack(Uint8Array.from([0x80, 0x04])), /trailing/);
    assert.throws(() => decodeMsgspecMsgpack(Uint8Array.from([0x91, 0x01])), /not a map/);
    assert.throws(() => encodeMsgspecMsgpack(ts({ x: 2n ** 64n })), UnsupportedValueError);
    const proto = decodeMsgspecMsgpack(Buffer.from("81a95f5f70726f746f5f5f01", "hex"));
    assert.equal(Object.getPrototypeOf(Object.prototype), null);
    assert.deepEqual([...proto.keys()], ["__proto__"]);
  });
});
