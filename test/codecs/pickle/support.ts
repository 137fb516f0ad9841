// Helpers for the pickle codec tests: the Python peer and a canonical, type-keeping JSON form.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { floatRepr } from "../../../src/codecs/python-json.ts";
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
  isPyDict,
  type PyDict,
  type PyValue,
  type SessionData,
} from "../../../src/codecs/python-values.ts";
import { SYSTEM_PYTHON } from "../../support/python.ts";

const PEER = fileURLToPath(new URL("./peer.py", import.meta.url));

/** Runs `peer.py <cmd>` with `input` on stdin and parses its JSON output. */
export function python(cmd: string, input = ""): unknown {
  const r = spawnSync(SYSTEM_PYTHON, [PEER, cmd], {
    input,
    encoding: "utf8",
    maxBuffer: 1 << 28,
    env: { ...process.env, PYTHONIOENCODING: "utf-8" },
  });
  if (r.status !== 0) throw new Error(`peer.py ${cmd} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

export type Canon =
  | null
  | boolean
  | string
  | Canon[]
  | { $int: string }
  | { $float: string }
  | { $bytes: string }
  | { $tuple: Canon[] }
  | { $dict: [Canon, Canon][] }
  | { $datetime: (number | null)[] }
  | { $date: number[] }
  | { $td: number[] }
  | { $decimal: string }
  | { $uuid: string }
  | { $markup: string }
  | { $set: Canon[] }
  | { $frozenset: Canon[] }
  | { $odict: [Canon, Canon][] };

export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
export const unhex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, "hex"));

/** Python's `repr(float)`. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  return floatRepr(x);
}

/** The canonical form of a decoded value (same shape as peer.py's `canon`). */
export function canonical(v: PyValue | SessionData): Canon {
  if (v === null || typeof v === "boolean" || typeof v === "string") return v;
  if (typeof v === "number") {
    return Number.isInteger(v) ? { $int: BigInt(v).toString() } : { $float: pyFloatRepr(v) };
  }
  if (typeof v === "bigint") return { $int: v.toString() };
  if (v instanceof PyFloat) return { $float: pyFloatRepr(v.value) };
  if (v instanceof Uint8Array) return { $bytes: hex(v) };
  if (Array.isArray(v)) return v.map(canonical);
  if (v instanceof PyTuple) return { $tuple: v.items.map(canonical) };
  if (v instanceof PySet || v instanceof PyFrozenSet) {
    const items = [...v].map(canonical);
    return v instanceof PySet ? { $set: items } : { $frozenset: items };
  }
  if (v instanceof PyOrderedDict) return { $odict: [...v].map(([k, x]) => [k, canonical(x)]) };
  if (v instanceof Map) return { $dict: [...v].map(([k, x]) => [k, canonical(x)]) };
  if (v instanceof PyDateTime) {
    return {
      $datetime: [
        v.year,
        v.month,
        v.day,
        v.hour,
        v.minute,
        v.second,
        v.microsecond,
        v.utcOffsetSeconds,
      ],
    };
  }
  if (v instanceof PyDate) return { $date: [v.year, v.month, v.day] };
  if (v instanceof PyTimeDelta) return { $td: [v.days, v.seconds, v.microseconds] };
  if (v instanceof PyDecimal) return { $decimal: v.value };
  if (v instanceof PyUUID) return { $uuid: v.hex };
  if (v instanceof PyMarkup) return { $markup: v.value };
  if (isPyDict(v)) return { $dict: Object.keys(v).map((k) => [k, canonical(v[k]!)]) };
  throw new TypeError("no canonical form");
}

/** Dict entries sorted by key, for comparisons where JS objects reorder integer-like keys. */
export function sortDicts(c: Canon): Canon {
  if (Array.isArray(c)) return c.map(sortDicts);
  if (c === null || typeof c !== "object") return c;
  if ("$dict" in c) {
    const entries = c.$dict.map(([k, v]): [Canon, Canon] => [sortDicts(k), sortDicts(v)]);
    entries.sort((a, b) => (JSON.stringify(a[0]) < JSON.stringify(b[0]) ? -1 : 1));
    return { $dict: entries };
  }
  if ("$tuple" in c) return { $tuple: c.$tuple.map(sortDicts) };
  if ("$set" in c) return { $set: sortItems(c.$set.map(sortDicts)) };
  if ("$frozenset" in c) return { $frozenset: sortItems(c.$frozenset.map(sortDicts)) };
  if ("$odict" in c) return { $odict: c.$odict.map(([k, v]): [Canon, Canon] => [k, sortDicts(v)]) };
  return c;
}

/** Set items in one order (Python iterates a set in hash order). */
function sortItems(items: Canon[]): Canon[] {
  return items
    .map((c) => [JSON.stringify(c), c] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([, c]) => c);
}

/** Builds the PyValue a canonical form describes; a top-level dict becomes SessionData. */
export function fromCanon(c: Canon, top = true): PyValue | SessionData {
  const rec = (x: Canon): PyValue => fromCanon(x, false) as PyValue;
  if (c === null || typeof c === "boolean" || typeof c === "string") return c;
  if (Array.isArray(c)) return c.map(rec);
  if ("$int" in c) {
    const n = BigInt(c.$int);
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(n)
      : n;
  }
  if ("$float" in c) {
    const x =
      c.$float === "nan"
        ? NaN
        : c.$float === "inf"
          ? Infinity
          : c.$float === "-inf"
            ? -Infinity
            : Number(c.$float);
    return Number.isInteger(x) ? new PyFloat(x) : x;
  }
  if ("$bytes" in c) return unhex(c.$bytes);
  if ("$tuple" in c) return new PyTuple(c.$tuple.map(rec));
  if ("$set" in c) return new PySet(c.$set.map(rec));
  if ("$frozenset" in c) return new PyFrozenSet(c.$frozenset.map(rec));
  if ("$odict" in c) return new PyOrderedDict(c.$odict.map(([k, v]) => [k as string, rec(v)]));
  if ("$dict" in c) {
    if (top) {
      const m: SessionData = new Map();
      for (const [k, v] of c.$dict) m.set(k as string, rec(v));
      return m;
    }
    const d: PyDict = {};
    for (const [k, v] of c.$dict)
      Object.defineProperty(d, k as string, {
        value: rec(v),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return d;
  }
  if ("$datetime" in c) {
    const [y, mo, d, h, mi, s, us, off] = c.$datetime as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number | null,
    ];
    return new PyDateTime(y, mo, d, h, mi, s, us, off);
  }
  if ("$date" in c) return new PyDate(c.$date[0]!, c.$date[1]!, c.$date[2]!);
  if ("$td" in c) return new PyTimeDelta(c.$td[0]!, c.$td[1], c.$td[2]);
  if ("$decimal" in c) return new PyDecimal(c.$decimal);
  if ("$uuid" in c) return new PyUUID(c.$uuid);
  if ("$markup" in c) return new PyMarkup(c.$markup);
  throw new TypeError("bad canonical form");
}
