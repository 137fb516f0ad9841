/**
 * Werkzeug's `http_date` / `parse_date` as Flask's `" d"` tag uses them
 * (flask-starlette-formats.md §2.2): `Tue, 02 Jan 2024 03:04:05 GMT`, always UTC, no
 * microseconds. Reading returns an *aware* datetime (UTC unless the text names another offset).
 */
import { PyDate, PyDateTime } from "../python-values.ts";
import { UnsupportedValueError } from "../../errors.ts";

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
const MONTHS = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
] as const;

const pad = (n: number, width: number): string => String(n).padStart(width, "0");

/**
 * `werkzeug.http.http_date(value)`: a naive datetime is taken as UTC, an aware one is converted
 * to UTC, a `date` is midnight UTC; formatted by `email.utils.format_datetime(usegmt=True)`
 * (`%04d` year), microseconds dropped.
 *
 * @example
 * ```ts
 * httpDate(new PyDateTime(2024, 1, 2, 3, 4, 5, 678901)); // "Tue, 02 Jan 2024 03:04:05 GMT"
 * ```
 */
export function httpDate(value: PyDateTime | PyDate): string {
  const d = new Date(0);
  d.setUTCFullYear(value.year, value.month - 1, value.day);
  if (value instanceof PyDateTime) {
    d.setUTCHours(value.hour, value.minute, value.second - (value.utcOffsetSeconds ?? 0), 0);
  }
  const year = d.getUTCFullYear();
  if (year < 1 || year > 9999) throw new UnsupportedValueError("date value out of range");
  return (
    `${DAYS[d.getUTCDay()]!}, ${pad(d.getUTCDate(), 2)} ${MONTHS[d.getUTCMonth()]!} ` +
    `${pad(year, 4)} ${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:` +
    `${pad(d.getUTCSeconds(), 2)} GMT`
  );
}

/** `email.utils._timezones`, in hours*100+minutes as Python keeps them. */
const ZONES: Readonly<Record<string, number>> = {
  UT: 0,
  UTC: 0,
  GMT: 0,
  Z: 0,
  AST: -400,
  ADT: -300,
  EST: -500,
  EDT: -400,
  CST: -600,
  CDT: -500,
  MST: -700,
  MDT: -600,
  PST: -800,
  PDT: -700,
};

const RFC2822 =
  /^\s*(?:(?:mon|tue|wed|thu|fri|sat|sun),?\s+)?(\d{1,2})\s+([a-z]{3})\s+(\d{2,4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s+([a-z]{1,3}|[+-]\d{4})\s*$/i;

/**
 * `werkzeug.http.parse_date(value)` for the RFC 2822 dates `http_date` writes (day name
 * optional, two-digit years mapped like Python: 69–99 → 19xx, 0–68 → 20xx, zone GMT/UT/UTC/Z,
 * the US zone names or `±hhmm`; `-0000` and unknown names mean UTC). Returns an aware {@link PyDateTime}
 * (offset `0` for GMT), or `null` where Werkzeug returns `None`. Python's parser is looser
 * than this; Flask itself only ever writes the canonical form.
 *
 * @example
 * ```ts
 * parseHttpDate("Tue, 02 Jan 2024 03:04:05 GMT"); // PyDateTime(2024, 1, 2, 3, 4, 5, 0, 0)
 * ```
 */
export function parseHttpDate(text: string): PyDateTime | null {
  const m = RFC2822.exec(text);
  if (!m) return null;
  const [, dd, mon, yy, hh, mi, ss, zone] = m;
  const month = MONTHS.findIndex((name) => name.toLowerCase() === mon!.toLowerCase()) + 1;
  if (month === 0) return null;
  let year = Number(yy);
  // email.utils._parsedate_tz: two-digit (or small) years.
  if (year < 100) year += year > 68 ? 1900 : 2000;
  let offset: number;
  if (zone!.startsWith("+") || zone!.startsWith("-")) {
    const sign = zone!.startsWith("-") ? -1 : 1;
    offset = sign * (Number(zone!.slice(1, 3)) * 3600 + Number(zone!.slice(3, 5)) * 60);
  } else {
    // An unknown zone name leaves the datetime naive, which Werkzeug then takes as UTC.
    const z = ZONES[zone!.toUpperCase()] ?? 0;
    offset = Math.trunc(z / 100) * 3600 + (z % 100) * 60;
  }
  offset ||= 0; // `-0000` is a naive datetime in Python, i.e. UTC for Werkzeug
  const day = Number(dd);
  const hour = Number(hh);
  const minute = Number(mi);
  const second = ss === undefined ? 0 : Number(ss);
  // `datetime(...)` validates the fields; parse_date turns that ValueError into None.
  if (day < 1 || !validDay(year, month, day)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  return new PyDateTime(year, month, day, hour, minute, second, 0, offset);
}

function validDay(year: number, month: number, day: number): boolean {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return year >= 1 && year <= 9999 && day <= lengths[month - 1]!;
}
