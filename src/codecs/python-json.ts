/**
 * Python's `json` module, byte for byte.
 *
 * Django signs `json.dumps(obj, separators=(",", ":"))`, Flask signs the same with
 * `sort_keys=True`, Starlette signs `json.dumps(obj)` with the default `", "` / `": "`
 * separators. A signature is over bytes, so the bytes must be Python's, not `JSON.stringify`'s:
 *
 * - `ensure_ascii=True` escapes everything outside U+0020..U+007E as `\uXXXX` with lowercase hex
 *   (CPython `Modules/_json.c` `ascii_escape_unichar`), so DEL is `\u007f` and astral characters
 *   come out as their UTF-16 surrogate pair, which is exactly what a JS string holds.
 * - floats use `float.__repr__` (shortest round-trip digits, CPython `Python/pystrtod.c`
 *   `format_float_short` with `'r'`): fixed notation when the decimal point position `decpt`
 *   is in -4 < decpt <= 16, else exponent notation with at least two exponent digits.
 * - `NaN`, `Infinity`, `-Infinity` are written and read (`allow_nan=True` is Python's default).
 *
 * The reader keeps Python's int/float distinction (see {@link PyFloat}) and big ints (`bigint`).
 */
import { ConfigurationError, MalformedError, UnsupportedValueError } from "../errors.ts";
import {
  PyFloat,
  PyMarkup,
  PyTuple,
  PyFrozenSet,
  PySet,
  isPyDict,
  type PyDict,
  type PyValue,
  type SessionData,
} from "./python-values.ts";

/** Options of {@link dumpsPythonJson}, named after `json.dumps`'s keyword arguments. */
export interface PythonJsonDumpOptions {
  /**
   * `(item_separator, key_separator)`; default `[", ", ": "]` like Python, `[",", ": "]` with
   * `indent` (Python's default then, so that no line ends in a space).
   */
  readonly separators?: readonly [string, string];
  /**
   * Puts each item of a non-empty list or dict on its own line, indented by this many spaces
   * per level (`indent=0` only breaks the lines), as Python's `indent=n`. Default: one line.
   */
  readonly indent?: number;
  /** Escape non-ASCII as `\uXXXX` (default `true`, as Python). */
  readonly ensureAscii?: boolean;
  /** Sort object keys by code point (default `false`, as Python). */
  readonly sortKeys?: boolean;
}

/** Django's and Flask's compact form: `separators=(",", ":")`. */
export const COMPACT_SEPARATORS: readonly [string, string] = [",", ":"];

/**
 * Serialises like Python's `json.dumps`. Tuples become arrays (as in Python). Values plain JSON
 * cannot hold (datetime, bytes, Decimal, UUID, Markup) throw an `UnsupportedValueError`, as Python's
 * `json.dumps` does; use a tagging codec (Flask) or pickle for them.
 *
 * @example
 * ```ts
 * dumpsPythonJson({ a: "é", n: new PyFloat(1) }, { separators: COMPACT_SEPARATORS });
 * // '{"a":"\\u00e9","n":1.0}'
 * dumpsPythonJson({ a: [1] }, { indent: 2 }); // '{\n  "a": [\n    1\n  ]\n}'
 * ```
 */
export function dumpsPythonJson(
  value: PyValue | SessionData,
  options: PythonJsonDumpOptions = {},
): string {
  const indent = options.indent;
  if (indent !== undefined && !(Number.isSafeInteger(indent) && indent >= 0)) {
    throw new ConfigurationError("indent must be a whole number of spaces");
  }
  const [itemSep, keySep] =
    options.separators ?? (indent === undefined ? [", ", ": "] : [",", ": "]);
  const quote = options.ensureAscii === false ? quoteUnicode : quoteAscii;
  const sortKeys = options.sortKeys === true;
  const enclose = (open: string, items: string[], close: string, level: number): string => {
    if (indent === undefined) return `${open}${items.join(itemSep)}${close}`;
    if (items.length === 0) return `${open}${close}`;
    const inner = `\n${" ".repeat(indent * (level + 1))}`;
    return `${open}${inner}${items.join(itemSep + inner)}\n${" ".repeat(indent * level)}${close}`;
  };

  const write = (v: PyValue | SessionData, level: number): string => {
    if (v === null) return "null";
    switch (typeof v) {
      case "string":
        return quote(v);
      case "boolean":
        return v ? "true" : "false";
      case "number":
        return Number.isInteger(v) ? intRepr(v) : floatRepr(v);
      case "bigint":
        return v.toString();
      case "object":
        break;
      default:
        throw new UnsupportedValueError(`Object of type ${typeof v} is not JSON serializable`);
    }
    if (Array.isArray(v))
      return enclose(
        "[",
        v.map((item) => write(item, level + 1)),
        "]",
        level,
      );
    if (v instanceof PyTuple) {
      return enclose(
        "[",
        v.items.map((item) => write(item, level + 1)),
        "]",
        level,
      );
    }
    if (v instanceof PyFloat) return floatRepr(v.value);
    let entries: [string, PyValue][];
    if (v instanceof Map) entries = [...v];
    else if (isPyDict(v)) entries = Object.entries(v);
    else
      throw new UnsupportedValueError(`Object of type ${pyTypeName(v)} is not JSON serializable`);
    if (sortKeys) entries.sort((a, b) => compareCodePoints(a[0], b[0]));
    const parts = entries.map(([k, item]) => quote(k) + keySep + write(item, level + 1));
    return enclose("{", parts, "}", level);
  };
  return write(value, 0);
}

