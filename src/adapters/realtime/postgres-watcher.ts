/**
 * Revocation by PostgreSQL `LISTEN`/`NOTIFY`: triggers on `django_session` and on the user table
 * notify a channel when a session row is deleted or rewritten, or a user's password or
 * `is_active` changes; {@link postgresWatcher} listens on one dedicated connection and closes the
 * sockets concerned at once. Sessions and users are then never polled; what a session's expiry
 * ends is closed by the gate's expiry timer.
 *
 * The triggers are opt-in: `sessionbridge migrate --realtime-triggers` installs them (or run
 * {@link postgresTriggerSql}'s statements), `sessionbridge migrate --drop-realtime-triggers`
 * removes them and their function ({@link postgresTriggerDropSql}); nothing else in the schema
 * changes. They cost one `pg_notify` per session update or delete, none for rows deleted after
 * their expiry (`clearsessions`: the gate's expiry timer has closed those sockets already), and
 * one per user whose password or activity changes. Notifications are sent at commit.
 *
 * Without the session trigger `start()` rejects, naming the command; without the user trigger
 * users are polled (one batched query per interval). If the listening connection ends, the
 * watcher reports it and the gate falls back to polling both.
 *
 * @example
 * ```ts
 * import pg from "pg";
 * const listener = new pg.Client(process.env.DATABASE_URL);
 * await listener.connect();
 * const gate = createRealtimeGate({
 *   store,
 *   users: djangoUsers(config),
 *   watchers: [postgresWatcher({ client: listener })],
 * });
 * await gate.start(); // rejects with ConfigurationError when the triggers are missing
 * ```
 */
import { ConfigurationError } from "../../errors.ts";
import type { RealtimeGate, RevocationWatcher } from "./gate.ts";

/**
 * The channel session changes are notified on: payload `d:<key>` (deleted before its expiry),
 * `u:<key>` (rewritten) or `t:` (the table truncated).
 *
 * @example
 * ```sql
 * LISTEN sessionbridge_session; -- then: DELETE FROM django_session WHERE ...
 * ```
 */
export const SESSION_CHANNEL = "sessionbridge_session";
/**
 * The channel user changes are notified on: payload `u:<user id>` (password or `is_active`
 * changed, or the user deleted).
 *
 * @example
 * ```sql
 * LISTEN sessionbridge_user;
 * ```
 */
export const USER_CHANNEL = "sessionbridge_user";

const SESSION_TRIGGER = "sessionbridge_session_notify";
const SESSION_TRUNCATE_TRIGGER = "sessionbridge_session_truncate";
const USER_TRIGGER = "sessionbridge_user_notify";
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Where the user trigger goes: Django's `auth_user` and `id` unless the model says otherwise.
 *
 * @example
 * ```ts
 * postgresTriggerSql({ userTable: "accounts_user", pkColumn: "id" });
 * ```
 */
export interface PostgresTriggerOptions {
  /** The user table; default `auth_user`. */
  readonly userTable?: string;
  /** Its primary key column; default `id`. */
  readonly pkColumn?: string;
}

function identifiers(options: PostgresTriggerOptions): { table: string; pk: string } {
  const table = options.userTable ?? "auth_user";
  const pk = options.pkColumn ?? "id";
  for (const name of [table, pk]) {
    if (!IDENTIFIER.test(name)) {
      throw new ConfigurationError(`"${name}" is not a plain PostgreSQL table or column name`);
    }
  }
  return { table, pk };
}

/**
 * The statements that install the triggers (idempotent: running them again replaces them).
 * @throws {ConfigurationError} for a table or column name that is not a plain identifier.
 *
 * @example
 * ```ts
 * for (const sql of postgresTriggerSql()) await client.query(sql);
 * ```
 */
export function postgresTriggerSql(options: PostgresTriggerOptions = {}): string[] {
  const { table, pk } = identifiers(options);
  return [
    `CREATE OR REPLACE FUNCTION ${SESSION_TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM pg_notify('${SESSION_CHANNEL}', 't:');
  ELSIF TG_OP = 'DELETE' THEN
    IF OLD.expire_date > now() THEN
      PERFORM pg_notify('${SESSION_CHANNEL}', 'd:' || OLD.session_key);
    END IF;
  ELSE
    PERFORM pg_notify('${SESSION_CHANNEL}', 'u:' || NEW.session_key);
  END IF;
  RETURN NULL;
END $$`,
    `CREATE OR REPLACE FUNCTION ${USER_TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR (to_jsonb(NEW) -> 'password', to_jsonb(NEW) -> 'is_active')
      IS DISTINCT FROM (to_jsonb(OLD) -> 'password', to_jsonb(OLD) -> 'is_active') THEN
    PERFORM pg_notify('${USER_CHANNEL}', 'u:' || (to_jsonb(OLD) ->> TG_ARGV[0]));
  END IF;
  RETURN NULL;
END $$`,
    ...postgresTriggerDropSql(options, false),
    `CREATE TRIGGER ${SESSION_TRIGGER} AFTER UPDATE OR DELETE ON django_session FOR EACH ROW EXECUTE FUNCTION ${SESSION_TRIGGER}()`,
    `CREATE TRIGGER ${SESSION_TRUNCATE_TRIGGER} AFTER TRUNCATE ON django_session FOR EACH STATEMENT EXECUTE FUNCTION ${SESSION_TRIGGER}()`,
    `CREATE TRIGGER ${USER_TRIGGER} AFTER UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION ${USER_TRIGGER}('${pk}')`,
  ];
}

