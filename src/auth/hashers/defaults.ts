/**
 * Django's hasher defaults per feature release (django-formats.md §7.2) and the resolution of
 * {@link PasswordHasherOptions} into one validated configuration.
 */
import { ConfigurationError } from "../../errors.ts";
import { versionOption } from "../../internal/version-option.ts";
import type {
  HasherAlgorithm,
  HasherDjangoVersion,
  HasherParams,
  PasswordHasherOptions,
} from "./types.ts";

/** The Django release whose defaults apply when none is given. */
export const DEFAULT_DJANGO_VERSION: HasherDjangoVersion = "5.2";

/**
 * `PBKDF2PasswordHasher.iterations` per release (§7.2 table).
 *
 * @example
 * ```ts
 * PBKDF2_ITERATIONS["4.2"]; // 600000
 * ```
 */
export const PBKDF2_ITERATIONS: Readonly<Record<HasherDjangoVersion, number>> = {
  "3.2": 260_000,
  "4.0": 320_000,
  "4.1": 390_000,
  "4.2": 600_000,
  "5.0": 720_000,
  "5.1": 870_000,
  "5.2": 1_000_000,
  // 6.0: Django's 6.0 release notes; 6.1: PBKDF2PasswordHasher.iterations in Django 6.1.1.
  "6.0": 1_200_000,
  "6.1": 1_500_000,
};

/** Every release {@link HasherDjangoVersion} names, oldest first. */
export const HASHER_DJANGO_VERSIONS: readonly HasherDjangoVersion[] = [
  "3.2",
  "4.0",
  "4.1",
  "4.2",
  "5.0",
  "5.1",
  "5.2",
  "6.0",
  "6.1",
];

/**
 * The Django release a `djangoVersion` option of the auth layer names, `"5.2"` when none is given.
 * @throws {ConfigurationError} naming the accepted releases when `value` is not one of them.
 *
 * @example
 * ```ts
 * hasherDjangoVersion(undefined); // "5.2"
 * ```
 */
export function hasherDjangoVersion(value: HasherDjangoVersion | undefined): HasherDjangoVersion {
  return versionOption({
    name: "djangoVersion",
    value,
    allowed: HASHER_DJANGO_VERSIONS,
    fallback: DEFAULT_DJANGO_VERSION,
  });
}

/**
 * True when `version` is `since` or later.
 *
 * @example
 * ```ts
 * djangoAtLeast("5.2", "5.1"); // true
 * ```
 */
export function djangoAtLeast(version: HasherDjangoVersion, since: HasherDjangoVersion): boolean {
  return HASHER_DJANGO_VERSIONS.indexOf(version) >= HASHER_DJANGO_VERSIONS.indexOf(since);
}

/**
 * The work factors of a release's built-in hashers.
 * §7.2: argon2 t=2, m=102400, p=8; bcrypt rounds 12; scrypt N=2**14, r=8 and p=1 (4.0–5.0) or
 * p=5 (5.1+, ticket #35428) — unchanged from 3.2 to 6.1 except as noted.
 *
 * @example
 * ```ts
 * defaultHasherParams("4.2").scrypt.p; // 1
 * ```
 */
export function defaultHasherParams(version: HasherDjangoVersion): HasherParams {
  return {
    pbkdf2Iterations: PBKDF2_ITERATIONS[version],
    argon2: { timeCost: 2, memoryCost: 102_400, parallelism: 8 },
    bcryptRounds: 12,
    scrypt: { n: 2 ** 14, r: 8, p: djangoAtLeast(version, "5.1") ? 5 : 1 },
  };
}

/**
 * Django's default `PASSWORD_HASHERS` (§7.2): PBKDF2, PBKDF2SHA1, Argon2, BCryptSHA256, plus
 * Scrypt from 4.0 (the release that added it).
 *
 * @example
 * ```ts
 * defaultPasswordHashers("3.2"); // ["pbkdf2_sha256", "pbkdf2_sha1", "argon2", "bcrypt_sha256"]
 * ```
 */
export function defaultPasswordHashers(version: HasherDjangoVersion): HasherAlgorithm[] {
  const list: HasherAlgorithm[] = ["pbkdf2_sha256", "pbkdf2_sha1", "argon2", "bcrypt_sha256"];
  if (djangoAtLeast(version, "4.0")) list.push("scrypt");
  return list;
}

/**
 * Whether a release ships the hasher class at all. §7.1: `scrypt` is new in 4.0; `sha1`,
 * `unsalted_sha1` and `unsalted_md5` were removed in 5.1; `md5` is still present in 6.1.
 *
 * @example
 * ```ts
 * djangoHasHasher("5.1", "unsalted_md5"); // false
 * ```
 */
