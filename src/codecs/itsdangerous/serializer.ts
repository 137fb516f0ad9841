/**
 * itsdangerous serializers (flask-starlette-formats.md §1.4; itsdangerous `serializer.py`,
 * `url_safe.py`, `timed.py`, `_json.py`).
 *
 * | class | payload | signed as |
 * |---|---|---|
 * | {@link Serializer} | `json.dumps(obj)` (`", "`/`": "`, ASCII) | `payload.sig` |
 * | {@link TimedSerializer} | same | `payload.ts.sig` |
 * | {@link URLSafeSerializer} | `[.]b64url(zlib?(compact_json))` | `payload.sig` |
 * | {@link URLSafeTimedSerializer} | same | `payload.ts.sig` |
 *
 * The default salt is `itsdangerous` (not the Signer's `itsdangerous.Signer`). Signing uses
 * the primary signer only; `loads` tries the primary signer (all keys) and then each fallback
 * signer once per key, oldest key first. `SignatureExpired` stops the search.
 * An undecodable payload under a valid signature is Python's `BadPayload` (a `BadData`, not a
 * `BadSignature`): here a {@link MalformedError}, or {@link TooLargeError} for a zlib bomb.
 */
import { Buffer, isAscii } from "#runtime";
import { BadSignatureError, MalformedError, SignatureExpiredError } from "../../errors.ts";
import { COMPACT_SEPARATORS, dumpsPythonJson, loadsPythonJson } from "../python-json.ts";
import type { PyValue, SessionData } from "../python-values.ts";
import { DEFAULT_MAX_INFLATED_BYTES, zlibCompress, zlibDecompress } from "../zlib.ts";
import { base64Decode, base64Encode, type Secret } from "./encoding.ts";
import { Signer, type SecretKeys, type SignerOptions } from "./signer.ts";
import { TimestampSigner, type TimestampedValue } from "./timed.ts";

/**
 * A text serializer (`dumps` returns `str`, `loads` takes `str`), e.g. Python's `json` module.
 * Errors thrown by `loads` become {@link MalformedError} (`BadPayload`).
 */
export interface TextSerializer<T> {
  dumps(value: T): string;
  loads(text: string): T;
}

/** Values the JSON serializers take; `loads` returns plain {@link PyValue}s. */
export type JsonValue = PyValue | SessionData;

/**
 * Python's `json` module as itsdangerous's default serializer: `json.dumps(obj)` with the
 * default `", "`/`": "` separators and `ensure_ascii=True`, insertion order.
 *
 * @example
 * ```ts
 * pythonJsonSerializer.dumps({ x: 1 }); // '{"x": 1}'
 * ```
 */
export const pythonJsonSerializer: TextSerializer<JsonValue> = {
  dumps: (value) => dumpsPythonJson(value),
  loads: (text) => loadsPythonJson(text),
};

/**
 * `itsdangerous._json._CompactJSON`: `json.dumps(obj, separators=(",", ":"),
 * ensure_ascii=False)` (raw UTF-8, insertion order), the URL-safe serializers' default.
 *
 * @example
 * ```ts
 * compactJsonSerializer.dumps({ a: "é" }); // '{"a":"é"}'
 * ```
 */
export const compactJsonSerializer: TextSerializer<JsonValue> = {
  dumps: (value) => dumpsPythonJson(value, { separators: COMPACT_SEPARATORS, ensureAscii: false }),
  loads: (text) => loadsPythonJson(text),
};

/** A signer class, as `signer=` / a fallback entry takes it. */
export type SignerClass<S extends Signer> = new (
  secretKey: SecretKeys,
  options?: SignerOptions,
) => S;

/**
 * One `fallback_signers` entry (§1.4): signer kwargs for the default signer class, a class
 * (used with the serializer's own `signerOptions`), or a `[class, kwargs]` pair.
 * A kwargs object *replaces* the serializer's `signerOptions`, as in Python.
 */
