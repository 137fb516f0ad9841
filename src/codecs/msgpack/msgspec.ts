/**
 * MessagePack exactly as Flask-Session ≥ 0.7 stores sessions: `msgspec.msgpack.Encoder()` with
 * default settings on `dict(session)` (flask_session/base.py `MsgSpecSerializer`), decoded with
 * `msgspec.msgpack.Decoder()` (untyped).
 *
 * msgspec's encoding (verified against msgspec 0.19 with the real package):
 * - map/array/str in their smallest header (`fixmap`/`map16`/…), maps in insertion order;
 * - ints in the smallest form (`fixint`, `cc`/`cd`/`ce`/`cf` for positives, `d0`–`d3` for
 *   negatives), floats **always** float64 (`cb`), bytes as `bin`;
 * - tuple/list/set/frozenset → array (they come back as lists), OrderedDict → map (back as a
 *   dict), UUID → its 36-char string,
 *   Decimal → string, date / naive datetime → ISO string, aware datetime → timestamp
 *   extension −1 (32/64/96-bit forms); Markup and timedelta are not written here.
 *
 * Reading maps msgpack to {@link PyValue}s: integral float64 values come back as `PyFloat` so
 * they are written back as floats; timestamps as aware UTC `PyDateTime`s.
 * (`@msgpack/msgpack` cannot keep `1.0` apart from `1` in either direction, hence this codec.)
 */
import { Buffer } from "#runtime";
import { MalformedError, UnsupportedValueError } from "../../errors.ts";
import {
  isPyDict,
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
  type PyDict,
  type PyValue,
  type SessionData,
} from "../python-values.ts";

const MAX_DEPTH = 500;

class Writer {
  #chunks: Buffer[] = [];
  #buf = Buffer.allocUnsafe(256);
  #pos = 0;

  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#pos + n));
    this.#buf.copy(next, 0, 0, this.#pos);
    this.#buf = next;
  }
  u8(v: number): void {
    this.#ensure(1);
    this.#buf[this.#pos++] = v;
  }
  u16(v: number): void {
    this.#ensure(2);
    this.#buf.writeUInt16BE(v, this.#pos);
    this.#pos += 2;
  }
  u32(v: number): void {
    this.#ensure(4);
    this.#buf.writeUInt32BE(v, this.#pos);
    this.#pos += 4;
  }
  u64(v: bigint): void {
    this.#ensure(8);
    this.#buf.writeBigUInt64BE(v, this.#pos);
    this.#pos += 8;
  }
  i64(v: bigint): void {
    this.#ensure(8);
    this.#buf.writeBigInt64BE(v, this.#pos);
    this.#pos += 8;
  }
  f64(v: number): void {
    this.#ensure(8);
    this.#buf.writeDoubleBE(v, this.#pos);
    this.#pos += 8;
  }
  bytes(b: Uint8Array): void {
    this.#ensure(b.length);
    this.#buf.set(b, this.#pos);
    this.#pos += b.length;
  }
  finish(): Uint8Array {
    this.#chunks.push(this.#buf.subarray(0, this.#pos));
    return Buffer.concat(this.#chunks);
  }
}

function writeInt(w: Writer, n: bigint): void {
  if (n >= 0n) {
    if (n < 128n) w.u8(Number(n));
    else if (n < 256n) {
      w.u8(0xcc);
      w.u8(Number(n));
    } else if (n < 65536n) {
      w.u8(0xcd);
      w.u16(Number(n));
    } else if (n < 4294967296n) {
      w.u8(0xce);
      w.u32(Number(n));
    } else if (n < 18446744073709551616n) {
      w.u8(0xcf);
      w.u64(n);
    } else throw new UnsupportedValueError("Integer value out of range for msgpack");
    return;
  }
  if (n >= -32n) w.u8(Number(n) & 0xff);
  else if (n >= -128n) {
    w.u8(0xd0);
    w.u8(Number(n) & 0xff);
  } else if (n >= -32768n) {
    w.u8(0xd1);
    w.u16(Number(n) & 0xffff);
  } else if (n >= -2147483648n) {
    w.u8(0xd2);
    w.u32(Number(n) >>> 0);
  } else if (n >= -9223372036854775808n) {
    w.u8(0xd3);
    w.i64(n);
  } else throw new UnsupportedValueError("Integer value out of range for msgpack");
}

function writeStr(w: Writer, s: string): void {
  const b = Buffer.from(s, "utf8");
  const n = b.length;
  if (n < 32) w.u8(0xa0 | n);
  else if (n < 256) {
    w.u8(0xd9);
    w.u8(n);
  } else if (n < 65536) {
    w.u8(0xda);
    w.u16(n);
  } else {
    w.u8(0xdb);
    w.u32(n);
  }
  w.bytes(b);
}

function writeHeader(w: Writer, n: number, fix: number, fixMax: number, c16: number): void {
  if (n < fixMax) w.u8(fix | n);
  else if (n < 65536) {
    w.u8(c16);
    w.u16(n);
  } else {
    w.u8(c16 + 1);
    w.u32(n);
  }
}

