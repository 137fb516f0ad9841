/**
 * The pickler: writes {@link PyValue}s the way CPython's C pickler (`_pickle.c`) does, so that
 * for the same data the bytes usually match `pickle.dumps(obj, protocol)` exactly:
 * - `PROTO`, then (protocol ≥ 4) `FRAME`s cut at the first object boundary past 64 KiB, frames
 *   under 4 bytes left unframed, and str/bytes payloads ≥ 64 KiB written outside frames;
 * - every str, bytes, tuple, list, dict and reduced object memoized (`MEMOIZE`, or `BINPUT` /
 *   `LONG_BINPUT` before protocol 4); the same JS object written twice is a `BINGET`, like the
 *   same Python object; globals, module names and tzinfo offsets are memoized as CPython's shared
 *   objects are (`datetime.timezone.utc` is a singleton there);
 * - lists/dicts in batches of 1000 (`APPEND`/`SETITEM` for a single item), tuples of ≤ 3 items
 *   with `TUPLE1..3`;
 * - ints as `BININT1/BININT2/BININT` within int32, else `LONG1/LONG4`; floats as `BINFLOAT`;
 * - protocol 2 spells bytes `_codecs.encode(latin1_str, "latin1")` (`bytes()` when empty), as
 *   Python 3 does for protocol < 3;
 * - `PySet` as `EMPTY_SET` + `ADDITEMS` batches and `PyFrozenSet` as `FROZENSET` (protocol ≥ 4),
 *   `set(list)` / `frozenset(list)` reduces before; `PyOrderedDict` as `OrderedDict.__reduce__`
 *   gives it (`collections.OrderedDict()` then its items by `SETITEM(S)`).
 * Identity-based sharing in CPython (interned strings re-used through the memo) cannot be known
 * from JS values, so such pickles differ in memo opcodes only; Python reads both the same.
 */
import { Buffer } from "#runtime";
import { TooLargeError, UnsupportedValueError } from "../../errors.ts";
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
  type PyValue,
  type SessionData,
} from "../python-values.ts";
import { Op } from "./opcodes.ts";
import { encodeUtf8Into, maxUtf8Length } from "./utf8.ts";

const FRAME_HEADER = 9;
const FRAME_SIZE_MIN = 4;
const FRAME_SIZE_TARGET = 64 * 1024;
const BATCH = 1000;

/** Fully resolved writer options. */
export interface WriterConfig {
  readonly protocol: 2 | 3 | 4 | 5;
  readonly maxDepth: number;
}

type Writable = PyValue | SessionData;

class Pickler {
  private buf = Buffer.allocUnsafeSlow(256);
  private pos = 0;
  private framing = false;
  private frameStart = -1;
  private memoCount = 0;
  /** JS object identity → memo index (the same object written twice is a BINGET). */
  private readonly objects = new Map<object, number>();
  /** Shared CPython objects keyed by value: globals, module-name strs, tzinfo offsets. */
  private readonly shared = new Map<string, number>();
  private readonly active = new Set<object>();
  private depth = 0;

  constructor(
    private readonly proto: 2 | 3 | 4 | 5,
    private readonly maxDepth: number,
  ) {}