export type FallbackSigner<S extends Signer> =
  SignerOptions | SignerClass<S> | readonly [SignerClass<S>, SignerOptions];

/** Constructor options of the serializers (Python's keyword arguments). */
export interface SerializerOptions<T, S extends Signer> {
  /** Default `itsdangerous`; `null` also means the default. */
  readonly salt?: Secret | null | undefined;
  /** Default Python `json` (plain) or `_CompactJSON` (URL-safe). */
  readonly serializer?: TextSerializer<T> | undefined;
  /** `signer=`: default `Signer`, or `TimestampSigner` for the timed serializers. */
  readonly signer?: SignerClass<S> | undefined;
  /** `signer_kwargs`. The salt always comes from the serializer. */
  readonly signerOptions?: Omit<SignerOptions, "salt"> | undefined;
  /** `fallback_signers`: verify-only alternatives. */
  readonly fallbackSigners?: readonly FallbackSigner<S>[] | undefined;
}

/** Extra options of the URL-safe serializers. */
export interface URLSafeSerializerOptions<T, S extends Signer> extends SerializerOptions<T, S> {
  /** Bound on the decompressed payload (zlib bomb guard); see `zlibDecompress`. */
  readonly maxDecompressedBytes?: number | undefined;
  /**
   * `zlib.compress` replacement. Node's zlib may emit other bytes than CPython's (§6); inject
   * a stock-zlib-compatible deflate (e.g. pako) when byte equality with Python matters.
   */
  readonly compress?: ((data: Uint8Array) => Uint8Array) | undefined;
}

/** Per-call options of `dumps`. */
export interface DumpsOptions {
  /** Override the serializer's salt for this call. */
  readonly salt?: Secret | undefined;
  /** Signing time in seconds (timed serializers only). */
  readonly now?: number | undefined;
}

/** Per-call options of `loads`. */
export interface LoadsOptions {
  /** Override the serializer's salt for this call. */
  readonly salt?: Secret | undefined;
}

