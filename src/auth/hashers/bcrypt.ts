/**
 * `BCryptSHA256PasswordHasher` and `BCryptPasswordHasher` (django-formats.md §7.1):
 * `bcrypt_sha256$$2b$12$<22 salt><31 hash>` (note `$$`: the algorithm, then bcrypt's own `$2b$`)
 * and `bcrypt$$2b$12$…`. `bcrypt_sha256` feeds bcrypt the **lowercase hex** SHA-256 of the UTF-8
 * password (64 ASCII bytes); `bcrypt` feeds the raw UTF-8 password, truncated to 72 bytes.
 * Computed by {@link loadBcryptBackend}.
 */
import { Buffer } from "node:buffer";
import { createHash, randomBytes } from "node:crypto";
import { loadBcryptBackend } from "./backends.ts";
import { constantTimeEqual } from "./compare.ts";
import type { ParsedHash, PasswordHasher } from "./hasher.ts";
import { InvalidArgumentError } from "../../errors.ts";

const BCRYPT_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** OpenBSD `encode_base64` (bcrypt's own alphabet, no padding). */
function bcryptBase64(data: Uint8Array): string {
  let out = "";
  for (let i = 0; i < data.length; i += 3) {
    const b0 = data[i]!;
    out += BCRYPT_ALPHABET[b0 >> 2]!;
    let c = (b0 & 0x03) << 4;
    if (i + 1 >= data.length) {
      out += BCRYPT_ALPHABET[c]!;
      break;
    }
    const b1 = data[i + 1]!;
    out += BCRYPT_ALPHABET[c | (b1 >> 4)]!;
    c = (b1 & 0x0f) << 2;
    if (i + 2 >= data.length) {
      out += BCRYPT_ALPHABET[c]!;
      break;
    }
    const b2 = data[i + 2]!;
    out += BCRYPT_ALPHABET[c | (b2 >> 6)]! + BCRYPT_ALPHABET[b2 & 0x3f]!;
  }
  return out;
}

/**
 * `bcrypt.gensalt(rounds)`: `$2b$<2-digit rounds>$` + 16 CSPRNG bytes in bcrypt base64.
 *
 * @example
 * ```ts
 * bcryptSalt(12); // "$2b$12$…" (29 chars)
 * ```
 */
export function bcryptSalt(rounds: number): string {
  return `$2b$${String(rounds).padStart(2, "0")}$${bcryptBase64(randomBytes(16))}`;
}

// `$2a$`, `$2b$` and `$2y$` are what pyca/bcrypt's hashpw accepts; 22 salt + 31 hash chars.
const BCRYPT_DATA = /^\$(2a|2b|2y)\$([0-9]{2})\$[./A-Za-z0-9]{53}$/;
const BCRYPT_SALT = /^\$(2a|2b|2y)\$([0-9]{2})\$[./A-Za-z0-9]{22}$/;

function makeBcryptHasher(algorithm: "bcrypt_sha256" | "bcrypt"): PasswordHasher {
  const passwordBytes = (password: string): Buffer => {
    const utf8 = Buffer.from(password, "utf8");
    // BCryptSHA256PasswordHasher: binascii.hexlify(hashlib.sha256(password).digest()).
    return algorithm === "bcrypt_sha256"
      ? Buffer.from(createHash("sha256").update(utf8).digest("hex"), "latin1")
      : utf8;
  };
  // encode: "%s$%s" % (algorithm, bcrypt.hashpw(password, salt))
  const encodeWith = async (password: Buffer, salt: string): Promise<string | undefined> => {
    const backend = await loadBcryptBackend();
    try {
      return `${algorithm}$${await backend.hash(password, salt)}`;
    } catch {
      // A salt the backend refuses (non-canonical trailing bits) can never round-trip through
      // OpenBSD bcrypt's re-encoding either, so Django's comparison would fail too.
      return undefined;
    }
  };
  return {
    algorithm,
    canMake: true,
    parse(encoded: string): ParsedHash | undefined {
      // verify: algorithm, data = encoded.split("$", 1); hashpw(password, data) compared whole.
      const prefix = `${algorithm}$`;
      if (!encoded.startsWith(prefix)) return undefined;
      const data = encoded.slice(prefix.length);
      const m = BCRYPT_DATA.exec(data);
      if (m === null) return undefined;
      const rounds = Number(m[2]);
      if (rounds < 4 || rounds > 31) return undefined;
      const salt = data.slice(0, 29); // harden_runtime: salt = data[:29]
      return {
        algorithm,
        async verify(password) {
          const bytes = passwordBytes(password);
          // pyca/bcrypt refuses NUL bytes, so no stored hash can match such a password.
          if (bytes.includes(0)) return false;
          const computed = await encodeWith(bytes, salt);
          return computed !== undefined && constantTimeEqual(encoded, computed);
        },
        // must_update: work_factor != self.rounds.
        mustUpdate: (params) => rounds !== params.bcryptRounds,
        // harden_runtime: 2 ** (self.rounds - stored) - 1 extra hashes with the stored salt.
        async hardenRuntime(password, params) {
          const bytes = passwordBytes(password);
          if (bytes.includes(0)) return;
          for (let diff = 2 ** (params.bcryptRounds - rounds) - 1; diff > 0; diff--) {
            await encodeWith(bytes, salt);
          }
        },
      };
    },
    async encode(password, params, salt = bcryptSalt(params.bcryptRounds)) {
      if (!BCRYPT_SALT.test(salt))
        throw new InvalidArgumentError("bcrypt salt must look like $2b$12$<22 chars>");
      const bytes = passwordBytes(password);
      // bcrypt.hashpw raises ValueError("password may not contain NUL bytes").
      if (bytes.includes(0))
        throw new InvalidArgumentError("bcrypt passwords may not contain NUL bytes");
      const encoded = await encodeWith(bytes, salt);
      if (encoded === undefined) throw new InvalidArgumentError("bcrypt salt is not canonical");
      return encoded;
    },
  };
}

/**
 * `bcrypt_sha256` (SHA-256 hex pre-hash, so no 72-byte truncation).
 *
 * @example
 * ```ts
 * await bcryptSha256Hasher.encode("pw", resolveHasherConfig().params); // "bcrypt_sha256$$2b$12$…"
 * ```
 */
export const bcryptSha256Hasher: PasswordHasher = makeBcryptHasher("bcrypt_sha256");

/**
 * `bcrypt` (raw password, truncated to 72 bytes by bcrypt).
 *
 * @example
 * ```ts
 * await bcryptHasher.encode("pw", resolveHasherConfig({ hashers: ["bcrypt"] }).params); // "bcrypt$$2b$12$…"
 * ```
 */
export const bcryptHasher: PasswordHasher = makeBcryptHasher("bcrypt");
