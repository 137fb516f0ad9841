/**
 * `ScryptPasswordHasher` (Django 4.0+, django-formats.md §7.1):
 * `scrypt$<n>$<salt>$<r>$<p>$<b64std(scrypt(utf8(pw), utf8(salt), n, r, p, dklen=64))>`.
 * Runs on the libuv threadpool via async `crypto.scrypt`.
 */
import { Buffer } from "node:buffer";
import { scrypt, type ScryptOptions } from "node:crypto";
import { constantTimeEqual } from "./compare.ts";
import {
  checkSalt,
  parseDecimal,
  pySplit,
  type ParsedHash,
  type PasswordHasher,
} from "./hasher.ts";
import { makeSalt } from "./random.ts";

/** Refuse stored parameters needing more than this much memory (a corrupt row is not a DoS). */
const MAX_SCRYPT_MEMORY = 2 ** 30;

/** OpenSSL's estimate: `128 * r * (N + 2)` for V plus `128 * r * p` for B. */
const scryptMemory = (n: number, r: number, p: number): number => 128 * r * (n + 2) + 128 * r * p;

function scryptAsync(
  password: string,
  salt: string,
  n: number,
  r: number,
  p: number,
): Promise<Buffer> {
  // Django passes maxmem=0 (OpenSSL's default 32 MiB); Node needs an explicit bound above need.
  const options: ScryptOptions = { N: n, r, p, maxmem: scryptMemory(n, r, p) + 2 ** 20 };
  return new Promise((resolve, reject) => {
    scrypt(Buffer.from(password, "utf8"), Buffer.from(salt, "utf8"), 64, options, (err, key) => {
      if (err) reject(err);
      else resolve(key);
    });
  });
}

// encode: "%s$%d$%s$%d$%d$%s" % (algorithm, n, salt, r, p, b64encode(hash))
async function encodeWith(
  password: string,
  salt: string,
  n: number,
  r: number,
  p: number,
): Promise<string> {
  const dk = await scryptAsync(password, salt, n, r, p);
  return `scrypt$${n}$${salt}$${r}$${p}$${dk.toString("base64")}`;
}

/**
 * `scrypt`: N=2**14, r=8, p=1 (4.0–5.0) or p=5 (5.1+).
 *
 * @example
 * ```ts
 * await scryptHasher.encode("pw", resolveHasherConfig({ djangoVersion: "4.2" }).params);
 * // "scrypt$16384$<salt>$8$1$<88 chars>"
 * ```
 */
export const scryptHasher: PasswordHasher = {
  algorithm: "scrypt",
  canMake: true,
  parse(encoded: string): ParsedHash | undefined {
    // decode: algorithm, work_factor, salt, block_size, parallelism, hash_ = encoded.split("$", 6)
    const parts = pySplit(encoded, "$", 6);
    if (parts.length !== 6 || parts[0] !== "scrypt") return undefined;
    const n = parseDecimal(parts[1]!, 2, 2 ** 30);
    const salt = parts[2]!;
    const r = parseDecimal(parts[3]!, 1, 2 ** 30);
    const p = parseDecimal(parts[4]!, 1, 2 ** 30);
    if (n === undefined || r === undefined || p === undefined || salt === "") return undefined;
    if ((n & (n - 1)) !== 0 || scryptMemory(n, r, p) > MAX_SCRYPT_MEMORY) return undefined;
    return {
      algorithm: "scrypt",
      verify: async (password) =>
        constantTimeEqual(encoded, await encodeWith(password, salt, n, r, p)),
      // must_update: work_factor, block_size or parallelism differ (no salt-length rule here).
      mustUpdate: (params) =>
        n !== params.scrypt.n || r !== params.scrypt.r || p !== params.scrypt.p,
      // harden_runtime: "too complicated to implement a sensible hardening algorithm" → no-op.
      hardenRuntime: () => Promise.resolve(),
    };
  },
  async encode(password, params, salt = makeSalt()) {
    checkSalt(salt);
    const { n, r, p } = params.scrypt;
    return encodeWith(password, salt, n, r, p);
  },
};
