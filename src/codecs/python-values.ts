/**
 * Typed values for what a Python session can hold and plain JSON cannot say.
 *
 * A session value read from Python is a {@link PyValue}: JSON-like data plus a few classes that
 * keep the Python type, so that a value read from a pickle (or a Flask tagged-JSON cookie) is
 * written back with the same type. Plain JS values map as:
 *
 * | Python            | TypeScript                                                   |
 * |-------------------|--------------------------------------------------------------|
 * | `None`            | `null`                                                       |
 * | `bool`            | `boolean`                                                    |
 * | `int`             | integral `number` (or `bigint` beyond 2^53)                  |
 * | `float`           | non-integral `number`, or {@link PyFloat} when integral (`1.0`) |
 * | `str`             | `string`                                                     |
 * | `bytes`           | `Uint8Array`                                                 |
 * | `list`            | array                                                        |
 * | `dict` (str keys) | plain object                                                 |
 * | `tuple`           | {@link PyTuple}                                              |
 * | `datetime` / `date` / `timedelta` | {@link PyDateTime} / {@link PyDate} / {@link PyTimeDelta} |
 * | `Decimal` / `UUID` | {@link PyDecimal} / {@link PyUUID}                          |
 * | `set` / `frozenset` | {@link PySet} / {@link PyFrozenSet} (JS `Set`s)            |
 * | `OrderedDict` (str keys) | {@link PyOrderedDict} (a JS `Map`)                    |
 *
 * Why a `PyFloat` wrapper: JS has one number type, so `1.0` and `1` are the same number. A
 * reader that returned `1` for Python's `1.0` would write back an `int`. Integral floats are
 * rare in sessions; they come back wrapped, everything else is a plain number.
 *
 * Every typed value has `toJSON()` (so `res.json(await session.get("cart"))` and
 * `JSON.stringify` give the value, as Django's `DjangoJSONEncoder` writes it: a tuple as its
 * array, a datetime, date or UUID as its ISO or hyphenated string, a Decimal as its exact
 * string, a timedelta as an ISO 8601 duration) and `toString()` (what Python's `str()` gives,
 * except that a tuple, set or frozenset joins its items as an array's `toString()` does and an
 * OrderedDict is its JSON text).
 */
import { MalformedError } from "../errors.ts";

/**
 * A Python `float` whose value is integral (`1.0`, `-0.0`, `1e+100`).
 *
 * @example
 * ```ts
 * import { PyFloat } from "sessionbridge";
 * await session.set("ratio", new PyFloat(1)); // Python reads 1.0, not 1
 * ```
 */
export class PyFloat {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
  /** The number. */
  toJSON(): number {
    return this.value;
  }
  /** As Python's `str(float)`: `1.0`, `-0.0`, `1e+16`, `inf`, `nan`. */
  toString(): string {
    const v = this.value;
    if (Number.isNaN(v)) return "nan";
    if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
    if (Object.is(v, -0)) return "-0.0";
    // Python's repr switches to exponent notation from 1e16 (an integral float is never small).
    if (Math.abs(v) >= 1e16) return v.toExponential();
    const text = String(v);
    return Number.isInteger(v) ? `${text}.0` : text;
  }
}

/**
 * A Python `tuple`.
 *
 * @example
 * ```ts
 * import { PyTuple } from "sessionbridge";
 * await session.set("point", new PyTuple([1, 2])); // Python reads (1, 2)
 * ```
 */
export class PyTuple {
  readonly items: readonly PyValue[];
  constructor(items: readonly PyValue[]) {
    this.items = items;
  }
  /** The items, as an array (what `DjangoJSONEncoder` writes for a tuple). */
  toJSON(): readonly PyValue[] {
    return this.items;
  }
  /** The items joined with commas, as an array's `toString()` (a dict as its JSON text). */
  toString(): string {
    return this.items.map(itemText).join(",");
  }
}

/**
 * A Python `decimal.Decimal`, kept as its exact decimal string (`"12.50"`).
 *
 * @example
 * ```ts
 * import { PyDecimal } from "sessionbridge";
 * await session.set("total", new PyDecimal("12.50"));
 * ```
 */
export class PyDecimal {
  constructor(readonly value: string) {}
  /** The exact decimal string (`DjangoJSONEncoder`'s `str(o)`). */
  toJSON(): string {
    return this.value;
  }
  toString(): string {
    return this.value;
  }
}

