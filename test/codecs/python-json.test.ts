import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  COMPACT_SEPARATORS,
  MAX_JSON_DEPTH,
  compareCodePoints,
  dumpsPythonJson,
  floatRepr,
  loadsPythonJson,
  loadsPythonJsonSession,
} from "../../src/codecs/python-json.ts";
import { PyFloat, PyTuple, PyDecimal, type PyValue } from "../../src/codecs/python-values.ts";
import { ConfigurationError, MalformedError } from "../../src/errors.ts";
import { runPython } from "../support/python.ts";

const compact = { separators: COMPACT_SEPARATORS } as const;

describe("dumpsPythonJson", () => {
  it("escapes like ensure_ascii: lowercase hex, surrogate pairs, DEL, U+2028", () => {
    assert.equal(
      dumpsPythonJson('é😀\u007f\u2028</>&\n\t"\\', compact),
      '"\\u00e9\\ud83d\\ude00\\u007f\\u2028</>&\\n\\t\\"\\\\"',
    );
  });
  it("keeps insertion order and Python's float reprs", () => {
    const value = { b: 1, a: 2, f: new PyFloat(1), z: -0.5, big: 10n ** 20n };
    assert.equal(
      dumpsPythonJson(value, compact),
      '{"b":1,"a":2,"f":1.0,"z":-0.5,"big":100000000000000000000}',
    );
  });
  it("writes floats as float.__repr__", () => {
    const cases: [number, string][] = [
      [1, "1.0"],
      [-0, "-0.0"],
      [0.1, "0.1"],
      [1e16, "1e+16"],
      [1e15, "1000000000000000.0"],
      [1e-5, "1e-05"],
      [0.0001, "0.0001"],
      [1.5e-7, "1.5e-07"],
      [1e100, "1e+100"],
      [123456789.123, "123456789.123"],
      [NaN, "NaN"],
      [-Infinity, "-Infinity"],
    ];
    for (const [x, repr] of cases) assert.equal(floatRepr(x), repr, String(x));
  });
  it("uses default separators and optional sorting by code point", () => {
    assert.equal(dumpsPythonJson({ b: [1, 2], a: null }), '{"b": [1, 2], "a": null}');
    assert.equal(
      dumpsPythonJson({ "\ud83d\ude00": 1, "\uff5e": 2, a: 3 }, { ...compact, sortKeys: true }),
      '{"a":3,"\\uff5e":2,"\\ud83d\\ude00":1}',
    );
    assert.ok(compareCodePoints("\uff5e", "\ud83d\ude00") < 0);
  });
  it("writes tuples as lists and refuses what JSON cannot hold, like Python", () => {
    assert.equal(dumpsPythonJson(new PyTuple([1, "a"]), compact), '[1,"a"]');
    assert.throws(() => dumpsPythonJson({ d: new PyDecimal("1.5") }), /not JSON serializable/);
  });
});

describe("loadsPythonJson", () => {
  it("reads NaN/Infinity, keeps integral floats as PyFloat and big ints as bigint", () => {
    const value = loadsPythonJson(
      '{"a":1.0,"b":NaN,"c":-Infinity,"d":12345678901234567890,"e":2.5,"f":1e5}',
    ) as Record<string, PyValue>;
    assert.ok(value.a instanceof PyFloat && value.a.value === 1);
    assert.ok(Number.isNaN(value.b));
    assert.equal(value.c, -Infinity);
    assert.equal(value.d, 12345678901234567890n);
    assert.equal(value.e, 2.5);
    assert.ok(value.f instanceof PyFloat && value.f.value === 100000);
  });
  it("keeps the exact key order of a session, integer-like keys included", () => {
    const data = loadsPythonJsonSession('{"b":1,"10":2,"a":3,"1":4}');
    assert.deepEqual([...data.keys()], ["b", "10", "a", "1"]);
    assert.equal(dumpsPythonJson(data, compact), '{"b":1,"10":2,"a":3,"1":4}');
  });
  it("rejects invalid JSON and non-object sessions with MalformedError", () => {
    assert.throws(() => loadsPythonJson("{"), MalformedError);
    assert.throws(() => loadsPythonJson('{"a":1.0,}'), MalformedError);
    assert.throws(() => loadsPythonJsonSession("[1,2]"), MalformedError);
    assert.throws(() => loadsPythonJsonSession("[1.5]"), MalformedError);
  });
  it("refuses nesting deeper than MAX_JSON_DEPTH with MalformedError, never a RangeError", () => {
    const nested = (depth: number, inner = ""): string =>
      "[".repeat(depth) + inner + "]".repeat(depth);
    const tooDeep = (err: unknown): boolean =>
      err instanceof MalformedError && /nested deeper than 1000/.test(err.message);
    assert.equal(MAX_JSON_DEPTH, 1000);
    // 100k levels: the fast path (JSON.parse) and the exact parser (a float inside).
    assert.throws(() => loadsPythonJson(nested(100_000)), tooDeep);
    assert.throws(() => loadsPythonJson(nested(100_000, "1.5")), tooDeep);
    assert.throws(() => loadsPythonJsonSession(`{"a":${nested(100_000)}}`), tooDeep);
    assert.throws(() => loadsPythonJsonSession(`{"a":${nested(100_000, "1.5")}}`), tooDeep);
    // The limit is the same on both paths: 1000 levels in all, the session's own dict included.
    assert.deepEqual(loadsPythonJson(nested(1000)), JSON.parse(nested(1000)));
    assert.throws(() => loadsPythonJson(nested(1001)), tooDeep);
    assert.equal(loadsPythonJsonSession(`{"a":${nested(999, "1.5")}}`).size, 1);
    assert.throws(() => loadsPythonJsonSession(`{"a":${nested(1000, "1.5")}}`), tooDeep);
    assert.equal(loadsPythonJsonSession(`{"a":${nested(999)}}`).size, 1);
    assert.throws(() => loadsPythonJsonSession(`{"a":${nested(1000)}}`), tooDeep);
    // Brackets inside strings are text, not nesting.
    assert.equal(loadsPythonJson(`"${"[".repeat(5000)}"`), "[".repeat(5000));
  });
  it("does not let a __proto__ key change the prototype", () => {
    const value = loadsPythonJson('{"__proto__":{"x":1.0}}') as Record<string, PyValue>;
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.ok(Object.hasOwn(value, "__proto__"));
  });
});

