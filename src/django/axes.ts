/**
 * django-axes' lockout, shared: Node's logins consult the same `axes_accessattempt` rows that
 * axes' database handler (`AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"`, its
 * default) keeps, and record their failures there, so a user locked out on one side is locked
 * out on the other.
 *
 * | option                 | axes setting                                   | default             |
 * | ---------------------- | ---------------------------------------------- | ------------------- |
 * | `failureLimit`         | `AXES_FAILURE_LIMIT`                           | 3                   |
 * | `cooloffHours`         | `AXES_COOLOFF_TIME` (hours; `null`: forever)   | `null`              |
 * | `lockoutParameters`    | `AXES_LOCKOUT_PARAMETERS` (axes 6+); for axes 5 see {@link axes5LockoutParameters} | `["ip_address"]` |
 * | `resetOnSuccess`       | `AXES_RESET_ON_SUCCESS`                        | `false`             |
 * | `resetCoolOffOnFailureDuringLockout` | `AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT` | `true`   |
 *
 * As axes: an attempt is locked out when, for any parameter set, the sum of
 * `failures_since_start` over the rows matching it (newer than the cool-off) reaches the limit;
 * a locked-out attempt is refused before the password is checked (axes' backend comes first in
 * `AUTHENTICATION_BACKENDS`) and still counts as a failure; a failure adds one to the row of its
 * (username, IP address, user agent), or creates it, after deleting the rows older than the
 * cool-off.
 *
 * A successful login also writes axes' `AccessLog` row (`axes_accesslog`: username, IP address,
 * user agent, path, time) unless `accessLog` is `false` (`AXES_DISABLE_ACCESS_LOG`), and a logout
 * through `RequestAuth.logout()` sets `logout_time` on the user's open rows, as axes'
 * `user_logged_in`/`user_logged_out` receivers do, so Django's admin shows Node's logins too.
 */
import { expireDateParam, naiveUtcTextSql, parseExpireDate } from "../internal/sql/dates.ts";
import { placeholders, type SqlDatabase, type SqlValue } from "../internal/sql/database.ts";
import { checkTableName, quoteIdentifier } from "../internal/sql/identifiers.ts";
import { ConfigurationError } from "../errors.ts";

/** One client attribute axes can lock out by. */
export type AxesParameter = "username" | "ip_address" | "user_agent";

/** What one login attempt is known by (axes reads it from the request and the credentials). */
export interface LockoutAttempt {
  /** The submitted `USERNAME_FIELD` value (`AXES_USERNAME_FORM_FIELD`). */
  readonly username?: string | null | undefined;
  /** The client's address (axes: `django-ipware`'s answer; pass the same one). */
  readonly ip?: string | undefined;
  /** The `User-Agent` header. */
  readonly userAgent?: string | undefined;
}

/**
 * A shared lockout `authenticate()` consults (config `lockout`): {@link AxesLockout} is
 * django-axes'.
 */
export interface LoginLockout {
  /** Seconds until the attempt is allowed again, or 0 when it is not locked out. */
  lockedFor(attempt: LockoutAttempt): Promise<number>;
  /** Records a failed (or refused) attempt. */
  recordFailure(attempt: LockoutAttempt): Promise<void>;
  /** Records a successful login. */
  recordSuccess(attempt: LockoutAttempt): Promise<void>;
  /** Records a logout of the user known by `username`; optional. */
  recordLogout?(username: string): Promise<void>;
}

