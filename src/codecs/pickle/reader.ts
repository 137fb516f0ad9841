/**
 * The unpickler: a stack machine over the opcodes CPython emits for plain data (protocols 0–5).
 *
 * Safety: there is no `import`, `eval`, `getattr` or `Function` anywhere here. `GLOBAL` and
 * `STACK_GLOBAL` only look a name up in an explicit table ({@link BUILTIN_GLOBALS} plus the
 * caller's hooks); `REDUCE`, `NEWOBJ` and `BUILD` only call the pure TS functions of that table.
 * Everything else (INST, OBJ, PERSID, BINPERSID, EXT1/2/4, NEWOBJ_EX, out-of-band buffers) is
 * refused. Every length is checked against the input before it is read; while parsing, every
 * value pushed counts against `maxItems` and open MARKs against `maxDepth`, so a hostile value
 * stops at the bound instead of building millions of objects first; a final pass bounds nesting
 * depth and expanded size (shared references count once per use). No input crashes, hangs or
 * explodes a consumer.
 */
import { Buffer } from "#runtime";
import {
  InvalidArgumentError,
  MalformedError,
  SessionBridgeError,
  TooLargeError,
} from "../../errors.ts";
import { floatRepr } from "../python-json.ts";
import {
  PyFloat,
  PyFrozenSet,
  PyOrderedDict,
  PySet,
  PyTuple,
  isPyDict,
  type PyValue,
} from "../python-values.ts";
import { SET_GLOBALS, SET_LIST_GLOBALS, canonicalGlobalName } from "./allow-list.ts";
import { UnsupportedPickleGlobalError, UnsupportedPickleOpcodeError } from "./errors.ts";
import { Op, opcodeName } from "./opcodes.ts";
import { Utf8Error, decodeUtf8 } from "./utf8.ts";
import {
  GlobalRef,
  Pending,
  PendingSet,
  TzOffset,
  type GlobalHandler,
  type StackValue,
} from "./values.ts";

/** Fully resolved reader options. */
export interface ReaderConfig {
  readonly maxInputBytes: number;
  readonly maxItems: number;
  readonly maxDepth: number;
  readonly nonStringKeys: "error" | "stringify";
  readonly sets: "typed" | "list" | "error";
  readonly globals: ReadonlyMap<string, GlobalHandler>;
}

/** A decoded pickle plus the true key order of dicts that have integer-like keys. */
export interface ReadResult {
  readonly value: PyValue;
  /** Insertion order of dicts whose key order JS objects cannot keep (integer-like keys). */
  readonly keyOrder: ReadonlyMap<object, readonly string[]> | null;
}

type Dict = Record<string, StackValue>;

const MAX_INT_DIGITS = 4300; // CPython's int/str conversion limit (sys.int_info.default_max_str_digits)
const MAX_LONG_BYTES = 1 << 16;

function tooMany(maxItems: number): never {
  throw new TooLargeError(`pickle: more than ${maxItems} values`);
}

function truncated(): never {
  throw new MalformedError("pickle: truncated data");
}

function isDict(v: unknown): v is Dict {
  return isPyDict(v);
}

function isContainer(v: unknown): boolean {
  return (
    typeof v === "object" &&
    v !== null &&
    (Array.isArray(v) ||
      v instanceof PyTuple ||
      v instanceof Pending ||
      v instanceof PendingSet ||
      v instanceof Set ||
      v instanceof Map ||
      isPyDict(v))
  );
}

/** Canonical array-index strings, which JS objects enumerate before other keys. */
function isIndexKey(k: string): boolean {
  const c = k.charCodeAt(0);
  return c >= 0x30 && c <= 0x39 && /^(?:0|[1-9]\d{0,9})$/.test(k) && Number(k) < 4294967295;
}

/** Integral values as `number` when safe, else `bigint`. */
function intValue(n: bigint): number | bigint {
  return n >= -9007199254740991n && n <= 9007199254740991n ? Number(n) : n;
}

function floatValue(x: number): number | PyFloat {
  return Number.isInteger(x) ? new PyFloat(x) : x;
}

/** Decodes one pickle. Throws MalformedError / TooLargeError / Unsupported*Error. */
export function readPickle(input: Uint8Array, config: ReaderConfig): ReadResult {
  if (!(input instanceof Uint8Array))
    throw new InvalidArgumentError("pickle input must be a Uint8Array");
  if (input.length > config.maxInputBytes) {
    throw new TooLargeError(
      `pickle: input of ${input.length} bytes exceeds ${config.maxInputBytes}`,
    );
  }
  return new Unpickler(input, config).run();
}

