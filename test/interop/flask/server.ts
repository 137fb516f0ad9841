// Starts a real Python web app (Flask via Werkzeug, Starlette via uvicorn) from a peer in
// .cache/python-peers with the peer's interpreter (pythons.json), waits for "READY <port>",
// stops it after.
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { peerEnv } from "../django/peer.ts";
import { peerPython, pythonBaseEnv, startReadyServer } from "../../support/python.ts";

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
  return startReadyServer(`${peer} ${script}`, [script, ...args], {
    cwd: REPO_ROOT,
    env: pythonBaseEnv({ ...peerEnv(peer), ...env }),
    timeoutMs,
    python: peerPython(peer),
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
