/**
 * What `serve` and `demo` share: their options, the store, users, limits and settings they open
 * from the environment, and listening until the stop signal.
 */
import { existsSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { AuthConfig } from "../../auth/config.ts";
import { DjangoUserSource } from "../../auth/django-user-source.ts";
import { loginRateLimit, type LoginRateLimit } from "../../auth/rate-limit.ts";
import type { DjangoVersion } from "../../engine/config.ts";
import { ConfigurationError, isSessionBridgeError } from "../../errors.ts";
import type { RedisCommandClient } from "../../internal/redis/client.ts";
import type { SessionStore } from "../../stores/contract.ts";
import { openDatabaseUrl } from "../../stores/sql/index.ts";
import type { CommandContext } from "../command.ts";
import { CommandFailure, UsageError } from "../command.ts";
import { parsePort, readEnvConfig, requireDjangoVersion, type EnvConfig } from "../env-config.ts";
import { listTables, openManagedDatabase } from "../manage/db.ts";
import { migrateSchema } from "../manage/schema/migrate.ts";
import { requireAuthTables } from "../manage/users.ts";
import { openSessionStore, resolveSecretKey, secretFilePath } from "../session-store.ts";
import { isDefaultUserModel, userSourceOptions, type UserModelSetting } from "../user-model.ts";
import type { AuthServerOptions } from "./server.ts";
import { djangoAppsFromEnv, type DjangoAppsSetup } from "./django-apps.ts";
import { readServeSettings, type ServeSettings } from "./settings.ts";

/** The options both commands take. */
export const SERVE_OPTIONS_HELP = `Options:
  --port PORT   port to listen on (default: $PORT or 8000; 0 picks a free port)
  --host HOST   address to bind (default: $HOST or 127.0.0.1)
  --user-model APP.MODEL
                the user model, as AUTH_USER_MODEL (default: $AUTH_USER_MODEL or auth.User)
  --django-version V
                as DJANGO_VERSION (required, one or the other): 3.2, 4.2, 5.2, 6.0 or 6.1
  -h, --help    show this help`;

/** The environment both commands read. */
export const SERVE_ENV_HELP = `Environment (Django's setting names; copy the values from the project's settings.py):
  DATABASE_URL          sqlite:PATH | postgres://… | mysql://…  (default sqlite:./sessionbridge.sqlite3): users, and sessions for SESSION_STORE=db
  SESSION_STORE         db (default) | cache | cached_db | file | signed_cookies | redis-sessions, as Django's SESSION_ENGINE
  REDIS_URL             the Redis of the cache, cached_db and redis-sessions stores; CACHE_KEY_PREFIX, CACHE_VERSION,
                        CACHE_BACKEND (django-redis | django), CACHE_SERIALIZER as in Django's CACHES. A Redis
                        Cluster node is detected (a Cluster client then); redis://h1:7000,h2:7001 or
                        REDIS_CLUSTER_NODES list seed nodes; redis+sentinel://s1:26379,s2:26379/mymaster/0
                        is the master the Sentinels name (followed through a failover)
  SESSION_FILE_PATH     the file store's directory
  SECRET_KEY            Django's SECRET_KEY (required for an existing Django database; unset on a
                        database serve creates: one is generated and kept beside it)
  SECRET_KEY_FALLBACKS  comma-separated previous keys, accepted for reading
  DJANGO_VERSION        required: the version of the Django the sessions and users are shared with,
                        3.2, 4.2, 5.2, 6.0 or 6.1 (what a session, a password hash and the schema
                        look like depends on it, so it is never guessed)
  SESSION_COOKIE_NAME, SESSION_COOKIE_AGE, SESSION_COOKIE_DOMAIN, SESSION_COOKIE_PATH,
  SESSION_COOKIE_SECURE, SESSION_COOKIE_HTTPONLY, SESSION_COOKIE_SAMESITE (Lax | Strict | None | False),
  SESSION_EXPIRE_AT_BROWSER_CLOSE, SESSION_SAVE_EVERY_REQUEST
                        the session cookie and saving, as Django's settings (booleans: True or False)
  LOGIN_URL             the login form's path (default /login), where forward auth sends anonymous users
  LOGIN_REDIRECT_URL    where a login without a next lands (default /)
  LOGOUT_REDIRECT_URL   where /logout lands (default /)
  AUTH_USER_MODEL       app_label.ModelName, as Django's setting (default auth.User): users are read from
                        <app_label>_<modelname> (lowercased), groups and permissions from <table>_groups and
                        <table>_user_permissions (column <modelname>_id), as Django names them. A custom
                        model's tables must exist (Django's migrate makes them); auth_user is then not made
  AUTH_USER_PK          int (default) | uuid | string: the user model's primary key (column id)
  AUTH_USERNAME_FIELD   the model's USERNAME_FIELD (default username): what the login form's username is
  AUTH_USER_TABLE       the model's Meta.db_table, if it sets one
  LOGIN_RATE_LIMIT      failed logins allowed per username as N/SECONDS (default 5/300; 4× per IP), or off;
                        kept in the sessions' Redis (keys sessionbridge:ratelimit:*, shared by every serve
                        process) when SESSION_STORE is cache, cached_db or redis-sessions, else in memory
  TRUST_PROXY           the number of proxies of yours in front of serve (default 0; true means 1): the
                        client IP is the X-Forwarded-For entry the outermost of them appended (entries
                        to its left are the client's own word), and X-Forwarded-Proto, -Host, -Uri and
                        X-Original-URI are honoured; with 0 they are all ignored
  AXES_ENABLED          True when the project has django-axes: logins consult and record its lockout
                        (axes_accessattempt) and access log, with AXES_FAILURE_LIMIT (default 3),
                        AXES_COOLOFF_TIME (hours), AXES_LOCKOUT_PARAMETERS (comma-separated; a
                        combination joined by +: username+ip_address), AXES_RESET_ON_SUCCESS,
                        AXES_DISABLE_ACCESS_LOG as axes' settings
  ALLAUTH_APPS          the django-allauth apps installed, comma-separated: account (logins recorded in
                        account_authentication_methods), usersessions (and a UserSession row each),
                        headless (X-Session-Token names the session, as allauth's app clients send it)`;

/** Where to listen, which user model and Django version, from the command line. */
export interface ServeArgs {
  readonly port: number;
  readonly host: string;
  readonly userModel: string | undefined;
  /** `--django-version`, over `DJANGO_VERSION`. */
  readonly djangoVersion?: string | undefined;
}

/** Reads `--port`, `--host`, `--user-model`, `--django-version`. @throws {UsageError} */
export function parseServeArgs(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ServeArgs {
  let port = parsePort(env.PORT, 8000);
  let host = env.HOST || "127.0.0.1";
  let userModel: string | undefined;
  let djangoVersion: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = (): string => {
      const next = args[++i];
      if (next === undefined) throw new UsageError(`${arg} needs a value`);
      return next;
    };
    if (arg === "--port") port = parsePort(value(), port);
    else if (arg.startsWith("--port=")) port = parsePort(arg.slice(7), port);
    else if (arg === "--host") host = value();
    else if (arg.startsWith("--host=")) host = arg.slice(7);
    else if (arg === "--user-model") userModel = value();
    else if (arg.startsWith("--user-model=")) userModel = arg.slice(13);
    else if (arg === "--django-version") djangoVersion = value();
    else if (arg.startsWith("--django-version=")) djangoVersion = arg.slice(17);
    else throw new UsageError(`Unknown option ${arg}`);
  }
  return { port, host, userModel, djangoVersion };
}

/** What `serve` reads: the environment, with `DJANGO_VERSION` given. */
export type ServeConfig = EnvConfig & { readonly djangoVersion: DjangoVersion };

/** Everything a server needs, opened; `close()` releases it. */
export interface ServeContext {
  readonly config: ServeConfig;
  readonly settings: ServeSettings;
  readonly store: SessionStore;
  /** How the store is described in the start line (`db (sqlite:…)`). */
  readonly storeDescription: string;
  readonly auth: AuthConfig;
  readonly rateLimit: "off" | "in memory" | "in Redis";
  /** The Django apps honoured (`AXES_ENABLED`, `ALLAUTH_APPS`), for the start line. */
  readonly apps: string;
  /** `X-Session-Token` when `ALLAUTH_APPS` has `headless`. */
  readonly sessionTokenHeader?: string;
  /** Where the secret came from, for the demo page: never the secret. */
  readonly secretSource: string;
  /** `TRUST_PROXY`: how many proxies of yours are in front. */
  readonly trustedProxies: number;
  readonly onError: (error: unknown) => void;
  close(): Promise<void>;
}

/** Opens the store, users, limits and settings the environment describes. */
export async function openServeContext(
  serveArgs: ServeArgs,
  { env, stderr }: Pick<CommandContext, "env" | "stderr">,
): Promise<ServeContext> {
  let config: ServeConfig;
  let settings: ServeSettings;
  const envWithModel = {
    ...env,
    ...(serveArgs.userModel === undefined ? {} : { AUTH_USER_MODEL: serveArgs.userModel }),
    ...(serveArgs.djangoVersion === undefined ? {} : { DJANGO_VERSION: serveArgs.djangoVersion }),
  };
  try {
    const read = readEnvConfig(envWithModel);
    config = { ...read, djangoVersion: requireDjangoVersion(read, "what serve writes") };
    settings = readServeSettings(envWithModel, config);
  } catch (error) {
    if (error instanceof ConfigurationError) throw new UsageError(error.message);
    throw error;
  }
  const warn = (message: string): void => void stderr.write(`warning: ${message}\n`);
  const secret = await serveSecretKey(config, warn);
  await ensureDjangoTables(config.databaseUrl, config.djangoVersion, config.userModel);
  const opened = await openSessionStore(config, secret, { createTables: true });
  const usersDatabase = await openDatabaseUrl(config.databaseUrl);
  let apps: DjangoAppsSetup;
  try {
    apps = djangoAppsFromEnv(env, usersDatabase);
  } catch (error) {
    await usersDatabase.close();
    await opened.close();
    if (error instanceof ConfigurationError) throw new UsageError(error.message);
    throw error;
  }
  // Several `serve` processes on one Redis must share one failure budget, or each would allow
  // the full limit; the sessions' client is reused (no second connection to configure).
  const rateLimit = loginRateLimitFromEnv(env, opened.redis?.store.client);
  return {
    config,
    settings,
    store: opened.store,
    storeDescription: opened.description,
    auth: {
      users: new DjangoUserSource({
        database: usersDatabase,
        ...userSourceOptions(config.userModel, usersDatabase.dialect),
      }),
      secretKey: secret,
      secretKeyFallbacks: config.secretKeyFallbacks,
      djangoVersion: config.djangoVersion,
      ...(rateLimit ? { rateLimit } : {}),
      ...apps.auth,
    },
    apps: apps.description,
    ...(apps.sessionTokenHeader === undefined
      ? {}
      : { sessionTokenHeader: apps.sessionTokenHeader }),
    rateLimit:
      rateLimit === undefined ? "off" : opened.redis === undefined ? "in memory" : "in Redis",
    secretSource:
      config.secretKey !== undefined
        ? "the SECRET_KEY this server was given"
        : `the key kept in ${secretFilePath(config.databaseUrl)}`,
    trustedProxies: trustedProxiesFromEnv(env.TRUST_PROXY),
    onError: (error) => {
      const what = isSessionBridgeError(error)
        ? `${error.code}: ${error.message}`
        : "unexpected error";
      stderr.write(`request failed (${what})\n`);
    },
    close: async () => {
      await opened.close();
      await usersDatabase.close();
    },
  };
}

/** The options every server built on the auth app takes, from the opened context. */
export function authServerOptions(opened: ServeContext): AuthServerOptions {
  return {
    store: opened.store,
    settings: opened.settings.session,
    auth: opened.auth,
    djangoVersion: opened.config.djangoVersion,
    trustedProxies: opened.trustedProxies,
    loginUrl: opened.settings.loginUrl,
    loginRedirectUrl: opened.settings.loginRedirectUrl,
    logoutRedirectUrl: opened.settings.logoutRedirectUrl,
    onError: opened.onError,
    ...(opened.sessionTokenHeader === undefined
      ? {}
      : { sessionTokenHeader: opened.sessionTokenHeader }),
  };
}

/** Listens, prints the start line (tests and scripts read its address), waits for the stop signal. */
export async function listenUntilStopped(
  server: Server,
  serveArgs: ServeArgs,
  context: ServeContext,
  { stdout, stopSignal }: Pick<CommandContext, "stdout" | "stopSignal">,
  what: string,
): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(serveArgs.port, serveArgs.host, resolve);
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  stdout.write(
    `sessionbridge ${what} serving on http://${shownHost}:${address.port} (sessions: ${context.storeDescription}, Django ${context.config.djangoVersion} rules, apps: ${context.apps}, login limits: ${context.rateLimit})\n`,
  );
  await stopSignal;
  server.closeAllConnections();
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  await context.close();
}