/** The unpickler's state; one instance per input (methods, not per-call closures). */
class Unpickler {
  private readonly stack: StackValue[] = [];
  private readonly marks: number[] = [];
  /** Stack index of the innermost MARK: pops may not go below it. */
  private fence = 0;
  private readonly memo: StackValue[] = [];
  private memoCount = 0;
  private pos = 0;
  /** Values pushed and MARKs set so far, bounded by `maxItems`. */
  private built = 0;
  /** A container was re-used through the memo or DUP. */
  private shared = false;
  /** A global was looked up or a set made: only then can stack-only or pending values exist. */
  private usedGlobals = false;
  private keyOrder: Map<object, string[]> | null = null;
  private readonly buf: Buffer;
  private readonly end: number;
  private readonly view: DataView;
  private readonly globals: ReadonlyMap<string, GlobalHandler>;
  private readonly nonStringKeys: "error" | "stringify";
  private readonly sets: "typed" | "list" | "error";

  constructor(
    private readonly input: Uint8Array,
    private readonly config: ReaderConfig,
  ) {
    this.buf = Buffer.from(input.buffer, input.byteOffset, input.length);
    this.end = input.length;
    this.view = new DataView(input.buffer, input.byteOffset, input.length);
    this.globals = config.globals;
    this.nonStringKeys = config.nonStringKeys;
    this.sets = config.sets;
  }

  private need(n: number): number {
    if (n > this.end - this.pos) truncated();
    const at = this.pos;
    this.pos += n;
    return at;
  }
  private u32(): number {
    const at = this.need(4);
    return this.view.getUint32(at, true);
  }
  private u64len(): number {
    const at = this.need(8);
    const hi = this.view.getUint32(at + 4, true);
    const lo = this.view.getUint32(at, true);
    // Any length ≥ 2^32 cannot fit the (bounded) this.input anyway.
    if (hi !== 0) throw new TooLargeError("pickle: 8-byte length exceeds the input size");
    return lo;
  }
  private readLine(): string {
    const nl = this.buf.indexOf(0x0a, this.pos);
    if (nl < 0) truncated();
    const s = this.buf.toString("latin1", this.pos, nl);
    this.pos = nl + 1;
    return s;
  }
  private text(n: number): string {
    const at = this.need(n);
    try {
      return decodeUtf8(this.buf, at, at + n);
    } catch (err) {
      if (err instanceof Utf8Error)
        throw new MalformedError(`pickle: invalid UTF-8 in str (${err.message})`);
      throw err;
    }
  }
  private bytes(n: number): Uint8Array {
    const at = this.need(n);
    return this.input.slice(at, at + n);
  }

  /**
   * Every value the machine makes goes through here, so the item budget holds while parsing:
   * a value of 4 MiB of `}` (EMPTY_DICT) stops after `maxItems` dicts instead of building
   * millions of them before the final pass could count.
   */
  private push(v: StackValue): void {
    if (++this.built > this.config.maxItems) tooMany(this.config.maxItems);
    this.stack.push(v);
  }
  private pop(): StackValue {
    if (this.stack.length <= this.fence) throw new MalformedError("pickle: stack underflow");
    return this.stack.pop()!;
  }
  private top(): StackValue {
    if (this.stack.length <= this.fence) throw new MalformedError("pickle: stack underflow");
    return this.stack[this.stack.length - 1]!;
  }
  private popMark(): StackValue[] {
    const m = this.marks.pop();
    if (m === undefined) throw new MalformedError("pickle: MARK not found");
    const items = this.stack.splice(m);
    this.fence = this.marks.length > 0 ? this.marks[this.marks.length - 1]! : 0;
    return items;
  }
  private memoPut(idx: number, v: StackValue): void {
    if (this.memo[idx] === undefined) this.memoCount++;
    this.memo[idx] = v;
    if (v instanceof Pending) v.memoSlots.push(idx);
  }
  private memoGet(idx: number): void {
    const v = this.memo[idx];
    if (v === undefined) throw new MalformedError(`pickle: memo key ${idx} not found`);
    if (!this.shared && isContainer(v)) this.shared = true;
    this.push(v);
  }

