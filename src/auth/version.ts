/**
 * Ordering of the Django releases the auth rules depend on.
 */
import type { HasherDjangoVersion } from "./hashers/index.ts";

const ORDER: readonly HasherDjangoVersion[] = ["3.2", "4.0", "4.1", "4.2", "5.0", "5.1", "5.2"];

/**
 * Whether `version` is `since` or later.
 *
 * @example
 * ```ts
 * djangoAtLeastFor("4.2", "4.0"); // true
 * ```
 */
export function djangoAtLeastFor(
  version: HasherDjangoVersion,
  since: HasherDjangoVersion,
): boolean {
  return ORDER.indexOf(version) >= ORDER.indexOf(since);
}
