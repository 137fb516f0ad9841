/**
 * The explicit allow-list of pickle globals. Each entry maps a `module.qualname` to pure
 * TypeScript that builds a {@link PyValue} from already-decoded arguments. Nothing is imported,
 * looked up or executed by name: a global that is not a key of this table (or of the caller's
 * `globals` option) is refused with {@link UnsupportedPickleGlobalError}.
 *
 * The entries cover exactly what CPython 3 emits for session-like data:
 * - `datetime.datetime` / `datetime.date`: `REDUCE` with the packed state bytes (10 / 4 bytes,
 *   protocol ≥ 3) or a latin-1 `str` via `_codecs.encode` (protocol ≤ 2); plus optional tzinfo.
 * - `datetime.timedelta`: `REDUCE` with `(days, seconds, microseconds)`.
 * - `datetime.timezone`: `REDUCE` with `(timedelta,)` or `(timedelta, name)`. `timezone.utc`
 *   pickles as `timezone(timedelta(0))`. The name is dropped (PyDateTime keeps only the offset).
 *   zoneinfo pickles via `builtins.getattr` + `zoneinfo.ZoneInfo._unpickle` and pytz via
 *   `pytz._p`: both are refused (no tz database here).
 * - `decimal.Decimal`: `REDUCE` with `(str,)`.
 * - `uuid.UUID`: `NEWOBJ` with `()` then `BUILD` with `{"int": n}` (and `"is_safe"`, ignored);
 *   protocols 0/1 go through `copyreg._reconstructor(uuid.UUID, object, None)`.
 * - `collections.OrderedDict`: `REDUCE` with `()`, then `SETITEMS` (read as {@link PyOrderedDict}).
 * - `_codecs.encode(str, "latin1")`, `builtins.bytes()`, `builtins.bytearray(...)`: how protocol
 *   2 spells bytes; bytearray reads as `Uint8Array` (written back as `bytes`).
 * - `builtins.set` / `builtins.frozenset` (protocol ≤ 3 spelling of sets): read as
 *   {@link PySet} / {@link PyFrozenSet} (or as lists with `sets: "list"`).
 * - `markupsafe.Markup`: a `str` subclass (`NEWOBJ` with `(str,)`), read as {@link PyMarkup}.
 * - `builtins.object`: only as the base argument of `copyreg._reconstructor`.
 */
import { MalformedError } from "../../errors.ts";
import {
  PyDate,
  PyDateTime,
  PyDecimal,
  PyMarkup,
  PyOrderedDict,
  PyTimeDelta,
  PyUUID,
  isPyDict,
} from "../python-values.ts";
import { UnsupportedPickleGlobalError } from "./errors.ts";
import {
  GlobalRef,
  Pending,
  PendingSet,
  TzOffset,
  type GlobalHandler,
  type StackValue,
} from "./values.ts";

/** Python 2 module names that CPython's unpickler maps for protocols < 3 (`_compat_pickle`). */
const MODULE_ALIASES: ReadonlyMap<string, string> = new Map([
  ["__builtin__", "builtins"],
  ["copy_reg", "copyreg"],
]);

/** Python 2 names Python 3 writes for protocols < 3 (`_compat_pickle.REVERSE_NAME_MAPPING`). */
const NAME_ALIASES: ReadonlyMap<string, string> = new Map([
  ["__builtin__.unicode", "builtins.str"],
]);

/** Canonical `module.qualname` for a global as written in a pickle. */
export function canonicalGlobalName(module: string, name: string): string {
  const full = `${module}.${name}`;
  return NAME_ALIASES.get(full) ?? `${MODULE_ALIASES.get(module) ?? module}.${name}`;
}

function fail(message: string): never {
  throw new MalformedError(message);
}

function arity(name: string, args: readonly StackValue[], min: number, max: number): void {
  if (args.length < min || args.length > max) {
    fail(
      `pickle: ${name} takes ${min === max ? min : `${min} to ${max}`} arguments, got ${args.length}`,
    );
  }
}

function intArg(name: string, v: StackValue | undefined): number {
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "bigint") return fail(`pickle: ${name} argument out of range`);
  return fail(`pickle: ${name} expects an int argument`);
}

/** Packed state bytes of date/datetime: bytes, or a latin-1 str (Python 2 pickles). */
function stateBytes(v: StackValue | undefined, length: number): Uint8Array | null {
  if (v instanceof Uint8Array) return v.length === length ? v : null;
  if (typeof v === "string" && v.length === length) {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      const c = v.charCodeAt(i);
      if (c > 0xff) return null;
      out[i] = c;
    }
    return out;
  }
  return null;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

function checkDate(year: number, month: number, day: number): void {
  if (year < 1 || year > 9999) fail("pickle: date year out of range");
  if (month < 1 || month > 12) fail("pickle: date month out of range");
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const dim = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
  if (day < 1 || day > dim) fail("pickle: date day out of range");
}

function checkTime(hour: number, minute: number, second: number, us: number): void {
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
    fail("pickle: datetime time out of range");
  }
  if (us < 0 || us > 999_999) fail("pickle: datetime microsecond out of range");
}