/** Options of {@link AxesLockout}: the database and axes' settings. */
export interface AxesLockoutOptions {
  /** The Django project's database (the one with axes' tables). */
  readonly database: SqlDatabase;
  /** `AXES_FAILURE_LIMIT`; default 3. */
  readonly failureLimit?: number;
  /** `AXES_COOLOFF_TIME` in hours (`0.5` is 30 minutes); `null` (default) never forgets. */
  readonly cooloffHours?: number | null;
  /**
   * `AXES_LOCKOUT_PARAMETERS`: each item a parameter or a combination of them; default
   * `["ip_address"]`. For axes 5 settings, {@link axes5LockoutParameters}.
   */
  readonly lockoutParameters?: readonly (AxesParameter | readonly AxesParameter[])[];
  /** `AXES_RESET_ON_SUCCESS`: a success deletes the attempts matching it; default `false`. */
  readonly resetOnSuccess?: boolean;
  /** `AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT`; default `true`. */
  readonly resetCoolOffOnFailureDuringLockout?: boolean;
  /** The attempts table; default `axes_accessattempt`. */
  readonly table?: string;
  /**
   * Write axes' access log (`AccessLog`) on login and logout; default `true`. `false` is
   * `AXES_DISABLE_ACCESS_LOG = True`.
   */
  readonly accessLog?: boolean;
  /** The access log table; default `axes_accesslog`. */
  readonly accessLogTable?: string;
  /** The path recorded in `path_info` for Node's attempts; default `/login`. */
  readonly pathInfo?: string;
  /** Clock in milliseconds, for tests. */
  readonly now?: () => number;
}

/** The axes 5 settings {@link axes5LockoutParameters} translates. */
export interface Axes5Settings {
  /** `AXES_ONLY_USER_FAILURES`. */
  readonly onlyUserFailures?: boolean;
  /** `AXES_LOCK_OUT_BY_USER_OR_IP`. */
  readonly lockOutByUserOrIp?: boolean;
  /** `AXES_LOCK_OUT_BY_COMBINATION_USER_AND_IP`. */
  readonly lockOutByCombinationUserAndIp?: boolean;
  /** `AXES_USE_USER_AGENT`. */
  readonly useUserAgent?: boolean;
}

/**
 * The `lockoutParameters` that axes 5's settings stand for (its `get_client_parameters`).
 *
 * @example
 * ```ts
 * axes5LockoutParameters({ onlyUserFailures: true }); // ["username"]
 * axes5LockoutParameters({ lockOutByCombinationUserAndIp: true }); // [["username", "ip_address"]]
 * ```
 */
export function axes5LockoutParameters(
  settings: Axes5Settings,
): (AxesParameter | AxesParameter[])[] {
  if (settings.onlyUserFailures) return ["username"];
  const out: (AxesParameter | AxesParameter[])[] = settings.lockOutByUserOrIp
    ? ["username", "ip_address"]
    : settings.lockOutByCombinationUserAndIp
      ? [["username", "ip_address"]]
      : ["ip_address"];
  if (settings.useUserAgent) out.push("user_agent");
  return out;
}

const COLUMNS: Readonly<Record<AxesParameter, string>> = {
  username: "username",
  ip_address: "ip_address",
  user_agent: "user_agent",
};

/**
 * django-axes' database lockout, for `authenticate()`'s `lockout` option.
 *
 * @example
 * ```ts
 * import { AxesLockout } from "sessionbridge/django";
 * const lockout = new AxesLockout({ database, failureLimit: 5, cooloffHours: 1, lockoutParameters: ["username"] });
 * const result = await authenticate({ username, password, ip, userAgent }, { users, secretKey, lockout });
 * ```
 */
export class AxesLockout implements LoginLockout {
  readonly #db: SqlDatabase;
  readonly #limit: number;
  readonly #cooloffMs: number | null;
  readonly #sets: readonly (readonly AxesParameter[])[];
  readonly #resetOnSuccess: boolean;
  readonly #resetDuringLockout: boolean;
  readonly #table: string;
  readonly #accessLogTable: string | null;
  readonly #pathInfo: string;
  readonly #now: () => number;

