/**
 * Django's `backends.signed_cookies` (django-formats.md §3.5): no server state, the session key
 * *is* the data:
 *
 * ```python
 * signing.dumps(session, compress=True, salt="django.contrib.sessions.backends.signed_cookies",
 *               serializer=SESSION_SERIALIZER)                       # key on save
 * signing.loads(key, ..., max_age=SESSION_COOKIE_AGE)                # data on load
 * ```
 *
 * signed with `SECRET_KEY` (verified with `SECRET_KEY_FALLBACKS` too, Django 4.1+). The age
 * check counts from the last save and ignores `set_expiry` (ticket #19201), as Django does.
 * Unlike Django, a value whose cookie would exceed what browsers keep is refused with
 * {@link TooLargeError} instead of being silently dropped by the browser.
 *
 * @example
 * ```ts
 * import { SignedCookieStore } from "sessionbridge/stores/signed-cookies";
 * const store = new SignedCookieStore({ secret: process.env.SECRET_KEY! });
 * ```
 */
import { Buffer } from "#runtime";
import {
  djangoJsonSerializer,
  type SessionSerializer,
} from "../../codecs/django/session-encoding.ts";
import {
  DjangoTimestampSigner,
  djangoSignBytes,
  djangoSignBytesAsync,
  djangoUnsignBytes,
  type Secret,
} from "../../codecs/django/signing.ts";
import { DJANGO_VERSIONS, type DjangoVersion } from "../../codecs/django/version.ts";
import { versionOption } from "../../internal/version-option.ts";
import { ConfigurationError, SignatureExpiredError, TooLargeError } from "../../errors.ts";
import { assertSecrets } from "../../codecs/secret.ts";
import type { SessionData, SessionStore, StoreLogger, StoredSession } from "../contract.ts";
import { inspectEach } from "../walk.ts";

/** The salt of Django's signed-cookie sessions (the backend's module path). */
export const SIGNED_COOKIES_SALT = "django.contrib.sessions.backends.signed_cookies";

/**
 * Default bound on `name=value` in bytes: the smallest per-cookie size that browsers keep
 * (4096 minus room for `=` and the attribute separators some count; RFC 6265 §6.1 only
 * requires at least 4096 bytes per cookie including attributes).
 */
export const DEFAULT_MAX_COOKIE_SIZE = 4093;

/** A {@link StoreLogger} that may also take debug messages (expired cookies are routine). */
export interface SignedCookieLogger extends StoreLogger {
  debug?(message: string, detail?: Readonly<Record<string, string | number | boolean>>): void;
}

/** Options of {@link SignedCookieStore}. */
export interface SignedCookieStoreOptions {
  /** `SECRET_KEY`: signs, and verifies first. */
  readonly secret: Secret;
  /** `SECRET_KEY_FALLBACKS` (Django 4.1+): verify only, never sign. */
  readonly fallbackSecrets?: readonly Secret[];
  /** `SESSION_COOKIE_AGE` in seconds, the maximum age of a signature; default 1209600. */
  readonly cookieAge?: number;
  /** `SESSION_COOKIE_NAME`, counted in the cookie size; default `sessionid`. */
  readonly cookieName?: string;
  /** Largest `name=value` in bytes; default {@link DEFAULT_MAX_COOKIE_SIZE}. */
  readonly maxCookieSize?: number;
  /** `SESSION_SERIALIZER`; default Django's `JSONSerializer`. */
  readonly serializer?: SessionSerializer;
  /** Django 3.2 also accepts SHA-1 signatures; default `5.2`. */
  readonly djangoVersion?: DjangoVersion;
  /** Bound on the decompressed payload of an incoming cookie, in bytes. */
  readonly maxBytes?: number;
  /**
   * Where rejected cookies are reported (never their value); default `console.warn`. Anyone can
   * send a forged cookie, so rejections are not reported one by one: the first one at once
   * (with what a rejection of every cookie would mean), then at most one summary per
   * `reportIntervalMs` with how many were rejected since, and why.
   */
  readonly logger?: SignedCookieLogger;
  /** The least time between two reports of rejected cookies; default 60 000 ms. */
  readonly reportIntervalMs?: number;
  /** Clock in milliseconds, for tests; default `Date.now`. */
  readonly now?: () => number;
}

const DEFAULT_COOKIE_AGE = 1_209_600;
const DEFAULT_REPORT_INTERVAL_MS = 60_000;

