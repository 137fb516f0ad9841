// Drives test/interop/django/peer.py (a real Django from .cache/python-peers) with the peer's
// interpreter (pythons.json: Debian's system Python, pyenv's 3.13 for Django 6.1). Run
// `npm run peers` first to fetch the peers.
import { runProcess } from "../../support/process.ts";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { peerPython, pythonBaseEnv, startReadyServer } from "../../support/python.ts";

/** Every Django release the interop tests run against (6.0 has no package: see presets.ts). */
export const DJANGO_VERSIONS = ["3.2", "4.2", "5.2", "6.1"] as const;
export type DjangoVersion = (typeof DJANGO_VERSIONS)[number];

export const SYSTEM_PYTHON = "/usr/bin/python3";
const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(HERE, "..", "..", "..");
export const PEER_SCRIPT = join(HERE, "peer.py");
export const PEERS_JSON = join(REPO_ROOT, ".cache", "python-peers", "peers.json");

let peersCache: Record<string, string[]> | undefined;

/** The peer name -> PYTHONPATH directories map written by scripts/python-peers.sh. */
export function loadPeers(): Record<string, string[]> {
  if (peersCache !== undefined) return peersCache;
  if (!existsSync(PEERS_JSON)) {
    throw new Error(
      `${PEERS_JSON} is missing: run \`npm run peers\` (scripts/python-peers.sh) to fetch the Python peers`,
    );
  }
  const parsed: unknown = JSON.parse(readFileSync(PEERS_JSON, "utf8"));
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${PEERS_JSON} is malformed: re-run \`npm run peers\``);
  }
  const out: Record<string, string[]> = {};
  for (const [name, dirs] of Object.entries(parsed)) {
    if (!Array.isArray(dirs) || !dirs.every((d): d is string => typeof d === "string")) {
      throw new Error(`${PEERS_JSON}: entry ${name} is malformed: re-run \`npm run peers\``);
    }
    out[name] = dirs;
  }
  peersCache = out;
  return out;
}

/** Environment (PYTHONPATH etc.) for running a peer with the system Python. */
export function peerEnv(peer: string): Record<string, string> {
  const dirs = loadPeers()[peer];
  if (dirs === undefined) {
    throw new Error(`peer ${peer} not in ${PEERS_JSON}: re-run \`npm run peers\``);
  }
  return {
    PYTHONPATH: dirs.join(":"),
    PYTHONDONTWRITEBYTECODE: "1",
    PYTHONNOUSERSITE: "1",
    PYTHONUNBUFFERED: "1",
  };
}

export function djangoPeerEnv(version: DjangoVersion): Record<string, string> {
  return peerEnv(`django-${version}`);
}

/** The interpreter of the Django `version` peer (pythons.json). */
export function djangoPython(version: DjangoVersion): string {
  return peerPython(`django-${version}`);
}

/** Only what Python needs from the parent; never a pyenv / virtualenv set-up. */
const baseEnv = pythonBaseEnv;

export interface RunOptions {
  env?: Record<string, string>;
  input?: string;
  timeoutMs?: number;
}

/** Runs `peer.py <args>` with the given Django and returns its parsed JSON output. */
export async function runDjango(
  version: DjangoVersion,
  args: string[],
  opts: RunOptions = {},
): Promise<unknown> {
  const env = baseEnv({ ...djangoPeerEnv(version), ...(opts.env ?? {}) });
  const r = await runProcess(djangoPython(version), [PEER_SCRIPT, ...args], {
    cwd: REPO_ROOT,
    env,
    input: opts.input ?? "",
    timeoutMs: opts.timeoutMs ?? 60_000,
  });
  const what = `django ${version} peer.py ${args.join(" ")}`;
  if (r.code !== 0) {
    throw new Error(`${what} exited with ${r.code ?? r.signal ?? "?"}:\n${r.stderr}`);
  }
  try {
    return JSON.parse(r.stdout) as unknown;
  } catch {
    throw new Error(`${what}: bad JSON on stdout: ${r.stdout}\n${r.stderr}`);
  }
}

/** A free TCP port on 127.0.0.1 (released before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => {
        if (addr !== null && typeof addr === "object") resolvePromise(addr.port);
        else reject(new Error("could not get a free port"));
      });
    });
  });
}

export interface DjangoServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts `peer.py serve` (real SessionMiddleware over HTTP) and resolves once it
 * prints READY. The server binds port 0 itself and reports the port it got, so
 * there is no window in which another process can take it.
 */
export function startDjangoServer(
  version: DjangoVersion,
  env: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<DjangoServer> {
  return startReadyServer(`django ${version} server`, [PEER_SCRIPT, "serve", "0"], {
    cwd: REPO_ROOT,
    env: baseEnv({ ...djangoPeerEnv(version), ...env }),
    timeoutMs,
    python: djangoPython(version),
  });
}
