/**
 * A plain-JSON view of Python session values, for the CLI and for tools: JSON values stay as
 * they are, everything else becomes `{"$type": T, "value": V}`:
 *
 * | T          | V                                     |
 * |------------|---------------------------------------|
 * | `datetime` | `datetime.isoformat()`                |
 * | `date`     | `date.isoformat()`                    |
 * | `timedelta`| total seconds (number)                |
 * | `decimal`  | `str(Decimal)`                        |
 * | `uuid`     | `str(UUID)` (hyphenated)              |
 * | `tuple`    | list                                  |
 * | `bytes`    | lowercase hex                         |
 * | `markup`   | string                                |
 * | `set`      | list of its items                     |
 * | `frozenset`| list of its items                     |
 * | `ordereddict` | list of `[key, value]` pairs (in order) |
 * | `float`    | number (only for integral floats like `1.0`) |
 * | `int`      | decimal string (only beyond 2^53)     |
 *
 * `"$type"` objects are only recognised with exactly those two keys.
 */
import { Buffer } from "#runtime";
import { MalformedError } from "../errors.ts";
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
} from "./python-values.ts";

/** A JSON value. */
export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const typed = (type: string, value: JsonValue): JsonValue => ({ $type: type, value });

/**
 * Converts a session value (or a whole session) to plain JSON.
 * @example toTypedJson(new PyTuple([1, 2])) // { $type: "tuple", value: [1, 2] }
 */
export function toTypedJson(value: PyValue | SessionData): JsonValue {
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") {
    return Number.isFinite(value) ? value : typed("float", String(value));
  }
  if (typeof value === "bigint") return typed("int", value.toString());
  if (Array.isArray(value)) return value.map(toTypedJson);
  if (value instanceof PySet) return typed("set", [...value].map(toTypedJson));
  if (value instanceof PyFrozenSet) return typed("frozenset", [...value].map(toTypedJson));
  if (value instanceof PyOrderedDict) {
    return typed(
      "ordereddict",
      [...value].map(([k, v]) => [k, toTypedJson(v)]),
    );
  }
  if (value instanceof Map)
    return Object.fromEntries([...value].map(([k, v]) => [k, toTypedJson(v)]));
  if (value instanceof PyFloat) return typed("float", value.value);
  if (value instanceof PyTuple) return typed("tuple", value.items.map(toTypedJson));
  if (value instanceof PyDateTime) return typed("datetime", value.toISOString());
  if (value instanceof PyDate) return typed("date", value.toISOString());
  if (value instanceof PyTimeDelta) return typed("timedelta", value.totalSeconds());
  if (value instanceof PyDecimal) return typed("decimal", value.value);
  if (value instanceof PyUUID) return typed("uuid", value.toString());
  if (value instanceof PyMarkup) return typed("markup", value.value);
  if (value instanceof Uint8Array) return typed("bytes", Buffer.from(value).toString("hex"));
  const out: { [key: string]: JsonValue } = {};
  for (const [k, v] of Object.entries(value)) out[k] = toTypedJson(v);
  return out;
}

/**
 * Converts plain JSON in the `$type` convention back to session values.
 * @throws {MalformedError} for an unknown `$type` or a value of the wrong shape.
 */
export function fromTypedJson(json: unknown): PyValue {
  if (json === null || typeof json === "boolean" || typeof json === "string") return json;
  if (typeof json === "number") return json;
  if (Array.isArray(json)) return json.map(fromTypedJson);
  if (!isPyDict(json)) throw new MalformedError("Not a JSON value");
  const keys = Object.keys(json);
  if (keys.length === 2 && "$type" in json && "value" in json)
    return fromTyped(typeof json.$type === "string" ? json.$type : "", json.value);
  const out: PyDict = {};
  for (const [k, v] of Object.entries(json)) out[k] = fromTypedJson(v);
  return out;
}

/** Like {@link fromTypedJson} for a whole session (a JSON object). */
export function sessionFromTypedJson(json: unknown): SessionData {
  if (!isPyDict(json)) throw new MalformedError("A session must be a JSON object");
  return new Map(Object.entries(json).map(([k, v]) => [k, fromTypedJson(v)]));
}

function fromTyped(type: string, value: unknown): PyValue {
  const str = (): string => {
    if (typeof value !== "string") throw new MalformedError(`$type ${type} needs a string value`);
    return value;
  };
  switch (type) {
    case "tuple":
      if (!Array.isArray(value)) throw new MalformedError("$type tuple needs a list");
      return new PyTuple(value.map(fromTypedJson));
    case "set":
    case "frozenset": {
      if (!Array.isArray(value)) throw new MalformedError(`$type ${type} needs a list`);
      const items = value.map(fromTypedJson);
      return type === "set" ? new PySet(items) : new PyFrozenSet(items);
    }
    case "ordereddict": {
      const shape = "$type ordereddict needs a list of [key, value] pairs";
      if (!Array.isArray(value)) throw new MalformedError(shape);
      const dict = new PyOrderedDict();
      for (const pair of value as unknown[]) {
        if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string") {
          throw new MalformedError(shape);
        }
        dict.set(pair[0], fromTypedJson(pair[1]));
      }
      return dict;
    }
    case "datetime":
      return parseIsoDateTime(str());
    case "date": {
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(str());
      if (!m) throw new MalformedError("Invalid date");
      return new PyDate(Number(m[1]), Number(m[2]), Number(m[3]));
    }
    case "timedelta":
      if (typeof value !== "number") throw new MalformedError("$type timedelta needs seconds");
      return new PyTimeDelta(0, 0, Math.round(value * 1e6));
    case "decimal":
      return new PyDecimal(str());
    case "uuid":
      try {
        return new PyUUID(str());
      } catch {
        throw new MalformedError("Invalid UUID");
      }
    case "bytes": {
      const hex = str();
      if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new MalformedError("Invalid hex bytes");
      return new Uint8Array(Buffer.from(hex, "hex"));
    }
    case "markup":
      return new PyMarkup(str());
    case "float":
      return typeof value === "number" ? new PyFloat(value) : Number(str());
    case "int":
      if (!/^-?\d+$/.test(str())) throw new MalformedError("Invalid int");
      return BigInt(str());
    default:
      throw new MalformedError(`Unknown $type "${type.slice(0, 20)}"`);
  }
}

/** Parses `datetime.isoformat()` output (offset optional, 1–6 fraction digits). */
export function parseIsoDateTime(text: string): PyDateTime {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:\d{2}(?::\d{2})?)?$/.exec(
      text,
    );
  if (!m) throw new MalformedError("Invalid ISO datetime");
  let offset: number | null = null;
  const tz = m[8];
  if (tz === "Z") offset = 0;
  else if (tz !== undefined) {
    const [h = 0, min = 0, s = 0] = tz.slice(1).split(":").map(Number);
    offset = (tz.startsWith("-") ? -1 : 1) * (h * 3600 + min * 60 + s);
  }
  return new PyDateTime(
    Number(m[1]),
    Number(m[2]),
    Number(m[3]),
    Number(m[4]),
    Number(m[5]),
    Number(m[6] ?? 0),
    Number((m[7] ?? "").padEnd(6, "0")),
    offset,
  );
}