/** Per-call options of the timed serializers' `loads`. */
export interface TimedLoadsOptions extends LoadsOptions {
  /** Maximum age in seconds; `undefined`/`null` accepts any age. */
  readonly maxAge?: number | null | undefined;
  /** Current time in seconds, for tests. */
  readonly now?: number | undefined;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Shared implementation; not exported on its own (Python's `Serializer` base). */
abstract class BaseSerializer<T, S extends Signer> {
  /** Salt as given (default `itsdangerous`). */
  readonly salt: Secret;
  readonly serializer: TextSerializer<T>;
  readonly #secretKey: SecretKeys;
  readonly #signerClass: SignerClass<S>;
  readonly #signerOptions: Omit<SignerOptions, "salt">;
  readonly #fallbacks: readonly FallbackSigner<S>[];
  /** Primary signer and unsigners for the default salt, built once. */
  #defaultSigners: { readonly signer: S; readonly unsigners: readonly S[] } | undefined;

  protected constructor(
    secretKey: SecretKeys,
    options: SerializerOptions<T, S>,
    defaults: { readonly serializer: TextSerializer<T>; readonly signer: SignerClass<S> },
  ) {
    this.#secretKey = secretKey;
    this.salt = options.salt ?? "itsdangerous";
    this.serializer = options.serializer ?? defaults.serializer;
    this.#signerClass = options.signer ?? defaults.signer;
    this.#signerOptions = options.signerOptions ?? {};
    this.#fallbacks = options.fallbackSigners ?? [];
    // Build eagerly so a bad configuration fails at construction, as in Python's first use.
    this.#signers(undefined);
  }

  /** `make_signer(salt)` + `iter_unsigners(salt)`, cached for the default salt. */
  #signers(salt: Secret | undefined): { readonly signer: S; readonly unsigners: readonly S[] } {
    if (salt === undefined && this.#defaultSigners) return this.#defaultSigners;
    const useSalt = salt ?? this.salt;
    const signer = new this.#signerClass(this.#secretKey, {
      ...this.#signerOptions,
      salt: useSalt,
    });
    const unsigners: S[] = [signer];
    const keys: readonly Secret[] =
      typeof this.#secretKey === "string" || this.#secretKey instanceof Uint8Array
        ? [this.#secretKey]
        : this.#secretKey;
    for (const fallback of this.#fallbacks) {
      let cls: SignerClass<S>;
      let kwargs: SignerOptions;
      if (typeof fallback === "function") {
        cls = fallback;
        kwargs = this.#signerOptions;
      } else if (Array.isArray(fallback)) {
        [cls, kwargs] = fallback as readonly [SignerClass<S>, SignerOptions];
      } else {
        cls = this.#signerClass;
        kwargs = fallback as SignerOptions;
      }
      // One signer per key, oldest key first (serializer.py iter_unsigners).
      for (const key of keys) unsigners.push(new cls(key, { ...kwargs, salt: useSalt }));
    }
    const built = { signer, unsigners };
    if (salt === undefined) this.#defaultSigners = built;
    return built;
  }

  /**
   * `make_signer(salt)`: the signer `dumps` uses.
   *
   * @example
   * ```ts
   * new Serializer("k").makeSigner().salt.toString(); // "itsdangerous"
   * ```
   */
  makeSigner(salt?: Secret): S {
    return this.#signers(salt).signer;
  }

  /**
   * `iter_unsigners(salt)`: the signers `loads` tries, in order.
   *
   * @example
   * ```ts
   * new Serializer(["old", "new"], { fallbackSigners: [{ digestMethod: "sha512" }] })
   *   .iterUnsigners().length; // 3: primary (both keys), then sha512 per key
   * ```
   */
  iterUnsigners(salt?: Secret): readonly S[] {
    return this.#signers(salt).unsigners;
  }

  /**
   * `dump_payload(obj)`: the text that gets signed.
   *
   * @example
   * ```ts
   * new Serializer("k").dumpPayload({ x: 1 }); // '{"x": 1}'
   * ```
   */
  dumpPayload(value: T): string {
    return this.serializer.dumps(value);
  }

  /**
   * `load_payload(payload)`.
   *
   * @throws {MalformedError} when the serializer cannot read it (`BadPayload`).
   * @example
   * ```ts
   * new Serializer("k").loadPayload('{"x": 1}'); // { x: 1 }
   * ```
   */
  loadPayload(payload: string): T {
    return loadText(this.serializer, payload);
  }
}

/** `serializer.loads(text)`, with failures as `BadPayload`. */
function loadText<T>(serializer: TextSerializer<T>, text: string): T {
  try {
    return serializer.loads(text);
  } catch (err) {
    if (err instanceof MalformedError) throw err;
    throw new MalformedError("Could not load the payload", { cause: err });
  }
}

/**
 * `URLSafeSerializerMixin`: the payload of the URL-safe serializers, zlib-compressed when that
 * helps, then base64url. Shared by {@link URLSafeSerializer} and {@link URLSafeTimedSerializer}
 * as Python shares the mixin.
 */
class UrlSafePayload {
  readonly #maxBytes: number;
  readonly #compress: (data: Uint8Array) => Uint8Array;

  constructor(options: URLSafeSerializerOptions<unknown, Signer>) {
    this.#maxBytes = options.maxDecompressedBytes ?? DEFAULT_MAX_INFLATED_BYTES;
    this.#compress = options.compress ?? zlibCompress;
  }

  /** `dump_payload` (§1.4): compress iff it saves at least 2 bytes. */
  dump(text: string): string {
    const json = Buffer.from(text, "utf8");
    const compressed = this.#compress(json);
    // `if len(compressed) < (len(json) - 1)`
    if (compressed.length < json.length - 1) return `.${base64Encode(compressed)}`;
    return base64Encode(json);
  }

