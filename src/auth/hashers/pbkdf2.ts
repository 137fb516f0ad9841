/**
 * `PBKDF2PasswordHasher` / `PBKDF2SHA1PasswordHasher` (django-formats.md §7.1):
 * `<algorithm>$<iterations>$<salt>$<b64std(PBKDF2-HMAC(utf8(pw), utf8(salt), iterations))>`,
 * dklen = digest size (32 / 20). Runs on the libuv threadpool via async `crypto.pbkdf2`.
 */
import { Buffer } from "node:buffer";
import { pbkdf2 } from "node:crypto";
import { promisify } from "node:util";
import { constantTimeEqual } from "./compare.ts";
import {
  checkSalt,
  parseDecimal,
  pySplit,
  type ParsedHash,
  type PasswordHasher,
} from "./hasher.ts";
import { pyLen } from "./identify.ts";
import { makeSalt, saltTooShort } from "./random.ts";
import type { HasherParams } from "./types.ts";

const pbkdf2Async = promisify(pbkdf2);

/** Node's pbkdf2 takes a signed 32-bit iteration count. */
const MAX_ITERATIONS = 2 ** 31 - 1;

function makePbkdf2Hasher(
  algorithm: "pbkdf2_sha256" | "pbkdf2_sha1",
  digest: "sha256" | "sha1",
  dklen: number,
): PasswordHasher {
  // PBKDF2PasswordHasher.encode: "%s$%d$%s$%s" % (algorithm, iterations, salt, b64encode(hash)).
  const encodeWith = async (
    password: string,
    salt: string,
    iterations: number,
  ): Promise<string> => {
    const dk = await pbkdf2Async(
      Buffer.from(password, "utf8"),
      Buffer.from(salt, "utf8"),
      iterations,
      dklen,
      digest,
    );
    return `${algorithm}$${iterations}$${salt}$${dk.toString("base64")}`;
  };
  return {
    algorithm,
    canMake: true,
    parse(encoded: string): ParsedHash | undefined {
      // decode: algorithm, iterations, salt, hash = encoded.split("$", 3)
      const parts = pySplit(encoded, "$", 3);
      if (parts.length !== 4 || parts[0] !== algorithm) return undefined;
      const iterations = parseDecimal(parts[1]!, 1, MAX_ITERATIONS);
      const salt = parts[2]!;
      if (iterations === undefined || salt === "") return undefined;
      return {
        algorithm,
        // verify: re-encode with the stored salt and iterations, constant_time_compare the strings.
        verify: async (password) =>
          constantTimeEqual(encoded, await encodeWith(password, salt, iterations)),
        // must_update: iterations != self.iterations or must_update_salt(salt, 128).
        mustUpdate: (params: HasherParams) =>
          iterations !== params.pbkdf2Iterations || saltTooShort(pyLen(salt)),
        // harden_runtime: run the (default - stored) missing iterations.
        async hardenRuntime(password, params) {
          const extra = params.pbkdf2Iterations - iterations;
          if (extra > 0) await encodeWith(password, salt, extra);
        },
      };
    },
    async encode(password, params, salt = makeSalt()) {
      checkSalt(salt);
      return encodeWith(password, salt, params.pbkdf2Iterations);
    },
  };
}

/**
 * `pbkdf2_sha256` (Django's default hasher).
 *
 * @example
 * ```ts
 * await pbkdf2Sha256Hasher.encode("pw", resolveHasherConfig().params); // "pbkdf2_sha256$1000000$…"
 * ```
 */
export const pbkdf2Sha256Hasher: PasswordHasher = makePbkdf2Hasher("pbkdf2_sha256", "sha256", 32);

/**
 * `pbkdf2_sha1`; shares `pbkdf2_sha256`'s iteration count (it inherits the attribute).
 *
 * @example
 * ```ts
 * pbkdf2Sha1Hasher.parse("pbkdf2_sha1$260000$salt$hash")?.algorithm; // "pbkdf2_sha1"
 * ```
 */
export const pbkdf2Sha1Hasher: PasswordHasher = makePbkdf2Hasher("pbkdf2_sha1", "sha1", 20);
