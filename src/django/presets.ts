/**
 * One preset per supported Django version, so a user says "Django 4.2" and gets every default
 * that differs between versions (django-formats.md §1.2, §1.5, §2.2-2.5, §3.3, §4.4, §5, §7.2):
 *
 * | rule                                  | 3.2            | 4.2            | 5.2           | 6.0       | 6.1       |
 * |---------------------------------------|----------------|----------------|---------------|-----------|-----------|
 * | statuses that skip the session save   | exactly 500    | ≥ 500          | ≥ 500         | ≥ 500     | ≥ 500     |
 * | SHA-1 signatures, legacy session blobs| read           | refused        | refused       | refused   | refused   |
 * | `SECRET_KEY_FALLBACKS`                | (no setting)   | honoured       | honoured      | honoured  | honoured  |
 * | absolute `set_expiry(datetime)` stored| datetime object| ISO string     | ISO string    | ISO string| ISO string|
 * | PickleSerializer                      | available      | deprecated     | removed       | removed   | removed   |
 * | cached_db cache errors on save        | raised         | raised         | logged        | logged    | logged    |
 * | PBKDF2 iterations                     | 260000         | 600000         | 1000000       | 1200000   | 1500000   |
 * | scrypt parallelism                    | (no hasher)    | 1              | 5             | 5         | 5         |
 * | JSON fixture ends with a newline      | with --indent  | with --indent  | with --indent | always    | always    |
 *
 * 6.0 and 6.1 change nothing else that reaches a session's bytes, a cookie, the cache, a fixture
 * or the `auth_*`/`django_session` schema: diffing Django 5.2.18 and 6.1.1 (`contrib/sessions`,
 * `contrib/auth` and its migrations, `core/signing.py`, `core/cache`, `core/serializers`,
 * `middleware/csrf.py`, `http/`) shows only the iteration count, the fixture's final newline,
 * `login()` always storing `_auth_user_hash` (which sessionbridge always did),
 * `SessionBase.__bool__`, a warning on `base64_hmac`'s default algorithm (still SHA-1) and
 * `str`/`bytes` salts in the hashers. 6.0 has no package to run in the suite: its row comes from
 * Django's 6.0 release notes (PBKDF2 1,000,000 → 1,200,000; the JSON serializer's newline) and
 * from the 6.1 source, which keeps every 6.0 rule the table lists.
 */
import { ConfigurationError } from "../errors.ts";
import type { DjangoVersion } from "../engine/config.ts";

/** Everything that depends on the Django version. */
export interface DjangoPreset {
  readonly version: DjangoVersion;
  /** Read SHA-1 signatures and pre-3.1 session values. */
  readonly readLegacyFormats: boolean;
  /** Whether `SECRET_KEY_FALLBACKS` exists (4.1+). */
  readonly supportsSecretKeyFallbacks: boolean;
  /** How `set_expiry(datetime)` is stored in the session dict. */
  readonly absoluteExpiryEncoding: "datetime" | "isoformat";
  /** Whether `PickleSerializer` can be configured for `SESSION_SERIALIZER`. */
  readonly pickleSerializerAvailable: boolean;
  /** What cached_db does when the cache write fails during save. */
  readonly cachedDbCacheErrors: "raise" | "log";
  /** Default `PBKDF2PasswordHasher.iterations`. */
  readonly pbkdf2Iterations: number;
  /** Default `ScryptPasswordHasher.parallelism` (`null`: no scrypt hasher). */
  readonly scryptParallelism: number | null;
  /** Whether the JSON serializer (`dumpdata`) ends its output with a newline without an indent. */
  readonly jsonFixtureFinalNewline: boolean;
}

