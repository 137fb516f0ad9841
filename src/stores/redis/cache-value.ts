/**
 * The bytes a Django cache on Redis stores for one value (django-formats.md §3.6, §3.7).
 *
 * django-redis (`django_redis.client.DefaultClient.encode/decode`):
 * - an `int` that is not a `bool` is stored as is (redis-py writes its decimal ASCII);
 *   anything else is `compressor.compress(serializer.dumps(value))`;
 * - reading: `int(value)` if that parses, else `compressor.decompress(value)` falling back to
 *   the raw bytes when that fails (`CompressorError`: "little values, chosen to be not
 *   compressed"), then `serializer.loads`;
 * - serializers: pickle (default; `pickle.DEFAULT_PROTOCOL`, 4 on CPython 3.8–3.13, or
 *   `OPTIONS["PICKLE_VERSION"]`), JSON (`DjangoJSONEncoder`, see `django-json.ts`), msgpack;
 * - compressors: identity (default) or zlib (`zlib.compress(v, 6)` only when `len(v) > 15`).
 *
 * Django's built-in `RedisCache` (`RedisSerializer`): `type(obj) is int` stored as is, else
 * `pickle.dumps(obj, pickle.HIGHEST_PROTOCOL)` (5); reading tries `int(data)` then
 * `pickle.loads`. No compressor.
 *
 * Reading is bounded: a stored value or a decompressed one above `maxValueBytes` is refused
 * with `TooLargeError` (a zlib bomb is never expanded past the bound), pickles are decoded by the
 * safe allow-list codec (`../../codecs/pickle`), never executed.
 *
 * @example
 * ```ts
 * const codec = new DjangoCacheValueCodec({ backend: "django-redis", compressor: "zlib" });
 * codec.decodeSession(codec.encodeSession(new Map([["foo", "bar"]]))).get("foo"); // "bar"
 * ```
 */
import { Buffer } from "node:buffer";
import {
  ConfigurationError,
  MalformedError,
  TooLargeError,
  UnsupportedValueError,
} from "../../errors.ts";
import {
  dumpsPickle,
  loadsPickle,
  loadsPickleSession,
  type PickleLoadOptions,
} from "../../codecs/pickle/index.ts";
import { decodeMsgspecMsgpack, encodeMsgspecMsgpack } from "../../codecs/msgpack/msgspec.ts";
import {
  PyFloat,
  PyFrozenSet,
  PySet,
  PyTuple,
  isPyDict,
  type PyValue,
  type SessionData,
} from "../../codecs/python-values.ts";
import { zlibCompress, zlibDecompress } from "../../codecs/zlib.ts";
import { dumpsDjangoJson, loadsDjangoJsonSession } from "./django-json.ts";
import { loadsPythonJson } from "../../codecs/python-json.ts";

/**
 * Which Django cache backend wrote the value: `django-redis` (`django_redis.cache.RedisCache`)
 * or `django` (Django 4.0+'s built-in `django.core.cache.backends.redis.RedisCache`).
 */
export type DjangoCacheBackend = "django-redis" | "django";

/** django-redis `OPTIONS["SERIALIZER"]`. */
export type DjangoRedisSerializer = "pickle" | "json" | "msgpack";

/** django-redis `OPTIONS["COMPRESSOR"]`. */
export type DjangoRedisCompressor = "identity" | "zlib";

/** Options of {@link DjangoCacheValueCodec}. */
export interface DjangoCacheValueOptions {
  /** Default `"django-redis"`. */
  readonly backend?: DjangoCacheBackend;
  /** django-redis only; default `"pickle"`. `"msgpack"` is msgpack-python's format. */
  readonly serializer?: DjangoRedisSerializer;
  /** django-redis only; default `"identity"`. */
  readonly compressor?: DjangoRedisCompressor;
  /**
   * Pickle protocol to write: default 4 for django-redis (`pickle.DEFAULT_PROTOCOL` on CPython
   * ≤ 3.13; set 5 for a Django on CPython 3.14 or `PICKLE_VERSION: 5`), 5 for Django's
   * `RedisCache`. Any protocol is read.
   */
  readonly pickleProtocol?: 2 | 3 | 4 | 5;
  /** Options of the safe pickle reader (extra allow-listed globals, limits). */
  readonly pickle?: PickleLoadOptions;
  /** Refuse stored or decompressed values larger than this (`TooLargeError`). Default 1 MiB. */
  readonly maxValueBytes?: number;
}