export function djangoHasHasher(version: HasherDjangoVersion, algorithm: HasherAlgorithm): boolean {
  switch (algorithm) {
    case "scrypt":
      return djangoAtLeast(version, "4.0");
    case "sha1":
    case "unsalted_sha1":
    case "unsalted_md5":
      return !djangoAtLeast(version, "5.1");
    default:
      return true;
  }
}

/**
 * Every algorithm name, for validation.
 *
 * @example
 * ```ts
 * HASHER_ALGORITHMS.includes("scrypt"); // true
 * ```
 */
export const HASHER_ALGORITHMS: readonly HasherAlgorithm[] = [
  "pbkdf2_sha256",
  "pbkdf2_sha1",
  "argon2",
  "bcrypt_sha256",
  "bcrypt",
  "scrypt",
  "md5",
  "sha1",
  "unsalted_sha1",
  "unsalted_md5",
];

/**
 * True for the algorithm names this module implements.
 *
 * @example
 * ```ts
 * isHasherAlgorithm("crypt"); // false: not implemented (removed in Django 5.0)
 * ```
 */
export function isHasherAlgorithm(name: string): name is HasherAlgorithm {
  return (HASHER_ALGORITHMS as readonly string[]).includes(name);
}

/** {@link PasswordHasherOptions} after defaults and validation. */
export interface ResolvedHasherConfig {
  readonly djangoVersion: HasherDjangoVersion;
  /** `PASSWORD_HASHERS`, preferred first, without duplicates. */
  readonly hashers: readonly HasherAlgorithm[];
  readonly preferred: HasherAlgorithm;
  readonly params: HasherParams;
}

const positiveInt = (name: string, value: number, max = 2 ** 31 - 1): number => {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new ConfigurationError(`${name} must be an integer between 1 and ${max}`);
  }
  return value;
};

/**
 * Applies defaults and validates. Configuration mistakes are programming errors, so they throw
 * (unlike bad stored hashes, which `checkPassword` reports as a result).
 *
 * @throws {ConfigurationError} for an unknown version or algorithm, a hasher that release does
 *   not ship, a `preferred` outside `hashers`, or out-of-range work factors.
 * @example
 * ```ts
 * resolveHasherConfig({ djangoVersion: "4.2" }).params.pbkdf2Iterations; // 600000
 * ```
 */
export function resolveHasherConfig(options: PasswordHasherOptions = {}): ResolvedHasherConfig {
  const djangoVersion = hasherDjangoVersion(options.djangoVersion);
  const given = options.hashers ?? [
    ...(options.preferred === undefined ? [] : [options.preferred]),
    ...defaultPasswordHashers(djangoVersion),
  ];
  const hashers = [...new Set(given)];
  if (hashers.length === 0) throw new ConfigurationError("PASSWORD_HASHERS must not be empty");
  for (const algorithm of hashers) {
    if (!isHasherAlgorithm(algorithm)) {
      throw new ConfigurationError(`Unknown password hasher: ${String(algorithm)}`);
    }
    if (!djangoHasHasher(djangoVersion, algorithm)) {
      throw new ConfigurationError(
        `Django ${djangoVersion} has no ${algorithm} password hasher (see django-formats.md §7.1)`,
      );
    }
  }
  const preferred = options.preferred ?? hashers[0]!;
  // Django's get_hasher(preferred) raises "Unknown password hashing algorithm" here.
  if (!hashers.includes(preferred)) {
    throw new ConfigurationError(`Preferred password hasher ${preferred} is not in hashers`);
  }
  const base = defaultHasherParams(djangoVersion);
  const o = options.params ?? {};
  const n = o.scrypt?.n ?? base.scrypt.n;
  if (!Number.isSafeInteger(n) || n < 2 || (n & (n - 1)) !== 0 || n > 2 ** 30) {
    throw new ConfigurationError("scrypt n must be a power of two between 2 and 2**30");
  }
  const params: HasherParams = {
    pbkdf2Iterations: positiveInt("pbkdf2Iterations", o.pbkdf2Iterations ?? base.pbkdf2Iterations),
    argon2: {
      timeCost: positiveInt("argon2.timeCost", o.argon2?.timeCost ?? base.argon2.timeCost),
      memoryCost: positiveInt("argon2.memoryCost", o.argon2?.memoryCost ?? base.argon2.memoryCost),
      parallelism: positiveInt(
        "argon2.parallelism",
        o.argon2?.parallelism ?? base.argon2.parallelism,
        0xffffff,
      ),
    },
    bcryptRounds: positiveInt("bcryptRounds", o.bcryptRounds ?? base.bcryptRounds, 31),
    scrypt: {
      n,
      r: positiveInt("scrypt.r", o.scrypt?.r ?? base.scrypt.r),
      p: positiveInt("scrypt.p", o.scrypt?.p ?? base.scrypt.p),
    },
  };
  if (params.bcryptRounds < 4) throw new ConfigurationError("bcryptRounds must be at least 4");
  return { djangoVersion, hashers, preferred, params };
}