/**
 * `SECRET_KEY`, else a key of our own, but only for a database that is ours: one with no
 * Django tables yet (the embedded default's first run), or one we made earlier and kept the key
 * beside. An existing Django database without `SECRET_KEY` is refused: a fresh key could verify
 * none of its sessions, every user would be anonymous and the first write would replace their
 * Django cookie, logging them out of Django too.
 */
async function serveSecretKey(config: EnvConfig, warn: (message: string) => void): Promise<string> {
  if (config.secretKey !== undefined) return config.secretKey;
  if (!existsSync(secretFilePath(config.databaseUrl))) {
    const database = await openManagedDatabase(config.databaseUrl, { create: true });
    let tables: Set<string>;
    try {
      tables = new Set(await listTables(database));
    } finally {
      await database.close();
    }
    const djangoTable = ["django_session", "auth_user", "django_migrations"].find((t) =>
      tables.has(t),
    );
    if (djangoTable !== undefined) {
      throw new CommandFailure(
        `SECRET_KEY is not set and the database already has Django's tables (${djangoTable}): set SECRET_KEY to the Django project's SECRET_KEY (a generated key could verify none of its sessions)`,
      );
    }
  }
  return resolveSecretKey(config, warn);
}

/**
 * Creates Django's `django_session` and `auth_*` tables when the database has none of them
 * (the embedded default's first run). An existing Django deployment's tables are left alone.
 * A custom `AUTH_USER_MODEL`'s tables are Django's migrate's to make: none is made then (the
 * session table is made by the store), and a missing user table is a one-line failure.
 */
