/**
 * The part of Node's `Buffer` that the codecs, the engine and the cookie stores use, on a plain
 * `Uint8Array` subclass, for the runtimes without `node:buffer` (workerd without
 * `nodejs_compat`, Vercel's edge runtime, browsers).
 *
 * Same results as Node for the same calls: UTF-8 through `TextEncoder`/`TextDecoder` (lone
 * surrogates become U+FFFD, a BOM is kept), Latin-1, ASCII, hex (stops at the first bad pair),
 * base64 and base64url (decoding is lenient as Node's: either alphabet, stops at `=`, skips
 * other characters), UTF-16LE; `slice` shares memory as `subarray` does. Checked against
 * `node:buffer` in test/runtime/web-buffer.test.ts.
 * @module
 */

/** The encodings Node's Buffer names, as accepted here. */
import { InvalidArgumentError } from "../errors.ts";

/** The encodings Node's Buffer names, as accepted here. */
type Encoding =
  | "utf8"
  | "utf-8"
  | "latin1"
  | "binary"
  | "ascii"
  | "base64"
  | "base64url"
  | "hex"
  | "utf16le"
  | "utf-16le"
  | "ucs2"
  | "ucs-2";

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder("utf-8", { ignoreBOM: true });

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) {
  B64_VALUE[B64.charCodeAt(i)] = i;
  B64_VALUE[B64URL.charCodeAt(i)] = i;
}

function normalize(encoding: string | undefined): Encoding {
  const e = (encoding ?? "utf8").toLowerCase();
  switch (e) {
    case "utf8":
    case "utf-8":
      return "utf8";
    case "latin1":
    case "binary":
      return "latin1";
    case "ascii":
    case "base64":
    case "base64url":
    case "hex":
      return e;
    case "utf16le":
    case "utf-16le":
    case "ucs2":
    case "ucs-2":
      return "utf16le";
    default:
      // Node throws ERR_UNKNOWN_ENCODING (a TypeError) for an unknown encoding name.
      throw new InvalidArgumentError(`Unknown encoding: ${encoding}`);
  }
}

function encodeBase64(bytes: Uint8Array, alphabet: string, pad: boolean): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out +=
      alphabet[n >>> 18]! +
      alphabet[(n >>> 12) & 63]! +
      alphabet[(n >>> 6) & 63]! +
      alphabet[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += alphabet[n >>> 18]! + alphabet[(n >>> 12) & 63]! + (pad ? "==" : "");
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += alphabet[n >>> 18]! + alphabet[(n >>> 12) & 63]! + alphabet[(n >>> 6) & 63]!;
    if (pad) out += "=";
  }
  return out;
}

function decodeBase64(text: string): Uint8Array {
  const out = new Uint8Array(Math.ceil((text.length * 3) / 4));
  let n = 0;
  let bits = 0;
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    // Node reads a wider character by its low byte, for base64 and hex alike.
    const c = text.charCodeAt(i) & 0xff;
    if (c === 0x3d /* = */) break;
    const v = c < 128 ? B64_VALUE[c]! : -1;
    if (v < 0) continue;
    n = (n << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[length++] = (n >>> bits) & 0xff;
    }
  }
  return out.subarray(0, length);
}

function hexValue(code: number): number {
  const c = code & 0xff;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

function encodeString(text: string, encoding: Encoding): Uint8Array {
  switch (encoding) {
    case "utf8":
    case "utf-8":
      return ENCODER.encode(text);
    case "latin1":
    case "binary":
    case "ascii": {
      const out = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
      return out;
    }
    case "base64":
    case "base64url":
      return decodeBase64(text);
    case "hex": {
      const out = new Uint8Array(text.length >>> 1);
      let i = 0;
      for (; i < out.length; i++) {
        const hi = hexValue(text.charCodeAt(2 * i));
        const lo = hexValue(text.charCodeAt(2 * i + 1));
        if (hi < 0 || lo < 0) break;
        out[i] = (hi << 4) | lo;
      }
      return out.subarray(0, i);
    }
    default: {
      const out = new Uint8Array(text.length * 2);
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        out[2 * i] = c & 0xff;
        out[2 * i + 1] = c >>> 8;
      }
      return out;
    }
  }
}