const consoleLogger: SignedCookieLogger = {
  warn(message, detail) {
    console.warn(`sessionbridge: ${message}`, detail ?? "");
  },
};

/**
 * Sessions kept entirely in a signed cookie, compatible with Django's `signed_cookies` engine.
 * The engine calls {@link SignedCookieStore.encodeKey} instead of `save`.
 *
 * @example
 * ```ts
 * const store = new SignedCookieStore({ secret: "…", fallbackSecrets: ["old…"], cookieAge: 3600 });
 * const cookie = store.encodeKey(new Map([["cart", [1, 2]]]));
 * await store.load(cookie); // Map { "cart" => [1, 2] }
 * ```
 */
export class SignedCookieStore implements SessionStore {
  readonly name = "signed_cookies";
  readonly #signer: DjangoTimestampSigner;
  readonly #serializer: SessionSerializer;
  readonly #cookieAge: number;
  readonly #cookieName: string;
  readonly #maxCookieSize: number;
  readonly #maxBytes: number | undefined;
  readonly #logger: SignedCookieLogger;
  readonly #now: () => number;
  readonly #reportIntervalMs: number;
  /** Rejections not yet reported, by reason, and when the last report went out. */
  #unreported = new Map<string, number>();
  #lastReport: number | undefined;

  /** @throws {ConfigurationError} for an empty secret or a non-positive age or size. */
  constructor(options: SignedCookieStoreOptions) {
    assertSecrets(options.secret, options.fallbackSecrets, "SECRET_KEY", "SECRET_KEY_FALLBACKS");
    this.#cookieAge = options.cookieAge ?? DEFAULT_COOKIE_AGE;
    if (!Number.isInteger(this.#cookieAge) || this.#cookieAge <= 0) {
      throw new ConfigurationError("cookieAge must be a positive whole number of seconds");
    }
    this.#maxCookieSize = options.maxCookieSize ?? DEFAULT_MAX_COOKIE_SIZE;
    if (!Number.isInteger(this.#maxCookieSize) || this.#maxCookieSize <= 0) {
      throw new ConfigurationError("maxCookieSize must be a positive whole number of bytes");
    }
    this.#cookieName = options.cookieName ?? "sessionid";
    this.#serializer = options.serializer ?? djangoJsonSerializer;
    this.#maxBytes = options.maxBytes;
    this.#logger = options.logger ?? consoleLogger;
    this.#now = options.now ?? Date.now;
    this.#reportIntervalMs = options.reportIntervalMs ?? DEFAULT_REPORT_INTERVAL_MS;
    this.#signer = new DjangoTimestampSigner({
      secret: options.secret,
      fallbackSecrets: options.fallbackSecrets ?? [],
      salt: SIGNED_COOKIES_SALT,
      algorithm: "sha256",
      // Django 3.1/3.2 verify legacy SHA-1 signatures too; 4.0 dropped them.
      acceptSha1:
        versionOption({
          name: "djangoVersion",
          value: options.djangoVersion,
          allowed: DJANGO_VERSIONS,
          fallback: "5.2",
        }) === "3.2",
    });
  }