/**
 * A Python `uuid.UUID`, kept as 32 lowercase hex digits.
 *
 * @example
 * ```ts
 * import { PyUUID } from "sessionbridge";
 * new PyUUID("12345678123456781234567812345678").toString(); // "12345678-1234-5678-1234-567812345678"
 * ```
 */
export class PyUUID {
  readonly hex: string;
  constructor(value: string) {
    const hex = value.replace(/-/g, "").toLowerCase();
    if (!/^[0-9a-f]{32}$/.test(hex)) throw new MalformedError("PyUUID needs 32 hex digits");
    this.hex = hex;
  }
  /** Hyphenated form, as Python's `str(uuid)`. */
  toString(): string {
    const h = this.hex;
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  /** The hyphenated form. */
  toJSON(): string {
    return this.toString();
  }
}

/**
 * A Python `datetime.date`.
 *
 * @example
 * ```ts
 * import { PyDate } from "sessionbridge";
 * new PyDate(2024, 2, 29).toISOString(); // "2024-02-29"
 * ```
 */
export class PyDate {
  constructor(
    readonly year: number,
    readonly month: number,
    readonly day: number,
  ) {}
  /** `YYYY-MM-DD`, as `date.isoformat()`. */
  toISOString(): string {
    return `${pad(this.year, 4)}-${pad(this.month, 2)}-${pad(this.day, 2)}`;
  }
  /** `YYYY-MM-DD`. */
  toJSON(): string {
    return this.toISOString();
  }
  /** `YYYY-MM-DD`, as Python's `str(date)`. */
  toString(): string {
    return this.toISOString();
  }
}

/**
 * A Python `datetime.datetime` with microsecond precision. `utcOffsetSeconds` is `null` for a
 * naive datetime, else the fixed offset of its tzinfo (UTC is `0`).
 *
 * @example
 * ```ts
 * import { PyDateTime } from "sessionbridge";
 * await session.set("seen", PyDateTime.fromDate(new Date())); // an aware UTC datetime
 * ```
 */
export class PyDateTime {
  constructor(
    readonly year: number,
    readonly month: number,
    readonly day: number,
    readonly hour = 0,
    readonly minute = 0,
    readonly second = 0,
    readonly microsecond = 0,
    readonly utcOffsetSeconds: number | null = null,
  ) {}

  /** An aware UTC datetime from a JS `Date` (millisecond precision). */
  static fromDate(date: Date): PyDateTime {
    return new PyDateTime(
      date.getUTCFullYear(),
      date.getUTCMonth() + 1,
      date.getUTCDate(),
      date.getUTCHours(),
      date.getUTCMinutes(),
      date.getUTCSeconds(),
      date.getUTCMilliseconds() * 1000,
      0,
    );
  }

  /** The instant as a JS `Date` (naive datetimes are taken as UTC; microseconds truncated). */
  toDate(): Date {
    const ms = Date.UTC(
      this.year,
      this.month - 1,
      this.day,
      this.hour,
      this.minute,
      this.second,
      Math.floor(this.microsecond / 1000),
    );
    return new Date(ms - (this.utcOffsetSeconds ?? 0) * 1000);
  }

  /** As Python's `datetime.isoformat()`: microseconds only when non-zero, offset when aware. */
  toISOString(): string {
    return this.#iso("T");
  }

  /**
   * As `DjangoJSONEncoder`: `isoformat()` with microseconds cut to milliseconds and a UTC
   * offset of zero written `Z`.
   */
  toJSON(): string {
    let s = this.#iso("T");
    if (this.microsecond) s = s.slice(0, 23) + s.slice(26);
    return s.endsWith("+00:00") ? `${s.slice(0, -6)}Z` : s;
  }

  /** As Python's `str(datetime)`: `isoformat(" ")`. */
  toString(): string {
    return this.#iso(" ");
  }

  #iso(separator: string): string {
    let s =
      `${pad(this.year, 4)}-${pad(this.month, 2)}-${pad(this.day, 2)}` +
      `${separator}${pad(this.hour, 2)}:${pad(this.minute, 2)}:${pad(this.second, 2)}`;
    if (this.microsecond) s += `.${pad(this.microsecond, 6)}`;
    if (this.utcOffsetSeconds !== null) {
      const off = this.utcOffsetSeconds;
      const abs = Math.abs(off);
      s += `${off < 0 ? "-" : "+"}${pad(Math.floor(abs / 3600), 2)}:${pad(Math.floor(abs / 60) % 60, 2)}`;
      if (abs % 60) s += `:${pad(abs % 60, 2)}`;
    }
    return s;
  }
}

