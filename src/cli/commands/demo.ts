/**
 * `sessionbridge demo` (`npm start`): the `serve` endpoints plus two small apps on the same
 * session, to see what the library does: a page app (node:http) and a JSON API (Hono).
 */
import { resolve } from "node:path";
import { parseDatabaseUrl } from "../../internal/sql/url.ts";
import { CommandFailure, type Command } from "../command.ts";
import {
  authServerOptions,
  listenUntilStopped,
  openServeContext,
  parseServeArgs,
  SERVE_ENV_HELP,
  SERVE_OPTIONS_HELP,
} from "../serve/context.ts";

export const demoCommand: Command = {
  name: "demo",
  summary: "Run the demo: a page app and an API sharing one Django session, plus serve's login",
  help: `Usage: sessionbridge demo --django-version V [--port PORT] [--host HOST] [--user-model APP.MODEL]

Runs what \`serve\` runs (login at LOGIN_URL, /logout, /whoami, /auth/verify) plus two apps on
the same session, cookie and users, to show what sessionbridge does:

  /               a page app (node:http adapter): a visit counter in the session, who is
                  logged in, what the API answers, and what a Django project beside it sets
  /backend/*      a JSON API (Hono adapter) on the same session; requires login (401 JSON)

Not for production: the page writes a session for every visitor and the API lists session keys.
Needs the optional packages hono and @hono/node-server.

${SERVE_OPTIONS_HELP}

${SERVE_ENV_HELP}

Examples:
  export DJANGO_VERSION=5.2; npx sessionbridge createsuperuser && npx sessionbridge demo
  DATABASE_URL=sqlite:../mysite/db.sqlite3 SECRET_KEY=… DJANGO_VERSION=4.2 sessionbridge demo
`,
  async run(context) {
    const serveArgs = parseServeArgs(context.args, context.env);
    const { createDemoServer } = await loadDemoServer();
    const opened = await openServeContext(serveArgs, context);
    const server = createDemoServer({
      ...authServerOptions(opened),
      facts: {
        store: opened.storeDescription,
        djangoVersion: opened.config.djangoVersion,
        djangoDatabases: djangoDatabases(opened.config.databaseUrl),
        djangoSessionEngine: djangoSessionEngine(opened.config.sessionStore),
        secretSource: opened.secretSource,
        loginUrl: opened.settings.loginUrl,
      },
    });
    await listenUntilStopped(server, serveArgs, opened, context, "demo");
  },
};

/** Django's `DATABASES` for the same database, as Python (no password: it is not shown). */
function djangoDatabases(databaseUrl: string): string | null {
  const target = parseDatabaseUrl(databaseUrl);
  if (target.dialect === "sqlite") {
    return `{"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ${JSON.stringify(resolve(target.path))}}}`;
  }
  const engine = target.dialect === "postgres" ? "postgresql" : "mysql";
  return `{"default": {"ENGINE": "django.db.backends.${engine}", ...}}  # the database DATABASE_URL names`;
}

/** Django's `SESSION_ENGINE` for a `SESSION_STORE`. */
function djangoSessionEngine(kind: string): string {
  const engines: Record<string, string> = {
    db: "django.contrib.sessions.backends.db",
    cache: "django.contrib.sessions.backends.cache",
    cached_db: "django.contrib.sessions.backends.cached_db",
    file: "django.contrib.sessions.backends.file",
    signed_cookies: "django.contrib.sessions.backends.signed_cookies",
  };
  return engines[kind] ?? "redis_sessions.session";
}

/** The demo's API uses Hono, an optional peer dependency: load it only here. */
async function loadDemoServer(): Promise<typeof import("../demo/server.ts")> {
  try {
    return await import("../demo/server.ts");
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_MODULE_NOT_FOUND") {
      throw new CommandFailure(
        "demo needs the optional packages hono and @hono/node-server: npm install hono @hono/node-server",
      );
    }
    throw error;
  }
}