/**
 * Default bound on a stored (and on a decompressed) cache value: 1 MiB, memcached's own item
 * limit, far above any real session, and the pickle reader's default input bound.
 */
export const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;

/** django-redis `ZlibCompressor.min_length`: values this short or shorter stay uncompressed. */
const ZLIB_MIN_LENGTH = 15;

// Python's `int(bytes)`: surrounding ASCII whitespace, a sign, digits with single underscores.
const PY_INT = /^[ \t\n\v\f\r]*([+-]?)(\d+(?:_\d+)*)[ \t\n\v\f\r]*$/;

/**
 * Encodes and decodes values the way a Django Redis cache backend stores them.
 *
 * @example
 * ```ts
 * const codec = new DjangoCacheValueCodec({ backend: "django" });
 * codec.encode(42).toString(); // "42"
 * ```
 */
export class DjangoCacheValueCodec {
  readonly backend: DjangoCacheBackend;
  readonly serializer: DjangoRedisSerializer;
  readonly compressor: DjangoRedisCompressor;
  readonly pickleProtocol: 2 | 3 | 4 | 5;
  readonly maxValueBytes: number;
  readonly #pickleOptions: PickleLoadOptions;

  constructor(options: DjangoCacheValueOptions = {}) {
    this.backend = options.backend ?? "django-redis";
    if (!(["django-redis", "django"] as readonly string[]).includes(this.backend)) {
      throw new ConfigurationError(`Unknown Django cache backend "${this.backend}"`);
    }
    const builtin = this.backend === "django";
    if (builtin && (options.serializer ?? "pickle") !== "pickle") {
      throw new ConfigurationError(
        "Django's RedisCache always pickles; serializer is django-redis only",
      );
    }
    if (builtin && (options.compressor ?? "identity") !== "identity") {
      throw new ConfigurationError("Django's RedisCache has no compressor option");
    }
    this.serializer = options.serializer ?? "pickle";
    this.compressor = options.compressor ?? "identity";
    if (!["pickle", "json", "msgpack"].includes(this.serializer)) {
      throw new ConfigurationError(`Unsupported django-redis serializer "${this.serializer}"`);
    }
    if (!["identity", "zlib"].includes(this.compressor)) {
      throw new ConfigurationError(`Unsupported django-redis compressor "${this.compressor}"`);
    }
    this.pickleProtocol = options.pickleProtocol ?? (builtin ? 5 : 4);
    this.maxValueBytes = options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
    if (!Number.isSafeInteger(this.maxValueBytes) || this.maxValueBytes < 1) {
      throw new ConfigurationError("maxValueBytes must be a positive integer");
    }
    this.#pickleOptions = { maxInputBytes: this.maxValueBytes, ...options.pickle };
  }

  /**
   * The stored bytes for any value: a plain int as decimal ASCII, anything else serialized
   * (and compressed, where configured).
   *
   * @example
   * ```ts
   * new DjangoCacheValueCodec().encode(new Map([["a", 1]]))[0]; // 0x80 (pickle PROTO)
   * ```
   */
  encode(value: PyValue | SessionData): Buffer {
    // django-redis: `isinstance(value, int)` and not bool; RedisCache: `type(obj) is int`.
    if (typeof value === "bigint") return Buffer.from(value.toString(), "ascii");
    if (typeof value === "number" && Number.isInteger(value)) {
      return Buffer.from(Object.is(value, -0) ? "0" : BigInt(value).toString(), "ascii");
    }
    return this.#compress(this.#dumps(value));
  }

  /** {@link encode} for a whole session dict. */
  encodeSession(data: SessionData): Buffer {
    return this.encode(data);
  }