/** Python's `int.__repr__` for a JS integer (never exponent notation, `-0` is `0`). */
function intRepr(n: number): string {
  if (Number.isSafeInteger(n)) return String(n === 0 ? 0 : n);
  return BigInt(n).toString();
}

/** `float.__repr__`: shortest round-trip digits, CPython's fixed/exponent switch. */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  // toExponential() without an argument yields the shortest digits that round-trip,
  // the same digits CPython's dtoa mode 0 produces.
  const exp = Math.abs(x).toExponential();
  const ePos = exp.indexOf("e");
  const digits = exp.slice(0, ePos).replace(".", "");
  const decpt = Number(exp.slice(ePos + 1)) + 1;
  const sign = x < 0 ? "-" : "";
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) return `${sign}0.${"0".repeat(-decpt)}${digits}`;
    if (decpt >= digits.length) return `${sign}${digits}${"0".repeat(decpt - digits.length)}.0`;
    return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  }
  const e = decpt - 1;
  const mantissa = digits.length > 1 ? `${digits[0]!}.${digits.slice(1)}` : digits;
  const eDigits = String(Math.abs(e)).padStart(2, "0");
  return `${sign}${mantissa}e${e < 0 ? "-" : "+"}${eDigits}`;
}

// ensure_ascii: everything outside printable ASCII, plus `"` and `\` (CPython ESCAPE_ASCII).
const NEEDS_ASCII_ESCAPE = /[^\x20-\x21\x23-\x5b\x5d-\x7e]/;
// ensure_ascii=False: only `"`, `\` and C0 controls (CPython ESCAPE).
// eslint-disable-next-line no-control-regex -- matching C0 controls is the point
const NEEDS_UNICODE_ESCAPE = /["\\\x00-\x1f]/;

const SHORT_ESCAPES: Readonly<Record<number, string>> = {
  0x22: '\\"',
  0x5c: "\\\\",
  0x0a: "\\n",
  0x0d: "\\r",
  0x09: "\\t",
  0x08: "\\b",
  0x0c: "\\f",
};

function quoteAscii(s: string): string {
  if (!NEEDS_ASCII_ESCAPE.test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x5c) out += s[i]!;
    else out += SHORT_ESCAPES[c] ?? `\\u${c.toString(16).padStart(4, "0")}`;
  }
  return `${out}"`;
}

function quoteUnicode(s: string): string {
  if (!NEEDS_UNICODE_ESCAPE.test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c) out += s[i]!;
    else out += SHORT_ESCAPES[c] ?? `\\u${c.toString(16).padStart(4, "0")}`;
  }
  return `${out}"`;
}

/** Orders strings by Unicode code point, as Python's `sorted()` does for `str`. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    // Surrogates (U+D800..DFFF) encode code points above U+FFFF, so they sort after
    // every BMP character from U+E000 up, unlike plain UTF-16 unit order.
    const sa = ca >= 0xd800 && ca <= 0xdfff;
    const sb = cb >= 0xd800 && cb <= 0xdfff;
    if (sa !== sb) return sa ? 1 : -1;
    return ca - cb;
  }
  return a.length - b.length;
}

function pyTypeName(v: object): string {
  if (v instanceof Uint8Array) return "bytes";
  if (v instanceof PyMarkup) return "Markup";
  if (v instanceof PySet) return "set";
  if (v instanceof PyFrozenSet) return "frozenset";
  return v.constructor.name.replace(/^Py/, "");
}

// --- reading ------------------------------------------------------------------------------

/**
 * Deepest nesting of arrays and objects read. CPython's own `json` cannot go much deeper (its
 * scanner and encoder recurse, and `sys.getrecursionlimit()` is 1000 by default), so no session
 * Python wrote is refused; deeper input is someone's attack on our recursion (the untagging, the
 * writers) and is refused at once with {@link MalformedError}.
 */
