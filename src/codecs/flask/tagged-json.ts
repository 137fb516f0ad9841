/**
 * Flask's `TaggedJSONSerializer` (flask-starlette-formats.md §2.2; Flask `json/tag.py`).
 *
 * | Python | TypeScript | JSON |
 * |---|---|---|
 * | `tuple` | {@link PyTuple} | `{" t":[...]}` (items tagged recursively) |
 * | `bytes` | `Uint8Array` | `{" b":"<standard base64, padded>"}` |
 * | `Markup` | {@link PyMarkup} | `{" m":"<html>"}` |
 * | `UUID` | {@link PyUUID} | `{" u":"<32 lowercase hex>"}` |
 * | `datetime` | {@link PyDateTime} | `{" d":"<http-date>"}` (UTC, microseconds dropped; reads as aware UTC) |
 * | 1-key dict whose key is a tag | dict | `{" di":{"<key>__":...}}` |
 *
 * Written as `json.dumps(tagged, separators=(",", ":"))` through Flask's
 * `DefaultJSONProvider`: `sort_keys=True` (code-point order), `ensure_ascii=True`. Values Flask
 * only serialises lossily via its `_default` hook are written the same way: `date` → http-date
 * string, `Decimal` → `str`. Other values (`timedelta`) throw `UnsupportedValueError` (Python: `TypeError`).
 *
 * Reading is bottom-up like Flask's `object_hook`, but stricter where Flask is lenient or crashes
 * on input it never writes: a tag with the wrong value type, non-canonical base64 in `" b"`, a
 * bad UUID or date → {@link MalformedError}. A 1-key dict whose key is *not* a registered tag
 * (e.g. `{" x":1}`) is an ordinary dict, as in Flask.
 */
import { MalformedError, UnsupportedValueError } from "../../errors.ts";
import { base64Decode, base64Encode } from "../base64.ts";
import { COMPACT_SEPARATORS, dumpsPythonJson, loadsPythonJsonSession } from "../python-json.ts";
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
} from "../python-values.ts";
import { httpDate, parseHttpDate } from "./http-date.ts";

/**
 * The tag keys Flask registers by default, in `default_tags` order.
 *
 * @example
 * ```ts
 * FLASK_TAG_KEYS.includes(" t"); // true
 * ```
 */
export const FLASK_TAG_KEYS: readonly string[] = [" di", " t", " b", " m", " u", " d"];
const TAGS = new Set(FLASK_TAG_KEYS);

/** `app.json` settings that change the bytes (`DefaultJSONProvider`). */
export interface FlaskJsonOptions {
  /** `app.json.sort_keys`, default `true`. */
  readonly sortKeys?: boolean | undefined;
  /** `app.json.ensure_ascii`, default `true`. */
  readonly ensureAscii?: boolean | undefined;
}

