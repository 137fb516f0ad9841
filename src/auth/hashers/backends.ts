/**
 * Native Argon2 and bcrypt, loaded lazily from optional peer dependencies so that users of the
 * other hashers install nothing: `@node-rs/argon2` (^2.2) and `@node-rs/bcrypt` (^1.10 or ^2.0). Both are
 * napi-rs addons whose prebuilt binaries ship inside per-platform npm packages (no install
 * scripts, no download at install time), and whose async functions run on the libuv threadpool,
 * so hashing never blocks the event loop.
 *
 * Other implementations (hash-wasm in a worker, a KMS, …) can be plugged in with
 * {@link setPasswordHasherBackends}.
 */
import { Buffer } from "node:buffer";
import { ConfigurationError, InvalidArgumentError } from "../../errors.ts";

/** Argon2 variant, as in the encoded hash. */
export type Argon2Variant = "argon2d" | "argon2i" | "argon2id";

/** Inputs of one raw Argon2 computation. */
export interface Argon2RawInput {
  readonly variant: Argon2Variant;
  /** 0x10 or 0x13. */
  readonly version: 0x10 | 0x13;
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
  readonly salt: Uint8Array;
  readonly hashLength: number;
}

/** What the argon2 hasher needs: the raw hash bytes, computed off the event loop. */
export interface Argon2Backend {
  hashRaw(password: Uint8Array, input: Argon2RawInput): Promise<Uint8Array>;
}

/** What the bcrypt hashers need: OpenBSD bcrypt, computed off the event loop. */
export interface BcryptBackend {
  /**
   * `bcrypt.hashpw(password, salt)`: `salt` is the 29-character `$2b$12$<22 chars>` prefix; the
   * result is the 60-character modular-crypt string with the same prefix. Passwords longer
   * than 72 bytes are truncated to 72. May reject a non-canonical salt.
   */
  hash(password: Uint8Array, salt: string): Promise<string>;
}

let argon2Override: Argon2Backend | undefined;
let bcryptOverride: BcryptBackend | undefined;
let argon2Loading: Promise<Argon2Backend> | undefined;
let bcryptLoading: Promise<BcryptBackend> | undefined;

/**
 * Replaces (or, with `undefined`, restores) the Argon2 / bcrypt implementations. Use it to
 * supply a module your bundler cannot resolve dynamically, or another implementation.
 *
 * @example
 * ```ts
 * import * as nodeRsArgon2 from "@node-rs/argon2";
 * setPasswordHasherBackends({ argon2: argon2BackendFromNodeRs(nodeRsArgon2) });
 * ```
 */
