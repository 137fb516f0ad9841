// Starts a real Python web app (Flask via Werkzeug, Starlette via uvicorn) from a peer in
// .cache/python-peers with Debian's /usr/bin/python3, waits for "READY <port>", stops it after.
import { spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { peerEnv } from "../django/peer.ts";

export const SYSTEM_PYTHON = "/usr/bin/python3";
const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(HERE, "..", "..", "..");
export const FLASK_PEER_SCRIPT = join(HERE, "peer.py");
export const STARLETTE_PEER_SCRIPT = join(REPO_ROOT, "test", "interop", "starlette", "peer.py");

export interface PythonServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Spawns `script args` with the peer's PYTHONPATH; resolves when it prints READY <port>. */
export function startPythonServer(
  peer: string,
  script: string,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<PythonServer> {
  const base: NodeJS.ProcessEnv = {};
  for (const k of ["PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ"]) {
    if (process.env[k] !== undefined) base[k] = process.env[k];
  }
  const child = spawn(SYSTEM_PYTHON, [script, ...args], {
    cwd: REPO_ROOT,
    env: { ...base, ...peerEnv(peer), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
      await exited;
      clearTimeout(timer);
    }
  };
  return new Promise((resolvePromise, reject) => {
    let stdout = "";
    let stderr = "";
    let settled = false;
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop().then(() => reject(new Error(`${peer} ${script}: ${why}\n${stderr}`)));
    };
    const timer = setTimeout(() => fail(`no READY within ${timeoutMs} ms`), timeoutMs);
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString("utf8")));
    child.stdout.on("data", (b: Buffer) => {
      stdout += b.toString("utf8");
      const m = /^READY (\d+)$/m.exec(stdout);
      if (m && !settled) {
        settled = true;
        clearTimeout(timer);
        const port = Number(m[1]);
        resolvePromise({ url: `http://127.0.0.1:${port}`, port, stop });
      }
    });
    child.on("error", (e) => fail(e.message));
    child.on("exit", (code, signal) => fail(`exited early (${code ?? signal ?? "?"})`));
  });
}

/** GET `url` through `jar`; returns the parsed JSON body and the response. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- a typed JSON reply
export async function getJson<T = Record<string, unknown>>(
  jar: { fetch(url: string, init?: RequestInit): Promise<Response> },
  url: string,
): Promise<{ body: T; res: Response }> {
  const res = await jar.fetch(url);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url} → ${res.status}: ${text}`);
  return { body: JSON.parse(text) as T, res };
}
