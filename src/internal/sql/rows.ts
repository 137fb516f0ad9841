/**
 * Reading values out of result rows the same way whatever the driver: the user source and the
 * CLI both read Django's boolean columns through here, so they agree on what is true.
 *
 * @example
 * ```ts
 * const [row] = await database.query("SELECT is_active FROM auth_user WHERE id = 1", []);
 * sqlBoolean(row?.["is_active"]); // true or false
 * ```
 */

/**
 * A boolean column: `true` (PostgreSQL `boolean` through pg), `1` (SQLite, MySQL `tinyint(1)`),
 * `1n` (better-sqlite3 with `safeIntegers`), `"1"`, `"t"` or `"true"` (text results: pg's raw
 * text, mysql2 with `typeCast` off, a boolean cast to text). Anything else is false.
 *
 * @example
 * ```ts
 * sqlBoolean("t"); // true
 * sqlBoolean(0); // false
 * ```
 */
export function sqlBoolean(value: unknown): boolean {
  return (
    value === true ||
    value === 1 ||
    value === 1n ||
    value === "1" ||
    value === "t" ||
    value === "true"
  );
}
