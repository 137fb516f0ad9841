/**
 * `Argon2PasswordHasher` (django-formats.md §7.1): argon2-cffi's PHC string with `argon2`
 * prefixed, `argon2$argon2id$v=19$m=102400,t=2,p=8$<b64 nopad(utf8 salt)>$<b64 nopad(hash16)>`.
 * Verification parses variety (argon2id/argon2i/argon2d), version and parameters from the hash,
 * as `argon2.PasswordHasher().verify` does. Computed by {@link loadArgon2Backend}.
 */
import { Buffer } from "node:buffer";
import { timingSafeEqual } from "node:crypto";
import { loadArgon2Backend, type Argon2Variant } from "./backends.ts";
import { checkSalt, parseDecimal, type ParsedHash, type PasswordHasher } from "./hasher.ts";
import { makeSalt, saltTooShort } from "./random.ts";

/** argon2-cffi `DEFAULT_HASH_LENGTH`, which Django's `params()` uses. */
const HASH_LENGTH = 16;

/** Refuse stored memory costs above 4 GiB (a corrupt row must not exhaust the machine). */
const MAX_MEMORY_KIB = 2 ** 22;

// `$v=` is optional: argon2 1.2 hashes have none (the C library then uses version 0x10, and
// argon2-cffi's extract_parameters reports 18, which makes must_update true).
const ARGON2 =
  /^argon2\$(argon2id|argon2i|argon2d)\$(?:v=([0-9]+)\$)?m=([0-9]+),t=([0-9]+),p=([0-9]+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** Base64 without its padding: Node's base64url alphabet mapped back to the standard one. */
const b64NoPad = (bytes: Uint8Array): string =>
  Buffer.from(bytes).toString("base64url").replace(/-/g, "+").replace(/_/g, "/");

/** Unpadded standard base64, accepted only when canonical (as the argon2 reference decoder). */
function decodeB64NoPad(text: string): Buffer | undefined {
  if (text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, "base64");
  return b64NoPad(bytes) === text ? bytes : undefined;
}

/**
 * `argon2` (Argon2id, t=2, m=102400 KiB, p=8, 16-byte hash).
 *
 * @example
 * ```ts
 * await argon2Hasher.encode("pw", resolveHasherConfig().params);
 * // "argon2$argon2id$v=19$m=102400,t=2,p=8$<30 chars>$<22 chars>"
 * ```
 */
export const argon2Hasher: PasswordHasher = {
  algorithm: "argon2",
  canMake: true,
  parse(encoded: string): ParsedHash | undefined {
    const m = ARGON2.exec(encoded);
    if (m === null) return undefined;
    const variant = m[1] as Argon2Variant;
    const versionText = m[2];
    const versionNumber = versionText === undefined ? 0x10 : parseDecimal(versionText, 0, 255);
    const parallelism = parseDecimal(m[5]!, 1, 0xffffff);
    const memoryCost = parseDecimal(m[3]!, 8 * (parallelism ?? 1), MAX_MEMORY_KIB);
    const timeCost = parseDecimal(m[4]!, 1, 2 ** 32 - 1);
    const salt = decodeB64NoPad(m[6]!);
    const hash = decodeB64NoPad(m[7]!);
    if (versionNumber !== 0x10 && versionNumber !== 0x13) return undefined;
    const version: 0x10 | 0x13 = versionNumber;
    if (parallelism === undefined || memoryCost === undefined || timeCost === undefined)
      return undefined;
    // Argon2 minimums: 8-byte salt, 4-byte output.
    if (salt === undefined || hash === undefined || salt.length < 8 || hash.length < 4)
      return undefined;
    return {
      algorithm: "argon2",
      async verify(password) {
        const backend = await loadArgon2Backend();
        const input = {
          variant,
          version,
          memoryCost,
          timeCost,
          parallelism,
          salt,
          hashLength: hash.length,
        };
        const computed = await backend.hashRaw(Buffer.from(password, "utf8"), input);
        // argon2_verify compares the raw outputs in constant time.
        return computed.length === hash.length && timingSafeEqual(computed, hash);
      },
      // must_update: extract_parameters(hash) != params() (type ID, version 19, hash_len 16,
      // t/m/p; salt_len copied from the hash) or must_update_salt(latin1-decoded salt).
      mustUpdate(params) {
        const reportedVersion = versionText === undefined ? 18 : version;
        return (
          variant !== "argon2id" ||
          reportedVersion !== 0x13 ||
          hash.length !== HASH_LENGTH ||
          timeCost !== params.argon2.timeCost ||
          memoryCost !== params.argon2.memoryCost ||
          parallelism !== params.argon2.parallelism ||
          saltTooShort(salt.length)
        );
      },
      // harden_runtime: "The runtime for Argon2 is too complicated" → no-op.
      hardenRuntime: () => Promise.resolve(),
    };
  },
  async encode(password, params, salt = makeSalt()) {
    checkSalt(salt);
    const backend = await loadArgon2Backend();
    const saltBytes = Buffer.from(salt, "utf8");
    const { timeCost, memoryCost, parallelism } = params.argon2;
    // argon2.low_level.hash_secret(utf8(pw), utf8(salt), t, m, p, hash_len=16, type=ID)
    const raw = await backend.hashRaw(Buffer.from(password, "utf8"), {
      variant: "argon2id",
      version: 0x13,
      memoryCost,
      timeCost,
      parallelism,
      salt: saltBytes,
      hashLength: HASH_LENGTH,
    });
    return `argon2$argon2id$v=19$m=${memoryCost},t=${timeCost},p=${parallelism}$${b64NoPad(saltBytes)}$${b64NoPad(raw)}`;
  },
};
