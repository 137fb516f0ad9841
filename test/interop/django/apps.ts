// The Django project with django-allauth, DRF, django-axes and messages (apps_project.py) on a
// fresh SQLite database, migrated and with one superuser, served over HTTP; one per test file.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import express, { type Express } from "express";
import { authMiddleware } from "../../../src/adapters/express/auth.ts";
import {
  sessionMiddleware,
  type ExpressSessionOptions,
} from "../../../src/adapters/express/index.ts";
import type { AuthConfig } from "../../../src/auth/config.ts";
import { DjangoUserSource } from "../../../src/auth/django-user-source.ts";
import { DjangoSessionCodec } from "../../../src/codecs/django/session-encoding.ts";
import {
  createSqlStore,
  openDatabaseUrl,
  type SqlDatabase,
} from "../../../src/stores/sql/index.ts";
import { runProcess } from "../../support/cli.ts";
import { listen } from "../../support/http.ts";
import { peerPython, pythonBaseEnv } from "../../support/python.ts";
import { startPythonServer, type PythonServer } from "../flask/server.ts";
import { peerEnv, REPO_ROOT } from "./peer.ts";

export const APPS_PROJECT = join(dirname(fileURLToPath(import.meta.url)), "apps_project.py");
/** The Django releases the apps run beside (peers django-apps-X in scripts/python-peers.sh). */
export const APPS_DJANGO_VERSIONS = ["5.2", "6.1"] as const;
export const APPS_SECRET = "apps-interop-secret-key-for-sessionbridge-0123456789";
export const APPS_USER = {
  username: "alice",
  email: "alice@example.org",
  password: "correct horse 7",
};

export interface AppsProject {
  readonly url: string;
  readonly databaseUrl: string;
  readonly userId: number;
  stop(): Promise<void>;
}

async function manage(
  peer: string,
  args: readonly string[],
  env: Record<string, string>,
): Promise<string> {
  const result = await runProcess(peerPython(peer), [APPS_PROJECT, ...args], {
    cwd: REPO_ROOT,
    env: pythonBaseEnv({ ...peerEnv(peer), ...env }),
  });
  if (result.code !== 0) {
    throw new Error(`apps_project.py ${args.join(" ")} exited ${result.code}:\n${result.stderr}`);
  }
  return result.stdout;
}

/**
 * Migrates a new database (SQLite unless `databaseUrl` names an empty PostgreSQL or MariaDB
 * database), creates {@link APPS_USER} and starts the server.
 */
export async function startAppsProject(
  version: (typeof APPS_DJANGO_VERSIONS)[number],
  settings: Record<string, string> = {},
  databaseUrl = "",
): Promise<AppsProject> {
  const peer = `django-apps-${version}`;
  const dir = mkdtempSync(join(tmpdir(), "sb-apps-"));
  databaseUrl ||= `sqlite:${join(dir, "db.sqlite3")}`;
  const env = { DJANGO_DB: databaseUrl, SECRET_KEY: APPS_SECRET, ...settings };
  let server: PythonServer | undefined;
  try {
    await manage(peer, ["migrate"], env);
    const created = await manage(peer, ["createsuperuser", APPS_USER.username, APPS_USER.email], {
      ...env,
      DJANGO_SUPERUSER_PASSWORD: APPS_USER.password,
    });
    const { id } = JSON.parse(created) as { id: number };
    server = await startPythonServer(peer, APPS_PROJECT, ["serve"], env);
    const started = server;
    return {
      url: started.url,
      databaseUrl,
      userId: id,
      stop: async () => {
        await started.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** What {@link startNodeBesideApps} hands a test file's `before` to add its own routes to. */
export interface NodeBesideAppsSetup {
  readonly app: Express;
  readonly database: SqlDatabase;
  /** The auth configuration the app's `authMiddleware` runs with (also `authenticate`'s). */
  readonly auth: AuthConfig;
}

/** The apps project and an Express app beside it on the same database. */
export interface NodeBesideApps {
  readonly django: AppsProject;
  readonly database: SqlDatabase;
  readonly auth: AuthConfig;
  readonly node: { readonly url: string; close(): Promise<void> };
  /** Stops Node, closes the database and stops Django. */
  stop(): Promise<void>;
}

/**
 * {@link startAppsProject}, then an Express app on its database, as a Node service beside it
 * runs: JSON bodies, Django's sessions in `django_session` (SQL store, the project's secret),
 * and the auth middleware over `auth_user` with `auth`'s extra options. `routes` adds the test
 * file's own routes; `sessionOptions` adds to the session middleware's.
 */
export async function startNodeBesideApps(
  version: (typeof APPS_DJANGO_VERSIONS)[number],
  routes: (setup: NodeBesideAppsSetup) => void,
  options: {
    readonly settings?: Record<string, string>;
    readonly databaseUrl?: string;
    readonly auth?: (database: SqlDatabase) => Partial<AuthConfig>;
    readonly sessionOptions?: Partial<ExpressSessionOptions>;
  } = {},
): Promise<NodeBesideApps> {
  const django = await startAppsProject(version, options.settings, options.databaseUrl);
  let database: SqlDatabase | undefined;
  try {
    database = await openDatabaseUrl(django.databaseUrl);
    const auth: AuthConfig = {
      users: new DjangoUserSource({ database }),
      secretKey: APPS_SECRET,
      djangoVersion: version,
      ...options.auth?.(database),
    };
    const app = express();
    app.use(express.json());
    app.use(
      sessionMiddleware({
        store: createSqlStore({ database, codec: new DjangoSessionCodec({ secret: APPS_SECRET }) }),
        djangoVersion: version,
        ...options.sessionOptions,
      }),
    );
    app.use(authMiddleware(auth));
    routes({ app, database, auth });
    const node = await listen(createServer(app));
    const opened = database;
    return {
      django,
      database,
      auth,
      node,
      stop: async () => {
        await node.close();
        await opened.close();
        await django.stop();
      },
    };
  } catch (error) {
    await database?.close();
    await django.stop();
    throw error;
  }
}
