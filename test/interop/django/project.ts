// A small real Django project (test/interop/django/project.py: admin, auth, sessions, messages,
// CSRF) driven as its operators drive it: its own migrate and createsuperuser, a login through
// its admin form, and its CsrfViewMiddleware.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runProcess } from "../../support/cli.ts";
import { peerPython, pythonBaseEnv } from "../../support/python.ts";
import { peerEnv, REPO_ROOT } from "./peer.ts";
import { startPythonServer, type PythonServer } from "../flask/server.ts";

export const DJANGO_PROJECT = join(dirname(fileURLToPath(import.meta.url)), "project.py");

/** Starts the project's server (`project.py serve`) with a Django peer. */
export function startDjangoProject(
  peer: string,
  env: Record<string, string>,
): Promise<PythonServer> {
  return startPythonServer(peer, DJANGO_PROJECT, ["serve"], env);
}

/** Runs `project.py args` with a Django peer; rejects on a non-zero exit. */
export async function djangoProject(
  peer: string,
  args: readonly string[],
  env: Record<string, string>,
  input = "",
): Promise<string> {
  const result = await runProcess(peerPython(peer), [DJANGO_PROJECT, ...args], {
    cwd: REPO_ROOT,
    env: pythonBaseEnv({ ...peerEnv(peer), ...env }),
    input,
  });
  if (result.code !== 0) {
    throw new Error(`project.py ${args.join(" ")} exited ${result.code}:\n${result.stderr}`);
  }
  return result.stdout;
}

/** What one POST to Django's admin login form answered. */
export interface AdminLoginAttempt {
  readonly status: number;
  /** The `sessionid` Django set, if it set one. */
  readonly sessionid: string | undefined;
}

/**
 * One login attempt through Django's admin login form, as a person makes it: the form's CSRF
 * token and cookie, then the POST. A 302 with a `sessionid` is a login; 200 is the form again
 * (a wrong password, or a lockout that answers with the form).
 */
export async function postDjangoAdminLogin(
  djangoUrl: string,
  username: string,
  password: string,
  userAgent?: string,
): Promise<AdminLoginAttempt> {
  const page = await fetch(`${djangoUrl}/admin/login/?next=/admin/`);
  const csrfCookie = /csrftoken=([^;]+)/.exec(page.headers.getSetCookie().join("\n"))?.[1];
  const token = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(await page.text())?.[1];
  if (csrfCookie === undefined || token === undefined) {
    throw new Error("Django's admin login page has no CSRF token");
  }
  const response = await fetch(`${djangoUrl}/admin/login/?next=/admin/`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Cookie: `csrftoken=${csrfCookie}`,
      Origin: djangoUrl,
      Referer: `${djangoUrl}/admin/login/`,
      ...(userAgent === undefined ? {} : { "User-Agent": userAgent }),
    },
    body: new URLSearchParams({ csrfmiddlewaretoken: token, username, password, next: "/admin/" }),
  });
  await response.arrayBuffer();
  const sessionid = /sessionid=([^;]+)/.exec(response.headers.getSetCookie().join("\n"))?.[1];
  return { status: response.status, sessionid };
}

/**
 * Logs in through Django's admin login form ({@link postDjangoAdminLogin}); resolves with the
 * `sessionid` Django set, and throws when Django did not log the user in.
 */
export async function djangoAdminLogin(
  djangoUrl: string,
  username: string,
  password: string,
): Promise<string> {
  const { status, sessionid } = await postDjangoAdminLogin(djangoUrl, username, password);
  if (status !== 302 || sessionid === undefined) {
    throw new Error(`Django's admin login failed: ${status}`);
  }
  return sessionid;
}