  private dictKey(key: StackValue): string {
    if (typeof key === "string") return key;
    if (this.nonStringKeys === "stringify") {
      // As json.dumps coerces keys: int, float, bool, None.
      if (typeof key === "number") return Number.isInteger(key) ? String(key) : floatRepr(key);
      if (typeof key === "bigint") return key.toString();
      if (key instanceof PyFloat) return floatRepr(key.value);
      if (typeof key === "boolean") return key ? "true" : "false";
      if (key === null) return "null";
    }
    throw new MalformedError(
      `pickle: dict key of type ${describe(key)} is not supported` +
        (this.nonStringKeys === "error"
          ? ' (option this.nonStringKeys: "stringify" converts int keys)'
          : ""),
    );
  }
  private setItem(dict: Dict | PyOrderedDict, key: StackValue, value: StackValue): void {
    const k = this.dictKey(key);
    if (dict instanceof PyOrderedDict) {
      // Its values may still be pending objects: the final pass resolves and checks them.
      dict.set(k, value as PyValue);
      return;
    }
    let order = this.keyOrder?.get(dict);
    if (order === undefined && isIndexKey(k)) {
      this.keyOrder ??= new Map();
      order = Object.keys(dict);
      this.keyOrder.set(dict, order);
    }
    if (order !== undefined && !Object.hasOwn(dict, k)) order.push(k);
    assign(dict, k, value);
  }
  private asDict(v: StackValue, op: string): Dict | PyOrderedDict {
    if (v instanceof PyOrderedDict) return v;
    if (!isDict(v)) throw new MalformedError(`pickle: ${op} on a ${describe(v)}, not a dict`);
    return v;
  }
  private asList(v: StackValue, op: string): StackValue[] {
    if (!Array.isArray(v))
      throw new MalformedError(`pickle: ${op} on a ${describe(v)}, not a list`);
    return v as StackValue[];
  }
  private resolveGlobal(module: string, name: string): GlobalRef {
    this.usedGlobals = true;
    const canonical = canonicalGlobalName(module, name);
    const handler =
      this.globals.get(canonical) ??
      (this.sets === "typed"
        ? SET_GLOBALS.get(canonical)
        : this.sets === "list"
          ? SET_LIST_GLOBALS.get(canonical)
          : undefined);
    if (handler === undefined) throw new UnsupportedPickleGlobalError(`${module}.${name}`);
    return new GlobalRef(canonical, handler);
  }
  private call(ref: StackValue, args: StackValue): StackValue {
    if (!(ref instanceof GlobalRef)) throw new MalformedError("pickle: REDUCE on a non-callable");
    if (!(args instanceof PyTuple))
      throw new MalformedError("pickle: REDUCE arguments are not a tuple");
    const fn = ref.handler.reduce;
    if (fn === undefined)
      throw new UnsupportedPickleGlobalError(ref.name, `pickle: ${ref.name} cannot be called`);
    return guard(ref, () => fn(args.items));
  }

