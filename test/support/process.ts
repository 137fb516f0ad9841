// The one way tests run a child process to its end: spawn it, write its standard input, collect
// its output as text, and resolve with how it ended (never reject on a non-zero exit: the
// caller decides what a failure means and how to report it).
import { spawn } from "node:child_process";

/** How a child process ended, and what it wrote. */
export interface ProcessResult {
  /** The exit status; `null` when a signal ended it (see `signal`). */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link runProcess}. */
export interface RunProcessOptions {
  /** Written to standard input, which is then closed (default: nothing). */
  readonly input?: string;
  /** The child's whole environment (default: the parent's). */
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string | undefined;
  /** Killed (SIGTERM) after this long; default never. */
  readonly timeoutMs?: number;
}

/**
 * Runs `command args` to its end, collecting its output; rejects only when it cannot start.
 *
 * @example
 * ```ts
 * const { code, stdout } = await runProcess("python3", ["-c", "print(1)"]);
 * ```
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: RunProcessOptions = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
    // The child may exit before reading its input: that shows in how it ended, not here.
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
  });
}