  /** `load_payload`: `.` prefix = zlib; then UTF-8 text. */
  load(payload: string): string {
    const compressed = payload.startsWith(".");
    const raw = base64Decode(compressed ? payload.slice(1) : payload);
    if (raw === null) throw new MalformedError("Could not base64 decode the payload");
    const json = compressed ? zlibDecompress(raw, this.#maxBytes) : raw;
    // Flask and Starlette write ASCII (ensure_ascii): no UTF-8 validation needed then.
    if (isAscii(json)) return json.toString("latin1");
    try {
      return UTF8.decode(json);
    } catch (err) {
      throw new MalformedError("Payload is not UTF-8", { cause: err });
    }
  }
}

/**
 * `itsdangerous.Serializer`: signs `serializer.dumps(obj)` with a {@link Signer}.
 *
 * @example
 * ```ts
 * const s = new Serializer("secret");
 * const token = s.dumps({ x: 1 }); // '{"x": 1}.<sig>'
 * s.loads(token); // { x: 1 }
 * ```
 */
export class Serializer<T = JsonValue> extends BaseSerializer<T, Signer> {
  constructor(secretKey: SecretKeys, options: SerializerOptions<T, Signer> = {}) {
    super(secretKey, options, {
      serializer: (options.serializer ?? pythonJsonSerializer) as TextSerializer<T>,
      signer: Signer,
    });
  }

  /**
   * `dumps(obj, salt)`.
   *
   * @example
   * ```ts
   * new Serializer("k").dumps([1, 2]); // "[1, 2].<sig>"
   * ```
   */
  dumps(value: T, options: DumpsOptions = {}): string {
    return this.makeSigner(options.salt).sign(this.dumpPayload(value));
  }

  /**
   * `loads(s, salt)`: tries every unsigner; the last `BadSignature` is thrown.
   *
   * @throws {BadSignatureError} | {MalformedError} | {TooLargeError}
   * @example
   * ```ts
   * const s = new Serializer("k");
   * s.loads(s.dumps("hi")); // "hi"
   * ```
   */
  loads(token: string, options: LoadsOptions = {}): T {
    let last: BadSignatureError | undefined;
    for (const signer of this.iterUnsigners(options.salt)) {
      let payload: string;
      try {
        payload = signer.unsign(token);
      } catch (err) {
        if (!(err instanceof BadSignatureError)) throw err;
        last = err;
        continue;
      }
      return this.loadPayload(payload);
    }
    throw last ?? new BadSignatureError();
  }
}

/**
 * `itsdangerous.URLSafeSerializer`: compact JSON, optional zlib, base64url, {@link Signer}.
 *
 * @example
 * ```ts
 * const s = new URLSafeSerializer("secret");
 * s.loads(s.dumps({ a: "é" })); // { a: "é" }
 * ```
 */
export class URLSafeSerializer<T = JsonValue> extends Serializer<T> {
  readonly #payload: UrlSafePayload;

  constructor(secretKey: SecretKeys, options: URLSafeSerializerOptions<T, Signer> = {}) {
    super(secretKey, {
      ...options,
      serializer: (options.serializer ?? compactJsonSerializer) as TextSerializer<T>,
    });
    this.#payload = new UrlSafePayload(options);
  }

  /** @inheritDoc @example new URLSafeSerializer("k").dumpPayload({ a: 1 }); // "eyJhIjoxfQ" */
  override dumpPayload(value: T): string {
    return this.#payload.dump(this.serializer.dumps(value));
  }

  /** @inheritDoc @example new URLSafeSerializer("k").loadPayload("eyJhIjoxfQ"); // { a: 1 } */
  override loadPayload(payload: string): T {
    return loadText(this.serializer, this.#payload.load(payload));
  }
}

/**
 * `itsdangerous.TimedSerializer`: like {@link Serializer} with a {@link TimestampSigner}.
 *
 * @example
 * ```ts
 * const s = new TimedSerializer("secret");
 * s.loads(s.dumps({ x: 1 }, { now: 1700000000 }), { maxAge: 60, now: 1700000010 }); // { x: 1 }
 * ```
 */
export class TimedSerializer<T = JsonValue> extends BaseSerializer<T, TimestampSigner> {
  constructor(secretKey: SecretKeys, options: SerializerOptions<T, TimestampSigner> = {}) {
    super(secretKey, options, {
      serializer: (options.serializer ?? pythonJsonSerializer) as TextSerializer<T>,
      signer: TimestampSigner,
    });
  }