/**
 * A Python `datetime.timedelta`, normalised as Python does (0 ≤ seconds < 86400, 0 ≤ µs < 1e6).
 *
 * @example
 * ```ts
 * import { PyTimeDelta } from "sessionbridge";
 * new PyTimeDelta(0, 90).totalSeconds(); // 90
 * ```
 */
export class PyTimeDelta {
  readonly days: number;
  readonly seconds: number;
  readonly microseconds: number;
  constructor(days: number, seconds = 0, microseconds = 0) {
    if (
      Number.isSafeInteger(days) &&
      Number.isSafeInteger(seconds) &&
      Number.isSafeInteger(microseconds)
    ) {
      // Integer parts (what pickles and Django hold): carried unit by unit, so that the whole
      // range of timedelta (±999,999,999 days, far beyond 2^53 µs) stays exact.
      const carrySeconds = Math.floor(microseconds / 1_000_000);
      this.microseconds = microseconds - carrySeconds * 1_000_000;
      const totalSeconds = seconds + carrySeconds;
      const carryDays = Math.floor(totalSeconds / 86_400);
      this.seconds = totalSeconds - carryDays * 86_400;
      this.days = days + carryDays;
      return;
    }
    // Fractional parts, as `timedelta(days=1.5)` takes them: through float microseconds,
    // rounded like Python (exact while the total stays within ±2^53 µs, about ±104,249 days).
    let us = days * 86_400_000_000 + seconds * 1_000_000 + microseconds;
    if (!Number.isSafeInteger(us)) us = Math.round(us);
    const totalSeconds = Math.floor(us / 1_000_000);
    this.microseconds = us - totalSeconds * 1_000_000;
    this.days = Math.floor(totalSeconds / 86_400);
    this.seconds = totalSeconds - this.days * 86_400;
  }
  /**
   * As `timedelta.total_seconds()`: Python divides the exact total of microseconds by 10**6,
   * one correctly rounded division; done the same way here whenever that total is exact in a
   * double, and through BigInt beyond (then rounded twice, off by at most one ulp).
   */
  totalSeconds(): number {
    const us = this.days * 86_400_000_000 + this.seconds * 1_000_000 + this.microseconds;
    if (Number.isSafeInteger(us)) return us / 1_000_000;
    const exact =
      BigInt(this.days) * 86_400_000_000n +
      BigInt(this.seconds) * 1_000_000n +
      BigInt(this.microseconds);
    const whole = exact / 1_000_000n;
    const rest = exact - whole * 1_000_000n;
    return Number(whole) + Number(rest) / 1_000_000;
  }

  /** An ISO 8601 duration, as Django's `duration_iso_string` (`DjangoJSONEncoder`): `P1DT02H03M04.000005S`. */
  toJSON(): string {
    const negative = this.days < 0;
    const d = negative ? new PyTimeDelta(-this.days, -this.seconds, -this.microseconds) : this;
    const minutes = Math.floor(d.seconds / 60);
    const fraction = d.microseconds ? `.${pad(d.microseconds, 6)}` : "";
    return (
      `${negative ? "-" : ""}P${String(d.days)}DT${pad(Math.floor(minutes / 60), 2)}H` +
      `${pad(minutes % 60, 2)}M${pad(d.seconds % 60, 2)}${fraction}S`
    );
  }

  /** As Python's `str(timedelta)`: `1 day, 2:03:04.000005`, `-1 day, 23:59:59`. */
  toString(): string {
    const minutes = Math.floor(this.seconds / 60);
    let s = `${String(Math.floor(minutes / 60))}:${pad(minutes % 60, 2)}:${pad(this.seconds % 60, 2)}`;
    if (this.days) s = `${String(this.days)} day${Math.abs(this.days) === 1 ? "" : "s"}, ${s}`;
    if (this.microseconds) s += `.${pad(this.microseconds, 6)}`;
    return s;
  }
}

/**
 * Flask's `markupsafe.Markup`: a string already escaped for HTML.
 *
 * @example
 * ```ts
 * import { PyMarkup } from "sessionbridge";
 * await session.set("flash", new PyMarkup("<b>Saved</b>"));
 * ```
 */
export class PyMarkup {
  constructor(readonly value: string) {}
  /** The markup string. */
  toJSON(): string {
    return this.value;
  }
  toString(): string {
    return this.value;
  }
}

