// Drives test/interop/django/auth_peer.py (real Django auth) with the system Python: one-shot
// commands and its HTTP server (peer.py's views + /auth/login, /auth/whoami, /auth/logout).
import { spawn } from "node:child_process";
import { join } from "node:path";
import { pythonBaseEnv, runPythonJson } from "../support/python.ts";
import {
  REPO_ROOT,
  djangoPeerEnv,
  djangoPython,
  type DjangoServer,
  type DjangoVersion,
} from "../interop/django/peer.ts";

const SCRIPT = join(REPO_ROOT, "test", "interop", "django", "auth_peer.py");

function env(version: DjangoVersion, extra: Record<string, string>): NodeJS.ProcessEnv {
  return pythonBaseEnv({ ...djangoPeerEnv(version), ...extra });
}

/** Runs `auth_peer.py <args>` and parses its JSON output. */
export function runAuthPeer<T = unknown>(
  version: DjangoVersion,
  args: string[],
  extraEnv: Record<string, string>,
  input?: unknown,
): Promise<T> {
  return runPythonJson<T>(`auth_peer.py ${args.join(" ")} (${version})`, [SCRIPT, ...args], {
    cwd: REPO_ROOT,
    env: env(version, extraEnv),
    input,
    python: djangoPython(version),
  });
}

/** Starts `auth_peer.py serve 0` and resolves once it prints READY <port>. */
export function startAuthServer(
  version: DjangoVersion,
  extraEnv: Record<string, string>,
): Promise<DjangoServer> {
  const child = spawn(djangoPython(version), [SCRIPT, "serve", "0"], {
    cwd: REPO_ROOT,
    env: env(version, extraEnv),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
  };
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => {
      void stop().then(() => reject(new Error(`auth server: no READY\n${stderr}`)));
    }, 30_000);
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString("utf8")));
    child.stdout.on("data", (b: Buffer) => {
      stdout += b.toString("utf8");
      const m = /^READY (\d+)$/m.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve({ url: `http://127.0.0.1:${m[1] ?? ""}`, stop });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`auth server exited early (${code ?? "?"})\n${stderr}`));
    });
  });
}

/** The `sessionid` value of a response's Set-Cookie, `""` when deleted, undefined when absent. */
export function sessionCookie(response: Response): string | undefined {
  for (const line of response.headers.getSetCookie()) {
    const m = /^sessionid=([^;]*)/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}