  /**
   * Decodes any stored value (an int, or a serialized value).
   *
   * @throws {TooLargeError} | {MalformedError} | an `unsupported-pickle-*` error.
   * @example
   * ```ts
   * new DjangoCacheValueCodec().decode(Buffer.from("42")); // 42
   * ```
   */
  decode(bytes: Uint8Array): PyValue {
    const int = this.#parseInt(bytes);
    if (int !== undefined) return int;
    const raw = this.#decompress(bytes);
    if (this.serializer === "json") return loadsPythonJson(utf8(raw));
    if (this.serializer === "msgpack") return Object.fromEntries(decodeMsgspecMsgpack(raw));
    return loadsPickle(raw, this.#pickleOptions);
  }

  /**
   * Decodes a stored session dict, keeping its key order.
   *
   * @throws {MalformedError} when the value is not a dict (or is an int); else as {@link decode}.
   * @example
   * ```ts
   * codec.decodeSession(await redis.get(key));
   * ```
   */
  decodeSession(bytes: Uint8Array): SessionData {
    if (this.#parseInt(bytes) !== undefined) {
      throw new MalformedError("Cache value is an int, not a session dict");
    }
    const raw = this.#decompress(bytes);
    if (this.serializer === "json") return loadsDjangoJsonSession(raw);
    if (this.serializer === "msgpack") return decodeMsgspecMsgpack(raw);
    return loadsPickleSession(raw, this.#pickleOptions);
  }

  #dumps(value: PyValue | SessionData): Uint8Array {
    if (this.serializer === "json") return dumpsDjangoJson(value);
    if (this.serializer === "msgpack") {
      // django-redis: `msgpack.dumps(value)` (msgpack-python ≥ 1.0, use_bin_type=True): the wire
      // format of plain data equals msgspec's; msgpack-python has no datetime/Decimal/UUID
      // support and raises TypeError; we refuse them too (UnsupportedValueError).
      assertMsgpackable(value);
      if (value instanceof Map || isPyDict(value)) return encodeMsgspecMsgpack(value);
      throw new UnsupportedValueError("the msgpack serializer here writes dicts (sessions) only");
    }
    return dumpsPickle(value, { protocol: this.pickleProtocol });
  }

  #compress(bytes: Uint8Array): Buffer {
    // ZlibCompressor.compress: `zlib.compress(value, 6)` only if `len(value) > min_length`.
    if (this.compressor === "zlib" && bytes.length > ZLIB_MIN_LENGTH) return zlibCompress(bytes);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  #decompress(bytes: Uint8Array): Uint8Array {
    if (bytes.length > this.maxValueBytes) {
      throw new TooLargeError(`Cache value exceeds ${this.maxValueBytes} bytes`);
    }
    if (this.compressor !== "zlib") return bytes;
    try {
      return zlibDecompress(bytes, this.maxValueBytes);
    } catch (err) {
      // CompressorError → "assume uncompressed"; but a bomb is refused, never expanded.
      if (err instanceof TooLargeError) throw err;
      return bytes;
    }
  }

  /** `int(value)` as Python parses bytes, or `undefined`. */
  #parseInt(bytes: Uint8Array): number | bigint | undefined {
    if (bytes.length === 0 || bytes.length > 4300) return undefined; // CPython's int digit limit
    // An int starts with whitespace, a sign or a digit; pickles (PROTO, 0x80), zlib streams
    // (0x78) and JSON or msgpack maps never do. This runs on every session load, so those skip
    // the string conversion and the regex.
    const first = bytes[0]!;
    const digit = first >= 0x30 && first <= 0x39;
    const sign = first === 0x2b || first === 0x2d;
    const space = first === 0x20 || (first >= 0x09 && first <= 0x0d);
    if (!digit && !sign && !space) return undefined;
    const m = PY_INT.exec(
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1"),
    );
    if (!m) return undefined;
    const big = BigInt(`${m[1] ?? ""}${(m[2] ?? "").replace(/_/g, "")}`);
    const n = Number(big);
    return Number.isSafeInteger(n) ? n : big;
  }
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

function utf8(bytes: Uint8Array): string {
  try {
    return UTF8.decode(bytes);
  } catch (err) {
    throw new MalformedError("JSON cache value is not UTF-8", { cause: err });
  }
}

/** Values msgpack-python's default `packb` can write: JSON-like data, bytes, tuples (as lists). */
function assertMsgpackable(value: PyValue | SessionData): void {
  if (value === null || typeof value !== "object") return;
  if (value instanceof Uint8Array || value instanceof PyFloat) return;
  if (value instanceof Map) return value.forEach((v) => assertMsgpackable(v));
  if (Array.isArray(value)) return value.forEach(assertMsgpackable);
  if (value instanceof PyTuple) return value.items.forEach(assertMsgpackable);
  if (isPyDict(value)) return Object.values(value).forEach(assertMsgpackable);
  const type = value instanceof PySet ? "set" : value instanceof PyFrozenSet ? "frozenset" : null;
  throw new UnsupportedValueError(
    `can not serialize '${type ?? value.constructor.name.replace(/^Py/, "")}' object`,
  );
}