function tzArg(v: StackValue | undefined): number | null {
  if (v === undefined || v === null) return null;
  if (v instanceof TzOffset) return v.seconds;
  if (v instanceof GlobalRef) {
    throw new UnsupportedPickleGlobalError(v.name, `pickle: unsupported tzinfo ${v.name}`);
  }
  return fail("pickle: unsupported tzinfo (only datetime.timezone fixed offsets are supported)");
}

const datetimeHandler: GlobalHandler = {
  reduce(args) {
    arity("datetime.datetime", args, 1, 8);
    const state = stateBytes(args[0], 10);
    if (state !== null && args.length <= 2) {
      const year = (state[0]! << 8) | state[1]!;
      const month = state[2]! & 0x7f; // high bit: fold (protocol ≥ 4), not kept
      const day = state[3]!;
      const hour = state[4]!;
      const minute = state[5]!;
      const second = state[6]!;
      const us = (state[7]! << 16) | (state[8]! << 8) | state[9]!;
      checkDate(year, month, day);
      checkTime(hour, minute, second, us);
      return new PyDateTime(year, month, day, hour, minute, second, us, tzArg(args[1]));
    }
    // datetime(year, month, day[, hour[, minute[, second[, microsecond[, tzinfo]]]]])
    arity("datetime.datetime", args, 3, 8);
    const n = [0, 0, 0, 0, 0, 0, 0].map((_, i) =>
      i < args.length && i < 7 ? intArg("datetime.datetime", args[i]) : 0,
    ) as [number, number, number, number, number, number, number];
    checkDate(n[0], n[1], n[2]);
    checkTime(n[3], n[4], n[5], n[6]);
    return new PyDateTime(n[0], n[1], n[2], n[3], n[4], n[5], n[6], tzArg(args[7]));
  },
};

const dateHandler: GlobalHandler = {
  reduce(args) {
    arity("datetime.date", args, 1, 3);
    const state = args.length === 1 ? stateBytes(args[0], 4) : null;
    let year: number, month: number, day: number;
    if (state !== null) {
      year = (state[0]! << 8) | state[1]!;
      month = state[2]!;
      day = state[3]!;
    } else {
      arity("datetime.date", args, 3, 3);
      year = intArg("datetime.date", args[0]);
      month = intArg("datetime.date", args[1]);
      day = intArg("datetime.date", args[2]);
    }
    checkDate(year, month, day);
    return new PyDate(year, month, day);
  },
};

const timedeltaHandler: GlobalHandler = {
  reduce(args) {
    arity("datetime.timedelta", args, 0, 3);
    const days = args.length > 0 ? intArg("datetime.timedelta", args[0]) : 0;
    const seconds = args.length > 1 ? intArg("datetime.timedelta", args[1]) : 0;
    const us = args.length > 2 ? intArg("datetime.timedelta", args[2]) : 0;
    const td = new PyTimeDelta(days, seconds, us);
    if (Math.abs(td.days) > 999_999_999) fail("pickle: timedelta out of range");
    return td;
  },
};

const timezoneHandler: GlobalHandler = {
  reduce(args) {
    arity("datetime.timezone", args, 1, 2);
    const offset = args[0];
    if (!(offset instanceof PyTimeDelta)) return fail("pickle: timezone expects a timedelta");
    if (args.length === 2 && typeof args[1] !== "string")
      fail("pickle: timezone name must be a str");
    if (offset.microseconds !== 0) fail("pickle: sub-second UTC offsets are not supported");
    const seconds = offset.days * 86_400 + offset.seconds;
    if (Math.abs(seconds) >= 86_400) fail("pickle: timezone offset out of range");
    return new TzOffset(seconds);
  },
};

// Python's Decimal string syntax (decimal module "Decimal(str)"), after strip().
const DECIMAL_RE = /^[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|s?nan\d*)$/i;

const decimalHandler: GlobalHandler = {
  reduce(args) {
    arity("decimal.Decimal", args, 0, 2);
    const v = args[0];
    if (args.length === 0) return new PyDecimal("0");
    if (typeof v === "string") {
      const s = v.trim();
      if (!DECIMAL_RE.test(s)) fail("pickle: invalid Decimal string");
      return new PyDecimal(s);
    }
    if (typeof v === "number" && Number.isInteger(v)) return new PyDecimal(String(v));
    if (typeof v === "bigint") return new PyDecimal(v.toString());
    return fail("pickle: Decimal expects a str");
  },
};

const uuidHandler: GlobalHandler = {
  newobj(args, state) {
    if (args.length !== 0) fail("pickle: uuid.UUID.__new__ takes no arguments");
    if (state === undefined || !isPyDict(state)) return fail("pickle: uuid.UUID without int state");
    const n = (state as Record<string, StackValue>)["int"];
    let big: bigint;
    if (typeof n === "number" && Number.isInteger(n)) big = BigInt(n);
    else if (typeof n === "bigint") big = n;
    else return fail("pickle: uuid.UUID state int missing");
    if (big < 0n || big >= 1n << 128n) fail("pickle: uuid.UUID int out of range");
    return new PyUUID(big.toString(16).padStart(32, "0"));
  },
};