  run(): ReadResult {
    for (;;) {
      if (this.pos >= this.end) truncated();
      const op = this.buf[this.pos++]!;
      switch (op) {
        case Op.PROTO: {
          const p = this.buf[this.need(1)]!;
          if (p > 5) throw new MalformedError(`pickle: unsupported protocol ${p}`);
          break;
        }
        case Op.FRAME: {
          // As CPython's C unpickler: the frame must be fully present; its content is read in place.
          const n = this.u64len();
          if (n > this.end - this.pos)
            throw new MalformedError("pickle: FRAME length exceeds the data");
          break;
        }
        case Op.STOP: {
          const result = this.pop();
          // Every value and every nesting level takes at least one opcode byte, so without
          // shared references or globals (the only sources of cycles, DAG blow-up, pending
          // objects and stack-only values), an input no longer than both bounds is within them
          // and the final pass has nothing to do: typical session pickles skip it.
          const bound = Math.min(this.config.maxDepth, this.config.maxItems);
          if (!this.shared && !this.usedGlobals && this.end <= bound) {
            return { value: result as PyValue, keyOrder: this.keyOrder };
          }
          return finish(result, this.config, this.shared, this.keyOrder);
        }
        case Op.MARK:
          if (++this.built > this.config.maxItems) tooMany(this.config.maxItems);
          // CPython's pickler opens one MARK per container it is still filling, so open MARKs
          // never outnumber the nesting depth of what it wrote.
          if (this.marks.length >= this.config.maxDepth) {
            throw new TooLargeError(`pickle: nesting deeper than ${this.config.maxDepth}`);
          }
          this.marks.push(this.stack.length);
          this.fence = this.stack.length;
          break;
        case Op.POP:
          if (this.marks.length > 0 && this.marks[this.marks.length - 1] === this.stack.length) {
            this.marks.pop();
            this.fence = this.marks.length > 0 ? this.marks[this.marks.length - 1]! : 0;
          } else {
            this.pop();
          }
          break;
        case Op.POP_MARK:
          this.popMark();
          break;
        case Op.DUP: {
          const v = this.top();
          if (!this.shared && isContainer(v)) this.shared = true;
          this.push(v);
          break;
        }

        // this.memo
        case Op.MEMOIZE:
          this.memoPut(this.memoCount, this.top());
          break;
        case Op.BINPUT:
          this.memoPut(this.buf[this.need(1)]!, this.top());
          break;
        case Op.LONG_BINPUT:
          this.memoPut(this.u32(), this.top());
          break;
        case Op.PUT:
          this.memoPut(parseDecimalIndex(this.readLine()), this.top());
          break;
        case Op.BINGET:
          this.memoGet(this.buf[this.need(1)]!);
          break;
        case Op.LONG_BINGET:
          this.memoGet(this.u32());
          break;
        case Op.GET:
          this.memoGet(parseDecimalIndex(this.readLine()));
          break;

        // constants and numbers
        case Op.NONE:
          this.push(null);
          break;
        case Op.NEWTRUE:
          this.push(true);
          break;
        case Op.NEWFALSE:
          this.push(false);
          break;
        case Op.BININT1:
          this.push(this.buf[this.need(1)]!);
          break;
        case Op.BININT2: {
          const at = this.need(2);
          this.push(this.buf[at]! | (this.buf[at + 1]! << 8));
          break;
        }
        case Op.BININT: {
          const at = this.need(4);
          this.push(this.view.getInt32(at, true));
          break;
        }
        case Op.LONG1: {
          const n = this.buf[this.need(1)]!;
          this.push(decodeLong(this.buf, this.need(n), n));
          break;
        }
        case Op.LONG4: {
          const at = this.need(4);
          const n = this.view.getInt32(at, true);
          if (n < 0) throw new MalformedError("pickle: LONG4 negative byte count");
          if (n > MAX_LONG_BYTES) throw new TooLargeError("pickle: LONG4 integer too large");
          this.push(decodeLong(this.buf, this.need(n), n));
          break;
        }
        case Op.INT: {
          const line = this.readLine();
          if (line === "00") this.push(false);
          else if (line === "01") this.push(true);
          else this.push(parseTextInt(line));
          break;
        }
        case Op.LONG: {
          const line = this.readLine();
          this.push(parseTextInt(line.endsWith("L") ? line.slice(0, -1) : line));
          break;
        }
        case Op.BINFLOAT: {
          const at = this.need(8);
          this.push(floatValue(this.view.getFloat64(at, false)));
          break;
        }
        case Op.FLOAT:
          this.push(floatValue(parseTextFloat(this.readLine())));
          break;

        // strings and bytes
        case Op.SHORT_BINUNICODE:
          this.push(this.text(this.buf[this.need(1)]!));
          break;
        case Op.BINUNICODE:
          this.push(this.text(this.u32()));
          break;
        case Op.BINUNICODE8:
          this.push(this.text(this.u64len()));
          break;
        case Op.UNICODE:
          this.push(rawUnicodeEscape(this.readLine()));
          break;
        case Op.SHORT_BINSTRING:
          this.push(asciiString(this.buf, this.need(this.buf[this.need(1)]!), this.pos));
          break;
        case Op.BINSTRING: {
          const at = this.need(4);
          const n = this.view.getInt32(at, true);
          if (n < 0) throw new MalformedError("pickle: BINSTRING negative length");
          this.push(asciiString(this.buf, this.need(n), this.pos));
          break;
        }
        case Op.SHORT_BINBYTES:
          this.push(this.bytes(this.buf[this.need(1)]!));
          break;
        case Op.BINBYTES:
          this.push(this.bytes(this.u32()));
          break;
        case Op.BINBYTES8:
        case Op.BYTEARRAY8:
          this.push(this.bytes(this.u64len()));
          break;

        // containers
        case Op.EMPTY_DICT:
          this.push({});
          break;
        case Op.DICT: {
          const items = this.popMark();
          if (items.length % 2 !== 0)
            throw new MalformedError("pickle: odd number of items for DICT");
          const d: Dict = {};
          for (let i = 0; i < items.length; i += 2) this.setItem(d, items[i]!, items[i + 1]!);
          this.push(d);
          break;
        }
        case Op.SETITEM: {
          const value = this.pop();
          const key = this.pop();
          this.setItem(this.asDict(this.top(), "SETITEM"), key, value);
          break;
        }
        case Op.SETITEMS: {
          const items = this.popMark();
          if (items.length % 2 !== 0)
            throw new MalformedError("pickle: odd number of items for SETITEMS");
          const d = this.asDict(this.top(), "SETITEMS");
          for (let i = 0; i < items.length; i += 2) this.setItem(d, items[i]!, items[i + 1]!);
          break;
        }
        case Op.EMPTY_LIST:
          this.push([]);
          break;
        case Op.LIST:
          this.push(this.popMark());
          break;
        case Op.APPEND: {
          const v = this.pop();
          this.asList(this.top(), "APPEND").push(v);
          break;
        }
        case Op.APPENDS: {
          const items = this.popMark();
          const list = this.asList(this.top(), "APPENDS");
          for (const v of items) list.push(v);
          break;
        }
        case Op.EMPTY_TUPLE:
          this.push(new PyTuple([]));
          break;
        case Op.TUPLE:
          this.push(new PyTuple(this.popMark() as PyValue[]));
          break;
        case Op.TUPLE1:
          this.push(new PyTuple([this.pop() as PyValue]));
          break;
        case Op.TUPLE2: {
          const b = this.pop();
          const a = this.pop();
          this.push(new PyTuple([a, b] as PyValue[]));
          break;
        }
        case Op.TUPLE3: {
          const c = this.pop();
          const b = this.pop();
          const a = this.pop();
          this.push(new PyTuple([a, b, c] as PyValue[]));
          break;
        }
        case Op.EMPTY_SET:
          if (this.sets === "error") refuseOpcode(op, this.pos - 1);
          if (this.sets === "typed") {
            this.usedGlobals = true; // the final pass makes it a PySet
            this.push(new PendingSet(false, []));
          } else {
            this.push([]);
          }
          break;
        case Op.ADDITEMS: {
          if (this.sets === "error") refuseOpcode(op, this.pos - 1);
          const items = this.popMark();
          const target = this.top();
          const list =
            target instanceof PendingSet && !target.frozen
              ? target.items
              : this.asList(target, "ADDITEMS");
          for (const v of items) list.push(v);
          break;
        }
        case Op.FROZENSET: {
          if (this.sets === "error") refuseOpcode(op, this.pos - 1);
          const items = this.popMark();
          if (this.sets === "typed") {
            this.usedGlobals = true;
            this.push(new PendingSet(true, items));
          } else {
            this.push(items);
          }
          break;
        }

        // this.globals and objects: allow-list only
        case Op.GLOBAL: {
          const module = this.readLine();
          const name = this.readLine();
          this.push(this.resolveGlobal(module, name));
          break;
        }
        case Op.STACK_GLOBAL: {
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== "string" || typeof name !== "string") {
            throw new MalformedError("pickle: STACK_GLOBAL requires str module and name");
          }
          this.push(this.resolveGlobal(module, name));
          break;
        }
        case Op.REDUCE: {
          const args = this.pop();
          const fn = this.pop();
          this.push(this.call(fn, args));
          break;
        }
        case Op.NEWOBJ: {
          const args = this.pop();
          const cls = this.pop();
          if (!(cls instanceof GlobalRef))
            throw new MalformedError("pickle: NEWOBJ on a non-class");
          if (!(args instanceof PyTuple))
            throw new MalformedError("pickle: NEWOBJ arguments are not a tuple");
          if (cls.handler.newobj === undefined) {
            throw new UnsupportedPickleGlobalError(
              cls.name,
              `pickle: ${cls.name} cannot be instantiated with NEWOBJ`,
            );
          }
          this.push(new Pending(cls, args.items));
          break;
        }
        case Op.BUILD: {
          const state = this.pop();
          const obj = this.top();
          if (!(obj instanceof Pending) || obj.done) {
            throw new MalformedError(`pickle: BUILD on a ${describe(obj)} is not supported`);
          }
          const built = buildPending(obj, state);
          this.stack[this.stack.length - 1] = built;
          for (const slot of obj.memoSlots) if (this.memo[slot] === obj) this.memo[slot] = built;
          break;
        }

        default:
          refuseOpcode(op, this.pos - 1);
      }
    }
  }
}

