/**
 * A safe pickle codec for session data: Django's cache session backends (django-redis pickles
 * with protocol 4 on CPython ≤ 3.13, Django's `RedisCache` with protocol 5) and the legacy
 * `PickleSerializer`.
 *
 * Reading never imports or runs anything: a pickle is decoded by a stack machine over the data
 * opcodes, and globals resolve only through an explicit allow-list of pure TS constructors
 * (datetime, date, timedelta, fixed-offset timezone, Decimal, UUID, OrderedDict, set/frozenset,
 * bytes/bytearray spellings, markupsafe.Markup). Anything else (`os.system`, `builtins.eval`,
 * `builtins.getattr`, zoneinfo, pytz, any class of the application) is refused with
 * {@link UnsupportedPickleGlobalError} naming it; opcodes that could call code in other ways
 * (INST, OBJ, PERSID, BINPERSID, EXT1/2/4, NEWOBJ_EX) with {@link UnsupportedPickleOpcodeError}.
 * Applications can allow more globals explicitly with {@link PickleLoadOptions.globals}.
 *
 * Value mapping (see `python-values.ts`): int → integral `number` (`bigint` beyond 2^53),
 * float → `number` (`PyFloat` when integral, incl. `-0.0`), bytes/bytearray → `Uint8Array`,
 * tuple → `PyTuple`, dict → plain object, OrderedDict → `PyOrderedDict`, set/frozenset →
 * `PySet`/`PyFrozenSet` (all three written back with their type),
 * aware datetimes keep only their fixed UTC offset.
 *
 * Dict keys: Python dicts may have non-str keys; a plain object cannot say so. By default
 * (`nonStringKeys: "error"`) such a pickle is refused with MalformedError rather than silently
 * changed; `nonStringKeys: "stringify"` converts int/float/bool/None keys as `json.dumps` does
 * (`1` → `"1"`, `True` → `"true"`), which is lossy if written back. Other key types (tuple,
 * bytes, …) are always refused.
 *
 * Shared references (the same list twice) decode to the same JS object and are written back as
 * one memoized object; recursive structures are refused both ways.
 *
 * @example
 * ```ts
 * const session = loadsPickleSession(await redis.getBuffer(key));
 * session.set("cart", [1, 2]);
 * await redis.set(key, Buffer.from(dumpsPickle(session, { protocol: 4 })));
 * ```
 */
import { ConfigurationError, MalformedError } from "../../errors.ts";
import { isPyDict, type PyValue, type SessionData } from "../python-values.ts";
import { BUILTIN_GLOBALS } from "./allow-list.ts";
import { readPickle, type ReaderConfig } from "./reader.ts";
import {
  GlobalRef,
  Pending,
  PendingSet,
  TzOffset,
  type GlobalHandler,
  type StackValue,
} from "./values.ts";
import { writePickle } from "./writer.ts";

export { UnsupportedPickleGlobalError, UnsupportedPickleOpcodeError } from "./errors.ts";

/**
 * Decodes an allow-listed global. A function is called for `REDUCE` (`cls(*args)`, what
 * `__reduce__` returning `(cls, args)` produces); the object form also handles `NEWOBJ`
 * (`copyreg.__newobj__`, what plain classes pickle as) with the `BUILD` state, usually the
 * instance `__dict__` as a plain object (`undefined` when the pickle has none).
 *
 * Hooks receive only finished values; they must be pure and must not execute anything.
 *
 * @example
 * ```ts
 * loadsPickle(bytes, { globals: { "myapp.money.Money": ([amount, currency]) => ({ amount, currency }) } });
 * ```
 */
export type PickleGlobalHook =
  | ((args: readonly PyValue[]) => PyValue)
  | {
      readonly reduce?: (args: readonly PyValue[]) => PyValue;
      readonly newobj?: (args: readonly PyValue[], state: PyValue | undefined) => PyValue;
    };

/** Options of {@link loadsPickle} and {@link loadsPickleSession}. */
export interface PickleLoadOptions {
  /**
   * Refuse inputs longer than this (TooLargeError) before reading a byte. Default 1 MiB: far
   * above any real session (memcached, a common Django cache, stores at most 1 MB per value),
   * small enough that no stored value can tie up a request.
   */
  readonly maxInputBytes?: number;
  /**
   * Refuse pickles that make more values than this (TooLargeError): counted while parsing
   * (every value the unpickler pushes, intermediate ones such as a datetime's arguments
   * included, and every MARK), and again over the result, a shared object once per reference
   * (so a "billion laughs" memo bomb is refused). Default 100,000.
   */
  readonly maxItems?: number;
  /** Refuse containers nested deeper than this (TooLargeError). Default 500, at most 2000. */
  readonly maxDepth?: number;
  /** What to do with non-str dict keys; see the module docs. Default `"error"`. */
  readonly nonStringKeys?: "error" | "stringify";
  /**
   * Read set/frozenset as {@link PySet}/{@link PyFrozenSet} (`"typed"`, the default: written
   * back as sets), as arrays (`"list"`: written back as lists, so Python's `.add()` breaks after a
   * write), or refuse them (`"error"`).
   */
  readonly sets?: "typed" | "list" | "error";
  /**
   * Extra allow-listed globals by `module.qualname` (`"myapp.models.Money"`). They take
   * precedence over the built-in table. Never allow a global that has side effects.
   */
  readonly globals?: Readonly<Record<string, PickleGlobalHook>>;
}

