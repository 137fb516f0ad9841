/**
 * The `SameSite` cookie attribute, spelled one way in every option of the library: title case,
 * as Django's settings, Werkzeug's Set-Cookie text and the cookie specification write it.
 */

/**
 * `SameSite` attribute; `false` omits it (Django `SESSION_COOKIE_SAMESITE = None`). Every
 * `sameSite`/`cookieSameSite` option takes this spelling; Flask's and Starlette's policies also
 * accept the lowercase values their Python configuration uses.
 *
 * @example
 * ```ts
 * import type { SameSite } from "sessionbridge";
 * const sameSite: SameSite = "Lax";
 * ```
 */
export type SameSite = "Lax" | "Strict" | "None" | false;

/** A SameSite value as the `cookie` package's `serialize` takes it (lowercase; none when off). */
export function serializeSameSite(value: SameSite): { sameSite?: "lax" | "strict" | "none" } {
  return value === false ? {} : { sameSite: value.toLowerCase() as "lax" | "strict" | "none" };
}