/** `dict[k] = value`, also for the key `__proto__` (an own property, never the prototype). */
function assign(dict: Dict, k: string, value: StackValue): void {
  if (k === "__proto__") {
    Object.defineProperty(dict, k, { value, writable: true, enumerable: true, configurable: true });
  } else {
    dict[k] = value;
  }
}

function refuseOpcode(op: number, offset: number): never {
  throw new UnsupportedPickleOpcodeError(op, opcodeName(op), offset);
}

/** Runs an allow-listed handler; anything it throws that is not ours becomes MalformedError. */
function guard(ref: GlobalRef, fn: () => StackValue): StackValue {
  try {
    return fn();
  } catch (err) {
    if (err instanceof SessionBridgeError) throw err;
    throw new MalformedError(`pickle: ${ref.name} failed`, { cause: err });
  }
}

function buildPending(p: Pending, state: StackValue | undefined): StackValue {
  const fn = p.ref.handler.newobj!;
  p.value = guard(p.ref, () => fn(p.args, state));
  p.done = true;
  return p.value;
}

function describe(v: StackValue | undefined): string {
  if (v === null) return "None";
  if (v === undefined) return "nothing";
  if (Array.isArray(v)) return "list";
  if (v instanceof Uint8Array) return "bytes";
  if (v instanceof GlobalRef) return v.name;
  if (v instanceof Pending) return v.ref.name;
  if (v instanceof PendingSet) return v.frozen ? "frozenset" : "set";
  if (typeof v === "object") return isPyDict(v) ? "dict" : v.constructor.name;
  return typeof v;
}