describe("Python-identical output, checked against real CPython", () => {
  it("matches json.dumps(separators=(',', ':')) for random unicode strings and floats", async () => {
    const samples = fc.sample(
      fc.record({
        s: fc.string({ unit: "binary", maxLength: 20 }),
        f: fc.double({ noNaN: false }),
        i: fc.integer(),
        l: fc.array(fc.double({ noDefaultInfinity: true }), { maxLength: 3 }),
      }),
      300,
    );
    // Python reads each sample from an unambiguous carrier (floats as hex, string as code points).
    const carrier = samples.map((s) => ({
      s: [...s.s].map((c) => c.codePointAt(0)),
      f: floatHex(s.f),
      i: s.i,
      l: s.l.map(floatHex),
    }));
    const py = `
import json, sys
for line in sys.stdin:
    c = json.loads(line)
    s = "".join(chr(x) for x in c["s"])
    v = {"s": s, "f": float.fromhex(c["f"]), "i": c["i"], "l": [float.fromhex(x) for x in c["l"]]}
    print(json.dumps(v, separators=(",", ":")))
`;
    const out = (await runPython(py, carrier.map((c) => JSON.stringify(c)).join("\n") + "\n"))
      .trimEnd()
      .split("\n");
    assert.equal(out.length, samples.length);
    samples.forEach((sample, n) => {
      const ours = dumpsPythonJson(
        {
          s: sample.s,
          f: Number.isInteger(sample.f) ? new PyFloat(sample.f) : sample.f,
          i: sample.i,
          l: sample.l.map((x) => (Number.isInteger(x) ? new PyFloat(x) : x)),
        },
        compact,
      );
      assert.equal(ours, out[n], `sample ${n}`);
    });
  });
});

describe("dumpsPythonJson indent, checked against real CPython", () => {
  it("matches json.dumps(indent=n) for nested and empty lists, tuples and dicts", async () => {
    const value: PyValue = {
      a: [1, [], {}, { b: [true, null, "é"] }],
      t: new PyTuple([1, new PyTuple([])]),
      e: {},
      n: [[[2]]],
    };
    const pythonValue = `{"a": [1, [], {}, {"b": [True, None, "é"]}], "t": (1, ()), "e": {}, "n": [[[2]]]}`;
    for (const [indent, ensureAscii] of [
      [0, true],
      [2, false],
      [4, true],
    ] as const) {
      const py = `import json\nprint(json.dumps(${pythonValue}, indent=${indent}, ensure_ascii=${ensureAscii ? "True" : "False"}), end="")`;
      assert.equal(
        dumpsPythonJson(value, { indent, ensureAscii }),
        await runPython(py),
        `indent=${indent}`,
      );
    }
  });

  it("refuses an indent that is not a whole number of spaces", () => {
    for (const indent of [-1, 1.5, Number.NaN]) {
      assert.throws(() => dumpsPythonJson([1], { indent }), ConfigurationError);
    }
  });
});

function floatHex(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  // Exact: a double's bits as Python's float.fromhex input.
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const sign = bits >> 63n ? "-" : "";
  const exp = Number((bits >> 52n) & 0x7ffn);
  const mant = bits & ((1n << 52n) - 1n);
  if (exp === 0 && mant === 0n) return `${sign}0x0.0p+0`;
  const lead = exp === 0 ? "0" : "1";
  const e = exp === 0 ? -1022 : exp - 1023;
  return `${sign}0x${lead}.${mant.toString(16).padStart(13, "0")}p${e >= 0 ? "+" : ""}${e}`;
}

describe("loadsPythonJson fast path", () => {
  it("is exact whether or not strings look like numbers", () => {
    const value = loadsPythonJson('{"csrf":"3e4f9a1.5","n":2,"f":2.0,"s":"NaN"}') as Record<
      string,
      PyValue
    >;
    assert.equal(value.csrf, "3e4f9a1.5");
    assert.equal(value.n, 2);
    assert.ok(value.f instanceof PyFloat);
    assert.equal(value.s, "NaN");
    const plainInts = loadsPythonJson('{"csrf":"3e4f","n":1234567890123456}') as Record<
      string,
      PyValue
    >;
    assert.equal(plainInts.n, 1234567890123456);
    assert.equal(
      (loadsPythonJson('{"big":12345678901234567890}') as Record<string, PyValue>).big,
      12345678901234567890n,
    );
  });
});

describe("loadsPythonJson: integer literals (issue 18)", () => {
  it("reads up to CPython's 4300 digits and refuses more, as json.loads does", () => {
    assert.equal(loadsPythonJson("9".repeat(4300)), BigInt("9".repeat(4300)));
    assert.equal(loadsPythonJson(`-${"9".repeat(4300)}`), -BigInt("9".repeat(4300)));
    assert.throws(() => loadsPythonJson("9".repeat(4301)), MalformedError);
    assert.throws(() => loadsPythonJson(`[${"9".repeat(65536)}]`), /4300 digits/);
  });
});