/**
 * The statements that remove the triggers (and, unless `functions` is false, their functions);
 * harmless when they are absent.
 * @throws {ConfigurationError} for a table name that is not a plain identifier.
 *
 * @example
 * ```ts
 * for (const sql of postgresTriggerDropSql()) await client.query(sql);
 * ```
 */
export function postgresTriggerDropSql(
  options: PostgresTriggerOptions = {},
  functions = true,
): string[] {
  const { table } = identifiers(options);
  return [
    `DROP TRIGGER IF EXISTS ${SESSION_TRIGGER} ON django_session`,
    `DROP TRIGGER IF EXISTS ${SESSION_TRUNCATE_TRIGGER} ON django_session`,
    `DROP TRIGGER IF EXISTS ${USER_TRIGGER} ON ${table}`,
    ...(functions
      ? [
          `DROP FUNCTION IF EXISTS ${SESSION_TRIGGER}()`,
          `DROP FUNCTION IF EXISTS ${USER_TRIGGER}()`,
        ]
      : []),
  ];
}

/**
 * A notification as node-postgres delivers it.
 *
 * @example
 * ```ts
 * const message: PostgresNotification = { channel: SESSION_CHANNEL, payload: "d:abc…" };
 * ```
 */
export interface PostgresNotification {
  readonly channel: string;
  readonly payload?: string | undefined;
}

/**
 * A node-postgres `Client` (not a pool: `LISTEN` holds its connection), connected.
 *
 * @example
 * ```ts
 * const client: PostgresListenClient = new pg.Client(url);
 * ```
 */
export interface PostgresListenClient {
  query(sql: string): Promise<unknown>;
  query(sql: string, values: unknown[]): Promise<{ rows: unknown[] }>;
  on(event: "notification", listener: (message: PostgresNotification) => void): unknown;
  on(event: "end", listener: () => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  removeListener(event: "notification", listener: (message: PostgresNotification) => void): unknown;
  removeListener(event: "end", listener: () => void): unknown;
  removeListener(event: "error", listener: (error: Error) => void): unknown;
}

/**
 * Options of {@link postgresWatcher}.
 *
 * @example
 * ```ts
 * const options: PostgresWatcherOptions = { client: listener, onError: console.warn };
 * ```
 */
export interface PostgresWatcherOptions {
  /** A dedicated, connected client; the watcher never closes it. */
  readonly client: PostgresListenClient;
  /** The connection ended or failed (polling has resumed); default one line on stderr. */
  readonly onError?: (error: unknown) => void;
}

/**
 * The watcher (see the module documentation); `start` rejects with a
 * {@link ConfigurationError} when the session trigger is not installed.
 *
 * @example
 * ```ts
 * postgresWatcher({ client: listener, onError: (e) => log.warn(e) });
 * ```
 */
export function postgresWatcher(options: PostgresWatcherOptions): RevocationWatcher {
  const { client } = options;
  const report =
    options.onError ??
    ((error: unknown) => {
      console.error(
        `sessionbridge realtime: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
  let live = false;
  let userTrigger = false;
  let detach: (() => void) | undefined;
  return {
    get sessions() {
      return live;
    },
    get users() {
      return live && userTrigger;
    },
    async start(gate: RealtimeGate<unknown>) {
      const { rows } = await client.query(
        "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname = ANY($1::text[])",
        [[SESSION_TRIGGER, USER_TRIGGER]],
      );
      const found = new Set(rows.map((row) => (row as { tgname: string }).tgname));
      if (!found.has(SESSION_TRIGGER)) {
        throw new ConfigurationError(
          `the PostgreSQL trigger ${SESSION_TRIGGER} is not installed: run "sessionbridge migrate --realtime-triggers" against this database, or drop postgresWatcher to poll sessions instead`,
        );
      }
      userTrigger = found.has(USER_TRIGGER);
      const onNotification = (message: PostgresNotification): void => {
        const payload = message.payload ?? "";
        const kind = payload.slice(0, 2);
        const value = payload.slice(2);
        if (message.channel === SESSION_CHANNEL) {
          if (kind === "d:") gate.sessionGone(value, "session-ended");
          else if (kind === "u:") void gate.sessionChanged(value);
          else if (kind === "t:")
            for (const key of gate.registry.sessionKeys(gate))
              gate.sessionGone(key, "session-ended");
        } else if (message.channel === USER_CHANNEL && kind === "u:") {
          void gate.userChanged(value);
        }
      };
      const onEnd = (): void => {
        if (!live) return;
        live = false;
        report(new Error("the PostgreSQL LISTEN connection ended: polling sessions and users"));
      };
      const onError = (error: Error): void => {
        onEnd();
        report(error);
      };
      client.on("notification", onNotification);
      client.on("end", onEnd);
      client.on("error", onError);
      detach = () => {
        client.removeListener("notification", onNotification);
        client.removeListener("end", onEnd);
        client.removeListener("error", onError);
      };
      await client.query(`LISTEN ${SESSION_CHANNEL}`);
      if (userTrigger) await client.query(`LISTEN ${USER_CHANNEL}`);
      live = true;
    },
    async stop() {
      const wasLive = live;
      live = false;
      detach?.();
      detach = undefined;
      if (wasLive) await client.query("UNLISTEN *");
    },
  };
}
