/**
 * `identify_hasher(encoded)` (django-formats.md §7.1), returning the algorithm name Django
 * would look up in `PASSWORD_HASHERS`.
 */

/**
 * Python's `len(str)`: code points, not UTF-16 units.
 *
 * @example
 * ```ts
 * pyLen("🔑"); // 1 (JavaScript's length is 2)
 * ```
 */
export function pyLen(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const hi = s.charCodeAt(i);
    const lo = s.charCodeAt(i + 1);
    if (hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) {
      n--; // a surrogate pair is one code point
      i++;
    }
  }
  return n;
}

/**
 * The hasher name Django derives from an encoded password:
 * - length 32 without `$`, or length 37 starting `md5$$` → `unsalted_md5`;
 * - length 46 starting `sha1$$` → `unsalted_sha1`;
 * - otherwise the text before the first `$` (the whole string when there is none).
 *
 * The name may be one Django does not know (`"crypt"`, `"foo"`, `""`); see `hasherFor` for the
 * configured, supported algorithm.
 *
 * @example
 * ```ts
 * identifyHasher("md5$$5f4dcc3b5aa765d61d8327deb882cf99"); // "unsalted_md5"
 * identifyHasher("pbkdf2_sha256$1000000$salt$hash"); // "pbkdf2_sha256"
 * ```
 */
export function identifyHasher(encoded: string): string {
  const len = pyLen(encoded);
  if ((len === 32 && !encoded.includes("$")) || (len === 37 && encoded.startsWith("md5$$"))) {
    return "unsalted_md5";
  }
  if (len === 46 && encoded.startsWith("sha1$$")) return "unsalted_sha1";
  const at = encoded.indexOf("$");
  return at < 0 ? encoded : encoded.slice(0, at);
}
