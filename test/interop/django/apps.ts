// The Django project with django-allauth, DRF, django-axes and messages (apps_project.py) on a
// fresh SQLite database, migrated and with one superuser, served over HTTP; one per test file.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runProcess } from "../../support/cli.ts";
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