function decodeBytes(bytes: Uint8Array, encoding: Encoding): string {
  switch (encoding) {
    case "utf8":
    case "utf-8":
      return DECODER.decode(bytes);
    case "latin1":
    case "binary":
    case "ascii": {
      const mask = encoding === "ascii" ? 0x7f : 0xff;
      let out = "";
      for (let i = 0; i < bytes.length; i += 4096) {
        const chunk = bytes.subarray(i, i + 4096);
        out += String.fromCharCode(...(mask === 0xff ? chunk : chunk.map((b) => b & mask)));
      }
      return out;
    }
    case "base64":
      return encodeBase64(bytes, B64, true);
    case "base64url":
      return encodeBase64(bytes, B64URL, false);
    case "hex": {
      let out = "";
      for (const b of bytes) out += (b < 16 ? "0" : "") + b.toString(16);
      return out;
    }
    default: {
      let out = "";
      for (let i = 0; i + 1 < bytes.length; i += 2) {
        out += String.fromCharCode(bytes[i]! | (bytes[i + 1]! << 8));
      }
      return out;
    }
  }
}

/** Bytes of a `Buffer.from`-style value: a string in an encoding, or bytes to copy. */
function toBytes(
  value: string | ArrayLike<number> | Iterable<number>,
  encoding?: string,
): Uint8Array {
  if (typeof value === "string") return encodeString(value, normalize(encoding));
  if (value instanceof Uint8Array) return value;
  return Uint8Array.from(value as ArrayLike<number>);
}

/** A `Uint8Array` with the Buffer methods the library calls; see the module comment. */
export class WebBuffer extends Uint8Array {
  /** `buf.toString(encoding, start, end)`. */
  override toString(encoding?: string, start = 0, end = this.length): string {
    const s = Math.max(0, start);
    const e = Math.min(this.length, end);
    if (e <= s) return "";
    return decodeBytes(this.subarray(s, e), normalize(encoding));
  }

  /** `buf.toJSON()`, as Node's. */
  toJSON(): { type: "Buffer"; data: number[] } {
    return { type: "Buffer", data: Array.from(this) };
  }

  /** `buf.slice(start, end)`: a view, as Node's (not a copy, unlike `Uint8Array#slice`). */
  override slice(start?: number, end?: number): WebBuffer {
    // subarray builds through Symbol.species, i.e. this class: the result is a WebBuffer.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
    return this.subarray(start, end) as WebBuffer;
  }

  /**
   * `buf.write(string[, offset[, length]][, encoding])`: bytes written, never a partial UTF-8
   * character.
   */
  write(
    text: string,
    offsetOrEncoding?: number | string,
    lengthOrEncoding?: number | string,
    encoding?: string,
  ): number {
    let offset = 0;
    let length = this.length;
    let enc: string | undefined;
    if (typeof offsetOrEncoding === "string") enc = offsetOrEncoding;
    else {
      offset = offsetOrEncoding ?? 0;
      if (typeof lengthOrEncoding === "string") enc = lengthOrEncoding;
      else {
        if (lengthOrEncoding !== undefined) length = lengthOrEncoding;
        enc = encoding;
      }
    }
    const room = Math.min(length, this.length - offset);
    if (room <= 0) return 0;
    const e = normalize(enc);
    if (e === "utf8") {
      return ENCODER.encodeInto(text, this.subarray(offset, offset + room)).written;
    }
    const bytes = encodeString(text, e);
    const n = Math.min(room, bytes.length);
    this.set(bytes.subarray(0, n), offset);
    return n;
  }

  /** `buf.equals(other)`. */
  equals(other: Uint8Array): boolean {
    if (other.length !== this.length) return false;
    for (let i = 0; i < this.length; i++) if (this[i] !== other[i]) return false;
    return true;
  }

  /** `buf.compare(other)`: -1, 0 or 1 in byte order. */
  compare(other: Uint8Array): number {
    return compareBytes(this, other);
  }