export function setPasswordHasherBackends(backends: {
  argon2?: Argon2Backend | undefined;
  bcrypt?: BcryptBackend | undefined;
}): void {
  if ("argon2" in backends) {
    argon2Override = backends.argon2;
    argon2Loading = undefined;
  }
  if ("bcrypt" in backends) {
    bcryptOverride = backends.bcrypt;
    bcryptLoading = undefined;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/** Finds `name` as a function on an imported module or its CommonJS `default`. */
function moduleFunction(mod: unknown, name: string): ((...args: unknown[]) => unknown) | undefined {
  for (const candidate of [mod, isRecord(mod) ? mod.default : undefined]) {
    if (isRecord(candidate) && typeof candidate[name] === "function") {
      const fn = candidate[name] as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => fn.apply(candidate, args);
    }
  }
  return undefined;
}

const ARGON2_ALGORITHM: Readonly<Record<Argon2Variant, number>> = {
  argon2d: 0,
  argon2i: 1,
  argon2id: 2,
};

/**
 * Adapts the `@node-rs/argon2` module (`hashRaw(password, options)`, v2) to {@link Argon2Backend}.
 *
 * @throws {ConfigurationError} when the module does not look like `@node-rs/argon2`.
 * @example
 * ```ts
 * const backend = argon2BackendFromNodeRs(await import("@node-rs/argon2"));
 * ```
 */
export function argon2BackendFromNodeRs(mod: unknown): Argon2Backend {
  const hashRaw = moduleFunction(mod, "hashRaw");
  if (hashRaw === undefined)
    throw new ConfigurationError("@node-rs/argon2 has no hashRaw(): version ^2 is required");
  return {
    async hashRaw(password, input) {
      const result = await hashRaw(Buffer.from(password), {
        algorithm: ARGON2_ALGORITHM[input.variant],
        version: input.version === 0x13 ? 1 : 0, // Version.V0x13 = 1, V0x10 = 0
        memoryCost: input.memoryCost,
        timeCost: input.timeCost,
        parallelism: input.parallelism,
        outputLen: input.hashLength,
        salt: Buffer.from(input.salt),
      });
      if (!(result instanceof Uint8Array))
        throw new ConfigurationError("@node-rs/argon2 hashRaw() returned no bytes");
      return result;
    },
  };
}

/** bcrypt's own base64 alphabet (OpenBSD `bcrypt.c`), used for the 22-character salt. */
const BCRYPT_B64 = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** The 16 salt bytes of a `$2b$12$<22 chars>` salt string. */
function bcryptSaltBytes(salt22: string): Uint8Array {
  const out = new Uint8Array(16);
  let acc = 0;
  let bits = 0;
  let n = 0;
  for (const c of salt22) {
    const v = BCRYPT_B64.indexOf(c);
    if (v < 0) throw new InvalidArgumentError("invalid bcrypt salt");
    acc = ((acc << 6) | v) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (n < 16) out[n++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

/**
 * Adapts the `@node-rs/bcrypt` module to {@link BcryptBackend}: 2.x (`hash(password, { salt })`)
 * or 1.x (`hash(password, cost, saltBytes)`, which labels its output `$2y$`; the digest is the
 * same for every `$2a$`/`$2b$`/`$2y$` variant, so the stored prefix is put back).
 *
 * @throws {ConfigurationError} when the module does not look like `@node-rs/bcrypt`.
 * @example
 * ```ts
 * const backend = bcryptBackendFromNodeRs(await import("@node-rs/bcrypt"));
 * ```
 */
export function bcryptBackendFromNodeRs(mod: unknown): BcryptBackend {
  const hash = moduleFunction(mod, "hash");
  if (hash === undefined) {
    throw new ConfigurationError("@node-rs/bcrypt (^1.10 or ^2.0) is required");
  }
  // parseOptions() exists from 2.0 on, whose hash() takes an options object.
  const v2 = moduleFunction(mod, "parseOptions") !== undefined;
  return {
    async hash(password, salt) {
      const m = /^(\$2[abxy]\$)(\d{2})\$([./A-Za-z0-9]{22})$/.exec(salt);
      if (!m) throw new InvalidArgumentError("invalid bcrypt salt");
      const result = v2
        ? await hash(Buffer.from(password), { salt })
        : await hash(Buffer.from(password), Number(m[2]), bcryptSaltBytes(m[3]!));
      if (typeof result !== "string")
        throw new ConfigurationError("@node-rs/bcrypt hash() returned no string");
      return v2 ? result : m[1]! + result.slice(4);
    },
  };
}

async function importOptional(name: string, purpose: string): Promise<unknown> {
  try {
    // A string variable, so that bundlers and tsc do not require the optional package.
    const specifier: string = name;
    return (await import(specifier)) as unknown;
  } catch (cause) {
    throw new ConfigurationError(
      `${purpose} needs the optional package ${name}: run \`npm install ${name}\` (or supply an implementation with setPasswordHasherBackends())`,
      { cause },
    );
  }
}

/**
 * The Argon2 implementation: the override, else `@node-rs/argon2` imported on first use.
 *
 * @throws {ConfigurationError} when `@node-rs/argon2` is not installed.
 * @example
 * ```ts
 * const argon2 = await loadArgon2Backend();
 * ```
 */
export function loadArgon2Backend(): Promise<Argon2Backend> {
  if (argon2Override !== undefined) return Promise.resolve(argon2Override);
  if (argon2Loading === undefined) {
    const loading = importOptional("@node-rs/argon2", "The argon2 password hasher").then(
      argon2BackendFromNodeRs,
    );
    argon2Loading = loading;
    // Do not cache a failure: the package may be installed later in a long-lived process.
    loading.catch(() => {
      if (argon2Loading === loading) argon2Loading = undefined;
    });
  }
  return argon2Loading;
}

/**
 * The bcrypt implementation: the override, else `@node-rs/bcrypt` imported on first use.
 *
 * @throws {ConfigurationError} when `@node-rs/bcrypt` is not installed.
 * @example
 * ```ts
 * const bcrypt = await loadBcryptBackend();
 * ```
 */
export function loadBcryptBackend(): Promise<BcryptBackend> {
  if (bcryptOverride !== undefined) return Promise.resolve(bcryptOverride);
  if (bcryptLoading === undefined) {
    const loading = importOptional("@node-rs/bcrypt", "The bcrypt password hashers").then(
      bcryptBackendFromNodeRs,
    );
    bcryptLoading = loading;
    loading.catch(() => {
      if (bcryptLoading === loading) bcryptLoading = undefined;
    });
  }
  return bcryptLoading;
}
