/**
 * One preset per supported Django version, so a user says "Django 4.2" and gets every default
 * that differs between versions (django-formats.md §1.2, §1.5, §2.2-2.5, §3.3, §4.4, §5, §7.2):
 *
 * | rule                                  | 3.2            | 4.2            | 5.2            |
 * |---------------------------------------|----------------|----------------|----------------|
 * | statuses that skip the session save   | exactly 500    | ≥ 500          | ≥ 500          |
 * | SHA-1 signatures, legacy session blobs| read           | refused        | refused        |
 * | `SECRET_KEY_FALLBACKS`                | (no setting)   | honoured       | honoured       |
 * | absolute `set_expiry(datetime)` stored| datetime object| ISO string     | ISO string     |
 * | PickleSerializer                      | available      | deprecated     | removed        |
 * | cached_db cache errors on save        | raised         | raised         | logged         |
 * | PBKDF2 iterations                     | 260000         | 600000         | 1000000        |
 * | scrypt parallelism                    | (no hasher)    | 1              | 5              |
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
  },
};

/**
 * The preset for a Django version: `"3.2"`, `"4.2"`, `"5.2"`, or any version of those
 * series (`"4"`, `"4.1"`, `"5.x"` → the series' supported release).
 *
 * @throws {ConfigurationError} for versions sessionbridge does not follow.
 * @example
 * ```ts
 * djangoPreset("4.2").pbkdf2Iterations; // 600000
 * ```
 */
export function djangoPreset(version: string): DjangoPreset {
  const major = /^\s*([345])(?:\.(?:\d+|x))*\s*$/.exec(version)?.[1];
  if (major === "3") return PRESETS["3.2"];
  if (major === "4") return PRESETS["4.2"];
  if (major === "5") return PRESETS["5.2"];
  throw new ConfigurationError(
    `Unsupported Django version "${version.slice(0, 20)}": use 3.2, 4.2 or 5.2`,
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
