/**
 * Redis key names of the Django session layouts, and the `SCAN MATCH` patterns that list them.
 *
 * @example
 * ```ts
 * djangoCacheKey("abc", { keyPrefix: "", version: 1, engine: "cache" });
 * // ":1:django.contrib.sessions.cacheabc"
 * ```
 */

/** `django.contrib.sessions.backends.cache.KEY_PREFIX` (no separator before the session key). */
export const DJANGO_CACHE_SESSION_PREFIX = "django.contrib.sessions.cache";
/** `django.contrib.sessions.backends.cached_db.KEY_PREFIX`. */
export const DJANGO_CACHED_DB_SESSION_PREFIX = "django.contrib.sessions.cached_db";

/** Which Django session engine's cache keys: `backends.cache` or `backends.cached_db`. */
export type DjangoCacheEngine = "cache" | "cached_db";

/** What makes a Django cache key. */
export interface DjangoCacheKeyParts {
  /** The cache's `KEY_PREFIX` (default `""`). */
  readonly keyPrefix: string;
  /** The cache's `VERSION` (default `1`). */
  readonly version: number;
  readonly engine: DjangoCacheEngine;
}

/**
 * The cache key of a session: `default_key_func` = `"%s:%s:%s" % (KEY_PREFIX, VERSION, key)`
 * over `"django.contrib.sessions.cache" + session_key` (django-formats.md §3.2, §3.3).
 *
 * @example
 * ```ts
 * djangoCacheKey("abc", { keyPrefix: "myapp", version: 3, engine: "cached_db" });
 * // "myapp:3:django.contrib.sessions.cached_dbabc"
 * ```
 */
export function djangoCacheKey(sessionKey: string, parts: DjangoCacheKeyParts): string {
  return `${djangoCacheKeyHead(parts)}${sessionKey}`;
}

/**
 * Everything of {@link djangoCacheKey} before the session key.
 *
 * @example
 * ```ts
 * djangoCacheKeyHead({ keyPrefix: "", version: 1, engine: "cache" }); // ":1:django.contrib.sessions.cache"
 * ```
 */
export function djangoCacheKeyHead(parts: DjangoCacheKeyParts): string {
  const sessionPrefix =
    parts.engine === "cached_db" ? DJANGO_CACHED_DB_SESSION_PREFIX : DJANGO_CACHE_SESSION_PREFIX;
  return `${parts.keyPrefix}:${parts.version}:${sessionPrefix}`;
}

/**
 * Escapes Redis glob metacharacters (`*`, `?`, `[`, `]`, `\`) so that `text` matches itself in
 * `SCAN MATCH`.
 *
 * @example
 * ```ts
 * escapeGlob("a*b"); // "a\\*b"
 * ```
 */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}

/**
 * Session keys Django generates: `get_random_string(32, ascii_lowercase + digits)`, and
 * `_validate_session_key` wants at least 8 characters (django-formats.md §4.1). Listing keeps
 * only such keys, so that a bare-key layout does not report unrelated keys of the database.
 *
 * @example
 * ```ts
 * looksLikeSessionKey("k5u2y0zq3n7b0x1c9d8e7f6g5h4j3k2l"); // true
 * ```
 */
export function looksLikeSessionKey(key: string): boolean {
  return /^[a-z0-9]{8,}$/.test(key);
}
