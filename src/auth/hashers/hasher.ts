/**
 * The internal shape of one Django hasher class: parse an encoded hash into something that can
 * `verify`, answer `must_update` and `harden_runtime` (django-formats.md §7.3), and `encode`.
 */
import type { HasherAlgorithm, HasherParams } from "./types.ts";
import { ConfigurationError } from "../../errors.ts";

/** A stored hash one hasher could parse. */
export interface ParsedHash {
  readonly algorithm: HasherAlgorithm;
  /**
   * `hasher.verify(password, encoded)`: recompute with the stored salt and parameters and
   * compare in constant time. Resolves false for a wrong password.
   */
  verify(password: string): Promise<boolean>;
  /** `hasher.must_update(encoded)` against the configured work factors. */
  mustUpdate(params: HasherParams): boolean;
  /** `hasher.harden_runtime(password, encoded)`: pad a wrong guess up to the configured cost. */
  hardenRuntime(password: string, params: HasherParams): Promise<void>;
}

/** One Django hasher class. */
export interface PasswordHasher {
  readonly algorithm: HasherAlgorithm;
  /** False for the verify-only legacy hashers (`makePassword` refuses them). */
  readonly canMake: boolean;
  /** `undefined` when `encoded` is not a well-formed hash of this algorithm. */
  parse(encoded: string): ParsedHash | undefined;
  /** `make_password(password, salt, hasher)`; a fresh salt when `salt` is undefined. */
  encode(password: string, params: HasherParams, salt?: string): Promise<string>;
}

/**
 * Python's `str.split(sep, maxsplit)`: at most `maxsplit` splits, the rest stays in the last part.
 *
 * @example
 * ```ts
 * pySplit("a$b$c$d", "$", 2); // ["a", "b", "c$d"]
 * ```
 */
export function pySplit(s: string, sep: string, maxsplit: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (out.length < maxsplit) {
    const at = rest.indexOf(sep);
    if (at < 0) break;
    out.push(rest.slice(0, at));
    rest = rest.slice(at + sep.length);
  }
  out.push(rest);
  return out;
}

/**
 * A canonical decimal integer in `[min, max]` (what Python's `"%d" % int(s)` reproduces), else
 * `undefined`.
 *
 * @example
 * ```ts
 * parseDecimal("0260000", 1, 2 ** 31 - 1); // undefined: would not re-encode identically
 * ```
 */
export function parseDecimal(s: string, min: number, max: number): number | undefined {
  if (!/^(?:0|[1-9][0-9]*)$/.test(s) || s.length > 16) return undefined;
  const n = Number(s);
  return n >= min && n <= max ? n : undefined;
}

/**
 * Django's `_check_encode_args`: the salt must be non-empty and contain no `$`.
 *
 * @throws {ConfigurationError} otherwise (Django: ValueError).
 * @example
 * ```ts
 * checkSalt("a$b"); // throws ConfigurationError
 * ```
 */
export function checkSalt(salt: string): void {
  if (salt === "" || salt.includes("$")) {
    throw new ConfigurationError("salt must be provided and cannot contain $.");
  }
}