  /**
   * The session in a signed cookie value, or `null` (reported, without the value) when the
   * signature does not verify, is older than `cookieAge`, or the payload is malformed:
   * Django's `load` then starts an empty session.
   */
  load(key: string): Promise<SessionData | null> {
    try {
      const bytes = djangoUnsignBytes(this.#signer, key, {
        maxAge: this.#cookieAge,
        now: this.#now() / 1000,
        ...(this.#maxBytes === undefined ? {} : { maxBytes: this.#maxBytes }),
      });
      return Promise.resolve(this.#serializer.loads(bytes));
    } catch (err) {
      if (err instanceof SignatureExpiredError) {
        this.#logger.debug?.("Ignoring an expired signed session cookie", {
          store: this.name,
          age: err.age,
        });
      } else {
        this.#reportRejected(err instanceof Error ? err.name : "unknown");
      }
      return Promise.resolve(null);
    }
  }

  /**
   * Counts a rejected cookie and reports at most once per interval: the first rejection loudly
   * (if every cookie fails, the secret differs from the one that signed them), later ones as a
   * count per reason. A flood of forged cookies costs a few log lines, not one per request.
   */
  #reportRejected(reason: string): void {
    this.#unreported.set(reason, (this.#unreported.get(reason) ?? 0) + 1);
    const now = this.#now();
    if (this.#lastReport !== undefined && now - this.#lastReport < this.#reportIntervalMs) return;
    const counts = Object.fromEntries(this.#unreported);
    const total = [...this.#unreported.values()].reduce((a, b) => a + b, 0);
    if (this.#lastReport === undefined) {
      this.#logger.warn(
        "Ignoring a signed session cookie that cannot be verified or decoded (if every session " +
          "cookie is ignored, SECRET_KEY or SECRET_KEY_FALLBACKS differ from the ones that signed " +
          "them); further ones are counted and reported at most once a minute",
        { store: this.name, ...counts },
      );
    } else {
      this.#logger.warn(`Ignored ${String(total)} signed session cookies since the last report`, {
        store: this.name,
        ...counts,
      });
    }
    this.#unreported.clear();
    this.#lastReport = now;
  }

  /**
   * Django's `_get_session_key`: `signing.dumps(session, compress=True, salt=…)` with the
   * current time. (`set_expiry` does not enter the value, so there is no expiry parameter.)
   * @throws {TooLargeError} when `name=value` would exceed `maxCookieSize` bytes.
   * @throws {UnsupportedValueError} when a value cannot be serialized (Python's `json.dumps`
   *   raises `TypeError`).
   */
  encodeKey(data: SessionData): string {
    const value = djangoSignBytes(this.#signer, this.#serializer.dumps(data), {
      compress: true,
      now: this.#now() / 1000,
    });
    return this.#checkSize(value);
  }

  /**
   * {@link encodeKey} as the engine calls it: the same value on Node; on the Web runtimes the
   * payload is compressed with the runtime's `CompressionStream` (where the synchronous
   * `encodeKey` can only leave it uncompressed), so a compressible session is as short as
   * Django's.
   * @throws {TooLargeError} when `name=value` would exceed `maxCookieSize` bytes.
   * @throws {UnsupportedValueError} when a value cannot be serialized.
   */
  async encodeKeyAsync(data: SessionData): Promise<string> {
    const value = await djangoSignBytesAsync(this.#signer, this.#serializer.dumps(data), {
      compress: true,
      now: this.#now() / 1000,
    });
    return this.#checkSize(value);
  }

  #checkSize(value: string): string {
    const size = Buffer.byteLength(`${this.#cookieName}=${value}`, "utf8");
    if (size > this.#maxCookieSize) {
      throw new TooLargeError(
        `session too large for a signed cookie: ${size} bytes (limit ${this.#maxCookieSize})`,
      );
    }
    return value;
  }

  /**
   * The session in a cookie value and when it expires (signing time plus `cookieAge`); `null`
   * where `load` finds none (bad signature, older than `cookieAge`, malformed). There is no
   * `walk`: nothing is stored on the server.
   */
  async inspect(key: string): Promise<StoredSession | null> {
    const data = await this.load(key);
    if (data === null) return null;
    // The value verified just above; this reads its signing time.
    const { timestamp } = this.#signer.unsignTimestamped(key);
    return { key, data, expireDate: new Date((timestamp + this.#cookieAge) * 1000) };
  }

  /**
   * {@link SignedCookieStore.inspect} for many cookie values (no I/O: a signature check and a
   * decode each); absent (unverifiable or expired) values are missing from the map.
   */
  inspectMany(keys: readonly string[]): Promise<Map<string, StoredSession>> {
    return inspectEach(keys, (key) => this.inspect(key));
  }

  /** Always `false`, as Django's: a signed value is never "taken". */
  readonly exists: SessionStore["exists"] = () => Promise.resolve(false);

  /** Never called by the engine (it calls `encodeKey`); a direct call is a programming error. */
  readonly save: SessionStore["save"] = () =>
    Promise.reject(
      new ConfigurationError(
        "SignedCookieStore.save() is never used: the cookie value is the session",
      ),
    );

  /** Nothing to delete on the server: the engine drops the cookie. */
  readonly delete: SessionStore["delete"] = () => Promise.resolve();

  /** Nothing expires on the server (Django's `clear_expired` is a no-op here). */
  clearExpired(): Promise<number> {
    return Promise.resolve(0);
  }
}

/**
 * Creates a {@link SignedCookieStore}.
 *
 * @example
 * ```ts
 * const store = createSignedCookieStore({ secret: process.env.SECRET_KEY!, cookieAge: 86400 });
 * ```
 */
export function createSignedCookieStore(options: SignedCookieStoreOptions): SignedCookieStore {
  return new SignedCookieStore(options);
}
