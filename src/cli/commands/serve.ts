/**
 * `sessionbridge serve`: the production login and forward-auth server on a Django deployment's
 * sessions and users. It serves only its own endpoints; the demo is `sessionbridge demo`.
 */
import type { Command } from "../command.ts";
import {
  authServerOptions,
  listenUntilStopped,
  openServeContext,
  parseServeArgs,
  SERVE_ENV_HELP,
  SERVE_OPTIONS_HELP,
} from "../serve/context.ts";
import { createAuthServer } from "../serve/server.ts";

export const serveCommand: Command = {
  name: "serve",
  summary: "Run the login and forward-auth server on a Django deployment's sessions and users",
  help: `Usage: sessionbridge serve --django-version V [--port PORT] [--host HOST] [--user-model APP.MODEL]

Runs the login and forward-auth server on the sessions and users of a Django deployment (or of
the embedded SQLite default, whose tables are created on first run). It serves only these paths
(every other path is a 404, and writes no session):

  LOGIN_URL (/login)  Django's login form (username, password, next; CSRF-protected; rate-limited)
  /logout             GET: a page with a log-out button; POST (CSRF-protected): logs out and
                      flushes the session, then goes to LOGOUT_REDIRECT_URL
  /whoami             JSON: authenticated, id, username, isStaff
  /auth/verify        forward auth for nginx auth_request, Traefik forwardAuth, Caddy forward_auth:
                      200 with X-Auth-User-Id, X-Auth-Username, X-Auth-Groups, X-Auth-Is-Staff when
                      logged in; 401 otherwise, or with ?redirect=1 a 302 to LOGIN_URL carrying
                      the original URL (X-Forwarded-Uri or X-Original-URI) as next
  /healthz            200 ok

The demo (a page app and an API sharing the session) is \`sessionbridge demo\` (\`npm start\`).

${SERVE_OPTIONS_HELP}

${SERVE_ENV_HELP}

Examples:
  sessionbridge serve --django-version 5.2
  DATABASE_URL=postgres://app@db/app SECRET_KEY=… DJANGO_VERSION=4.2 SESSION_COOKIE_SECURE=True sessionbridge serve --port 9000
  AUTH_USER_MODEL=accounts.Member AUTH_USER_PK=uuid DATABASE_URL=… SECRET_KEY=… DJANGO_VERSION=5.2 sessionbridge serve
`,
  async run(context) {
    const serveArgs = parseServeArgs(context.args, context.env);
    const opened = await openServeContext(serveArgs, context);
    const server = createAuthServer(authServerOptions(opened));
    await listenUntilStopped(server, serveArgs, opened, context, "serve");
  },
};
