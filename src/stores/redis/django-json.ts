/**
 * django-redis's `JSONSerializer`: `json.dumps(value, cls=DjangoJSONEncoder).encode()` to
 * write (Python's default separators `", "` / `": "`, ASCII escapes), `json.loads(b.decode())`
 * to read (django-formats.md §3.6). Reading is plain JSON: a datetime written by
 * `DjangoJSONEncoder` comes back as the string it was written as, exactly as in Python.
 *
 * `DjangoJSONEncoder.default` (django/core/serializers/json.py, same in 3.2–6.1):
 * - datetime → `isoformat()`, microseconds cut to milliseconds (`r[:23] + r[26:]`), and a
 *   trailing `+00:00` written as `Z`;
 * - date → `isoformat()`; timedelta → `duration_iso_string` (`P1DT02H03M04.000005S`);
 * - Decimal, UUID → `str()`;
 * and `markupsafe.Markup`, a `str` subclass, is written as a plain string. bytes (and anything
 * else `json` cannot hold) is an `UnsupportedValueError` (Python: `TypeError`).
 *
 * @example
 * ```ts
 * Buffer.from(dumpsDjangoJson(new Map([["at", new PyDateTime(2024, 1, 2, 3, 4, 5, 123456, 0)]]))).toString();
 * // '{"at": "2024-01-02T03:04:05.123Z"}'
 * ```
 */
import { Buffer } from "node:buffer";
import { MalformedError } from "../../errors.ts";
import { dumpsPythonJson, loadsPythonJsonSession } from "../../codecs/python-json.ts";
import {
  PyDate,
  PyDateTime,
  PyDecimal,
  PyMarkup,
  PyTimeDelta,
  PyTuple,
  PyUUID,
  PyOrderedDict,
  isPyDict,
  type PyDict,
  type PyValue,
  type SessionData,
} from "../../codecs/python-values.ts";

/**
 * `DjangoJSONEncoder.default` for a datetime.
 *
 * @example
 * ```ts
 * djangoJsonDateTime(new PyDateTime(2024, 1, 2, 3, 4, 5, 123456, 0)); // "2024-01-02T03:04:05.123Z"
 * ```
 */
export function djangoJsonDateTime(value: PyDateTime): string {
  let r = value.toISOString();
  if (value.microsecond) r = r.slice(0, 23) + r.slice(26);
  if (r.endsWith("+00:00")) r = `${r.slice(0, -6)}Z`;
  return r;
}

/**
 * `django.utils.duration.duration_iso_string`.
 *
 * @example
 * ```ts
 * durationIsoString(new PyTimeDelta(1, 3723, 5)); // "P1DT01H02M03.000005S"
 * ```
 */
export function durationIsoString(value: PyTimeDelta): string {
  let { days, seconds, microseconds } = value;
  let sign = "";
  if (days < 0) {
    // `duration *= -1`, then normalised again as Python's timedelta is.
    sign = "-";
    const positive = new PyTimeDelta(-days, -seconds, -microseconds);
    ({ days, seconds, microseconds } = positive);
  }
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(minutes / 60);
  const two = (n: number): string => String(n).padStart(2, "0");
  const ms = microseconds ? `.${String(microseconds).padStart(6, "0")}` : "";
  return `${sign}P${days}DT${two(hours)}H${two(minutes % 60)}M${two(seconds % 60)}${ms}S`;
}

/** Replaces what `DjangoJSONEncoder.default` handles by the string it writes. */
function toJsonable(value: PyValue): PyValue {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(toJsonable);
  if (value instanceof PyTuple) return value.items.map(toJsonable);
  if (value instanceof PyDateTime) return djangoJsonDateTime(value);
  if (value instanceof PyDate) return value.toISOString();
  if (value instanceof PyTimeDelta) return durationIsoString(value);
  if (value instanceof PyDecimal || value instanceof PyUUID || value instanceof PyMarkup) {
    return value.toString();
  }
  if (isPyDict(value)) {
    const out: PyDict = {};
    for (const [k, v] of Object.entries(value)) {
      Object.defineProperty(out, k, { value: toJsonable(v), enumerable: true, writable: true });
    }
    return out;
  }
  // An OrderedDict is a dict to json.dumps (read back as one).
  if (value instanceof PyOrderedDict) {
    return new PyOrderedDict([...value].map(([k, v]) => [k, toJsonable(v)] as const));
  }
  // PyFloat, bytes, sets: left to dumpsPythonJson (bytes and sets are refused, as Python's
  // TypeError).
  return value;
}

/**
 * `json.dumps(session, cls=DjangoJSONEncoder).encode()`.
 *
 * @throws {UnsupportedValueError} for values JSON cannot hold (bytes), as Python does.
 * @example
 * ```ts
 * dumpsDjangoJson(new Map([["n", 1]])); // bytes of '{"n": 1}'
 * ```
 */
export function dumpsDjangoJson(session: SessionData | PyValue): Buffer {
  const value =
    session instanceof Map
      ? new Map([...session].map(([k, v]) => [k, toJsonable(v)] as const))
      : toJsonable(session);
  return Buffer.from(dumpsPythonJson(value), "utf8");
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * `json.loads(value.decode())` for a session dict.
 *
 * @throws {MalformedError} for invalid UTF-8, invalid JSON or a document that is not an object.
 * @example
 * ```ts
 * loadsDjangoJsonSession(Buffer.from('{"a": 1}')).get("a"); // 1
 * ```
 */
export function loadsDjangoJsonSession(bytes: Uint8Array): SessionData {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch (err) {
    throw new MalformedError("JSON cache value is not UTF-8", { cause: err });
  }
  return loadsPythonJsonSession(text);
}