const PRESETS: Readonly<Record<DjangoVersion, DjangoPreset>> = {
  "3.2": {
    version: "3.2",
    readLegacyFormats: true,
    supportsSecretKeyFallbacks: false,
    absoluteExpiryEncoding: "datetime",
    pickleSerializerAvailable: true,
    cachedDbCacheErrors: "raise",
    pbkdf2Iterations: 260_000,
    scryptParallelism: null,
    jsonFixtureFinalNewline: false,
  },
  "4.2": {
    version: "4.2",
    readLegacyFormats: false,
    supportsSecretKeyFallbacks: true,
    absoluteExpiryEncoding: "isoformat",
    pickleSerializerAvailable: true,
    cachedDbCacheErrors: "raise",
    pbkdf2Iterations: 600_000,
    scryptParallelism: 1,
    jsonFixtureFinalNewline: false,
  },
  "5.2": {
    version: "5.2",
    readLegacyFormats: false,
    supportsSecretKeyFallbacks: true,
    absoluteExpiryEncoding: "isoformat",
    pickleSerializerAvailable: false,
    cachedDbCacheErrors: "log",
    pbkdf2Iterations: 1_000_000,
    scryptParallelism: 5,
    jsonFixtureFinalNewline: false,
  },
  "6.0": {
    version: "6.0",
    readLegacyFormats: false,
    supportsSecretKeyFallbacks: true,
    absoluteExpiryEncoding: "isoformat",
    pickleSerializerAvailable: false,
    cachedDbCacheErrors: "log",
    pbkdf2Iterations: 1_200_000,
    scryptParallelism: 5,
    jsonFixtureFinalNewline: true,
  },
  "6.1": {
    version: "6.1",
    readLegacyFormats: false,
    supportsSecretKeyFallbacks: true,
    absoluteExpiryEncoding: "isoformat",
    pickleSerializerAvailable: false,
    cachedDbCacheErrors: "log",
    pbkdf2Iterations: 1_500_000,
    scryptParallelism: 5,
    jsonFixtureFinalNewline: true,
  },
};

/** The newest Django release whose rules were checked against its source. */
export const NEWEST_DJANGO_VERSION: DjangoVersion = "6.1";

const SUPPORTED = "3.2, 4.2, 5.2, 6.0 or 6.1";

/**
 * The preset for a Django version: `"3.2"`, `"4.2"`, `"5.2"`, `"6.0"`, `"6.1"`, or any version
 * of the 3, 4 and 5 series (`"4"`, `"4.1"`, `"5.x"` → the series' supported release); `"6"` and
 * `"6.x"` mean the newest 6 release, 6.1. A release newer than 6.1 is refused: its rules
 * (at least its PBKDF2 iteration count) were never checked.
 *
 * @throws {ConfigurationError} for versions sessionbridge does not follow, naming the newest
 *   supported one for a newer release.
 * @example
 * ```ts
 * djangoPreset("4.2").pbkdf2Iterations; // 600000
 * djangoPreset("6.1").pbkdf2Iterations; // 1500000
 * ```
 */
export function djangoPreset(version: string): DjangoPreset {
  const m = /^\s*(\d{1,4})(?:\.(\d{1,4}|x))?(?:\.(?:\d{1,4}|x))*\s*$/.exec(version);
  const major = m === null ? NaN : Number(m[1]);
  const minor = m?.[2] === undefined || m[2] === "x" ? undefined : Number(m[2]);
  if (major === 3) return PRESETS["3.2"];
  if (major === 4) return PRESETS["4.2"];
  if (major === 5) return PRESETS["5.2"];
  if (major === 6 && minor === 0) return PRESETS["6.0"];
  if (major === 6 && (minor === undefined || minor === 1)) return PRESETS["6.1"];
  if (major >= 6) {
    throw new ConfigurationError(
      `Django ${version.trim().slice(0, 20)} is newer than the newest supported version, ${NEWEST_DJANGO_VERSION}: use ${SUPPORTED}`,
    );
  }
  throw new ConfigurationError(
    `Unsupported Django version "${version.slice(0, 20)}": use ${SUPPORTED}`,
  );
}

/**
 * The `DjangoSessionCodec` options a deployment of this version needs.
 *
 * @example
 * ```ts
 * new DjangoSessionCodec(djangoCodecOptions(djangoPreset("3.2"), secret, []));
 * ```
 */
export function djangoCodecOptions(
  preset: DjangoPreset,
  secret: string,
  fallbackSecrets: readonly string[],
): { secret: string; fallbackSecrets: readonly string[]; readLegacy: boolean } {
  return {
    secret,
    // Django 3.2 has no SECRET_KEY_FALLBACKS: a value signed with an old key is invalid there.
    fallbackSecrets: preset.supportsSecretKeyFallbacks ? fallbackSecrets : [],
    readLegacy: preset.readLegacyFormats,
  };
}
