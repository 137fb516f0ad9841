/**
 * An exact text form of session data, for telling whether two decoded copies hold the same
 * data (cached_db compares the copy its cache serves with the one it last wrote). Unlike
 * JSON it keeps every distinction a Python value has (an int from a float, a big int from a
 * string, a tuple from a list, a datetime's offset, the session's key order): two sessions
 * have the same fingerprint only if they hold the same data.
 */
import { Buffer } from "node:buffer";
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
} from "../codecs/python-values.ts";

/**
 * The fingerprint of a whole session: equal for two sessions exactly when they hold the same
 * keys in the same order with the same values.
 *
 * @example
 * ```ts
 * sessionFingerprint(new Map([["n", 1]])) === sessionFingerprint(new Map([["n", 1]])); // true
 * sessionFingerprint(new Map([["n", 1]])) === sessionFingerprint(new Map([["n", 1.5]])); // false
 * ```
 */
export function sessionFingerprint(data: SessionData): string {
  return JSON.stringify([...data].map(([key, value]) => [key, tagged(value)]));
}

type Tagged = string | number | boolean | null | Tagged[];

/** `value` as JSON that names its type wherever JSON alone would merge two of them. */
function tagged(value: PyValue): Tagged {
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  // A float keeps its exact text (NaN, Infinity and -0 included), apart from an int.
  if (typeof value === "number") {
    return Number.isInteger(value) && !Object.is(value, -0) ? value : ["f", floatText(value)];
  }
  if (typeof value === "bigint") return ["i", value.toString()];
  if (Array.isArray(value)) return ["l", value.map(tagged)];
  if (value instanceof Uint8Array) return ["b", Buffer.from(value).toString("base64")];
  if (value instanceof PyFloat) return ["F", floatText(value.value)];
  if (value instanceof PyTuple) return ["t", value.items.map(tagged)];
  if (value instanceof PyDecimal) return ["d", value.value];
  if (value instanceof PyUUID) return ["u", value.hex];
  if (value instanceof PyDateTime) return ["T", value.toISOString()];
  if (value instanceof PyDate) return ["D", value.toISOString()];
  if (value instanceof PyTimeDelta) {
    return ["td", [value.days, value.seconds, value.microseconds]];
  }
  if (value instanceof PyMarkup) return ["m", value.value];
  if (value instanceof PySet) return ["s", [...value].map(tagged)];
  if (value instanceof PyFrozenSet) return ["fs", [...value].map(tagged)];
  if (value instanceof PyOrderedDict) {
    return ["od", [...value].map(([key, item]) => [key, tagged(item)])];
  }
  if (isPyDict(value)) {
    return ["o", Object.entries(value).map(([key, item]) => [key, tagged(item)])];
  }
  // A kind of value this function does not know: never the same as anything.
  return ["?", unknown++];
}

let unknown = 0;

function floatText(value: number): string {
  return Object.is(value, -0) ? "-0" : String(value);
}