function writeTimestamp(w: Writer, dt: PyDateTime): void {
  const ms = dt.toDate().getTime();
  const seconds = BigInt(Math.floor(ms / 1000));
  const nanos = dt.microsecond * 1000;
  if (nanos === 0 && seconds >= 0n && seconds < 4294967296n) {
    w.u8(0xd6);
    w.u8(0xff);
    w.u32(Number(seconds));
  } else if (seconds >= 0n && seconds < 17179869184n) {
    w.u8(0xd7);
    w.u8(0xff);
    w.u64((BigInt(nanos) << 34n) | seconds);
  } else {
    w.u8(0xc7);
    w.u8(12);
    w.u8(0xff);
    w.u32(nanos);
    w.i64(seconds);
  }
}

function writeValue(w: Writer, v: PyValue, depth: number): void {
  if (depth > MAX_DEPTH) throw new UnsupportedValueError("msgpack: value nested too deeply");
  if (v === null) return w.u8(0xc0);
  if (v === false) return w.u8(0xc2);
  if (v === true) return w.u8(0xc3);
  if (typeof v === "number") {
    if (Number.isInteger(v) && !Object.is(v, -0)) {
      if (!Number.isSafeInteger(v)) throw new UnsupportedValueError("unsafe integer: use a bigint");
      return writeInt(w, BigInt(v));
    }
    w.u8(0xcb);
    return w.f64(v);
  }
  if (typeof v === "bigint") return writeInt(w, v);
  if (typeof v === "string") return writeStr(w, v);
  if (v instanceof Uint8Array) {
    const n = v.length;
    if (n < 256) {
      w.u8(0xc4);
      w.u8(n);
    } else if (n < 65536) {
      w.u8(0xc5);
      w.u16(n);
    } else {
      w.u8(0xc6);
      w.u32(n);
    }
    return w.bytes(v);
  }
  if (v instanceof PyFloat) {
    w.u8(0xcb);
    return w.f64(v.value);
  }
  if (v instanceof PySet || v instanceof PyFrozenSet) {
    // msgspec writes a set as an array (read back as a list, by msgspec too).
    writeHeader(w, v.size, 0x90, 16, 0xdc);
    for (const item of v) writeValue(w, item, depth + 1);
    return;
  }
  if (v instanceof PyOrderedDict) {
    writeHeader(w, v.size, 0x80, 16, 0xde);
    for (const [key, value] of v) {
      writeStr(w, key);
      writeValue(w, value, depth + 1);
    }
    return;
  }
  if (Array.isArray(v) || v instanceof PyTuple) {
    const items = Array.isArray(v) ? v : v.items;
    writeHeader(w, items.length, 0x90, 16, 0xdc);
    for (const item of items) writeValue(w, item, depth + 1);
    return;
  }
  if (v instanceof PyUUID || v instanceof PyDecimal) return writeStr(w, v.toString());
  if (v instanceof PyDate) return writeStr(w, v.toISOString());
  if (v instanceof PyDateTime) {
    if (v.utcOffsetSeconds === null) return writeStr(w, v.toISOString());
    return writeTimestamp(w, v);
  }
  if (v instanceof PyMarkup || v instanceof PyTimeDelta) {
    throw new UnsupportedValueError(
      `Encoding objects of type ${v.constructor.name} is not supported`,
    );
  }
  if (isPyDict(v)) {
    const entries = Object.entries(v);
    writeHeader(w, entries.length, 0x80, 16, 0xde);
    for (const [key, value] of entries) {
      writeStr(w, key);
      writeValue(w, value, depth + 1);
    }
    return;
  }
  throw new UnsupportedValueError("Value cannot be encoded as msgpack");
}

/**
 * `msgspec.msgpack.Encoder().encode(dict(session))`.
 *
 * @throws {UnsupportedValueError} for values msgspec would refuse (Markup, out-of-range ints, …).
 * @example
 * ```ts
 * Buffer.from(encodeMsgspecMsgpack(new Map([["n", 42]]))).toString("hex"); // "81a16e2a"
 * ```
 */
export function encodeMsgspecMsgpack(data: SessionData | PyDict): Uint8Array {
  const w = new Writer();
  const entries = data instanceof Map ? [...data] : Object.entries(data);
  writeHeader(w, entries.length, 0x80, 16, 0xde);
  for (const [key, value] of entries) {
    writeStr(w, key);
    writeValue(w, value, 1);
  }
  return w.finish();
}

