/**
 * `expire_date` as Django writes it with `USE_TZ=True` (django-formats.md §3.1, §9.11).
 *
 * SQLite and MySQL hold a naive UTC datetime; SQLite keeps it as text and compares it as text,
 * so the exact shape matters: `YYYY-MM-DD HH:MM:SS`, a space, no offset, and `.ffffff` only
 * when the fraction is non-zero (Python's `str(datetime)`). PostgreSQL holds a `timestamptz`,
 * so its parameter carries an explicit `+00:00` and the session `TimeZone` cannot shift it.
 * Reads go through {@link naiveUtcTextSql}, so that no driver option applies on the way back.
 *
 * @example
 * ```ts
 * formatNaiveUtc(new Date(1701209600123)); // "2023-11-28 22:13:20.123000"
 * ```
 */
import type { SqlDialect } from "./database.ts";
import { InvalidArgumentError, MalformedError } from "../../errors.ts";

/**
 * Python's `str(datetime)` of the UTC instant: `YYYY-MM-DD HH:MM:SS[.ffffff]`.
 * JS dates have milliseconds, written as microseconds (`ms × 1000`) when non-zero.
 *
 * @example
 * ```ts
 * formatNaiveUtc(new Date(1701209600000)); // "2023-11-28 22:13:20"
 * ```
 */
export function formatNaiveUtc(date: Date): string {
  const time = date.getTime();
  if (!Number.isFinite(time)) throw new InvalidArgumentError("expire_date must be a valid Date");
  const year = date.getUTCFullYear();
  if (year < 1 || year > 9999)
    throw new InvalidArgumentError("expire_date is outside years 1 to 9999");
  const base =
    `${pad(year, 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)} ` +
    `${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}`;
  const ms = date.getUTCMilliseconds();
  return ms === 0 ? base : `${base}.${pad(ms * 1000, 6)}`;
}

/**
 * The bound parameter for `expire_date` in a dialect: naive UTC text for SQLite and MySQL
 * (formatted here rather than by the driver, so neither the connection's nor the server's time
 * zone can shift it), and the same text with `+00:00` for PostgreSQL's `timestamptz`.
 *
 * @example
 * ```ts
 * expireDateParam("postgres", new Date(0)); // "1970-01-01 00:00:00+00:00"
 * ```
 */
export function expireDateParam(dialect: SqlDialect, date: Date): string {
  const text = formatNaiveUtc(date);
  return dialect === "postgres" ? `${text}+00:00` : text;
}

/**
 * SQL that reads a datetime column back as naive UTC text (`YYYY-MM-DD HH:MM:SS.ffffff`), for
 * {@link parseExpireDate}.
 *
 * Reading the column as is would hand the conversion to the driver and its configuration,
 * which a pool the caller made may set any way: mysql2 turns a MySQL `DATETIME` into a `Date`
 * in its `timezone` option (default `"local"`, the process's zone), but Django with
 * `USE_TZ=True` stores naive UTC there, so such a pool shifts every date by the process's UTC
 * offset (and `dateStrings` returns text instead). `DATE_FORMAT` does no zone conversion on a
 * `DATETIME`. On PostgreSQL, `AT TIME ZONE 'UTC'` turns the `timestamptz` into UTC whatever the
 * session `TimeZone` is, and the text does not depend on pg's type parsers either. SQLite holds
 * Django's text already.
 *
 * @param column the quoted column name.
 *
 * @example
 * ```ts
 * naiveUtcTextSql("mysql", "`last_login`"); // "DATE_FORMAT(`last_login`, '%Y-%m-%d %H:%i:%s.%f')"
 * ```
 */
export function naiveUtcTextSql(dialect: SqlDialect, column: string): string {
  switch (dialect) {
    case "postgres":
      return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')`;
    case "mysql":
      return `DATE_FORMAT(${column}, '%Y-%m-%d %H:%i:%s.%f')`;
    case "sqlite":
      return column;
  }
}

const DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d{2}):?(\d{2}))?$/;

/**
 * Reads an `expire_date` back: naive text is UTC (what Django writes with `USE_TZ=True`), an
 * explicit offset is honoured, a `Date` from a driver is taken as is. Sub-millisecond digits
 * are truncated.
 *
 * @example
 * ```ts
 * parseExpireDate("2023-11-28 22:13:20.123456").getTime(); // 1701209600123
 * ```
 */
export function parseExpireDate(value: unknown): Date {
  if (value instanceof Date) return new Date(value.getTime());
  if (typeof value !== "string") throw new MalformedError("expire_date is not a date or text");
  const m = DATETIME.exec(value.trim());
  if (!m) throw new MalformedError("expire_date has an unknown format");
  const [, y, mo, d, h, mi, s, frac, , sign, oh, om] = m;
  const ms = Number((frac ?? "").padEnd(3, "0").slice(0, 3));
  let time = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  // Date.UTC maps years 0–99 to 1900–1999; Django's years start at 1.
  if (Number(y) < 100) {
    const fixed = new Date(time);
    fixed.setUTCFullYear(Number(y));
    time = fixed.getTime();
  }
  if (sign !== undefined) {
    const offset = (Number(oh) * 60 + Number(om)) * 60_000;
    time -= sign === "+" ? offset : -offset;
  }
  return new Date(time);
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, "0");
}
