/**
 * Shared types of the Django password hashers (django-formats.md §7).
 */

/** Every `algorithm` name this module understands (Django's `BasePasswordHasher.algorithm`). */
export type HasherAlgorithm =
  | "pbkdf2_sha256"
  | "pbkdf2_sha1"
  | "argon2"
  | "bcrypt_sha256"
  | "bcrypt"
  | "scrypt"
  | "md5"
  | "sha1"
  | "unsalted_sha1"
  | "unsalted_md5";

/**
 * Django feature releases whose hasher defaults differ (§7.2). Patch releases share their
 * feature release's defaults. The engine's `"3.2" | "4.2" | "5.2" | "6.0" | "6.1"` is a subset.
 */
export type HasherDjangoVersion =
  "3.2" | "4.0" | "4.1" | "4.2" | "5.0" | "5.1" | "5.2" | "6.0" | "6.1";

/** Argon2 work factors (`Argon2PasswordHasher.time_cost/memory_cost/parallelism`). */
export interface Argon2Params {
  /** Passes, `t=` (Django: 2). */
  readonly timeCost: number;
  /** KiB, `m=` (Django: 102400). */
  readonly memoryCost: number;
  /** Lanes, `p=` (Django: 8). */
  readonly parallelism: number;
}

/** scrypt work factors (`ScryptPasswordHasher.work_factor/block_size/parallelism`). */
export interface ScryptParams {
  /** CPU/memory cost N, a power of two (Django: 2**14). */
  readonly n: number;
  /** Block size r (Django: 8). */
  readonly r: number;
  /** Parallelism p (Django: 1 in 4.0–5.0, 5 from 5.1). */
  readonly p: number;
}

/**
 * The work factors the *configured* hashers use: what new hashes get, what `must_update`
 * compares against and what `harden_runtime` pads up to. Defaults come from the Django version.
 */
export interface HasherParams {
  /** `PBKDF2PasswordHasher.iterations` (shared by `pbkdf2_sha1`, which inherits it). */
  readonly pbkdf2Iterations: number;
  readonly argon2: Argon2Params;
  /** `BCryptSHA256PasswordHasher.rounds` (shared by `bcrypt`). */
  readonly bcryptRounds: number;
  readonly scrypt: ScryptParams;
}

/** Overrides of {@link HasherParams}, as a Django hasher subclass would change its class attributes. */
export interface HasherParamsOverrides {
  readonly pbkdf2Iterations?: number;
  readonly argon2?: Partial<Argon2Params>;
  readonly bcryptRounds?: number;
  readonly scrypt?: Partial<ScryptParams>;
}

/** Settings shared by every hasher function: which Django to mimic and `PASSWORD_HASHERS`. */
export interface PasswordHasherOptions {
  /** Which Django's defaults to use; default `"5.2"`. */
  readonly djangoVersion?: HasherDjangoVersion;
  /**
   * `PASSWORD_HASHERS` as algorithm names, preferred first. Default: Django's default list for
   * `djangoVersion` (with `preferred` moved to the front when given). Hashes of algorithms not
   * listed are rejected like Django rejects hashers that are not installed.
   */
  readonly hashers?: readonly HasherAlgorithm[];
  /** The hasher new hashes use (`check_password(preferred=...)`); default `hashers[0]`. */
  readonly preferred?: HasherAlgorithm;
  /** Work-factor overrides. */
  readonly params?: HasherParamsOverrides;
}

/** Why {@link CheckPasswordResult} is not ok. */
export type CheckPasswordFailure =
  /** A well-formed hash of an enabled algorithm that does not match the password. */
  | "mismatch"
  /** The hash starts with `!` (`set_unusable_password()`). */
  | "unusable"
  /** `identify_hasher` failed: unknown algorithm, or one not in `hashers` / this Django version. */
  | "unknown-algorithm"
  /** The algorithm is known but the hash cannot be parsed (Django would often raise here). */
  | "malformed-hash"
  /** The password is `null`/`undefined` (Django `password is None`). */
  | "missing-password"
  /** The stored hash is `null`, `undefined` or empty. */
  | "missing-hash";

/**
 * Result of `checkPassword`. `mustUpdate` is only ever true together with `ok`: rehash then
 * (Django's `setter`), never on a failed check.
 */
export type CheckPasswordResult =
  | {
      readonly ok: true;
      /** The stored hash should be replaced by `makePassword(password)` (§7.3). */
      readonly mustUpdate: boolean;
      /** The algorithm of the stored hash. */
      readonly algorithm: HasherAlgorithm;
    }
  | { readonly ok: false; readonly mustUpdate: false; readonly reason: CheckPasswordFailure };
