/**
 * django-allauth, kept whole when a user logs in through Node (issue 17):
 *
 * - allauth logs every authentication step of a session in `account_authentication_methods`
 *   (`allauth/account/internal/flows/login.py`, `record_authentication`): a list of
 *   `{"method": "password", "at": time.time(), "username": …}`. Its reauthentication
 *   (`@reauthentication_required`, `did_recently_authenticate`) and MFA stage read the last
 *   entry's `at`; a Node login that left no entry would look like a login that never happened.
 * - `allauth.usersessions` keeps one `UserSession` row per logged-in session
 *   (`usersessions_usersession`: user, ip, user agent, created/last seen, session key), written
 *   by its `user_logged_in` receiver (`UserSession.objects.create_from_request`). A Node login
 *   writes the same row, so the user's "your sessions" page in Django lists it, and ending the
 *   session there deletes the session record, which logs Node out on its next request. Rows of
 *   sessions that no longer exist are purged by allauth itself when it lists them.
 *
 * Headless app clients (`X-Session-Token`) are the `sessionTokenHeader` option of
 * `djangoSessionPolicy`.
 */
import { ConfigurationError, InvalidArgumentError, SessionMissingError } from "../errors.ts";
import { PyFloat, type PyValue } from "../codecs/python-values.ts";
import type { Session, SessionShape } from "../engine/session.ts";
import { expireDateParam } from "../internal/sql/dates.ts";
import {
  placeholders,
  SqlDuplicateKeyError,
  type SqlDatabase,
  type SqlValue,
} from "../internal/sql/database.ts";
import { checkTableName, quoteIdentifier } from "../internal/sql/identifiers.ts";

/** allauth's `AUTHENTICATION_METHODS_SESSION_KEY`. */
export const AUTHENTICATION_METHODS_SESSION_KEY = "account_authentication_methods";

/** allauth's `HTTP_USER_AGENT_MAX_LENGTH`: the `user_agent` column's length. */
const USER_AGENT_MAX_LENGTH = 255;

/** One completed login, as `login()` hands it to each of `AuthConfig.loginRecorders`. */
export interface RecordedLogin {
  /** The session the user is now logged in on (its key may still be unsaved). */
  readonly session: Session;
  /** The user's primary key as the session stores it (`_auth_user_id`). */
  readonly userId: string;
  /** How the user authenticated: allauth's method name; `login()` passes `"password"`. */
  readonly method: string;
  /** The submitted `USERNAME_FIELD` value, when the login came from `authenticate()`. */
  readonly username?: string | undefined;
  /** The client's address. */
  readonly ip?: string | undefined;
  /** The `User-Agent` header. */
  readonly userAgent?: string | undefined;
}

/**
 * Something `login()` tells about each login (Django's `user_logged_in` receivers):
 * {@link AllauthLogins} is django-allauth's.
 */
export interface LoginRecorder {
  /** Called by `login()` after the session holds the user. */
  recordLogin(login: RecordedLogin): Promise<void>;
}

/** Options of {@link AllauthLogins}. */
export interface AllauthLoginsOptions {
  /**
   * The Django project's database: with it, each login writes its `allauth.usersessions` row
   * (`INSTALLED_APPS` has `allauth.usersessions`); without it, only the session is written.
   */
  readonly database?: SqlDatabase;
  /** The user sessions table; default `usersessions_usersession`. */
  readonly table?: string;
  /** Clock in milliseconds, for tests. */
  readonly now?: () => number;
}

/**
 * What django-allauth records for a login, done for Node's logins: the authentication record in
 * the session and, with a database, the `allauth.usersessions` row. Pass it to the auth
 * configuration as `loginRecorders: [new AllauthLogins({ database })]`.
 *
 * @example
 * ```ts
 * import { AllauthLogins } from "sessionbridge/django";
 * const config = {
 *   users: new DjangoUserSource({ database }),
 *   secretKey: process.env.SECRET_KEY!,
 *   loginRecorders: [new AllauthLogins({ database })],
 * };
 * ```
 */
export class AllauthLogins implements LoginRecorder {
  readonly #db: SqlDatabase | undefined;
  readonly #table: string | undefined;
  readonly #now: () => number;

  constructor(options: AllauthLoginsOptions = {}) {
    this.#db = options.database;
    this.#table =
      options.database === undefined
        ? undefined
        : quoteIdentifier(
            options.database.dialect,
            checkTableName(options.table ?? "usersessions_usersession"),
          );
    this.#now = options.now ?? Date.now;
  }

