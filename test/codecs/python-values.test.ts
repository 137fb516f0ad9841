// The typed Python values against CPython itself: PyTimeDelta's normalisation and
// total_seconds() over timedelta's whole range (±999,999,999 days, beyond 2^53 µs).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  PyDate,
  PyDateTime,
  PyDecimal,
  PyFloat,
  PyFrozenSet,
  PyMarkup,
  PyOrderedDict,
  PySet,
  PyTimeDelta,
  PyTuple,
  PyUUID,
  type PyValue,
} from "../../src/codecs/python-values.ts";
import { dumpsPythonJson } from "../../src/codecs/python-json.ts";
import { dumpsFlaskTaggedJson } from "../../src/codecs/flask/tagged-json.ts";
import { encodeMsgspecMsgpack, decodeMsgspecMsgpack } from "../../src/codecs/msgpack/msgspec.ts";
import { sessionFromTypedJson, toTypedJson } from "../../src/codecs/typed-json.ts";
import { dumpsDjangoJson } from "../../src/stores/redis/django-json.ts";
import { pyTruthy } from "../../src/codecs/werkzeug/cookies.ts";
import { UnsupportedValueError } from "../../src/errors.ts";
import { djangoPeerEnv } from "../interop/django/peer.ts";
import { runPython } from "../support/python.ts";

type Parts = [number, number, number];

// For each (days, seconds, microseconds): timedelta's normalised fields and repr(total_seconds()).
const PY_TIMEDELTA = String.raw`
import json, sys
from datetime import timedelta
out = []
for d, s, us in json.loads(sys.stdin.read()):
    try:
        td = timedelta(days=d, seconds=s, microseconds=us)
    except OverflowError:
        out.append(None)
        continue
    out.append([td.days, td.seconds, td.microseconds, repr(td.total_seconds())])
print(json.dumps(out))
`;

const EDGES: Parts[] = [
  [0, 0, 0],
  [0, 0, -1],
  [0, -1, 0],
  [-1, 0, 0],
  [0, 86_400, 1_000_000],
  [0, 0, 86_400_000_000],
  [999_999_999, 86_399, 999_999],
  [-999_999_999, 0, 0],
  [-999_999_999, -1, 0],
  [999_999_998, 86_399, 1_000_000],
  [104_250, 0, 0],
  [-104_250, 12_345, 678_901],
  [500_000_000, 1, 1],
  [0, Number.MAX_SAFE_INTEGER, 0],
  [0, 0, Number.MAX_SAFE_INTEGER],
  [3, -7 * 86_400, -5_000_001],
];

function ours([d, s, us]: Parts): [number, number, number, number] {
  const td = new PyTimeDelta(d, s, us);
  return [td.days, td.seconds, td.microseconds, td.totalSeconds()];
}

describe("PyTimeDelta against CPython's timedelta", () => {
  it("normalises edge values exactly as Python, and total_seconds() agrees", async () => {
    const samples = [
      ...EDGES,
      ...fc.sample(
        fc.tuple(
          fc.integer({ min: -999_999_999, max: 999_999_999 }),
          fc.integer({ min: -10_000_000, max: 10_000_000 }),
          fc.integer({ min: -10_000_000_000, max: 10_000_000_000 }),
        ),
        { numRuns: 400, seed: 20261122 },
      ),
    ];
    const python = JSON.parse(await runPython(PY_TIMEDELTA, JSON.stringify(samples))) as (
      [number, number, number, string] | null
    )[];
    let compared = 0;
    for (const [i, want] of python.entries()) {
      const sample = samples[i]!;
      if (want === null) continue; // beyond timedelta's range in Python: nothing to agree with
      const [days, seconds, micros, total] = ours(sample);
      assert.deepEqual([days, seconds, micros], want.slice(0, 3), `fields of ${sample.join(",")}`);
      // repr() of a Python float round-trips, so this compares the two doubles bit for bit.
      assert.equal(total, Number(want[3]), `total of ${sample.join(",")}`);
      compared++;
    }
    assert.ok(compared >= EDGES.length, `compared ${compared}`);
  });
});

// Issue 19 #13: the typed values had no toJSON/toString, so `res.json(await session.get("cart"))`
// gave `{"items":[…]}` and `String(dt)` `[object Object]`. JSON.stringify now writes what
// Django's DjangoJSONEncoder writes, and String() what Python's str() gives.
const PY_STR_AND_JSON = String.raw`
import json, sys, uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from django.conf import settings
settings.configure()
from django.core.serializers.json import DjangoJSONEncoder
values = [
    1.0, -0.0, 1e16, 1.5e16, 1e100, 1e22, 123456.0, float("inf"), float("-inf"),
    date(2024, 2, 29), date(5, 1, 2),
    datetime(2024, 2, 29, 13, 4, 5), datetime(2024, 2, 29, 13, 4, 5, 123456),
    datetime(2024, 2, 29, 13, 4, 5, 123456, tzinfo=timezone.utc),
    datetime(2024, 2, 29, 13, 4, 5, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
    timedelta(0), timedelta(days=1), timedelta(days=2, seconds=3723, microseconds=5),
    timedelta(seconds=-1), timedelta(days=-3, microseconds=7), timedelta(days=999999999),
    Decimal("12.50"), uuid.UUID("12345678123456781234567812345678"),
]
print(json.dumps({"str": [str(v) for v in values], "json": json.dumps(values[9:], cls=DjangoJSONEncoder, separators=(",", ":"))}))
`;

