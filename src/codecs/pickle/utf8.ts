/**
 * UTF-8 with Python's `surrogatepass` error handler, which is what pickle uses for `str`
 * (CPython `_pickle.c` `load_binunicode` / `write_unicode_binary`): a lone surrogate, legal in a
 * Python `str` and in a JS string, is written as its 3-byte form (`ED A0 80`…`ED BF BF`) and read
 * back. Anything else that is not UTF-8 is an error, as in CPython.
 */
import { Buffer } from "#runtime";
import { MalformedError } from "../../errors.ts";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const SHORT = 24;

/** Thrown (and mapped to a MalformedError with the offset by the reader) on bytes that are not UTF-8. */
export class Utf8Error extends MalformedError {}

/** Decodes `buf[start, end)`. `buf` must be a Buffer view (for the native fast path). */
export function decodeUtf8(buf: Buffer, start: number, end: number): string {
  const len = end - start;
  if (len <= SHORT) {
    // Short ASCII (typical session keys): cheaper in JS than a native call.
    let s = "";
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      if (c >= 0x80) return decodeGeneral(buf, start, end);
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decodeGeneral(buf, start, end);
}

function decodeGeneral(buf: Buffer, start: number, end: number): string {
  const s = buf.toString("utf8", start, end);
  // Node replaces invalid sequences with U+FFFD; only then is the strict decoder needed.
  return s.includes("\uFFFD") ? decodeStrict(buf, start, end) : s;
}

function decodeStrict(buf: Buffer, start: number, end: number): string {
  const units: number[] = [];
  let out = "";
  let i = start;
  while (i < end) {
    const b0 = buf[i]!;
    let cp: number;
    if (b0 < 0x80) {
      cp = b0;
      i += 1;
    } else if (b0 >= 0xc2 && b0 <= 0xdf) {
      cp = ((b0 & 0x1f) << 6) | cont(buf, i + 1, end);
      i += 2;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      cp = ((b0 & 0x0f) << 12) | (cont(buf, i + 1, end) << 6) | cont(buf, i + 2, end);
      if (cp < 0x800) throw new Utf8Error("overlong UTF-8 sequence");
      i += 3;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      cp =
        ((b0 & 0x07) << 18) |
        (cont(buf, i + 1, end) << 12) |
        (cont(buf, i + 2, end) << 6) |
        cont(buf, i + 3, end);
      if (cp < 0x10000 || cp > 0x10ffff) throw new Utf8Error("invalid UTF-8 sequence");
      i += 4;
    } else {
      throw new Utf8Error("invalid UTF-8 start byte");
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
    } else {
      units.push(cp);
    }
    if (units.length >= 4096) {
      out += String.fromCharCode(...units);
      units.length = 0;
    }
  }
  return out + String.fromCharCode(...units);
}

function cont(buf: Buffer, i: number, end: number): number {
  if (i >= end) throw new Utf8Error("truncated UTF-8 sequence");
  const b = buf[i]!;
  if ((b & 0xc0) !== 0x80) throw new Utf8Error("invalid UTF-8 continuation byte");
  return b & 0x3f;
}

/** Upper bound of the encoded length of `s`. */
export function maxUtf8Length(s: string): number {
  return s.length * 3;
}

/**
 * Encodes `s` into `out` at `offset` (which must have room for {@link maxUtf8Length} bytes);
 * returns the number of bytes written.
 */
export function encodeUtf8Into(s: string, out: Buffer, offset: number): number {
  const n = s.length;
  if (n > SHORT && !LONE_SURROGATE.test(s)) return out.write(s, offset, "utf8");
  let p = offset;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[p++] = c;
    } else if (c < 0x800) {
      out[p++] = 0xc0 | (c >> 6);
      out[p++] = 0x80 | (c & 0x3f);
    } else {
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
          out[p++] = 0xf0 | (c >> 18);
          out[p++] = 0x80 | ((c >> 12) & 0x3f);
          out[p++] = 0x80 | ((c >> 6) & 0x3f);
          out[p++] = 0x80 | (c & 0x3f);
          continue;
        }
      }
      // BMP character, or a lone surrogate written as-is (surrogatepass).
      out[p++] = 0xe0 | (c >> 12);
      out[p++] = 0x80 | ((c >> 6) & 0x3f);
      out[p++] = 0x80 | (c & 0x3f);
    }
  }
  return p - offset;
}
