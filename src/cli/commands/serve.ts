/**
 * `sessionbridge serve`: the demo server (and, later, the auth/forward-auth server).
 */
import type { AddressInfo } from "node:net";
import { resolveSessionSettings } from "../../engine/config.ts";
import { isSessionBridgeError } from "../../errors.ts";
import type { Command } from "../command.ts";
import { CommandFailure, UsageError } from "../command.ts";
import { parsePort, readEnvConfig } from "../env-config.ts";
import { openSessionStore, resolveSecretKey } from "../session-store.ts";

export const serveCommand: Command = {
  name: "serve",
  summary: "Run the demo server: a page app at / and a JSON app at /backend sharing one session",
  help: `Usage: sessionbridge serve [--port PORT] [--host HOST]

Runs a small real server: a page app at / (node:http adapter) counting visits in the
session, and a JSON API at /backend (Hono adapter) reading the same session. Tables are
created on first run.

Options:
  --port PORT   port to listen on (default: $PORT or 8000; 0 picks a free port)
  --host HOST   address to bind (default: $HOST or 127.0.0.1)
  -h, --help    show this help

Environment:
  DATABASE_URL          sqlite:PATH | postgres://… | mysql://…  (default sqlite:./sessionbridge.sqlite3)
  SECRET_KEY            Django's SECRET_KEY (if unset, one is generated and kept beside the database)
  SECRET_KEY_FALLBACKS  comma-separated previous keys, accepted for reading
  DJANGO_VERSION        3.2, 4.2 or 5.2: which Django's rules to follow (default 5.2)

Examples:
  sessionbridge serve
  DATABASE_URL=postgres://app@db/app SECRET_KEY=… sessionbridge serve --port 9000
`,
  async run({ args, env, stdout, stderr, stopSignal }) {
    let port = parsePort(env.PORT, 8000);
    let host = env.HOST || "127.0.0.1";
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
      else throw new UsageError(`Unknown option ${arg}`);
    }
    const { createDemoServer } = await loadDemoServer();
    const config = readEnvConfig(env);
    const warn = (message: string): void => void stderr.write(`warning: ${message}\n`);
    const secret = resolveSecretKey(config, warn);
    const opened = await openSessionStore(config, secret, { createTables: true });
    const settings = resolveSessionSettings({ djangoVersion: config.djangoVersion });
    const server = createDemoServer({
      store: opened.store,
      settings,
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
      `sessionbridge serving on http://${shownHost}:${address.port} (sessions: ${opened.description}, Django ${config.djangoVersion} rules)\n`,
    );
    await stopSignal;
    server.closeAllConnections();
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
    await opened.close();
  },
};

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