/** Two's-complement little-endian integer of `n` bytes at `at` (pickle `decode_long`). */
function decodeLong(buf: Buffer, at: number, n: number): number | bigint {
  if (n === 0) return 0;
  if (n <= 6) {
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + buf[at + i]!;
    if (buf[at + n - 1]! & 0x80) v -= 2 ** (8 * n);
    return v;
  }
  // Big-endian hex of the little-endian bytes (a reversed copy: one string, not one per byte).
  let big = BigInt(
    `0x${Buffer.from(buf.subarray(at, at + n))
      .reverse()
      .toString("hex")}`,
  );
  if (buf[at + n - 1]! & 0x80) big -= 1n << BigInt(8 * n);
  return intValue(big);
}

function parseTextInt(s: string): number | bigint {
  const t = s.trim();
  if (!/^[+-]?\d+$/.test(t)) throw new MalformedError("pickle: invalid INT/LONG literal");
  if (t.length > MAX_INT_DIGITS) throw new TooLargeError("pickle: integer literal too long");
  return intValue(BigInt(t));
}

function parseTextFloat(s: string): number {
  const t = s.trim().toLowerCase();
  // One way to match each digit (no `\d+\.?\d*`), so a long run of digits cannot backtrack.
  if (/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/.test(t)) return Number(t);
  if (/^[+-]?(?:inf|infinity)$/.test(t)) return t.startsWith("-") ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(t)) return NaN;
  throw new MalformedError("pickle: invalid FLOAT literal");
}

function parseDecimalIndex(s: string): number {
  if (!/^\d{1,10}$/.test(s)) throw new MalformedError("pickle: invalid memo index");
  return Number(s);
}

/** Protocol 0 `UNICODE`: raw-unicode-escape (`\uXXXX`, `\UXXXXXXXX`, other bytes latin-1). */
function rawUnicodeEscape(line: string): string {
  return line.replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})/g, (_m, esc: string) => {
    const cp = parseInt(esc.slice(1), 16);
    if (cp > 0x10ffff) throw new MalformedError("pickle: \\U escape out of range");
    return String.fromCodePoint(cp);
  });
}