  /**
   * Appends `{"method", "at", "username"}` to `account_authentication_methods`, then (with a
   * database) saves the session if it has no key yet and creates or updates its `UserSession`
   * row, as allauth's `create_from_request`.
   * @throws {InvalidArgumentError} with a database but no `ip` (the column is `NOT NULL`).
   * @throws {SessionStoreError} when the session or the database fails.
   */
  async recordLogin(login: RecordedLogin): Promise<void> {
    await recordAuthentication(login.session, login.method, this.#now(), {
      username: login.username,
    });
    if (this.#db === undefined || this.#table === undefined) return;
    if (login.ip === undefined || login.ip === "") {
      throw new InvalidArgumentError(
        "AllauthLogins: login() needs the client's ip for allauth.usersessions (pass it to authenticate() or login())",
      );
    }
    const session = login.session;
    if (session.key === null) await session.save();
    const key = session.key;
    if (key === null) throw new SessionMissingError();
    await this.#upsertRow(
      this.#db,
      this.#table,
      key,
      login.userId,
      login.ip,
      (login.userAgent ?? "").slice(0, USER_AGENT_MAX_LENGTH),
    );
  }

  /** `UserSession.objects.get_or_create(session_key=…)`, then the update of an existing row. */
  async #upsertRow(
    db: SqlDatabase,
    table: string,
    sessionKey: string,
    userId: string,
    ip: string,
    userAgent: string,
  ): Promise<void> {
    const q = (name: string): string => quoteIdentifier(db.dialect, name);
    const p = placeholders(db.dialect);
    const now = expireDateParam(db.dialect, new Date(this.#now()));
    const update = (): Promise<number> =>
      db.execute(
        `UPDATE ${table} SET ${q("user_id")} = ${p(1)}, ${q("ip")} = ${p(2)}, ` +
          `${q("user_agent")} = ${p(3)}, ${q("last_seen_at")} = ${p(4)} WHERE ${q("session_key")} = ${p(5)}`,
        [userId, ip, userAgent, now, sessionKey],
      );
    if ((await update()) > 0) return;
    const row: [string, SqlValue][] = [
      ["user_id", userId],
      ["created_at", now],
      ["ip", ip],
      ["last_seen_at", now],
      ["session_key", sessionKey],
      ["user_agent", userAgent],
      ["data", "{}"],
    ];
    try {
      await db.execute(
        `INSERT INTO ${table} (${row.map(([c]) => q(c)).join(", ")}) VALUES (${row
          .map((_, i) => p(i + 1))
          .join(", ")})`,
        row.map(([, v]) => v),
      );
    } catch (error) {
      // Another request created the row meanwhile (the key is unique): update it, as
      // get_or_create's retry would find it.
      if (!(error instanceof SqlDuplicateKeyError)) throw error;
      await update();
    }
  }
}

/**
 * allauth's `record_authentication(request, user, method, **extra_data)`: appends
 * `{"method": method, "at": seconds as a float, **extra}` (entries with a `null`/`undefined`
 * value left out) to the session's `account_authentication_methods`.
 * @throws {ConfigurationError} when the session holds something else than a list there.
 *
 * @example
 * ```ts
 * await recordAuthentication(session, "password", Date.now(), { username: "alice" });
 * ```
 */
export async function recordAuthentication<T extends SessionShape>(
  session: Session<T>,
  method: string,
  nowMs: number,
  extra: Readonly<Record<string, string | number | undefined | null>> = {},
): Promise<void> {
  const s = session as unknown as Session;
  const existing = await s.get(AUTHENTICATION_METHODS_SESSION_KEY);
  if (existing !== undefined && !Array.isArray(existing)) {
    throw new ConfigurationError(
      `the session's ${AUTHENTICATION_METHODS_SESSION_KEY} is not a list: is something else than django-allauth writing it?`,
    );
  }
  // `time.time()` is a float: PyFloat keeps it one when the seconds are whole.
  const seconds = nowMs / 1000;
  const at = Number.isInteger(seconds) ? new PyFloat(seconds) : seconds;
  const entry: Record<string, PyValue> = { method, at };
  for (const [name, value] of Object.entries(extra)) {
    if (value !== undefined && value !== null) entry[name] = value;
  }
  await s.set(AUTHENTICATION_METHODS_SESSION_KEY, [...(existing ?? []), entry]);
}