  /** @throws {ConfigurationError} for a limit below 1, a negative cool-off or no parameters. */
  constructor(options: AxesLockoutOptions) {
    this.#db = options.database;
    this.#limit = options.failureLimit ?? 3;
    if (!Number.isInteger(this.#limit) || this.#limit < 1) {
      throw new ConfigurationError("AXES_FAILURE_LIMIT must be a whole number of at least 1");
    }
    const hours = options.cooloffHours ?? null;
    if (hours !== null && !(Number.isFinite(hours) && hours >= 0)) {
      throw new ConfigurationError("AXES_COOLOFF_TIME must be a number of hours (or null)");
    }
    this.#cooloffMs = hours === null ? null : hours * 3_600_000;
    const params = options.lockoutParameters ?? ["ip_address"];
    this.#sets = params.map((p) => (typeof p === "string" ? [p] : [...p]));
    if (
      this.#sets.length === 0 ||
      this.#sets.some((s) => s.length === 0 || s.some((p) => !(p in COLUMNS)))
    ) {
      throw new ConfigurationError(
        'AXES_LOCKOUT_PARAMETERS must list "username", "ip_address", "user_agent" or combinations of them',
      );
    }
    this.#resetOnSuccess = options.resetOnSuccess ?? false;
    this.#resetDuringLockout = options.resetCoolOffOnFailureDuringLockout ?? true;
    this.#table = quoteIdentifier(
      this.#db.dialect,
      checkTableName(options.table ?? "axes_accessattempt"),
    );
    this.#accessLogTable =
      options.accessLog === false
        ? null
        : quoteIdentifier(
            this.#db.dialect,
            checkTableName(options.accessLogTable ?? "axes_accesslog"),
          );
    this.#pathInfo = options.pathInfo ?? "/login";
    this.#now = options.now ?? Date.now;
  }

  #q(name: string): string {
    return quoteIdentifier(this.#db.dialect, name);
  }

