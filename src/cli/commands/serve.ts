/**
 * `sessionbridge serve`: the demo server (and, later, the auth/forward-auth server).
 */
import { existsSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { DjangoUserSource } from "../../auth/django-user-source.ts";
import { loginRateLimit, type LoginRateLimit } from "../../auth/rate-limit.ts";
import { resolveSessionSettings, type DjangoVersion } from "../../engine/config.ts";
import type { RedisCommandClient } from "../../internal/redis/client.ts";
import { openDatabaseUrl } from "../../stores/sql/index.ts";
import { listTables, openManagedDatabase } from "../manage/db.ts";
import { migrateSchema } from "../manage/schema.ts";
import { ConfigurationError, isSessionBridgeError } from "../../errors.ts";
import type { Command } from "../command.ts";
import { CommandFailure, UsageError } from "../command.ts";
import { parsePort, readEnvConfig, type EnvConfig } from "../env-config.ts";
import { requireAuthTables } from "../manage/users.ts";
import { isDefaultUserModel, userSourceOptions, type UserModelSetting } from "../user-model.ts";
import { openSessionStore, resolveSecretKey, secretFilePath } from "../session-store.ts";

export const serveCommand: Command = {
  name: "serve",
  summary:
    "Run the server: login/logout, whoami, forward auth, and the demo apps sharing one session",
  help: `Usage: sessionbridge serve [--port PORT] [--host HOST] [--user-model APP.MODEL]

Runs a real server on the sessions and users of a Django deployment (or of the embedded
SQLite default, whose tables are created on first run):

  /               the demo page app (node:http adapter): a visit counter in the session
  /backend/*      a JSON API (Hono adapter) on the same session; requires login (401 JSON)
  /login          Django's login form (username, password, next; CSRF-protected; rate-limited)
  /logout         POST (CSRF-protected): logs out and flushes the session
  /whoami         JSON: authenticated, id, username, isStaff
  /auth/verify    forward auth for nginx auth_request, Traefik forwardAuth, Caddy forward_auth:
                  200 with X-Auth-User-Id, X-Auth-Username, X-Auth-Groups, X-Auth-Is-Staff when
                  logged in; 401 otherwise, or with ?redirect=1 a 302 to the login page carrying
                  the original URL (X-Forwarded-Uri or X-Original-URI) as next

Options:
  --port PORT   port to listen on (default: $PORT or 8000; 0 picks a free port)
  --host HOST   address to bind (default: $HOST or 127.0.0.1)
  --user-model APP.MODEL
                the user model, as AUTH_USER_MODEL (default: $AUTH_USER_MODEL or auth.User)
  -h, --help    show this help

Environment:
  DATABASE_URL          sqlite:PATH | postgres://… | mysql://…  (default sqlite:./sessionbridge.sqlite3): users, and sessions for SESSION_STORE=db
  SESSION_STORE         db (default) | cache | cached_db | file | signed_cookies | redis-sessions, as Django's SESSION_ENGINE
  REDIS_URL             the Redis of the cache, cached_db and redis-sessions stores; CACHE_KEY_PREFIX, CACHE_VERSION,
                        CACHE_BACKEND (django-redis | django), CACHE_SERIALIZER as in Django's CACHES
  SESSION_FILE_PATH     the file store's directory
  SECRET_KEY            Django's SECRET_KEY (required for an existing Django database; unset on a
                        database serve creates: one is generated and kept beside it)
  SECRET_KEY_FALLBACKS  comma-separated previous keys, accepted for reading
  DJANGO_VERSION        3.2, 4.2, 5.2, 6.0 or 6.1: which Django's rules to follow (default 5.2)
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
  LOGIN_URL             where forward-auth redirects go (default /login)

Examples:
  sessionbridge serve
  DATABASE_URL=postgres://app@db/app SECRET_KEY=… sessionbridge serve --port 9000
  AUTH_USER_MODEL=accounts.Member AUTH_USER_PK=uuid DATABASE_URL=… SECRET_KEY=… sessionbridge serve
`,
  async run({ args, env, stdout, stderr, stopSignal }) {
    let port = parsePort(env.PORT, 8000);
    let host = env.HOST || "127.0.0.1";
    let userModel: string | undefined;
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
      else throw new UsageError(`Unknown option ${arg}`);
    }
    const { createDemoServer } = await loadDemoServer();
    let config: EnvConfig;
    try {
      config = readEnvConfig(
        userModel === undefined ? env : { ...env, AUTH_USER_MODEL: userModel },
      );
    } catch (error) {
      if (error instanceof ConfigurationError) throw new UsageError(error.message);
      throw error;
    }
    const warn = (message: string): void => void stderr.write(`warning: ${message}\n`);
    const secret = await serveSecretKey(config, warn);
    await ensureDjangoTables(config.databaseUrl, config.djangoVersion, config.userModel);
    const opened = await openSessionStore(config, secret, { createTables: true });
    const usersDatabase = await openDatabaseUrl(config.databaseUrl);
    const settings = resolveSessionSettings({ djangoVersion: config.djangoVersion });
    // Several `serve` processes on one Redis must share one failure budget, or each would allow
    // the full limit; the sessions' client is reused (no second connection to configure).
    const rateLimit = loginRateLimitFromEnv(env, opened.redis?.store.client);
    const server = createDemoServer({
      store: opened.store,
      settings,
      auth: {
        users: new DjangoUserSource({
          database: usersDatabase,
          ...userSourceOptions(config.userModel, usersDatabase.dialect),
        }),
        secretKey: secret,
        secretKeyFallbacks: config.secretKeyFallbacks,
        djangoVersion: config.djangoVersion,
        ...(rateLimit ? { rateLimit } : {}),
      },
      trustedProxies: trustedProxiesFromEnv(env.TRUST_PROXY),
      loginUrl: env.LOGIN_URL || "/login",
      onError: (error) => {
        const what = isSessionBridgeError(error)
          ? `${error.code}: ${error.message}`
          : "unexpected error";
        stderr.write(`request failed (${what})\n`);
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, resolve);
    });
    const address = server.address() as AddressInfo;
    const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
    stdout.write(
      `sessionbridge serving on http://${shownHost}:${address.port} (sessions: ${opened.description}, Django ${config.djangoVersion} rules, login limits: ${rateLimit === undefined ? "off" : opened.redis === undefined ? "in memory" : "in Redis"})\n`,
    );
    await stopSignal;
    server.closeAllConnections();
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
    await opened.close();
    await usersDatabase.close();
  },
};

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

/**
 * Failed-login limits: `LOGIN_RATE_LIMIT` = `N/SECONDS` per username and per client IP
 * (default `5/300` per username, `20/300` per IP); `off` disables them. In `redis` when given
 * (shared by every process), else in this process's memory.
 */
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

/** The demo's second app uses Hono, an optional peer dependency: load it only here. */
async function loadDemoServer(): Promise<typeof import("../demo/server.ts")> {
  try {
    return await import("../demo/server.ts");
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_MODULE_NOT_FOUND") {
      throw new CommandFailure(
        "serve needs the optional packages hono and @hono/node-server: npm install hono @hono/node-server",
      );
    }
    throw error;
  }
}
