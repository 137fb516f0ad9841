// Runs Debian's system Python (never the pyenv one first on PATH) for cross-checks.
import { spawn } from "node:child_process";

/** The interpreter every Python peer runs on. */
export const SYSTEM_PYTHON = "/usr/bin/python3";

/** Runs `code` with `input` on stdin; resolves stdout, rejects with stderr on failure. */
export function runPython(
  code: string,
  input = "",
  env: Record<string, string> = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(SYSTEM_PYTHON, ["-c", code], {
      env: { ...process.env, PYTHONIOENCODING: "utf-8", ...env },
    });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`python exited ${code}: ${err}`));
    });
    child.stdin.end(input);
  });
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
 * Spawns `/usr/bin/python3 args…` in `cwd` with exactly `env` and resolves once it prints
 * `READY <port>` on a line of its own. The server binds port 0 itself and reports the port it
 * got, so there is no window in which another process can take it. On a timeout, an early exit
 * or a spawn error it is stopped and the promise rejects with `label`, the reason and stderr.
 */
export function startReadyServer(
  label: string,
  args: readonly string[],
  { cwd, env, timeoutMs = 30_000 }: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<ReadyServer> {
  const child = spawn(SYSTEM_PYTHON, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
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
 * Runs `/usr/bin/python3 args…` in `cwd` with exactly `env`, `input` as JSON on stdin, and
 * resolves its stdout parsed as JSON; rejects with `label`, the exit code and stderr when it
 * fails, or with the text when it is not JSON.
 */
export function runPythonJson<T = unknown>(
  label: string,
  args: readonly string[],
  { cwd, env, input }: { cwd: string; env: NodeJS.ProcessEnv; input?: unknown },
): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(SYSTEM_PYTHON, args, {
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
