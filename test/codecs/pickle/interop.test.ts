// Cross-checks against the real CPython 3.11 (/usr/bin/python3): decoding its pickles for
// protocols 2–5, byte-identical output, and Python reading what we write.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dumpsPickle, loadsPickle, loadsPickleSession } from "../../../src/codecs/pickle/index.ts";
import { PyDateTime, type PyDict } from "../../../src/codecs/python-values.ts";
import { canonical, fromCanon, hex, python, sortDicts, unhex, type Canon } from "./support.ts";

interface Fixture {
  canon: Canon;
  hex: Record<"0" | "1" | "2" | "3" | "4" | "5", string>;
  exact: boolean;
}
const PROTOCOLS = [2, 3, 4, 5] as const;
const fixtures = python("fixtures") as Record<string, Fixture>;

describe("pickle: CPython pickles decode to the same values", () => {
  for (const [name, f] of Object.entries(fixtures)) {
    for (const p of [0, 1, ...PROTOCOLS] as const) {
      it(`${name}, protocol ${p}`, () => {
        const value = loadsPickle(unhex(f.hex[p]));
        assert.deepEqual(sortDicts(canonical(value)), sortDicts(f.canon));
      });
    }
  }

  it("keeps Python's key order in loadsPickleSession (integer-like keys too)", () => {
    const session = loadsPickleSession(unhex(fixtures["order"]!.hex["4"]));
    assert.deepEqual([...session.keys()], ["b", "10", "a", "2", "__proto__", "constructor"]);
    assert.equal(session.get("__proto__"), 5);
    const obj = loadsPickle(unhex(fixtures["order"]!.hex["4"])) as PyDict;
    assert.equal(Object.getPrototypeOf(obj), Object.prototype);
    assert.equal(Object.hasOwn(obj, "__proto__"), true);
  });

  it("maps datetimes to PyDateTime with their fixed offset", () => {
    const v = loadsPickle(unhex(fixtures["datetimes"]!.hex["5"])) as PyDict;
    const ist = v["ist"] as PyDateTime;
    assert.ok(ist instanceof PyDateTime);
    assert.equal(ist.utcOffsetSeconds, 19800);
    assert.equal(ist.toISOString(), "2020-06-01T12:30:00+05:30");
    assert.equal((v["naive"] as PyDateTime).utcOffsetSeconds, null);
  });
});

describe("pickle: output is byte-identical to CPython's pickle.dumps", () => {
  for (const [name, f] of Object.entries(fixtures)) {
    if (!f.exact) continue;
    for (const p of PROTOCOLS) {
      it(`${name}, protocol ${p}`, () => {
        const ours = hex(dumpsPickle(fromCanon(f.canon), { protocol: p }));
        assert.equal(ours, f.hex[p]);
      });
    }
  }

  it("matches the django-redis reference vector (django-formats.md §3.6)", () => {
    const bytes = dumpsPickle(
      new Map<string, PyDict[string]>([
        ["foo", "bar"],
        ["n", 1],
        ["l", [1, "two", null, true]],
        ["u", "é😀"],
      ]),
    );
    assert.equal(
      hex(bytes),
      "80049536000000000000007d94288c03666f6f948c03626172948c016e944b018c016c945d94284b018c0374776f944e88658c0175948c06c3a9f09f988094752e",
    );
  });
});

describe("pickle: CPython reads what we write", () => {
  const names = Object.keys(fixtures);
  const blobs: string[] = [];
  for (const name of names) {
    for (const p of PROTOCOLS)
      blobs.push(hex(dumpsPickle(fromCanon(fixtures[name]!.canon), { protocol: p })));
  }
  const results = python("load", JSON.stringify(blobs)) as ({ canon: Canon } | { error: string })[];
  names.forEach((name, i) => {
    PROTOCOLS.forEach((p, j) => {
      it(`${name}, protocol ${p}`, () => {
        const r = results[i * PROTOCOLS.length + j]!;
        assert.ok("canon" in r, "error" in r ? r.error : "");
        assert.deepEqual(sortDicts(r.canon), sortDicts(fixtures[name]!.canon));
      });
    });
  });

  it("keeps shared references shared (the same list twice is one object)", () => {
    const shared = [1, [2, "x"]];
    const bytes = dumpsPickle({ a: shared, b: shared });
    const r = python("shared", hex(bytes)) as { same: boolean };
    assert.equal(r.same, true);
    const back = loadsPickle(bytes) as PyDict;
    assert.equal(back["a"], back["b"]);
  });
});