const markupHandler: GlobalHandler = {
  reduce(args) {
    arity("markupsafe.Markup", args, 0, 1);
    const s = args.length === 0 ? "" : args[0];
    if (typeof s !== "string") return fail("pickle: Markup expects a str");
    return new PyMarkup(s);
  },
  newobj(args, state) {
    if (state !== undefined && state !== null) fail("pickle: unexpected Markup state");
    const s = args.length === 0 ? "" : args[0];
    if (args.length > 1 || typeof s !== "string") return fail("pickle: Markup expects a str");
    return new PyMarkup(s);
  },
};

const orderedDictHandler: GlobalHandler = {
  reduce(args) {
    arity("collections.OrderedDict", args, 0, 0);
    // Filled by the SETITEM(S) that follow; its values are checked by the reader's final pass.
    return new PyOrderedDict();
  },
};

function bytesCopy(name: string, args: readonly StackValue[]): Uint8Array {
  arity(name, args, 0, 1);
  if (args.length === 0) return new Uint8Array(0);
  const v = args[0];
  if (v instanceof Uint8Array) return new Uint8Array(v);
  return fail(`pickle: ${name} expects bytes`);
}

const LATIN1 = new Set(["latin1", "latin-1", "latin_1", "iso-8859-1", "iso8859-1", "l1"]);

const codecsEncodeHandler: GlobalHandler = {
  reduce(args) {
    arity("_codecs.encode", args, 2, 2);
    const [s, enc] = args;
    if (typeof s !== "string" || typeof enc !== "string" || !LATIN1.has(enc.toLowerCase())) {
      return fail("pickle: _codecs.encode is only supported as encode(str, 'latin1')");
    }
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 0xff) fail("pickle: _codecs.encode: character outside latin-1");
      out[i] = c;
    }
    return out;
  },
};

function setHandler(name: string, typed: "set" | "frozenset" | null): GlobalHandler {
  return {
    reduce(args) {
      arity(name, args, 0, 1);
      const v = args.length === 0 ? [] : args[0];
      if (!Array.isArray(v)) return fail(`pickle: ${name} expects a list`);
      // Made a PySet/PyFrozenSet by the reader's final pass, which resolves the items too.
      if (typed === null) return v.slice();
      return new PendingSet(typed === "frozenset", v.slice());
    },
  };
}

/** Marker for `builtins.object`; valid only as `copyreg._reconstructor`'s base. */
const objectHandler: GlobalHandler = {};

const reconstructorHandler: GlobalHandler = {
  reduce(args) {
    arity("copyreg._reconstructor", args, 3, 3);
    const [cls, base, state] = args;
    if (!(cls instanceof GlobalRef) || cls.handler.newobj === undefined) {
      return fail("pickle: copyreg._reconstructor needs an allow-listed class");
    }
    if (!(base instanceof GlobalRef)) return fail("pickle: copyreg._reconstructor base");
    if (base.handler === objectHandler && state === null) return new Pending(cls, []);
    if (base.name === "builtins.str" && typeof state === "string") {
      return new Pending(cls, [state]);
    }
    return fail("pickle: unsupported copyreg._reconstructor base");
  },
};

/** The built-in allow-list (canonical names). */
export const BUILTIN_GLOBALS: ReadonlyMap<string, GlobalHandler> = new Map<string, GlobalHandler>([
  ["datetime.datetime", datetimeHandler],
  ["datetime.date", dateHandler],
  ["datetime.timedelta", timedeltaHandler],
  ["datetime.timezone", timezoneHandler],
  ["decimal.Decimal", decimalHandler],
  ["uuid.UUID", uuidHandler],
  ["markupsafe.Markup", markupHandler],
  ["collections.OrderedDict", orderedDictHandler],
  ["_codecs.encode", codecsEncodeHandler],
  ["builtins.bytes", { reduce: (args) => bytesCopy("builtins.bytes", args) }],
  ["builtins.bytearray", { reduce: (args) => bytesCopy("builtins.bytearray", args) }],
  ["builtins.object", objectHandler],
  ["builtins.str", {}],
  ["copyreg._reconstructor", reconstructorHandler],
]);

/** Set constructors making {@link PySet} / {@link PyFrozenSet} (`sets: "typed"`, the default). */
export const SET_GLOBALS: ReadonlyMap<string, GlobalHandler> = new Map([
  ["builtins.set", setHandler("builtins.set", "set")],
  ["builtins.frozenset", setHandler("builtins.frozenset", "frozenset")],
]);

/** Set constructors making arrays (`sets: "list"`: the types are lost on a write). */
export const SET_LIST_GLOBALS: ReadonlyMap<string, GlobalHandler> = new Map([
  ["builtins.set", setHandler("builtins.set", null)],
  ["builtins.frozenset", setHandler("builtins.frozenset", null)],
]);
