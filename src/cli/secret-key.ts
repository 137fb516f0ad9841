/**
 * Django-style secret keys: 50 characters from the alphabet of Django's
 * `get_random_secret_key()`, drawn with a CSPRNG.
 */
import { randomInt } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";

const SECRET_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)";

/** A new 50-character secret key, as Django's `get_random_secret_key()` makes. */
export function generateSecretKey(): string {
  let key = "";
  for (let i = 0; i < 50; i++) key += SECRET_CHARS[randomInt(SECRET_CHARS.length)]!;
  return key;
}

/**
 * Reads the secret kept in `path`, or makes one, writes it there readable by the owner only,
 * and reports that it did (so the caller can warn).
 */
export function loadOrCreateSecretFile(path: string): { secret: string; created: boolean } {
  if (existsSync(path)) {
    const secret = readFileSync(path, "utf8").trim();
    if (secret.length > 0) return { secret, created: false };
  }
  const secret = generateSecretKey();
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { secret, created: true };
}