  /** `WHERE` text and parameters for one parameter set (axes' `filter(**kwargs)`). */
  #where(
    set: readonly AxesParameter[],
    attempt: LockoutAttempt,
    first: number,
  ): [string, SqlValue[]] {
    const p = placeholders(this.#db.dialect);
    const values: SqlValue[] = [];
    const parts = set.map((param) => {
      const value = valueOf(attempt, param);
      if (value === null) return `${this.#q(COLUMNS[param])} IS NULL`;
      values.push(value);
      return `${this.#q(COLUMNS[param])} = ${p(first + values.length - 1)}`;
    });
    return [parts.join(" AND "), values];
  }

  /** The cool-off threshold as a bound parameter, or `null` without a cool-off. */
  #threshold(): string | null {
    return this.#cooloffMs === null
      ? null
      : expireDateParam(this.#db.dialect, new Date(this.#now() - this.#cooloffMs));
  }

  /** axes' `get_failures`: the largest failure sum over the parameter sets, and the latest attempt. */
  async #failures(attempt: LockoutAttempt): Promise<{ failures: number; latest: Date | null }> {
    const p = placeholders(this.#db.dialect);
    const threshold = this.#threshold();
    let failures = 0;
    let latest: Date | null = null;
    for (const set of this.#sets) {
      const [where, values] = this.#where(set, attempt, 1);
      const params = threshold === null ? values : [...values, threshold];
      const time = this.#q("attempt_time");
      const sql =
        `SELECT SUM(${this.#q("failures_since_start")}) AS failures, ` +
        `MAX(${naiveUtcTextSql(this.#db.dialect, time)}) AS latest FROM ${this.#table} WHERE ${where}` +
        (threshold === null ? "" : ` AND ${time} >= ${p(values.length + 1)}`);
      const [row] = await this.#db.query(sql, params);
      const sum = Number(row?.["failures"] ?? 0) || 0;
      if (sum >= failures) {
        failures = sum;
        const at = row?.["latest"];
        if (at !== null && at !== undefined) latest = parseExpireDate(at);
      }
    }
    return { failures, latest };
  }

  /**
   * Seconds until this attempt is allowed again (the cool-off after the latest failure), or 0
   * when it is not locked out. Locked out without a cool-off answers one day (ask again then).
   */
  async lockedFor(attempt: LockoutAttempt): Promise<number> {
    const { failures, latest } = await this.#failures(attempt);
    if (failures < this.#limit) return 0;
    if (this.#cooloffMs === null || latest === null) return 86_400;
    return Math.max(1, Math.ceil((latest.getTime() + this.#cooloffMs - this.#now()) / 1000));
  }

  /**
   * axes' `user_login_failed`: drops the expired rows, then adds one failure to the row of this
   * (username, IP address, user agent), or creates it. A refused attempt during a lockout is
   * recorded too unless `resetCoolOffOnFailureDuringLockout` is `false`.
   */
  async recordFailure(attempt: LockoutAttempt): Promise<void> {
    const threshold = this.#threshold();
    const p = placeholders(this.#db.dialect);
    const time = this.#q("attempt_time");
    if (threshold !== null) {
      await this.#db.execute(`DELETE FROM ${this.#table} WHERE ${time} < ${p(1)}`, [threshold]);
    }
    if (!this.#resetDuringLockout && (await this.lockedFor(attempt)) > 0) return;
    const now = expireDateParam(this.#db.dialect, new Date(this.#now()));
    const [where, values] = this.#where(["username", "ip_address", "user_agent"], attempt, 3);
    const updated = await this.#db.execute(
      `UPDATE ${this.#table} SET ${this.#q("failures_since_start")} = ${this.#q("failures_since_start")} + 1, ` +
        `${time} = ${p(1)}, ${this.#q("path_info")} = ${p(2)} WHERE ${where}`,
      [now, this.#pathInfo, ...values],
    );
    if (updated > 0) return;
    const columns = [
      "username",
      "ip_address",
      "user_agent",
      "get_data",
      "post_data",
      "http_accept",
      "path_info",
      "failures_since_start",
      "attempt_time",
    ];
    await this.#db.execute(
      `INSERT INTO ${this.#table} (${columns.map((c) => this.#q(c)).join(", ")}) VALUES (${columns
        .map((_, i) => p(i + 1))
        .join(", ")})`,
      [
        attempt.username ?? null,
        attempt.ip ?? null,
        attempt.userAgent ?? "<unknown>",
        "",
        "",
        "<unknown>",
        this.#pathInfo,
        1,
        now,
      ],
    );
  }

  /**
   * axes' `user_logged_in`: drops the attempts older than the cool-off, writes the `AccessLog`
   * row, and with `AXES_RESET_ON_SUCCESS` deletes the attempts matching this one.
   */
  async recordSuccess(attempt: LockoutAttempt): Promise<void> {
    const p = placeholders(this.#db.dialect);
    const threshold = this.#threshold();
    if (threshold !== null) {
      await this.#db.execute(
        `DELETE FROM ${this.#table} WHERE ${this.#q("attempt_time")} < ${p(1)}`,
        [threshold],
      );
    }
    if (this.#accessLogTable !== null) {
      const columns = [
        "username",
        "ip_address",
        "user_agent",
        "http_accept",
        "path_info",
        "attempt_time",
      ];
      await this.#db.execute(
        `INSERT INTO ${this.#accessLogTable} (${columns.map((c) => this.#q(c)).join(", ")}) ` +
          `VALUES (${columns.map((_, i) => p(i + 1)).join(", ")})`,
        [
          attempt.username ?? null,
          attempt.ip ?? null,
          (attempt.userAgent ?? "<unknown>").slice(0, 255),
          "<unknown>",
          this.#pathInfo,
          expireDateParam(this.#db.dialect, new Date(this.#now())),
        ],
      );
    }
    if (!this.#resetOnSuccess) return;
    for (const set of this.#sets) {
      const [where, values] = this.#where(set, attempt, 1);
      await this.#db.execute(`DELETE FROM ${this.#table} WHERE ${where}`, values);
    }
  }

  /** axes' `user_logged_out`: `logout_time` on the user's access log rows still open. */
  async recordLogout(username: string): Promise<void> {
    if (this.#accessLogTable === null) return;
    const p = placeholders(this.#db.dialect);
    await this.#db.execute(
      `UPDATE ${this.#accessLogTable} SET ${this.#q("logout_time")} = ${p(1)} ` +
        `WHERE ${this.#q("username")} = ${p(2)} AND ${this.#q("logout_time")} IS NULL`,
      [expireDateParam(this.#db.dialect, new Date(this.#now())), username],
    );
  }
}

function valueOf(attempt: LockoutAttempt, param: AxesParameter): string | null {
  switch (param) {
    case "username":
      return attempt.username ?? null;
    case "ip_address":
      return attempt.ip ?? null;
    case "user_agent":
      return attempt.userAgent ?? "<unknown>";
  }
}
