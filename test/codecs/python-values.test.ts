// The typed Python values against CPython itself: PyTimeDelta's normalisation and
// total_seconds() over timedelta's whole range (±999,999,999 days, beyond 2^53 µs).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { PyTimeDelta } from "../../src/codecs/python-values.ts";
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