/**
 * A Python `set`: a JS `Set` (`add`, `has`, `delete`, iteration in insertion order) that is
 * written back as a `set`, so Python code calling `session["seen"].add(x)` keeps working after
 * Node wrote the session. Its items must be hashable in Python (no arrays, dicts or `PySet`s;
 * tuples of hashable items, `PyFrozenSet`s and scalars are fine): writing one that is not is
 * refused with `UnsupportedValueError`, as Python itself could not hold it. Membership is JS's
 * (`SameValueZero`): two equal `PyTuple`s are two items here, one in Python.
 *
 * @example
 * ```ts
 * import { PySet } from "sessionbridge";
 * const seen = (await session.get("seen")) ?? new PySet();
 * if (seen instanceof PySet) await session.set("seen", seen.add("page-2"));
 * ```
 */
export class PySet extends Set<PyValue> {
  /** The items, as an array (what `JSON.stringify` writes; Django's encoder refuses sets). */
  toJSON(): PyValue[] {
    return [...this];
  }
  /** The items joined with commas, as {@link PyTuple.toString}. */
  override toString(): string {
    return [...this].map(itemText).join(",");
  }
}

/**
 * A Python `frozenset`: a JS `Set` written back as a `frozenset` (items hashable, as
 * {@link PySet}).
 *
 * @example
 * ```ts
 * import { PyFrozenSet } from "sessionbridge";
 * await session.set("roles", new PyFrozenSet(["admin", "staff"]));
 * ```
 */
export class PyFrozenSet extends Set<PyValue> {
  /** The items, as an array. */
  toJSON(): PyValue[] {
    return [...this];
  }
  /** The items joined with commas, as {@link PyTuple.toString}. */
  override toString(): string {
    return [...this].map(itemText).join(",");
  }
}

/**
 * A Python `collections.OrderedDict` with string keys: a JS `Map` (which keeps insertion order,
 * also for integer-like keys that a plain object would move first), written back as an
 * `OrderedDict`. A plain object is written as a `dict`.
 *
 * @example
 * ```ts
 * import { PyOrderedDict } from "sessionbridge";
 * await session.set("steps", new PyOrderedDict([["2", "pay"], ["1", "ship"]]));
 * ```
 */
export class PyOrderedDict extends Map<string, PyValue> {
  /** A plain object with the same entries (what `json.dumps` writes for an OrderedDict). */
  toJSON(): PyDict {
    const out: PyDict = {};
    for (const [key, value] of this) {
      Object.defineProperty(out, key, {
        value,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    }
    return out;
  }
  /** The entries as JSON text, as {@link PyTuple.toString} writes a dict. */
  override toString(): string {
    return itemText(this.toJSON());
  }
}

/**
 * A Python dict with string keys.
 *
 * @example
 * ```ts
 * import type { PyDict } from "sessionbridge";
 * const prefs: PyDict = { theme: "dark", sizes: [1, 2] };
 * ```
 */
export interface PyDict {
  [key: string]: PyValue;
}

/**
 * Any value a Python session can hold that sessionbridge can carry without loss.
 *
 * @example
 * ```ts
 * import type { PyValue } from "sessionbridge";
 * const cart: PyValue = [{ sku: "apple", qty: 2 }];
 * ```
 */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyFloat
  | PyTuple
  | PyDecimal
  | PyUUID
  | PyDate
  | PyDateTime
  | PyTimeDelta
  | PyMarkup
  | PySet
  | PyFrozenSet
  | PyOrderedDict
  | PyValue[]
  | PyDict;

/**
 * A whole session: top-level keys in insertion order (Python dict order).
 *
 * @example
 * ```ts
 * import type { SessionData } from "sessionbridge";
 * const data: SessionData = new Map([["user", "alice"]]);
 * ```
 */
export type SessionData = Map<string, PyValue>;

/**
 * True for a plain object used as a Python dict (not an array, not a typed value).
 *
 * @example
 * ```ts
 * import { isPyDict } from "sessionbridge";
 * isPyDict({ a: 1 }); // true
 * isPyDict([1]); // false
 * ```
 */
export function isPyDict(value: unknown): value is PyDict {
  if (value === null || typeof value !== "object") return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** An item of {@link PyTuple.toString}: as in an array's `toString()`, a dict as JSON. */
function itemText(item: PyValue): string {
  if (item === null) return "";
  if (Array.isArray(item)) return item.map(itemText).join(",");
  if (isPyDict(item)) {
    return JSON.stringify(item, (_key, value: unknown) =>
      typeof value === "bigint" ? value.toString() : value,
    );
  }
  return String(item);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}