export const MAX_JSON_DEPTH = 1000;

function tooDeep(): never {
  throw new MalformedError(`Invalid JSON: nested deeper than ${MAX_JSON_DEPTH}`);
}

// JSON.parse is exact unless the text has a float, NaN/Infinity or an int too big for a double.
// One pass over the text outside strings (strings are skipped with indexOf, whatever they hold,
// so a hex token like "3e4f…" costs nothing): a `.`/`e`/`E` right after a digit, an `N` or `I`
// (NaN, Infinity) or a run of 16 digits sends the text to the exact parser. The same pass
// counts nesting, so JSON.parse never builds something deeper than MAX_JSON_DEPTH (the exact
// parser counts for itself).
function needsExactParser(text: string): boolean {
  const n = text.length;
  let digits = 0;
  let depth = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Skip to the closing quote: one not preceded by an odd number of backslashes.
      for (;;) {
        const close = text.indexOf('"', i + 1);
        if (close < 0) return true; // unterminated: let the strict parser report it
        let backslashes = 0;
        for (let j = close - 1; text.charCodeAt(j) === 0x5c; j--) backslashes++;
        i = close;
        if (backslashes % 2 === 0) break;
      }
      digits = 0;
      continue;
    }
    if (c >= 0x30 && c <= 0x39) {
      if (++digits >= 16) return true;
      continue;
    }
    if (digits > 0 && (c === 0x2e || c === 0x65 || c === 0x45)) return true;
    if (c === 0x4e || c === 0x49) return true;
    if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) tooDeep();
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
    digits = 0;
  }
  return false;
}
const INDEX_LIKE_KEY = /^(?:0|[1-9]\d{0,9})$/;

/** Whether a JS object would move this key first (an array-index-like key); cheap first test. */
function isIndexLike(key: string): boolean {
  const c = key.charCodeAt(0);
  return c >= 0x30 && c <= 0x39 && INDEX_LIKE_KEY.test(key);
}

/**
 * Parses JSON text as Python's `json.loads` does: `NaN`/`Infinity` accepted, integral floats
 * kept as {@link PyFloat}, ints beyond 2^53 as `bigint`, duplicate keys last-wins.
 *
 * @throws {MalformedError} on invalid JSON, or nesting deeper than {@link MAX_JSON_DEPTH}.
 * @example
 * ```ts
 * loadsPythonJson('{"a":1.0,"b":NaN}'); // { a: PyFloat(1), b: NaN }
 * ```
 */
export function loadsPythonJson(text: string): PyValue {
  if (!needsExactParser(text)) {
    try {
      return JSON.parse(text) as PyValue;
    } catch (err) {
      throw new MalformedError("Invalid JSON", { cause: err });
    }
  }
  return new ExactParser(text).parseDocument(false) as PyValue;
}

/**
 * Parses a JSON object into a {@link SessionData} map with Python's key order kept exactly
 * (a JS object would move integer-like keys first).
 *
 * @throws {MalformedError} on invalid JSON, nesting deeper than {@link MAX_JSON_DEPTH}, or when
 *   the document is not an object.
 */
export function loadsPythonJsonSession(text: string): SessionData {
  if (!needsExactParser(text)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new MalformedError("Invalid JSON", { cause: err });
    }
    if (!isPyDict(parsed)) throw new MalformedError("Session JSON is not an object");
    const keys = Object.keys(parsed);
    // Integer-like keys are the only ones a JS object reorders, and they always come first.
    if (keys.length === 0 || !isIndexLike(keys[0]!)) {
      const map: SessionData = new Map();
      for (const key of keys) map.set(key, parsed[key]!);
      return map;
    }
  }
  const doc = new ExactParser(text).parseDocument(true);
  if (!(doc instanceof Map)) throw new MalformedError("Session JSON is not an object");
  return doc;
}

/** A strict JSON (RFC 8259) parser with Python's extensions; used when JSON.parse is inexact. */
class ExactParser {
  private pos = 0;
  private depth = 0;
  constructor(private readonly text: string) {}

  parseDocument(topLevelMap: boolean): PyValue | SessionData {
    this.skipWs();
    let value: PyValue | SessionData;
    if (topLevelMap && this.peek() === 0x7b) {
      this.depth = 1;
      value = this.parseObjectAsMap();
    } else {
      value = this.parseValue();
    }
    this.skipWs();
    if (this.pos !== this.text.length) this.fail("Extra data");
    return value;
  }