  dump(value: Writable): Uint8Array {
    this.raw2(Op.PROTO, this.proto);
    if (this.proto >= 4) this.framing = true;
    this.save(value);
    this.op(Op.STOP);
    this.commitFrame();
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.pos);
  }

  // ---- output buffer and framing (mirrors _Pickler_Write / _Pickler_CommitFrame)

  private ensure(n: number): void {
    if (this.framing && this.frameStart < 0) {
      this.frameStart = this.pos;
      n += FRAME_HEADER;
      this.grow(n);
      this.pos += FRAME_HEADER;
      return;
    }
    this.grow(n);
  }

  private grow(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = Buffer.allocUnsafeSlow(cap);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private commitFrame(): void {
    if (!this.framing || this.frameStart < 0) return;
    const start = this.frameStart;
    const len = this.pos - start - FRAME_HEADER;
    if (len >= FRAME_SIZE_MIN) {
      this.buf[start] = Op.FRAME;
      this.buf.writeUInt32LE(len >>> 0, start + 1);
      this.buf.writeUInt32LE(Math.floor(len / 2 ** 32), start + 5);
    } else {
      this.buf.copyWithin(start, start + FRAME_HEADER, this.pos);
      this.pos -= FRAME_HEADER;
    }
    this.frameStart = -1;
  }

  /** After each object: start a new frame once the current one reached the target size. */
  private boundary(): void {
    if (this.framing && this.frameStart >= 0) {
      if (this.pos - this.frameStart - FRAME_HEADER >= FRAME_SIZE_TARGET) this.commitFrame();
    }
  }

  private op(code: number): void {
    this.ensure(1);
    this.buf[this.pos++] = code;
  }

  private raw2(a: number, b: number): void {
    this.ensure(2);
    this.buf[this.pos++] = a;
    this.buf[this.pos++] = b;
  }

  private opU32(code: number, n: number): void {
    this.ensure(5);
    this.buf[this.pos] = code;
    this.buf.writeUInt32LE(n, this.pos + 1);
    this.pos += 5;
  }

  // ---- memo

  private memoPut(): number {
    const idx = this.memoCount++;
    if (this.proto >= 4) this.op(Op.MEMOIZE);
    else if (idx < 256) this.raw2(Op.BINPUT, idx);
    else this.opU32(Op.LONG_BINPUT, idx);
    return idx;
  }

  private memoGet(idx: number): void {
    if (idx < 256) this.raw2(Op.BINGET, idx);
    else this.opU32(Op.LONG_BINGET, idx);
  }

  private remember(obj: object): void {
    this.objects.set(obj, this.memoPut());
  }

  // ---- values

  private save(v: Writable): void {
    this.saveValue(v);
    this.boundary();
  }

  private saveValue(v: Writable): void {
    switch (typeof v) {
      case "string":
        this.saveStr(v);
        return;
      case "number":
        if (Number.isInteger(v)) this.saveInt(v);
        else this.saveFloat(v);
        return;
      case "boolean":
        this.op(v ? Op.NEWTRUE : Op.NEWFALSE);
        return;
      case "bigint":
        this.saveBigInt(v);
        return;
      case "object":
        break;
      default:
        throw new UnsupportedValueError(`cannot pickle a value of type ${typeof v}`);
    }
    if (v === null) {
      this.op(Op.NONE);
      return;
    }
    if (v instanceof PyFloat) {
      this.saveFloat(v.value);
      return;
    }
    // Recursive structures are refused (the reader refuses them too), shared ones are memoized.
    if (this.active.has(v)) throw new UnsupportedValueError("cannot pickle a recursive structure");
    const seen = this.objects.get(v);
    if (seen !== undefined) {
      this.memoGet(seen);
      return;
    }
    if (Array.isArray(v))
      this.nested(v, () => {
        this.saveList(v);
      });
    else if (v instanceof PySet || v instanceof PyFrozenSet)
      this.nested(v, () => {
        this.saveSet(v);
      });
    else if (v instanceof PyOrderedDict)
      this.nested(v, () => {
        this.saveOrderedDict(v);
      });
    else if (v instanceof Map)
      this.nested(v, () => {
        this.saveDict(v, [...v.keys()], (k) => v.get(k)!);
      });
    else if (isPyDict(v))
      this.nested(v, () => {
        this.saveDict(v, Object.keys(v), (k) => v[k]!);
      });
    else if (v instanceof PyTuple)
      this.nested(v, () => {
        this.saveTuple(v);
      });
    else if (v instanceof Uint8Array) this.saveBytes(v);
    else if (v instanceof PyDateTime) this.saveDateTime(v);
    else if (v instanceof PyDate) this.saveDate(v);
    else if (v instanceof PyTimeDelta) this.saveTimeDelta(v);
    else if (v instanceof PyDecimal) this.saveDecimal(v);
    else if (v instanceof PyUUID) this.saveUUID(v);
    else if (v instanceof PyMarkup) this.saveMarkup(v);
    else
      throw new UnsupportedValueError(
        `cannot pickle a value of type ${(v as object).constructor.name}`,
      );
  }

  private nested(obj: object, fn: () => void): void {
    if (++this.depth > this.maxDepth) {
      throw new TooLargeError(`pickle: nesting deeper than ${this.maxDepth}`);
    }
    this.active.add(obj);
    fn();
    this.active.delete(obj);
    this.depth--;
  }

  private saveInt(n: number): void {
    if (n >= -0x80000000 && n <= 0x7fffffff) {
      if (n >= 0 && n <= 0xff) this.raw2(Op.BININT1, n);
      else if (n >= 0 && n <= 0xffff) {
        this.ensure(3);
        this.buf[this.pos] = Op.BININT2;
        this.buf.writeUInt16LE(n, this.pos + 1);
        this.pos += 3;
      } else {
        this.ensure(5);
        this.buf[this.pos] = Op.BININT;
        this.buf.writeInt32LE(n, this.pos + 1);
        this.pos += 5;
      }
      return;
    }
    this.saveLong(BigInt(n));
  }

  private saveBigInt(n: bigint): void {
    if (n >= -0x80000000n && n <= 0x7fffffffn) this.saveInt(Number(n));
    else this.saveLong(n);
  }

  /** LONG1/LONG4 with CPython's minimal two's-complement little-endian encoding. */
  private saveLong(n: bigint): void {
    const abs = n < 0n ? -n : n;
    const nbits = abs.toString(2).length;
    let nbytes = (nbits >> 3) + 1;
    let x = n < 0n ? (1n << BigInt(nbytes * 8)) + n : n;
    const bytes = new Uint8Array(nbytes);
    for (let i = 0; i < nbytes; i++) {
      bytes[i] = Number(x & 0xffn);
      x >>= 8n;
    }
    if (n < 0n && nbytes > 1 && bytes[nbytes - 1] === 0xff && (bytes[nbytes - 2]! & 0x80) !== 0) {
      nbytes--;
    }
    if (nbytes < 256) this.raw2(Op.LONG1, nbytes);
    else this.opU32(Op.LONG4, nbytes);
    this.ensure(nbytes);
    this.buf.set(bytes.subarray(0, nbytes), this.pos);
    this.pos += nbytes;
  }

  private saveFloat(x: number): void {
    this.ensure(9);
    this.buf[this.pos] = Op.BINFLOAT;
    this.buf.writeDoubleBE(x, this.pos + 1);
    this.pos += 9;
  }

  /** A str, memoized; `constKey` shares one memo entry for CPython's shared constant strings. */
  private saveStr(s: string, constKey?: string): void {
    if (constKey !== undefined) {
      const idx = this.shared.get(constKey);
      if (idx !== undefined) {
        this.memoGet(idx);
        return;
      }
    }
    const max = maxUtf8Length(s);
    if (max >= FRAME_SIZE_TARGET) {
      // Possibly a large payload: encode aside to learn its size.
      const data = Buffer.allocUnsafeSlow(max);
      const n = encodeUtf8Into(s, data, 0);
      this.writeStrHeader(n);
      this.payload(data.subarray(0, n), n >= FRAME_SIZE_TARGET);
    } else if (this.proto >= 4 && max < 256) {
      this.ensure(2 + max);
      const n = encodeUtf8Into(s, this.buf, this.pos + 2);
      this.buf[this.pos] = Op.SHORT_BINUNICODE;
      this.buf[this.pos + 1] = n;
      this.pos += 2 + n;
    } else {
      this.ensure(5 + max);
      const n = encodeUtf8Into(s, this.buf, this.pos + 5);
      if (this.proto >= 4 && n < 256) {
        this.buf.copyWithin(this.pos + 2, this.pos + 5, this.pos + 5 + n);
        this.buf[this.pos] = Op.SHORT_BINUNICODE;
        this.buf[this.pos + 1] = n;
        this.pos += 2 + n;
      } else {
        this.buf[this.pos] = Op.BINUNICODE;
        this.buf.writeUInt32LE(n, this.pos + 1);
        this.pos += 5 + n;
      }
    }
    const idx = this.memoPut();
    if (constKey !== undefined) this.shared.set(constKey, idx);
  }

  private writeStrHeader(n: number): void {
    const bypass = n >= FRAME_SIZE_TARGET;
    if (bypass)
      this.unframed(() => {
        this.strHeader(n);
      });
    else this.strHeader(n);
  }

  private strHeader(n: number): void {
    if (this.proto >= 4 && n < 256) this.raw2(Op.SHORT_BINUNICODE, n);
    else this.opU32(Op.BINUNICODE, n);
  }

  /** Writes a payload; one ≥ 64 KiB goes outside frames (as `_Pickler_write_bytes`). */
  private payload(data: Uint8Array, bypass: boolean): void {
    if (bypass) {
      this.unframed(() => {
        this.ensure(data.length);
        this.buf.set(data, this.pos);
        this.pos += data.length;
      });
    } else {
      this.ensure(data.length);
      this.buf.set(data, this.pos);
      this.pos += data.length;
    }
  }

  private unframed(fn: () => void): void {
    const framing = this.framing;
    this.commitFrame();
    this.framing = false;
    fn();
    this.framing = framing;
  }

  private saveBytes(b: Uint8Array): void {
    if (this.proto < 3) {
      // Python 3, protocol < 3: bytes() or _codecs.encode(latin1_str, "latin1").
      if (b.length === 0) {
        this.saveGlobal("builtins", "bytes");
        this.op(Op.EMPTY_TUPLE);
        this.boundary();
      } else {
        this.saveGlobal("_codecs", "encode");
        this.saveStr(Buffer.from(b.buffer, b.byteOffset, b.length).toString("latin1"));
        this.boundary();
        this.saveStr("latin1", "const:latin1");
        this.boundary();
        this.op(Op.TUPLE2);
        this.memoPut();
        this.boundary();
      }
      this.op(Op.REDUCE);
      this.remember(b);
      return;
    }
    const n = b.length;
    const bypass = n >= FRAME_SIZE_TARGET;
    const header = (): void => {
      if (n < 256) this.raw2(Op.SHORT_BINBYTES, n);
      else if (n > 0xffffffff && this.proto >= 4) {
        this.ensure(9);
        this.buf[this.pos] = Op.BINBYTES8;
        this.buf.writeBigUInt64LE(BigInt(n), this.pos + 1);
        this.pos += 9;
      } else this.opU32(Op.BINBYTES, n);
    };
    if (bypass) this.unframed(header);
    else header();
    this.payload(b, bypass);
    this.remember(b);
  }

  /** `GLOBAL`/`STACK_GLOBAL`, memoized per name like CPython's class objects. */
  private saveGlobal(module: string, name: string): void {
    const key = `global:${module}.${name}`;
    const idx = this.shared.get(key);
    if (idx !== undefined) {
      this.memoGet(idx);
      this.boundary();
      return;
    }
    if (this.proto >= 4) {
      this.saveStr(module, `module:${module}`);
      this.boundary();
      this.saveStr(name);
      this.boundary();
      this.op(Op.STACK_GLOBAL);
    } else {
      // fix_imports: Python 3 names as Python 2 spells them (protocols 0-2 only).
      const py2 = this.proto < 3;
      const mod =
        py2 && module === "builtins"
          ? "__builtin__"
          : py2 && module === "copyreg"
            ? "copy_reg"
            : module;
      const line = `${mod}\n${name}\n`;
      this.ensure(1 + line.length);
      this.buf[this.pos++] = Op.GLOBAL;
      this.pos += this.buf.write(line, this.pos, "latin1");
    }
    this.shared.set(key, this.memoPut());
    this.boundary();
  }

  private saveList(list: readonly PyValue[]): void {
    this.op(Op.EMPTY_LIST);
    this.remember(list);
    const n = list.length;
    if (n === 0) return;
    if (n === 1) {
      this.save(list[0]!);
      this.op(Op.APPEND);
      return;
    }
    let total = 0;
    do {
      this.op(Op.MARK);
      let batch = 0;
      while (total < n) {
        this.save(list[total]!);
        total++;
        if (++batch === BATCH) break;
      }
      this.op(Op.APPENDS);
    } while (total < n);
  }

  private saveDict(dict: object, keys: readonly string[], get: (k: string) => PyValue): void {
    this.op(Op.EMPTY_DICT);
    this.remember(dict);
    const n = keys.length;
    if (n === 0) return;
    for (const k of keys) {
      if (typeof k !== "string") throw new UnsupportedValueError("session keys must be strings");
    }
    if (n === 1) {
      this.save(keys[0]!);
      this.save(get(keys[0]!));
      this.op(Op.SETITEM);
      return;
    }
    // CPython's batch_dict_exact: a full last batch is followed by an empty MARK/SETITEMS.
    let i = 0;
    let batch: number;
    do {
      this.op(Op.MARK);
      batch = 0;
      while (i < n) {
        const k = keys[i++]!;
        this.save(k);
        this.save(get(k));
        if (++batch === BATCH) break;
      }
      this.op(Op.SETITEMS);
    } while (batch === BATCH);
  }

  /** CPython's `save_set` / `save_frozenset`. */
  private saveSet(set: PySet | PyFrozenSet): void {
    const frozen = set instanceof PyFrozenSet;
    const items = [...set];
    for (const item of items) {
      const type = unhashableType(item);
      if (type !== null) {
        throw new UnsupportedValueError(
          `cannot pickle a ${frozen ? "frozenset" : "set"} holding a ${type}: unhashable in Python`,
        );
      }
    }
    if (this.proto < 4) {
      // save_reduce(set, (list(obj),)): the list is a fresh object, never shared.
      this.saveGlobal("builtins", frozen ? "frozenset" : "set");
      this.saveArgs([
        () => {
          this.saveList(items);
        },
      ]);
      this.op(Op.REDUCE);
      this.remember(set);
      return;
    }
    if (frozen) {
      this.op(Op.MARK);
      for (const item of items) this.save(item);
      this.op(Op.FROZENSET);
      this.remember(set);
      return;
    }
    this.op(Op.EMPTY_SET);
    this.remember(set);
    const n = items.length;
    if (n === 0) return;
    // A full last batch is followed by an empty MARK/ADDITEMS, as in _pickle.c.
    let i = 0;
    let batch: number;
    do {
      this.op(Op.MARK);
      batch = 0;
      while (i < n) {
        this.save(items[i++]!);
        if (++batch === BATCH) break;
      }
      this.op(Op.ADDITEMS);
    } while (batch === BATCH);
  }

  /**
   * `OrderedDict.__reduce__`: `(OrderedDict, (), None, None, iter(items))`, so
   * `collections.OrderedDict` called with `()`, memoized, then the items as `batch_dict` writes
   * an iterator's (`SETITEM` for a lone item, else `MARK … SETITEMS` per 1000).
   */
  private saveOrderedDict(dict: PyOrderedDict): void {
    this.saveGlobal("collections", "OrderedDict");
    this.saveArgs([]);
    this.op(Op.REDUCE);
    this.remember(dict);
    const entries = [...dict];
    const n = entries.length;
    let i = 0;
    while (i < n) {
      if (n - i === 1) {
        const [k, value] = entries[i]!;
        this.saveDictKey(k);
        this.save(value);
        this.op(Op.SETITEM);
        break;
      }
      this.op(Op.MARK);
      let batch = 0;
      while (i < n && batch < BATCH) {
        const [k, value] = entries[i++]!;
        this.saveDictKey(k);
        this.save(value);
        batch++;
      }
      this.op(Op.SETITEMS);
    }
  }

  private saveDictKey(k: unknown): void {
    if (typeof k !== "string") throw new UnsupportedValueError("dict keys must be strings");
    this.save(k);
  }

  private saveTuple(t: PyTuple): void {
    const items = t.items;
    const n = items.length;
    if (n === 0) {
      this.op(Op.EMPTY_TUPLE);
      return;
    }
    if (n <= 3) {
      for (const item of items) this.save(item);
      this.op(n === 1 ? Op.TUPLE1 : n === 2 ? Op.TUPLE2 : Op.TUPLE3);
    } else {
      this.op(Op.MARK);
      for (const item of items) this.save(item);
      this.op(Op.TUPLE);
    }
    this.remember(t);
  }

  /** `cls(*args)` as CPython's save_reduce: global, args tuple, REDUCE, memoized. */
  private saveArgs(args: readonly (() => void)[]): void {
    const n = args.length;
    if (n === 0) {
      this.op(Op.EMPTY_TUPLE);
      this.boundary();
      return;
    }
    if (n > 3) this.op(Op.MARK);
    for (const a of args) {
      a();
      this.boundary();
    }
    this.op(n === 1 ? Op.TUPLE1 : n === 2 ? Op.TUPLE2 : n === 3 ? Op.TUPLE3 : Op.TUPLE);
    this.memoPut();
    this.boundary();
  }

  private saveDateTime(d: PyDateTime): void {
    checkDate(d.year, d.month, d.day);
    if (
      !isIntIn(d.hour, 0, 23) ||
      !isIntIn(d.minute, 0, 59) ||
      !isIntIn(d.second, 0, 59) ||
      !isIntIn(d.microsecond, 0, 999_999)
    ) {
      throw new UnsupportedValueError("PyDateTime time fields out of range");
    }
    const us = d.microsecond;
    const state = new Uint8Array([
      d.year >> 8,
      d.year & 0xff,
      d.month,
      d.day,
      d.hour,
      d.minute,
      d.second,
      (us >> 16) & 0xff,
      (us >> 8) & 0xff,
      us & 0xff,
    ]);
    this.saveGlobal("datetime", "datetime");
    const args = [
      (): void => {
        this.saveBytes(state);
      },
    ];
    const offset = d.utcOffsetSeconds;
    if (offset !== null) {
      if (!Number.isInteger(offset) || Math.abs(offset) >= 86_400) {
        throw new UnsupportedValueError(
          "PyDateTime utcOffsetSeconds must be an integer within ±24 h",
        );
      }
      args.push(() => {
        this.saveTimezone(offset);
      });
    }
    this.saveArgs(args);
    this.op(Op.REDUCE);
    this.remember(d);
  }

  /** `datetime.timezone(timedelta(seconds=offset))`, shared per offset like `timezone.utc`. */
  private saveTimezone(offset: number): void {
    const key = `tz:${offset}`;
    const idx = this.shared.get(key);
    if (idx !== undefined) {
      this.memoGet(idx);
      return;
    }
    this.saveGlobal("datetime", "timezone");
    this.saveArgs([
      () => {
        this.saveTimeDelta(new PyTimeDelta(0, offset));
      },
    ]);
    this.op(Op.REDUCE);
    this.shared.set(key, this.memoPut());
  }

  private saveDate(d: PyDate): void {
    checkDate(d.year, d.month, d.day);
    const state = new Uint8Array([d.year >> 8, d.year & 0xff, d.month, d.day]);
    this.saveGlobal("datetime", "date");
    this.saveArgs([
      () => {
        this.saveBytes(state);
      },
    ]);
    this.op(Op.REDUCE);
    this.remember(d);
  }

  private saveTimeDelta(td: PyTimeDelta): void {
    if (!Number.isSafeInteger(td.days) || Math.abs(td.days) > 999_999_999) {
      throw new UnsupportedValueError("PyTimeDelta days out of range");
    }
    this.saveGlobal("datetime", "timedelta");
    this.saveArgs([
      () => {
        this.saveInt(td.days);
      },
      () => {
        this.saveInt(td.seconds);
      },
      () => {
        this.saveInt(td.microseconds);
      },
    ]);
    this.op(Op.REDUCE);
    this.remember(td);
  }

  private saveDecimal(d: PyDecimal): void {
    this.saveGlobal("decimal", "Decimal");
    this.saveArgs([
      () => {
        this.saveStr(d.value);
      },
    ]);
    this.op(Op.REDUCE);
    this.remember(d);
  }

  private saveUUID(u: PyUUID): void {
    // uuid.UUID.__reduce_ex__: copyreg.__newobj__(UUID), state {"int": n}.
    this.saveGlobal("uuid", "UUID");
    this.op(Op.EMPTY_TUPLE);
    this.boundary();
    this.op(Op.NEWOBJ);
    this.remember(u);
    this.op(Op.EMPTY_DICT);
    this.memoPut();
    this.saveStr("int", "const:int");
    this.boundary();
    this.saveBigInt(BigInt(`0x${u.hex}`));
    this.boundary();
    this.op(Op.SETITEM);
    this.boundary();
    this.op(Op.BUILD);
  }

  private saveMarkup(m: PyMarkup): void {
    // A str subclass with __slots__ = (): copyreg.__newobj__(Markup, str), no state.
    this.saveGlobal("markupsafe", "Markup");
    this.saveArgs([
      () => {
        this.saveStr(m.value);
      },
    ]);
    this.op(Op.NEWOBJ);
    this.remember(m);
  }
}

/** The Python type name of a value a set cannot hold (unhashable), or null when it can. */
function unhashableType(v: PyValue): string | null {
  if (v === null || typeof v !== "object") return null;
  if (Array.isArray(v)) return "list";
  if (v instanceof PySet) return "set";
  if (v instanceof Map || isPyDict(v)) return "dict";
  if (v instanceof PyTuple) {
    for (const item of v.items) {
      const inner = unhashableType(item);
      if (inner !== null) return inner;
    }
  }
  return null;
}

function isIntIn(n: number, lo: number, hi: number): boolean {
  return Number.isInteger(n) && n >= lo && n <= hi;
}

function checkDate(year: number, month: number, day: number): void {
  if (!isIntIn(year, 1, 9999) || !isIntIn(month, 1, 12) || !isIntIn(day, 1, 31)) {
    throw new UnsupportedValueError("date fields out of range");
  }
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const dim = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  if (day > dim) throw new UnsupportedValueError("date day out of range for month");
}

/** Pickles `value` (a PyValue, or a SessionData map written as a dict in its order). */
export function writePickle(value: PyValue | SessionData, config: WriterConfig): Uint8Array {
  return new Pickler(config.protocol, config.maxDepth).dump(value);
}
