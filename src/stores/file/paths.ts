/**
 * Session file names as Django's `backends.file` builds them (django-formats.md §3.4):
 * `SESSION_FILE_PATH / (SESSION_COOKIE_NAME + session_key)`, with the key restricted to
 * `[a-z0-9]` so that no key can name a path outside the directory (Django's `_key_to_file`
 * raises `InvalidSessionKey` for anything else; here such a key simply has no file).
 *
 * @example
 * ```ts
 * sessionFileName("sessionid", "k5u2y0zq3n7b0x1c9d8e7f6g5h4j3k2l"); // "sessionidk5u2y0zq3n7b0x1c9d8e7f6g5h4j3k2l"
 * sessionFileName("sessionid", "../../etc/passwd"); // null
 * ```
 */
import { randomBytes } from "node:crypto";
import { ConfigurationError } from "../../errors.ts";

/** Django's `VALID_KEY_CHARS` (lowercase ASCII letters and digits), at least 8 of them. */
const FILE_KEY = /^[a-z0-9]{8,}$/;

/**
 * The file name of a session, or `null` when the key cannot have a file: characters outside
 * `[a-z0-9]` (path traversal) or shorter than 8 (Django: not a session key at all).
 *
 * @example
 * ```ts
 * sessionFileName("sessionid", "ABC"); // null
 * ```
 */
export function sessionFileName(prefix: string, key: string): string | null {
  return FILE_KEY.test(key) ? `${prefix}${key}` : null;
}

/**
 * The key a directory entry holds, or `null` when it is not a session file of this prefix
 * (another cookie name, a `<name>_out_…` temporary file, a short or odd name).
 *
 * @example
 * ```ts
 * sessionKeyOfFile("sessionid", "sessionidk5u2y0zq3n7b0x1c9d8e7f6g5h4j3k2l_out_x1y2z3a4"); // null
 * ```
 */
export function sessionKeyOfFile(prefix: string, fileName: string): string | null {
  if (!fileName.startsWith(prefix)) return null;
  const key = fileName.slice(prefix.length);
  return FILE_KEY.test(key) ? key : null;
}

const TEMP_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_";

/**
 * A temporary file name next to the session file, shaped like Python's
 * `tempfile.mkstemp(prefix=<name> + "_out_")`: 8 random characters from `[a-z0-9_]`.
 *
 * @example
 * ```ts
 * tempFileName("sessionidk5u2y0zq3n7b0x1c9d8e7f6g5h4j3k2l"); // "sessionidk5u2…_out_q0v_3kd9"
 * ```
 */
export function tempFileName(fileName: string): string {
  let suffix = "";
  for (const byte of randomBytes(8)) suffix += TEMP_CHARS[byte % TEMP_CHARS.length]!;
  return `${fileName}_out_${suffix}`;
}

/**
 * Checks that a cookie name can be a file-name prefix: not empty, no path separator, no NUL,
 * not `.` or `..`.
 * @throws {ConfigurationError}
 * @example
 * ```ts
 * checkFilePrefix("sessionid"); // "sessionid"
 * ```
 */
export function checkFilePrefix(cookieName: string): string {
  if (
    cookieName === "" ||
    cookieName === "." ||
    cookieName === ".." ||
    /[/\\\0]/.test(cookieName)
  ) {
    throw new ConfigurationError("The session cookie name cannot be used as a session file prefix");
  }
  return cookieName;
}

/**
 * A key shortened for messages and logs: never the full key (it is a credential).
 *
 * @example
 * ```ts
 * redactKey("k5u2y0zq3n7b0x1c9d8e7f6g5h4j3k2l"); // "k5u2…"
 * ```
 */
export function redactKey(key: string): string {
  return `${key.slice(0, 4)}…`;
}