  /** `buf.copy(target, targetStart, sourceStart, sourceEnd)`: bytes copied. */
  copy(target: Uint8Array, targetStart = 0, sourceStart = 0, sourceEnd = this.length): number {
    const n = Math.max(0, Math.min(sourceEnd, this.length) - sourceStart);
    const count = Math.min(n, target.length - targetStart);
    if (count <= 0) return 0;
    target.set(this.subarray(sourceStart, sourceStart + count), targetStart);
    return count;
  }

  /** `buf.indexOf(value, byteOffset, encoding)`, for a byte, a string or bytes. */
  override indexOf(value: number | string | Uint8Array, byteOffset = 0, encoding?: string): number {
    if (typeof value === "number") return super.indexOf(value & 0xff, byteOffset);
    const needle = toBytes(value, encoding);
    const from = byteOffset < 0 ? Math.max(0, this.length + byteOffset) : byteOffset;
    outer: for (let i = from; i + needle.length <= this.length; i++) {
      for (let j = 0; j < needle.length; j++) if (this[i + j] !== needle[j]) continue outer;
      return i;
    }
    return -1;
  }

  /** `buf.includes(value, byteOffset, encoding)`. */
  override includes(
    value: number | string | Uint8Array,
    byteOffset = 0,
    encoding?: string,
  ): boolean {
    return this.indexOf(value, byteOffset, encoding) !== -1;
  }

  /** `buf.fill(value, offset, end)`, for a byte or the repeated bytes of a string. */
  override fill(value: number | string | Uint8Array, offset = 0, end = this.length): this {
    if (typeof value === "number") return super.fill(value & 0xff, offset, end);
    const bytes = toBytes(value);
    if (bytes.length === 0) return super.fill(0, offset, end);
    for (let i = offset, j = 0; i < end; i++, j = (j + 1) % bytes.length) this[i] = bytes[j]!;
    return this;
  }