  /**
   * `dumps(obj, salt)` stamped with `now` (seconds; default the clock).
   *
   * @example
   * ```ts
   * new TimedSerializer("k").dumps(1, { now: 1700000000 }); // "1.ZVPxAA.<sig>"
   * ```
   */
  dumps(value: T, options: DumpsOptions = {}): string {
    return this.makeSigner(options.salt).sign(this.dumpPayload(value), options.now);
  }

  /**
   * `loads(s, max_age, return_timestamp=True, salt)`.
   *
   * @throws {BadSignatureError} | {SignatureExpiredError} | {MalformedError} | {TooLargeError}
   * @example
   * ```ts
   * const s = new TimedSerializer("k");
   * s.loadsTimestamped(s.dumps(1, { now: 1700000000 })); // { value: 1, timestamp: 1700000000 }
   * ```
   */
  loadsTimestamped(
    token: string,
    options: TimedLoadsOptions = {},
  ): { readonly value: T; readonly timestamp: number } {
    let last: BadSignatureError | undefined;
    for (const signer of this.iterUnsigners(options.salt)) {
      let signed: TimestampedValue;
      try {
        signed = signer.unsignTimestamped(token, options);
      } catch (err) {
        // `except SignatureExpired: raise` — an expired token is not retried with fallbacks.
        if (err instanceof SignatureExpiredError) throw err;
        if (!(err instanceof BadSignatureError)) throw err;
        last = err;
        continue;
      }
      return { value: this.loadPayload(signed.value), timestamp: signed.timestamp };
    }
    throw last ?? new BadSignatureError();
  }

  /**
   * `loads(s, max_age, salt)`.
   *
   * @throws {BadSignatureError} | {SignatureExpiredError} | {MalformedError} | {TooLargeError}
   * @example
   * ```ts
   * const s = new TimedSerializer("k");
   * s.loads(s.dumps("v"), { maxAge: 3600 }); // "v"
   * ```
   */
  loads(token: string, options: TimedLoadsOptions = {}): T {
    return this.loadsTimestamped(token, options).value;
  }
}

/**
 * `itsdangerous.URLSafeTimedSerializer`: the format of Flask's session cookie (with Flask's
 * salt, derivation and tagged JSON; see the `flask` codec).
 *
 * @example
 * ```ts
 * const s = new URLSafeTimedSerializer("secret");
 * const token = s.dumps({ a: 1 }, { now: 1700000000 }); // "eyJhIjoxfQ.ZVPxAA.<sig>"
 * s.loads(token, { maxAge: 60, now: 1700000000 }); // { a: 1 }
 * ```
 */
export class URLSafeTimedSerializer<T = JsonValue> extends TimedSerializer<T> {
  readonly #payload: UrlSafePayload;

  constructor(secretKey: SecretKeys, options: URLSafeSerializerOptions<T, TimestampSigner> = {}) {
    super(secretKey, {
      ...options,
      serializer: (options.serializer ?? compactJsonSerializer) as TextSerializer<T>,
    });
    this.#payload = new UrlSafePayload(options);
  }

  /** @inheritDoc @example new URLSafeTimedSerializer("k").dumpPayload({ a: 1 }); // "eyJhIjoxfQ" */
  override dumpPayload(value: T): string {
    return this.#payload.dump(this.serializer.dumps(value));
  }

  /** @inheritDoc @example new URLSafeTimedSerializer("k").loadPayload("eyJhIjoxfQ"); // { a: 1 } */
  override loadPayload(payload: string): T {
    return loadText(this.serializer, this.#payload.load(payload));
  }
}
