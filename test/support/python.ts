// Runs the Python peers: Debian's system Python (never the pyenv one first on PATH) for
// cross-checks, and each peer on the interpreter scripts/python-peers.sh chose for it
// (.cache/python-peers/pythons.json: Django 6.1 needs Python >= 3.12, so pyenv's 3.13).
import { spawn } from "node:child_process";
import { runProcess } from "./process.ts";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Debian's interpreter: the one of most peers, and of the plain cross-checks. */
export const SYSTEM_PYTHON = "/usr/bin/python3";

const PYTHONS_JSON = join(
  resolve(dirname(fileURLToPath(import.meta.url)), "..", ".."),
  ".cache",
  "python-peers",
  "pythons.json",
);
let pythonsCache: Readonly<Record<string, string>> | undefined;

/**
 * The interpreter of `peer` from pythons.json (written by `npm run peers`). A peer missing from
 * it fails the run, as a missing peer does.
 */
export function peerPython(peer: string): string {
  if (pythonsCache === undefined) {
    if (!existsSync(PYTHONS_JSON)) {
      throw new Error(`${PYTHONS_JSON} is missing: run \`npm run peers\``);
    }
    const parsed: unknown = JSON.parse(readFileSync(PYTHONS_JSON, "utf8"));
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new Error(`${PYTHONS_JSON} is malformed: re-run \`npm run peers\``);
    }
    pythonsCache = Object.fromEntries(
      Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === "string"),
    );
  }
  const python = pythonsCache[peer];
  if (python === undefined) {
    throw new Error(`peer ${peer} not in ${PYTHONS_JSON}: re-run \`npm run peers\``);
  }
  return python;
}

/** Runs `code` with `input` on stdin; resolves stdout, rejects with stderr on failure. */
export async function runPython(
  code: string,
  input = "",
  env: Record<string, string> = {},
): Promise<string> {
  const r = await runProcess(SYSTEM_PYTHON, ["-c", code], {
    input,
    env: { ...process.env, PYTHONIOENCODING: "utf-8", ...env },
  });
  if (r.code !== 0) throw new Error(`python exited ${r.code ?? r.signal ?? "?"}: ${r.stderr}`);
  return r.stdout;
}

/**
 * The parent's environment that a Python peer may see: only what Python needs, never a pyenv
 * or virtualenv set-up, plus `extra`.
 */
export function pythonBaseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ["PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ"]) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  return { ...env, ...extra };
}

/** A Python server started by {@link startReadyServer}. */
export interface ReadyServer {
  readonly url: string;
  readonly port: number;
  /** SIGTERM, then SIGKILL after 3 s; resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * Spawns `python args…` (default `/usr/bin/python3`) in `cwd` with exactly `env` and resolves
 * once it prints
 * `READY <port>` on a line of its own. The server binds port 0 itself and reports the port it
 * got, so there is no window in which another process can take it. On a timeout, an early exit
 * or a spawn error it is stopped and the promise rejects with `label`, the reason and stderr.
 */
export function startReadyServer(
  label: string,
  args: readonly string[],
  {
    cwd,
    env,
    timeoutMs = 30_000,
    python = SYSTEM_PYTHON,
  }: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number; python?: string },
): Promise<ReadyServer> {
  const child = spawn(python, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<void>((r) =>
    child.once("exit", () => {
      r();
    }),
  );
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
      void stop().then(() => {
        reject(new Error(`${label}: ${why}\n${stderr}`));
      });
    };
    const timer = setTimeout(() => {
      fail(`no READY within ${timeoutMs} ms`);
    }, timeoutMs);
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString("utf8");
    });
    child.stdout.on("data", (b: Buffer) => {
      stdout += b.toString("utf8");
      const m = /^READY (\d+)$/m.exec(stdout);
      if (m !== null && !settled) {
        settled = true;
        clearTimeout(timer);
        const port = Number(m[1]);
        resolvePromise({ url: `http://127.0.0.1:${port}`, port, stop });
      }
    });
    child.on("error", (e) => {
      fail(e.message);
    });
    child.on("exit", (code, signal) => {
      fail(`exited early (${code ?? signal ?? "?"})`);
    });
  });
}

/**
 * Runs `python args…` (default `/usr/bin/python3`) in `cwd` with exactly `env`, `input` as JSON
 * on stdin, and
 * resolves its stdout parsed as JSON; rejects with `label`, the exit code and stderr when it
 * fails, or with the text when it is not JSON.
 */
export function runPythonJson<T = unknown>(
  label: string,
  args: readonly string[],
  {
    cwd,
    env,
    input,
    python = SYSTEM_PYTHON,
  }: { cwd: string; env: NodeJS.ProcessEnv; input?: unknown; python?: string },
): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(python, args, {
      cwd,
      env,
      stdio: ["pipe", "pipe", "pipe"],
      timeout: 120_000,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code) => {
      const stdout = Buffer.concat(out).toString("utf8");
      if (code !== 0) {
        const stderr = Buffer.concat(err).toString("utf8");
        reject(new Error(`${label} exited ${code ?? "?"}:\n${stderr}`));
        return;
      }
      try {
        resolvePromise(JSON.parse(stdout) as T);
      } catch {
        reject(new Error(`${label}: bad JSON: ${stdout}`));
      }
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(input === undefined ? "" : JSON.stringify(input));
  });
}
