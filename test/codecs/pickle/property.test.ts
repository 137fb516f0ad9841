// Property tests: random PyValue trees survive dumps → loads for every protocol, and a sample
// goes through the real CPython (it loads our bytes, pickles them back with protocol 4, we load).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { dumpsPickle, loadsPickle } from "../../../src/codecs/pickle/index.ts";
import {
  PyDate,
  PyDateTime,
  PyDecimal,
  PyFloat,
  PyTimeDelta,
  PyTuple,
  PyUUID,
  type PyDict,
  type PyValue,
} from "../../../src/codecs/python-values.ts";
import { canonical, hex, python, unhex, type Canon } from "./support.ts";

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const str = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.string({ unit: fc.oneof(fc.constantFrom("a", "é", "😀", "漢"), loneSurrogate) }),
);
const leaf: fc.Arbitrary<PyValue> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.bigInt({ min: -(2n ** 300n), max: 2n ** 300n }),
  fc.double(),
  fc.double().map((x) => new PyFloat(Math.trunc(x) || x)),
  str,
  fc.uint8Array({ maxLength: 40 }),
  fc
    .bigInt({ min: 0n, max: 2n ** 128n - 1n })
    .map((n) => new PyUUID(n.toString(16).padStart(32, "0"))),
  fc.tuple(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.nat(10)).map(([m, e]) => {
    const s = (m < 0n ? -m : m).toString().padStart(e + 1, "0");
    return new PyDecimal(`${m < 0n ? "-" : ""}${e ? `${s.slice(0, -e)}.${s.slice(-e)}` : s}`);
  }),
  fc
    .tuple(
      fc.integer({ min: 1, max: 9999 }),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 28 }),
    )
    .map(([y, m, d]) => new PyDate(y, m, d)),
  fc
    .record({
      y: fc.integer({ min: 1, max: 9999 }),
      mo: fc.integer({ min: 1, max: 12 }),
      d: fc.integer({ min: 1, max: 28 }),
      h: fc.integer({ min: 0, max: 23 }),
      mi: fc.integer({ min: 0, max: 59 }),
      s: fc.integer({ min: 0, max: 59 }),
      us: fc.integer({ min: 0, max: 999_999 }),
      off: fc.option(fc.integer({ min: -86_399, max: 86_399 })),
    })
    .map((r) => new PyDateTime(r.y, r.mo, r.d, r.h, r.mi, r.s, r.us, r.off)),
  fc
    // The whole range of timedelta (±999,999,999 days), far beyond 2^53 µs.
    .tuple(
      fc.integer({ min: -999_999_999, max: 999_999_999 }),
      fc.integer({ min: 0, max: 86_399 }),
      fc.integer({ min: 0, max: 999_999 }),
    )
    .map(([d, s, us]) => new PyTimeDelta(d, s, us)),
);

const { value: pyValue } = fc.letrec<{ value: PyValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.array(tie("value"), { maxLength: 6 }),
    fc.dictionary(str, tie("value"), { maxKeys: 6 }).map((d) => d as PyDict),
    fc.array(tie("value"), { maxLength: 5 }).map((items) => new PyTuple(items)),
  ),
}));

describe("pickle property: dumps → loads round-trips", () => {
  for (const protocol of [2, 3, 4, 5] as const) {
    it(`protocol ${protocol}`, () => {
      fc.assert(
        fc.property(pyValue, (v) => {
          const back = loadsPickle(dumpsPickle(v, { protocol }));
          assert.deepEqual(canonical(back), canonical(v));
        }),
        { numRuns: 300 },
      );
    });
  }
});

describe("pickle property: through CPython", () => {
  it("Python loads our pickles and its protocol-4 pickles of them load back the same", () => {
    const values = fc.sample(pyValue, { numRuns: 60, seed: 20240601 });
    const blobs = values.map((v, i) =>
      hex(dumpsPickle(v, { protocol: ([2, 3, 4, 5] as const)[i % 4]! })),
    );
    const results = python("load", JSON.stringify(blobs)) as (
      { canon: Canon; redump: string } | { error: string }
    )[];
    values.forEach((v, i) => {
      const r = results[i]!;
      assert.ok("canon" in r, "error" in r ? r.error : "");
      const want = canonical(v);
      assert.deepEqual(r.canon, want, `Python's view of sample ${i}`);
      assert.deepEqual(
        canonical(loadsPickle(unhex(r.redump))),
        want,
        `sample ${i} back from Python`,
      );
    });
  });
});