  private fail(what: string): never {
    throw new MalformedError(`Invalid JSON: ${what} at offset ${this.pos}`);
  }

  private peek(): number {
    return this.text.charCodeAt(this.pos);
  }

  private skipWs(): void {
    for (;;) {
      const c = this.peek();
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.pos++;
      else return;
    }
  }

  private parseValue(): PyValue {
    const c = this.peek();
    switch (c) {
      case 0x7b:
      case 0x5b: {
        if (++this.depth > MAX_JSON_DEPTH) tooDeep();
        const value = c === 0x7b ? this.parseObject() : this.parseArray();
        this.depth--;
        return value;
      }
      case 0x22:
        return this.parseString();
      default:
        return this.parseLiteralOrNumber();
    }
  }

  private *members(): Generator<[string, PyValue]> {
    this.pos++; // {
    this.skipWs();
    if (this.peek() === 0x7d) {
      this.pos++;
      return;
    }
    for (;;) {
      this.skipWs();
      if (this.peek() !== 0x22) this.fail("Expecting property name");
      const key = this.parseString();
      this.skipWs();
      if (this.peek() !== 0x3a) this.fail("Expecting ':'");
      this.pos++;
      this.skipWs();
      yield [key, this.parseValue()];
      this.skipWs();
      const sep = this.peek();
      this.pos++;
      if (sep === 0x7d) return;
      if (sep !== 0x2c) this.fail("Expecting ',' or '}'");
    }
  }

  private parseObject(): PyDict {
    const obj: PyDict = {};
    for (const [key, value] of this.members()) {
      if (key === "__proto__") {
        Object.defineProperty(obj, key, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else {
        obj[key] = value;
      }
    }
    return obj;
  }

  private parseObjectAsMap(): SessionData {
    const map: SessionData = new Map();
    for (const [key, value] of this.members()) {
      map.set(key, value); // a duplicate key keeps its first position and its last value, as in Python
    }
    return map;
  }

  private parseArray(): PyValue[] {
    this.pos++;
    const out: PyValue[] = [];
    this.skipWs();
    if (this.peek() === 0x5d) {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWs();
      out.push(this.parseValue());
      this.skipWs();
      const sep = this.peek();
      this.pos++;
      if (sep === 0x5d) return out;
      if (sep !== 0x2c) this.fail("Expecting ',' or ']'");
    }
  }

  private parseString(): string {
    const start = this.pos;
    const end = this.findStringEnd(start + 1);
    try {
      return JSON.parse(this.text.slice(start, end + 1)) as string;
    } catch {
      this.pos = start;
      return this.fail("Invalid string");
    } finally {
      this.pos = end + 1;
    }
  }

  private findStringEnd(from: number): number {
    const t = this.text;
    for (let i = from; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c === 0x5c) i++;
      else if (c === 0x22) return i;
    }
    this.pos = t.length;
    return this.fail("Unterminated string");
  }

  private parseLiteralOrNumber(): PyValue {
    const t = this.text;
    for (const [word, value] of LITERALS) {
      if (t.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    }
    // RFC 8259 number grammar: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(t);
    if (!m) this.fail("Expecting value");
    this.pos += m[0].length;
    if (m[2] === undefined && m[3] === undefined) {
      // CPython refuses int literals over sys.int_info.default_max_str_digits (4300): decimal to
      // BigInt is quadratic, and 64 KiB of digits would cost milliseconds (issue 18).
      if (m[0].length - (m[0].startsWith("-") ? 1 : 0) > MAX_INT_DIGITS) {
        this.fail(
          `Exceeds the limit (${String(MAX_INT_DIGITS)} digits) for integer string conversion`,
        );
      }
      const n = Number(m[0]);
      return Number.isSafeInteger(n) ? n : BigInt(m[0]);
    }
    const x = Number(m[0]);
    return Number.isInteger(x) || Object.is(x, -0) ? new PyFloat(x) : x;
  }
}

/** CPython's `sys.int_info.default_max_str_digits`. */
const MAX_INT_DIGITS = 4300;

const LITERALS: readonly (readonly [string, PyValue])[] = [
  ["null", null],
  ["true", true],
  ["false", false],
  ["NaN", NaN],
  ["Infinity", Infinity],
  ["-Infinity", -Infinity],
];
const NUMBER = /(-?(?:0|[1-9]\d*))(\.\d+)?([eE][+-]?\d+)?/y;
