/**
 * `check_password` / `verify_password` and `must_update` (django-formats.md §7.3):
 *
 * ```
 * fake = password is None or not is_password_usable(encoded); identify_hasher (ValueError -> fake)
 * if fake: make_password(random 40 chars); return False
 * hasher_changed = hasher.algorithm != preferred.algorithm
 * must_update = hasher_changed or preferred.must_update(encoded)
 * ok = hasher.verify(password, encoded)
 * if not ok and not hasher_changed and must_update: hasher.harden_runtime(password, encoded)
 * ```
 * A malformed stored hash is reported (`reason: "malformed-hash"`) instead of raising, since it
 * concerns one user's row, not the application; it also gets the fake work so that it is not
 * distinguishable by timing.
 */
import { isSessionBridgeError } from "../../errors.ts";
import { resolveHasherConfig, type ResolvedHasherConfig } from "./defaults.ts";
import type { ParsedHash } from "./hasher.ts";
import { getHasher, hasherForConfig } from "./registry.ts";
import { getRandomString, isPasswordUsable, UNUSABLE_PASSWORD_SUFFIX_LENGTH } from "./random.ts";
import type { CheckPasswordFailure, CheckPasswordResult, PasswordHasherOptions } from "./types.ts";

type Lookup =
  | { readonly parsed: ParsedHash; readonly reason?: undefined }
  | {
      readonly parsed?: undefined;
      readonly reason: Exclude<CheckPasswordFailure, "mismatch" | "missing-password">;
    };

function lookup(encoded: string | null | undefined, config: ResolvedHasherConfig): Lookup {
  if (encoded === null || encoded === undefined || encoded === "")
    return { reason: "missing-hash" };
  if (!isPasswordUsable(encoded)) return { reason: "unusable" };
  const hasher = hasherForConfig(encoded, config);
  if (hasher === undefined) return { reason: "unknown-algorithm" };
  const parsed = hasher.parse(encoded);
  return parsed === undefined ? { reason: "malformed-hash" } : { parsed };
}

/** Django's fake runtime: hash a random 40-char password with the preferred hasher. */
async function fakeWork(config: ResolvedHasherConfig): Promise<void> {
  await getHasher(config.preferred).encode(
    getRandomString(UNUSABLE_PASSWORD_SUFFIX_LENGTH),
    config.params,
  );
}

const failure = (reason: CheckPasswordFailure): CheckPasswordResult => ({
  ok: false,
  mustUpdate: false,
  reason,
});

/**
 * Checks `password` against a stored Django hash, like `django.contrib.auth.hashers.check_password`
 * (and `User.check_password`, whose setter rehashes when `ok && mustUpdate`).
 *
 * Never rejects because of the stored hash: a malformed, unknown or unusable value resolves
 * `{ ok: false, reason }`. Rejects only for configuration problems ({@link ConfigurationError}:
 * bad options, or `@node-rs/argon2` / `@node-rs/bcrypt` missing for a hash that needs them).
 *
 * @example
 * ```ts
 * const r = await checkPassword(input, user.password, { djangoVersion: "4.2" });
 * if (r.ok && r.mustUpdate) user.password = await makePassword(input, { djangoVersion: "4.2" });
 * if (!r.ok) console.debug(r.reason); // "mismatch" | "unusable" | "malformed-hash" | …
 * ```
 */
export async function checkPassword(
  password: string | null | undefined,
  encoded: string | null | undefined,
  options: PasswordHasherOptions = {},
): Promise<CheckPasswordResult> {
  const config = resolveHasherConfig(options);
  const found = lookup(encoded, config);
  if (found.parsed === undefined || password === null || password === undefined) {
    await fakeWork(config);
    return failure(found.reason ?? "missing-password");
  }
  const { parsed } = found;
  const hasherChanged = parsed.algorithm !== config.preferred;
  // preferred.must_update(encoded) is only reached when the preferred hasher parsed it.
  const mustUpdate = hasherChanged || parsed.mustUpdate(config.params);
  let ok: boolean;
  try {
    ok = await parsed.verify(password);
  } catch (err) {
    if (isSessionBridgeError(err)) throw err; // missing optional package: a deployment error
    // The backend refused the stored parameters (e.g. out-of-range costs): a bad row.
    return failure("malformed-hash");
  }
  if (!ok) {
    if (!hasherChanged && mustUpdate) await parsed.hardenRuntime(password, config.params);
    return failure("mismatch");
  }
  return { ok: true, mustUpdate, algorithm: parsed.algorithm };
}

/**
 * Whether a stored hash should be replaced: its algorithm is not the preferred one, or the
 * preferred hasher's `must_update` says so (pbkdf2 iterations or salt < 22 chars, argon2
 * variety/version/params/salt, bcrypt rounds, scrypt n/r/p, md5/sha1 salt). False for values
 * that cannot be checked at all (unusable, unknown algorithm, malformed): there is nothing to
 * rehash without a successful check.
 *
 * @example
 * ```ts
 * mustUpdate("pbkdf2_sha256$260000$…", { djangoVersion: "4.2" }); // true: 4.2 uses 600000
 * ```
 */
export function mustUpdate(
  encoded: string | null | undefined,
  options: PasswordHasherOptions = {},
): boolean {
  const config = resolveHasherConfig(options);
  const found = lookup(encoded, config);
  if (found.parsed === undefined) return false;
  return found.parsed.algorithm !== config.preferred || found.parsed.mustUpdate(config.params);
}