  #view(): DataView {
    return new DataView(this.buffer, this.byteOffset, this.byteLength);
  }

  writeUInt8(value: number, offset = 0): number {
    this[offset] = value;
    return offset + 1;
  }
  writeUInt16LE(value: number, offset = 0): number {
    this.#view().setUint16(offset, value, true);
    return offset + 2;
  }
  writeUInt16BE(value: number, offset = 0): number {
    this.#view().setUint16(offset, value, false);
    return offset + 2;
  }
  writeUInt32LE(value: number, offset = 0): number {
    this.#view().setUint32(offset, value, true);
    return offset + 4;
  }
  writeUInt32BE(value: number, offset = 0): number {
    this.#view().setUint32(offset, value, false);
    return offset + 4;
  }
  writeInt32LE(value: number, offset = 0): number {
    this.#view().setInt32(offset, value, true);
    return offset + 4;
  }
  writeInt32BE(value: number, offset = 0): number {
    this.#view().setInt32(offset, value, false);
    return offset + 4;
  }
  writeDoubleBE(value: number, offset = 0): number {
    this.#view().setFloat64(offset, value, false);
    return offset + 8;
  }
  writeDoubleLE(value: number, offset = 0): number {
    this.#view().setFloat64(offset, value, true);
    return offset + 8;
  }
  writeBigUInt64LE(value: bigint, offset = 0): number {
    this.#view().setBigUint64(offset, value, true);
    return offset + 8;
  }
  writeBigUInt64BE(value: bigint, offset = 0): number {
    this.#view().setBigUint64(offset, value, false);
    return offset + 8;
  }
  writeBigInt64LE(value: bigint, offset = 0): number {
    this.#view().setBigInt64(offset, value, true);
    return offset + 8;
  }
  writeBigInt64BE(value: bigint, offset = 0): number {
    this.#view().setBigInt64(offset, value, false);
    return offset + 8;
  }
  readUInt8(offset = 0): number {
    return this.#view().getUint8(offset);
  }
  readUInt16LE(offset = 0): number {
    return this.#view().getUint16(offset, true);
  }
  readUInt16BE(offset = 0): number {
    return this.#view().getUint16(offset, false);
  }
  readUInt32LE(offset = 0): number {
    return this.#view().getUint32(offset, true);
  }
  readUInt32BE(offset = 0): number {
    return this.#view().getUint32(offset, false);
  }
  readInt32LE(offset = 0): number {
    return this.#view().getInt32(offset, true);
  }
  readInt32BE(offset = 0): number {
    return this.#view().getInt32(offset, false);
  }
  readDoubleBE(offset = 0): number {
    return this.#view().getFloat64(offset, false);
  }
  readDoubleLE(offset = 0): number {
    return this.#view().getFloat64(offset, true);
  }
  readBigUInt64LE(offset = 0): bigint {
    return this.#view().getBigUint64(offset, true);
  }
  readBigUInt64BE(offset = 0): bigint {
    return this.#view().getBigUint64(offset, false);
  }
  readBigInt64LE(offset = 0): bigint {
    return this.#view().getBigInt64(offset, true);
  }
  readBigInt64BE(offset = 0): bigint {
    return this.#view().getBigInt64(offset, false);
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function wrap(bytes: Uint8Array): WebBuffer {
  return new WebBuffer(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
}

/** The static side of Node's Buffer that the library calls. */
const STATICS = {
  /** `Buffer.from(string, encoding)`, `(arrayBuffer, offset, length)` (a view) or `(bytes)` (a copy). */
  from(
    value: string | ArrayBuffer | ArrayLike<number> | Iterable<number>,
    encodingOrOffset?: string | number,
    length?: number,
  ): WebBuffer {
    if (typeof value === "string")
      return wrap(encodeString(value, normalize(encodingOrOffset as string | undefined)));
    if (value instanceof ArrayBuffer) {
      const offset = (encodingOrOffset as number | undefined) ?? 0;
      return new WebBuffer(value, offset, length ?? value.byteLength - offset);
    }
    const copy = new WebBuffer(
      value instanceof Uint8Array ? value.length : Array.from(value as Iterable<number>).length,
    );
    copy.set(value instanceof Uint8Array ? value : Array.from(value as Iterable<number>));
    return copy;
  },
  /** `Buffer.alloc(size, fill)`. */
  alloc(size: number, fill?: number | string | Uint8Array): WebBuffer {
    const out = new WebBuffer(size);
    if (fill !== undefined) out.fill(fill);
    return out;
  },
  /** `Buffer.allocUnsafe(size)` (zero-filled here). */
  allocUnsafe(size: number): WebBuffer {
    return new WebBuffer(size);
  },
  /** `Buffer.allocUnsafeSlow(size)` (zero-filled here). */
  allocUnsafeSlow(size: number): WebBuffer {
    return new WebBuffer(size);
  },
  /** `Buffer.concat(list, totalLength)`. */
  concat(list: readonly Uint8Array[], totalLength?: number): WebBuffer {
    const total = totalLength ?? list.reduce((n, b) => n + b.length, 0);
    const out = new WebBuffer(total);
    let at = 0;
    for (const b of list) {
      if (at >= total) break;
      const part = b.subarray(0, total - at);
      out.set(part, at);
      at += part.length;
    }
    return out;
  },
  /** `Buffer.isBuffer(value)`. */
  isBuffer(value: unknown): value is WebBuffer {
    return value instanceof WebBuffer;
  },
  /** `Buffer.isEncoding(name)`. */
  isEncoding(name: string): boolean {
    try {
      normalize(name);
      return true;
    } catch {
      return false;
    }
  },
  /** `Buffer.byteLength(value, encoding)`. */
  byteLength(value: string | Uint8Array | ArrayBuffer, encoding?: string): number {
    if (typeof value !== "string") return value.byteLength;
    // Node's arithmetic, which does not look at the characters (except UTF-8's).
    switch (normalize(encoding)) {
      case "utf8":
        return ENCODER.encode(value).length;
      case "base64":
      case "base64url": {
        let n = value.length;
        if (n > 0 && value.charCodeAt(n - 1) === 0x3d) n--;
        if (n > 1 && value.charCodeAt(n - 1) === 0x3d) n--;
        return (n * 3) >>> 2;
      }
      case "hex":
        return value.length >>> 1;
      case "utf16le":
        return value.length * 2;
      default:
        return value.length;
    }
  },
  /** `Buffer.compare(a, b)`. */
  compare: compareBytes,
};
Object.assign(WebBuffer, STATICS);

/** `isAscii(bytes)` of `node:buffer`: every byte below 0x80. */
export function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}
