// The exact text form cached_db compares a cache-served session with (issue 16): equal for the
// same data decoded twice, different wherever two Python values differ, even where JSON (or a
// loose equality) would merge them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
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
import { sessionFingerprint } from "../../src/internal/session-fingerprint.ts";

const one = (value: PyValue) => sessionFingerprint(new Map([["k", value]]));

describe("sessionFingerprint", () => {
  it("is the same for the same data built twice", () => {
    const build = () =>
      new Map<string, PyValue>([
        ["user", "alice"],
        ["cart", [{ sku: "apple", qty: 2 }, null, true]],
        ["seen", new PyDateTime(2024, 1, 2, 3, 4, 5, 6, 0)],
        ["big", 12345678901234567890n],
        ["bytes", new Uint8Array([0, 255])],
        ["t", new PyTuple([1, new PyFloat(2)])],
      ]);
    assert.equal(sessionFingerprint(build()), sessionFingerprint(build()));
  });

  it("tells apart values JSON would merge", () => {
    const pairs: [PyValue, PyValue][] = [
      [1, new PyFloat(1)],
      [1, 1n],
      ["1", 1],
      [0, -0],
      [1.5, new PyFloat(1.5)],
      [[1, 2], new PyTuple([1, 2])],
      [new PyDecimal("1.0"), new PyDecimal("1.00")],
      [new PyDecimal("x"), new PyMarkup("x")],
      ["x", new PyMarkup("x")],
      [new PyDate(2024, 1, 2), new PyDateTime(2024, 1, 2)],
      [new PyDateTime(2024, 1, 2, 0, 0, 0, 0, 0), new PyDateTime(2024, 1, 2)],
      [new PyTimeDelta(1), new PyTimeDelta(0, 86_399, 999_999)],
      [new PyUUID("0".repeat(32)), "0".repeat(32)],
      [new Uint8Array([1]), [1]],
      [{ a: 1 }, [["a", 1]]],
      [
        { a: 1, b: 2 },
        { a: 1, b: 3 },
      ],
      [null, "null"],
      [true, "true"],
      [new PySet([1]), new PySet([2])],
      [new PySet([1]), new PyFrozenSet([1])],
      [new PySet([1]), [1]],
      [new PyOrderedDict([["a", 1]]), { a: 1 }],
      [new PyOrderedDict([["a", 1]]), new PyOrderedDict([["a", 2]])],
    ];
    for (const [a, b] of pairs) assert.notEqual(one(a), one(b), `${one(a)} vs ${one(b)}`);
  });

  it("follows the session's key order and keys", () => {
    const ab = new Map<string, PyValue>([
      ["a", 1],
      ["b", 2],
    ]);
    const ba = new Map<string, PyValue>([
      ["b", 2],
      ["a", 1],
    ]);
    assert.notEqual(sessionFingerprint(ab), sessionFingerprint(ba));
    assert.notEqual(sessionFingerprint(ab), sessionFingerprint(new Map([["a", 1]])));
    assert.notEqual(sessionFingerprint(new Map()), sessionFingerprint(new Map([["", null]])));
  });
});