class Reader {
  pos = 0;
  readonly view: DataView;
  constructor(readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new MalformedError("msgpack: truncated input");
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  take(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

function intValue(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(n)
    : n;
}

function floatValue(x: number): number | PyFloat {
  return Number.isInteger(x) || !Number.isFinite(x) ? new PyFloat(x) : x;
}

function readStr(r: Reader, n: number): string {
  try {
    return UTF8.decode(r.take(n));
  } catch (err) {
    throw new MalformedError("msgpack: invalid UTF-8", { cause: err });
  }
}

function readExt(r: Reader, n: number): PyValue {
  const type = (r.u8() << 24) >> 24;
  const body = r.take(n);
  if (type !== -1) throw new MalformedError(`msgpack: unsupported extension type ${type}`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let seconds: bigint;
  let nanos: number;
  if (n === 4) {
    seconds = BigInt(view.getUint32(0));
    nanos = 0;
  } else if (n === 8) {
    const v = view.getBigUint64(0);
    nanos = Number(v >> 34n);
    seconds = v & 0x3ffffffffn;
  } else if (n === 12) {
    nanos = view.getUint32(0);
    seconds = view.getBigInt64(4);
  } else throw new MalformedError("msgpack: bad timestamp length");
  if (nanos > 999_999_999) throw new MalformedError("msgpack: bad timestamp nanoseconds");
  const date = new Date(Number(seconds) * 1000);
  if (Number.isNaN(date.getTime())) throw new MalformedError("msgpack: timestamp out of range");
  return new PyDateTime(
    date.getUTCFullYear(),
    date.getUTCMonth() + 1,
    date.getUTCDate(),
    date.getUTCHours(),
    date.getUTCMinutes(),
    date.getUTCSeconds(),
    Math.floor(nanos / 1000),
    0,
  );
}

function readArray(r: Reader, n: number, depth: number): PyValue[] {
  const out: PyValue[] = [];
  for (let i = 0; i < n; i++) out.push(readValue(r, depth + 1));
  return out;
}

function readMap(r: Reader, n: number, depth: number): PyDict {
  const out: PyDict = {};
  for (let i = 0; i < n; i++) {
    const key = readValue(r, depth + 1);
    if (typeof key !== "string") throw new MalformedError("msgpack: non-string map key");
    // defineProperty: a "__proto__" key stays a plain own property.
    Object.defineProperty(out, key, {
      value: readValue(r, depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

function readValue(r: Reader, depth: number): PyValue {
  if (depth > MAX_DEPTH) throw new MalformedError("msgpack: nested too deeply");
  const b = r.u8();
  if (b < 0x80) return b;
  if (b >= 0xe0) return b - 0x100;
  if (b >= 0xa0 && b <= 0xbf) return readStr(r, b & 0x1f);
  if (b >= 0x90 && b <= 0x9f) return readArray(r, b & 0x0f, depth);
  if (b >= 0x80 && b <= 0x8f) return readMap(r, b & 0x0f, depth);
  const view = r.view;
  switch (b) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xc4:
      return Uint8Array.from(r.take(r.u8()));
    case 0xc5:
      return Uint8Array.from(r.take(r.u16()));
    case 0xc6:
      return Uint8Array.from(r.take(r.u32()));
    case 0xc7:
      return readExt(r, r.u8());
    case 0xc8:
      return readExt(r, r.u16());
    case 0xc9:
      return readExt(r, r.u32());
    case 0xca: {
      r.need(4);
      const v = view.getFloat32(r.pos);
      r.pos += 4;
      return floatValue(v);
    }
    case 0xcb: {
      r.need(8);
      const v = view.getFloat64(r.pos);
      r.pos += 8;
      return floatValue(v);
    }
    case 0xcc:
      return r.u8();
    case 0xcd:
      return r.u16();
    case 0xce:
      return r.u32();
    case 0xcf: {
      r.need(8);
      const v = view.getBigUint64(r.pos);
      r.pos += 8;
      return intValue(v);
    }
    case 0xd0:
      return (r.u8() << 24) >> 24;
    case 0xd1:
      return (r.u16() << 16) >> 16;
    case 0xd2:
      return r.u32() | 0;
    case 0xd3: {
      r.need(8);
      const v = view.getBigInt64(r.pos);
      r.pos += 8;
      return intValue(v);
    }
    case 0xd4:
      return readExt(r, 1);
    case 0xd5:
      return readExt(r, 2);
    case 0xd6:
      return readExt(r, 4);
    case 0xd7:
      return readExt(r, 8);
    case 0xd8:
      return readExt(r, 16);
    case 0xd9:
      return readStr(r, r.u8());
    case 0xda:
      return readStr(r, r.u16());
    case 0xdb:
      return readStr(r, r.u32());
    case 0xdc:
      return readArray(r, r.u16(), depth);
    case 0xdd:
      return readArray(r, r.u32(), depth);
    case 0xde:
      return readMap(r, r.u16(), depth);
    case 0xdf:
      return readMap(r, r.u32(), depth);
    default:
      throw new MalformedError(`msgpack: invalid byte 0x${b.toString(16)}`);
  }
}

/**
 * `msgspec.msgpack.Decoder().decode(value)` for a session: one map, nothing after it.
 *
 * @throws {MalformedError} for anything else (as msgspec raises `DecodeError`).
 * @example
 * ```ts
 * decodeMsgspecMsgpack(Buffer.from("81a16e2a", "hex")); // Map { "n" => 42 }
 * ```
 */
export function decodeMsgspecMsgpack(bytes: Uint8Array): SessionData {
  const r = new Reader(bytes);
  const value = readValue(r, 0);
  if (r.pos !== bytes.length) throw new MalformedError("msgpack: trailing data");
  if (!isPyDict(value)) throw new MalformedError("msgpack: session is not a map");
  return new Map(Object.entries(value));
}
