/**
 * Helpers every store uses to turn a driver or client error into a typed store error without
 * leaking secrets: the error's string code, and redaction of passwords and secrets in text.
 * @internal
 */

/**
 * Blanks the given secrets and the password part of any URL in `text`.
 *
 * @example
 * ```ts
 * redact("postgres://u:pw@h/db", []); // "postgres://u:***@h/db"
 * ```
 */
export function redact(text: string, secrets: readonly string[]): string {
  // RFC 3986 §3.2.1 userinfo "user:password@": keep the user, hide the password.
  let out = text.replace(/(\/\/[^/\s:@]*:)[^@\s]*@/g, "$1***@");
  for (const secret of secrets) {
    // Short secrets would blank unrelated words; they are not worth hiding from the message.
    if (secret.length >= 3) out = out.split(secret).join("***");
  }
  return out;
}

/**
 * The driver's string error code (`ECONNREFUSED`, `23505`, `ER_DUP_ENTRY`…), if any.
 *
 * @example
 * ```ts
 * errorCode(Object.assign(new Error("refused"), { code: "ECONNREFUSED" })); // "ECONNREFUSED"
 * ```
 */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  const code = error.code;
  return typeof code === "string" ? code : typeof code === "number" ? String(code) : undefined;
}
