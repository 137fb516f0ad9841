/** fast-check generators of Python session values, shared by the Flask and Starlette tests. */
import fc from "fast-check";
import {
  PyDateTime,
  PyFloat,
  PyMarkup,
  PyTuple,
  PyUUID,
  type PyDict,
  type PyValue,
  type SessionData,
} from "../../../src/codecs/python-values.ts";

/** Keys, including Flask's tag names (to exercise `" di"` escaping) and awkward JS keys. */
export const keyArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: "binary", maxLength: 8 }),
  fc.constantFrom(" t", " di", " b", " m", " u", " d", "__proto__", "constructor", "1", "10", ""),
);

/** A Python float: integral values wrapped in PyFloat (never a bare -0). */
const floatArb: fc.Arbitrary<PyValue> = fc
  .double()
  .map((x) => (Number.isInteger(x) || Object.is(x, -0) ? new PyFloat(x) : x));

const bigIntArb: fc.Arbitrary<PyValue> = fc
  .bigInt({ min: -(2n ** 80n), max: 2n ** 80n })
  .filter((n) => n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER));

const jsonLeaf: fc.Arbitrary<PyValue> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.maxSafeInteger().map((n) => (Object.is(n, -0) ? 0 : n)),
  bigIntArb,
  floatArb,
  fc.string({ unit: "binary", maxLength: 20 }),
);

/** An aware-UTC datetime Flask can round-trip: whole seconds, years 100–9999 (see tests). */
const dateTimeArb: fc.Arbitrary<PyValue> = fc
  .date({
    min: new Date("0100-01-01T00:00:00Z"),
    max: new Date("9999-12-31T23:59:59Z"),
    noInvalidDate: true,
  })
  .map((d) => {
    const p = PyDateTime.fromDate(d);
    return new PyDateTime(p.year, p.month, p.day, p.hour, p.minute, p.second, 0, 0);
  });

const taggedLeaf: fc.Arbitrary<PyValue> = fc.oneof(
  jsonLeaf,
  fc.uint8Array({ maxLength: 16 }),
  fc.string({ maxLength: 10 }).map((s) => new PyMarkup(s)),
  fc.uuid().map((u) => new PyUUID(u)),
  dateTimeArb,
);

function dictOf(entries: readonly (readonly [string, PyValue])[]): PyDict {
  const out: PyDict = {};
  for (const [k, v] of entries) {
    Object.defineProperty(out, k, {
      value: v,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

function tree(leaf: fc.Arbitrary<PyValue>, tuples: boolean): fc.Arbitrary<PyValue> {
  const { value } = fc.letrec<{ value: PyValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf,
      fc.array(tie("value"), { maxLength: 4 }),
      fc.array(fc.tuple(keyArb, tie("value")), { maxLength: 4 }).map(dictOf),
      ...(tuples
        ? [fc.array(tie("value"), { maxLength: 4 }).map((items) => new PyTuple(items))]
        : []),
    ),
  }));
  return value;
}

function session(leaf: fc.Arbitrary<PyValue>, tuples: boolean): fc.Arbitrary<SessionData> {
  return fc.array(fc.tuple(keyArb, tree(leaf, tuples)), { maxLength: 6 }).map((e) => new Map(e));
}

/** Sessions of every type Flask's tagged JSON carries. */
export const flaskSessionArb: fc.Arbitrary<SessionData> = session(taggedLeaf, true);

/** Sessions of plain JSON values (what Starlette's `json.dumps` carries losslessly). */
export const jsonSessionArb: fc.Arbitrary<SessionData> = session(jsonLeaf, false);