/** Python 2 `str` read the way `pickle.loads(..., encoding="ASCII")` (the default) does. */
function asciiString(buf: Buffer, start: number, end: number): string {
  for (let i = start; i < end; i++) {
    if (buf[i]! >= 0x80) throw new MalformedError("pickle: non-ASCII Python 2 str");
  }
  return buf.toString("latin1", start, end);
}

/**
 * Final pass: resolves objects still waiting for BUILD, rejects stack-only values (globals,
 * tzinfo) left in the data, bounds depth and expanded size, and rejects cycles.
 */
function finish(
  root: StackValue,
  config: ReaderConfig,
  shared: boolean,
  keyOrder: Map<object, string[]> | null,
): ReadResult {
  const { maxDepth, maxItems } = config;
  let count = 0;
  // Only for DAGs (memo re-use): height and expanded size per container, -1 while in progress.
  const heights = shared ? new Map<object, number>() : null;
  const sizes = shared ? new Map<object, number>() : null;

  // One PySet per set the pickle made, however often it is referenced.
  const sets = new Map<PendingSet, PySet | PyFrozenSet>();
  const resolve = (v: StackValue): StackValue => {
    let x = v;
    while (x instanceof Pending) x = x.done ? x.value : buildPending(x, undefined);
    if (x instanceof PendingSet) {
      let made = sets.get(x);
      if (made === undefined) {
        // Items are resolved (and the set rebuilt) when the final pass visits it.
        const items = x.items as PyValue[];
        made = x.frozen ? new PyFrozenSet(items) : new PySet(items);
        sets.set(x, made);
      }
      return made;
    }
    if (x instanceof GlobalRef) {
      throw new UnsupportedPickleGlobalError(
        x.name,
        `pickle: global ${x.name} stored as a value is not supported`,
      );
    }
    if (x instanceof TzOffset) throw new MalformedError("pickle: tzinfo outside a datetime");
    return x;
  };

  // Returns the height of v's subtree (0 for a leaf).
  const visit = (v: StackValue, depth: number): number => {
    count++;
    if (typeof v !== "object" || v === null || v instanceof Uint8Array) return 0;
    let children: StackValue[];
    let dictKeys: string[] | null = null;
    let rebuildSet = false;
    if (Array.isArray(v)) children = v as StackValue[];
    else if (v instanceof PyTuple) children = v.items as StackValue[];
    else if (isDict(v)) {
      dictKeys = Object.keys(v);
      children = dictKeys.map((k) => v[k]!);
    } else if (v instanceof PyOrderedDict) {
      dictKeys = [...v.keys()];
      children = [...v.values()];
    } else if (v instanceof PySet || v instanceof PyFrozenSet) {
      children = [...v];
    } else return 0; // PyFloat, PyDecimal, PyDateTime, ...: leaves
    if (depth >= maxDepth) throw new TooLargeError(`pickle: nesting deeper than ${maxDepth}`);
    if (heights !== null) {
      const h = heights.get(v);
      if (h === -1) throw new MalformedError("pickle: recursive data structures are not supported");
      if (h !== undefined) {
        if (depth + h > maxDepth)
          throw new TooLargeError(`pickle: nesting deeper than ${maxDepth}`);
        count += sizes!.get(v)! - 1;
        if (count > maxItems) tooMany(maxItems);
        return h;
      }
      heights.set(v, -1);
    }
    const before = count;
    let height = 0;
    for (let i = 0; i < children.length; i++) {
      let c: StackValue = children[i]!;
      if (
        c instanceof Pending ||
        c instanceof PendingSet ||
        c instanceof GlobalRef ||
        c instanceof TzOffset
      ) {
        c = resolve(c);
        if (v instanceof PyOrderedDict) v.set(dictKeys![i]!, c as PyValue);
        else if (dictKeys !== null) assign(v as Dict, dictKeys[i]!, c);
        else children[i] = c;
        if (v instanceof Set) rebuildSet = true;
      }
      const h = visit(c, depth + 1) + 1;
      if (h > height) height = h;
    }
    if (rebuildSet) {
      // A set held objects that waited for BUILD: the same items, resolved, in the same order.
      const set = v as Set<StackValue>;
      set.clear();
      for (const c of children) set.add(c);
    }
    if (count > maxItems) tooMany(maxItems);
    if (heights !== null) {
      heights.set(v, height);
      sizes!.set(v, count - before + 1);
    }
    return height;
  };
  const value = resolve(root);
  visit(value, 0);
  return { value: value as PyValue, keyOrder };
}