/** Sets a key on a plain dict, including `__proto__` (as an own property, like the parser). */
function setKey(d: PyDict, key: string, value: PyValue): void {
  if (key === "__proto__") {
    Object.defineProperty(d, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    d[key] = value;
  }
}

/** `{key: value}` as a one-key dict. */
function dictOf(key: string, value: PyValue): PyDict {
  const d: PyDict = {};
  setKey(d, key, value);
  return d;
}

/**
 * `TaggedJSONSerializer.tag(value)`: the JSON-ready form of one value.
 *
 * @throws {UnsupportedValueError} for values Flask cannot serialise (`timedelta`).
 * @example
 * ```ts
 * tagFlaskValue(new PyTuple([1, "a"])); // { " t": [1, "a"] }
 * ```
 */
export function tagFlaskValue(value: PyValue): PyValue {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(tagFlaskValue); // PassList
  if (isPyDict(value)) return tagDict(Object.entries(value));
  // A dict subclass to Flask: tagged as a dict, read back as one.
  if (value instanceof PyOrderedDict) return tagDict([...value]);
  if (value instanceof PyFloat) return value;
  if (value instanceof PyTuple) return dictOf(" t", value.items.map(tagFlaskValue));
  if (value instanceof Uint8Array) return dictOf(" b", base64Encode(value));
  if (value instanceof PyMarkup) return dictOf(" m", value.value);
  if (value instanceof PyUUID) return dictOf(" u", value.hex);
  if (value instanceof PyDateTime) return dictOf(" d", httpDate(value));
  // Not tagged; what Flask's `_default` JSON hook writes (lossy, reads back as a string).
  if (value instanceof PyDate) return httpDate(value);
  if (value instanceof PyDecimal) return value.value;
  if (value instanceof PyTimeDelta) {
    throw new UnsupportedValueError("Object of type timedelta is not JSON serializable");
  }
  if (value instanceof PySet || value instanceof PyFrozenSet) {
    const type = value instanceof PySet ? "set" : "frozenset";
    throw new UnsupportedValueError(`Object of type ${type} is not JSON serializable`);
  }
  throw new UnsupportedValueError("Object is not JSON serializable");
}

/** TagDict / PassDict for a dict given as entries. */
function tagDict(entries: readonly (readonly [string, PyValue])[]): PyDict {
  if (entries.length === 1 && TAGS.has(entries[0]![0])) {
    // TagDict: `{" di": {key + "__": tag(value)}}`.
    const [key, item] = entries[0]!;
    return dictOf(" di", dictOf(`${key}__`, tagFlaskValue(item)));
  }
  const out: PyDict = {};
  for (const [key, item] of entries) setKey(out, key, tagFlaskValue(item));
  return out;
}

/**
 * Flask's session JSON for a whole session: `TaggedJSONSerializer.dumps(dict(session))` in an
 * app context (compact, sorted by code point, ASCII-escaped by default).
 *
 * @throws {UnsupportedValueError} for values Flask cannot serialise.
 * @example
 * ```ts
 * dumpsFlaskTaggedJson(new Map([["b", 1], ["a", new PyTuple(["x"])]]));
 * // '{"a":{" t":["x"]},"b":1}'
 * ```
 */
export function dumpsFlaskTaggedJson(
  data: SessionData | PyValue,
  options: FlaskJsonOptions = {},
): string {
  let tagged: SessionData | PyValue;
  if (data instanceof Map) {
    tagged =
      data.size === 1 && TAGS.has(data.keys().next().value!)
        ? tagDict([...data])
        : new Map([...data].map(([k, v]) => [k, tagFlaskValue(v)] as const));
  } else {
    tagged = tagFlaskValue(data);
  }
  return dumpsPythonJson(tagged, {
    separators: COMPACT_SEPARATORS,
    sortKeys: options.sortKeys ?? true,
    ensureAscii: options.ensureAscii ?? true,
  });
}

/**
 * `TaggedJSONSerializer` untagging of one parsed JSON value, bottom-up (F222 `object_hook`,
 * F313 `_untag_scan`). Mutates and returns freshly parsed containers.
 *
 * @throws {MalformedError} for a tag whose value Flask would not have written.
 * @example
 * ```ts
 * untagFlaskValue({ " t": [1, { " b": "AP8=" }] }); // PyTuple([1, Uint8Array [0, 255]])
 * ```
 */
export function untagFlaskValue(value: PyValue): PyValue {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = untagFlaskValue(value[i]!);
    return value;
  }
  if (!isPyDict(value)) return value;
  const keys = Object.keys(value);
  for (const key of keys) value[key] = untagFlaskValue(value[key]!);
  if (keys.length !== 1 || !TAGS.has(keys[0]!)) return value;
  return toPython(keys[0]!, value[keys[0]!]!);
}

/** `JSONTag.to_python` of each default tag. */
function toPython(tag: string, value: PyValue): PyValue {
  switch (tag) {
    case " t":
      if (!Array.isArray(value)) throw new MalformedError('Flask " t" tag needs a list');
      return new PyTuple(value);
    case " b":
      if (typeof value !== "string") throw new MalformedError('Flask " b" tag needs a string');
      // Flask writes `b64encode` output; anything else is refused (Python's decoder is lenient).
      return new Uint8Array(base64Decode(value));
    case " m":
      if (typeof value !== "string") throw new MalformedError('Flask " m" tag needs a string');
      return new PyMarkup(value);
    case " u":
      if (typeof value !== "string") throw new MalformedError('Flask " u" tag needs a string');
      try {
        return new PyUUID(value);
      } catch (err) {
        throw new MalformedError('Flask " u" tag is not a UUID', { cause: err });
      }
    case " d": {
      if (typeof value !== "string") throw new MalformedError('Flask " d" tag needs a string');
      const dt = parseHttpDate(value);
      // Werkzeug would yield None here; Flask never writes such a date.
      if (dt === null) throw new MalformedError('Flask " d" tag is not an HTTP date');
      return dt;
    }
    default: {
      // " di": `{key[:-2]: value[key]}` of a one-key dict (the inner value is already untagged).
      const inner = isPyDict(value) ? Object.keys(value) : [];
      if (inner.length !== 1 || !inner[0]!.endsWith("__")) {
        throw new MalformedError('Flask " di" tag needs a one-key dict');
      }
      const key = inner[0]!;
      return dictOf(key.slice(0, -2), (value as PyDict)[key]!);
    }
  }
}

/**
 * Reads Flask session JSON into a {@link SessionData} map (top-level order kept), untagging
 * every value. The document must be a dict (after untagging a top-level `" di"`).
 *
 * @throws {MalformedError} on invalid JSON, a non-dict document or a malformed tag.
 * @example
 * ```ts
 * loadsFlaskSessionJson('{"_flashes":[{" t":["message","hi"]}]}');
 * // Map { "_flashes" => [PyTuple(["message", "hi"])] }
 * ```
 */
export function loadsFlaskSessionJson(text: string): SessionData {
  const map = loadsPythonJsonSession(text);
  for (const [key, value] of map) map.set(key, untagFlaskValue(value));
  if (map.size === 1) {
    const [key, value] = map.entries().next().value!;
    if (TAGS.has(key)) {
      const session = toPython(key, value);
      // Flask builds `SecureCookieSession(data)`; only a dict makes a session.
      if (!isPyDict(session)) throw new MalformedError("Flask session payload is not a dict");
      return new Map(Object.entries(session));
    }
  }
  return map;
}
