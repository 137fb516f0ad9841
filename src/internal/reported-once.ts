/**
 * Which stored sessions were already reported as undecodable: a session read on every request
 * is logged once per reason, not once per request (issue 18 #13, and the log flooding of #12).
 * Bounded: past `limit` keys the oldest is forgotten (and would be reported again).
 */
export class ReportedOnce {
  readonly #seen = new Set<string>();
  readonly #limit: number;

  constructor(limit = 10_000) {
    this.#limit = limit;
  }

  /** True the first time `key` fails for `reason` (report it then), false after. */
  first(key: string, reason: string): boolean {
    const seen = `${key}\u0000${reason}`;
    if (this.#seen.has(seen)) return false;
    this.#seen.add(seen);
    if (this.#seen.size > this.#limit) {
      const oldest = this.#seen.values().next();
      if (oldest.done !== true) this.#seen.delete(oldest.value);
    }
    return true;
  }
}