/** Options of {@link dumpsPickle}. */
export interface PickleDumpOptions {
  /**
   * Pickle protocol: 4 (default; django-redis on CPython 3.8–3.13, `pickle.DEFAULT_PROTOCOL`)
   * or 5 (Django's `RedisCache`, `pickle.HIGHEST_PROTOCOL`; also django-redis on 3.14), 2 or 3.
   */
  readonly protocol?: 2 | 3 | 4 | 5;
  /** Refuse values nested deeper than this (TooLargeError). Default 500. */
  readonly maxDepth?: number;
}

const PROTOCOLS = [2, 3, 4, 5] as const;
const DEFAULT_MAX_INPUT = 1024 * 1024;
const DEFAULT_MAX_ITEMS = 100_000;
const DEFAULT_MAX_DEPTH = 500;
const MAX_DEPTH_CAP = 2000; // the final pass recurses; keep well inside the JS stack

function positive(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < 1)
    throw new ConfigurationError(`${name} must be a positive integer`);
  return v;
}

function hookHandler(name: string, hook: PickleGlobalHook): GlobalHandler {
  const clean = (args: readonly StackValue[]): PyValue[] => {
    for (const a of args) {
      if (
        a instanceof GlobalRef ||
        a instanceof TzOffset ||
        a instanceof Pending ||
        a instanceof PendingSet
      ) {
        throw new MalformedError(`pickle: unsupported argument for ${name}`);
      }
    }
    return args as PyValue[];
  };
  if (typeof hook === "function") return { reduce: (args) => hook(clean(args)) };
  const { reduce, newobj } = hook;
  return {
    ...(reduce && { reduce: (args: readonly StackValue[]) => reduce(clean(args)) }),
    ...(newobj && {
      newobj: (args: readonly StackValue[], state: StackValue | undefined) =>
        newobj(clean(args), state === undefined ? undefined : clean([state])[0]),
    }),
  };
}

// Options objects are usually reused: cache their resolved configuration.
const configs = new WeakMap<PickleLoadOptions, ReaderConfig>();
const DEFAULT_CONFIG: ReaderConfig = {
  maxInputBytes: DEFAULT_MAX_INPUT,
  maxItems: DEFAULT_MAX_ITEMS,
  maxDepth: DEFAULT_MAX_DEPTH,
  nonStringKeys: "error",
  sets: "typed",
  globals: BUILTIN_GLOBALS,
};

function readerConfig(options: PickleLoadOptions | undefined): ReaderConfig {
  if (options === undefined) return DEFAULT_CONFIG;
  const cached = configs.get(options);
  if (cached !== undefined) return cached;
  let globals: ReadonlyMap<string, GlobalHandler> = BUILTIN_GLOBALS;
  if (options.globals !== undefined) {
    const merged = new Map(BUILTIN_GLOBALS);
    for (const [name, hook] of Object.entries(options.globals)) {
      merged.set(name, hookHandler(name, hook));
    }
    globals = merged;
  }
  const config: ReaderConfig = {
    maxInputBytes: positive("maxInputBytes", options.maxInputBytes, DEFAULT_MAX_INPUT),
    maxItems: positive("maxItems", options.maxItems, DEFAULT_MAX_ITEMS),
    maxDepth: Math.min(positive("maxDepth", options.maxDepth, DEFAULT_MAX_DEPTH), MAX_DEPTH_CAP),
    nonStringKeys: options.nonStringKeys ?? "error",
    sets: options.sets ?? "typed",
    globals,
  };
  configs.set(options, config);
  return config;
}

/**
 * Decodes a pickle (protocols 0–5) into a {@link PyValue}.
 *
 * @throws MalformedError on invalid or truncated data, TooLargeError past a limit,
 *   UnsupportedPickleGlobalError (`code: "unsupported-pickle-global"`) for a global outside the
 *   allow-list, UnsupportedPickleOpcodeError (`code: "unsupported-pickle-opcode"`).
 */
export function loadsPickle(data: Uint8Array, options?: PickleLoadOptions): PyValue {
  return readPickle(data, readerConfig(options)).value;
}

/**
 * Decodes a pickled session dict into a {@link SessionData} map, keeping Python's key order
 * (also for integer-like keys, which a plain JS object would reorder).
 *
 * @throws MalformedError when the pickle is not a dict; otherwise as {@link loadsPickle}.
 */
export function loadsPickleSession(data: Uint8Array, options?: PickleLoadOptions): SessionData {
  const { value, keyOrder } = readPickle(data, readerConfig(options));
  if (!isPyDict(value)) throw new MalformedError("pickle: session data is not a dict");
  const keys = keyOrder?.get(value) ?? Object.keys(value);
  const session: SessionData = new Map();
  for (const k of keys) session.set(k, value[k]!);
  return session;
}

/**
 * Pickles a {@link PyValue} or a whole {@link SessionData} (written as a dict in map order),
 * matching CPython's `pickle.dumps(value, protocol)` byte for byte for most session data.
 * Integral JS numbers are written as int, others (incl. NaN/±Infinity) and {@link PyFloat} as
 * float; `Uint8Array` as bytes.
 *
 * @throws UnsupportedValueError for values a session cannot hold (functions, Dates, class instances,
 *   non-str Map keys) or recursive structures, and for out-of-range dates;
 *   TooLargeError past `maxDepth`.
 */
export function dumpsPickle(
  value: PyValue | SessionData,
  options: PickleDumpOptions = {},
): Uint8Array {
  const protocol = options.protocol ?? 4;
  if (!(PROTOCOLS as readonly number[]).includes(protocol)) {
    throw new ConfigurationError("pickle protocol must be 2, 3, 4 or 5");
  }
  const maxDepth = positive("maxDepth", options.maxDepth, DEFAULT_MAX_DEPTH);
  return writePickle(value, { protocol, maxDepth });
}
