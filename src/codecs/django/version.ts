/**
 * The Django releases whose session behaviour sessionbridge reproduces. It sits with the codecs,
 * the lowest layer, because every layer above names it: stores (the `cached_db` cache-error
 * default, the `signed_cookies` expiry rule), the engine's settings and the presets.
 *
 * @example
 * ```ts
 * import type { DjangoVersion } from "sessionbridge";
 * const version: DjangoVersion = "4.2";
 * ```
 */
export type DjangoVersion = "3.2" | "4.2" | "5.2" | "6.0" | "6.1";

/**
 * Every {@link DjangoVersion}, oldest first: what a `djangoVersion` option accepts.
 *
 * @example
 * ```ts
 * DJANGO_VERSIONS.includes("4.2"); // true
 * ```
 */
export const DJANGO_VERSIONS: readonly DjangoVersion[] = ["3.2", "4.2", "5.2", "6.0", "6.1"];
