/**
 * When a session file expires, exactly as Django's `backends.file` decides it on load and in
 * `clear_expired` (django-formats.md §3.4, §4.4):
 *
 * ```python
 * expiry = session_data.get("_session_expiry") or (mtime + timedelta(seconds=SESSION_COOKIE_AGE))
 * expired = self.get_expiry_age(expiry=expiry) <= 0
 * ```
 *
 * so: no `_session_expiry` or `0` (browser-close) → file mtime + cookie age; a datetime or its
 * ISO string (4.x+) → that instant; an integer → `get_expiry_age` returns it unchanged, so a
 * positive integer never expires a file (Django's behaviour; `"from-mtime"` counts it from the
 * file's mtime instead, which is stricter than Django). Ages are floored to whole seconds as
 * `delta.days * 86400 + delta.seconds` does.
 *
 * @example
 * ```ts
 * fileExpiryAge(new Map(), { mtimeMs: Date.now(), nowMs: Date.now(), cookieAge: 1209600 }); // 1209600
 * ```
 */
import { PyDateTime, type PyValue, type SessionData } from "../../codecs/python-values.ts";
import { parseIsoDateTime } from "../../codecs/typed-json.ts";

/** The session key under which Django keeps a per-session expiry. */
const EXPIRY_KEY = "_session_expiry";

/** How an integer `_session_expiry` is read back from a file. */
export type IntExpiryRule = "django" | "from-mtime";

/** What {@link fileExpiryAge} needs besides the data. */
export interface FileExpiryContext {
  /** The file's modification time (`st_mtime`), in milliseconds. */
  readonly mtimeMs: number;
  /** The current time, in milliseconds. */
  readonly nowMs: number;
  /** `SESSION_COOKIE_AGE`, in seconds. */
  readonly cookieAge: number;
  /** Default `"django"`. */
  readonly intExpiry?: IntExpiryRule;
}

/**
 * Seconds until the session stored in a file expires; `<= 0` means expired.
 *
 * @example
 * ```ts
 * const age = fileExpiryAge(data, { mtimeMs: stat.mtimeMs, nowMs: Date.now(), cookieAge: 1209600 });
 * if (age <= 0) await unlink(path);
 * ```
 */
export function fileExpiryAge(data: SessionData, context: FileExpiryContext): number {
  const { mtimeMs, nowMs, cookieAge } = context;
  const stored = data.get(EXPIRY_KEY);
  const instant = absoluteInstant(stored);
  if (instant !== undefined) return Math.floor((instant - nowMs) / 1000);
  if (typeof stored === "number" && stored !== 0 && !Number.isNaN(stored)) {
    // Django: `if not isinstance(expiry, (datetime, str)): return expiry`.
    if ((context.intExpiry ?? "django") === "django") return stored;
    return Math.floor((mtimeMs + stored * 1000 - nowMs) / 1000);
  }
  // `_session_expiry` absent, 0 (browser-close) or unusable: mtime + SESSION_COOKIE_AGE.
  return Math.floor((mtimeMs + cookieAge * 1000 - nowMs) / 1000);
}

/** A datetime (pickled, 3.2) or its `isoformat()` (4.x+) as epoch milliseconds. */
function absoluteInstant(stored: PyValue | undefined): number | undefined {
  if (stored instanceof PyDateTime) return stored.toDate().getTime();
  if (typeof stored !== "string") return undefined;
  try {
    // A naive value is taken as UTC (USE_TZ=True).
    return parseIsoDateTime(stored).toDate().getTime();
  } catch {
    // Django would fail the request (`fromisoformat` raises); the file's mtime rule applies here.
    return undefined;
  }
}