async function ensureDjangoTables(
  databaseUrl: string,
  djangoVersion: DjangoVersion,
  userModel: UserModelSetting,
): Promise<void> {
  const database = await openManagedDatabase(databaseUrl, { create: true });
  try {
    const tables = new Set(await listTables(database));
    if (!isDefaultUserModel(userModel)) {
      await requireAuthTables(database, userModel);
      return;
    }
    if (tables.has("django_session") && tables.has("auth_user")) return;
    await migrateSchema(database, { dialect: database.dialect, djangoVersion, autoField: "big" });
  } finally {
    await database.close();
  }
}

/** TRUST_PROXY: a hop count, as Express's numeric `trust proxy`; `true` is one hop. */
function trustedProxiesFromEnv(value: string | undefined): number {
  if (value === undefined || value === "" || value === "false") return 0;
  if (value === "true") return 1;
  if (!/^\d{1,2}$/.test(value))
    throw new UsageError(
      "TRUST_PROXY must be the number of proxies in front of serve (0, 1, 2, …)",
    );
  return Number(value);
}

/**
 * Failed-login limits: `LOGIN_RATE_LIMIT` = `N/SECONDS` per username and per client IP
 * (default `5/300` per username, `20/300` per IP); `off` disables them. In `redis` when given
 * (shared by every process), else in this process's memory.
 */
function loginRateLimitFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  redis: RedisCommandClient | undefined,
): LoginRateLimit | undefined {
  const spec = env.LOGIN_RATE_LIMIT ?? "";
  if (spec === "off") return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(spec);
  if (spec !== "" && !m)
    throw new UsageError('LOGIN_RATE_LIMIT must look like "5/300" (attempts/seconds) or "off"');
  const limit = m ? Number(m[1]) : 5;
  const windowMs = (m ? Number(m[2]) : 300) * 1000;
  return loginRateLimit({
    perUsername: { limit, windowMs },
    perIp: { limit: limit * 4, windowMs },
    ...(redis === undefined ? {} : { redis }),
  });
}