describe("typed values' toJSON and toString (issue 19 #13)", () => {
  it("String() is Python's str() and JSON.stringify is DjangoJSONEncoder's, checked against CPython and Django", async () => {
    const values = [
      new PyFloat(1),
      new PyFloat(-0),
      new PyFloat(1e16),
      new PyFloat(1.5e16),
      new PyFloat(1e100),
      new PyFloat(1e22),
      new PyFloat(123456),
      new PyFloat(Infinity),
      new PyFloat(-Infinity),
      new PyDate(2024, 2, 29),
      new PyDate(5, 1, 2),
      new PyDateTime(2024, 2, 29, 13, 4, 5),
      new PyDateTime(2024, 2, 29, 13, 4, 5, 123456),
      new PyDateTime(2024, 2, 29, 13, 4, 5, 123456, 0),
      new PyDateTime(2024, 2, 29, 13, 4, 5, 0, -(5 * 3600 + 30 * 60)),
      new PyTimeDelta(0),
      new PyTimeDelta(1),
      new PyTimeDelta(2, 3723, 5),
      new PyTimeDelta(0, -1),
      new PyTimeDelta(-3, 0, 7),
      new PyTimeDelta(999_999_999),
      new PyDecimal("12.50"),
      new PyUUID("12345678123456781234567812345678"),
    ];
    const python = JSON.parse(await runPython(PY_STR_AND_JSON, "", djangoPeerEnv("5.2"))) as {
      str: string[];
      json: string;
    };
    assert.deepEqual(
      values.map((v) => String(v)),
      python.str,
    );
    assert.equal(JSON.stringify(values.slice(9)), python.json);
  });

  it("a tuple is its items in JSON, and joins them as an array in String()", () => {
    const tuple = new PyTuple([1, "a", new PyTuple([new PyFloat(2)]), null]);
    assert.equal(JSON.stringify({ cart: tuple }), '{"cart":[1,"a",[2],null]}');
    assert.equal(String(tuple), String([1, "a", [new PyFloat(2)], null]));
    assert.equal(JSON.stringify(new PyMarkup("<b>x</b>")), '"<b>x</b>"');
    assert.equal(String(new PyMarkup("<b>x</b>")), "<b>x</b>");
  });
});

describe("sets and OrderedDicts (issue 18 #14)", () => {
  const session = new Map<string, PyValue>([
    ["tags", new PySet([1, "a"])],
    ["roles", new PyFrozenSet(["admin"])],
    [
      "steps",
      new PyOrderedDict([
        ["pay", 2],
        ["ship", new PyTuple([1])],
      ]),
    ],
  ]);

  it("are JS Sets and Maps with toJSON and toString", () => {
    const tags = session.get("tags");
    assert.ok(tags instanceof PySet && tags.has("a"));
    assert.equal(
      JSON.stringify(Object.fromEntries(session)),
      '{"tags":[1,"a"],"roles":["admin"],"steps":{"pay":2,"ship":[1]}}',
    );
    assert.equal(String(tags), "1,a");
    assert.deepEqual(
      [
        ...new PyOrderedDict([
          ["2", 1],
          ["1", 2],
        ]).keys(),
      ],
      ["2", "1"],
    );
    assert.equal(pyTruthy(new PySet()), false);
    assert.equal(pyTruthy(new PyOrderedDict([["a", 1]])), true);
  });

  it("JSON formats refuse a set as Python's json does and write an OrderedDict as a dict", () => {
    for (const set of [new PySet([1]), new PyFrozenSet([1])]) {
      const type = set instanceof PySet ? "set" : "frozenset";
      const message = `Object of type ${type} is not JSON serializable`;
      assert.throws(() => dumpsPythonJson({ s: set }), {
        name: UnsupportedValueError.name,
        message,
      });
      assert.throws(() => dumpsFlaskTaggedJson(new Map([["s", set]])), { message });
      assert.throws(() => dumpsDjangoJson(new Map([["s", set]])), { message });
    }
    const od = new PyOrderedDict([
      ["b", new PyDateTime(2024, 1, 2, 0, 0, 0, 0, 0)],
      ["a", 1],
    ]);
    const plain = new PyOrderedDict([
      ["b", 2],
      ["a", 1],
    ]);
    assert.equal(dumpsPythonJson({ o: plain }), '{"o": {"b": 2, "a": 1}}');
    assert.equal(
      dumpsDjangoJson(new Map([["o", od]])).toString(),
      '{"o": {"b": "2024-01-02T00:00:00Z", "a": 1}}',
    );
    assert.equal(
      dumpsFlaskTaggedJson(new Map([["o", od]])),
      '{"o":{"a":1,"b":{" d":"Tue, 02 Jan 2024 00:00:00 GMT"}}}',
    );
  });

  it("msgpack writes sets as arrays and an OrderedDict as a map, as msgspec", () => {
    const back = decodeMsgspecMsgpack(encodeMsgspecMsgpack(session));
    assert.deepEqual(Object.fromEntries(back), {
      tags: [1, "a"],
      roles: ["admin"],
      steps: { pay: 2, ship: [1] },
    });
  });

  it("the CLI's typed JSON keeps all three", () => {
    const json = toTypedJson(session);
    assert.deepEqual(json, {
      tags: { $type: "set", value: [1, "a"] },
      roles: { $type: "frozenset", value: ["admin"] },
      steps: {
        $type: "ordereddict",
        value: [
          ["pay", 2],
          ["ship", { $type: "tuple", value: [1] }],
        ],
      },
    });
    assert.deepEqual(sessionFromTypedJson(JSON.parse(JSON.stringify(json))), session);
  });
});
