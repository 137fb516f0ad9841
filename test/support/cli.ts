// Runs the built CLI (dist/cli/main.js) as a user would: a child process, real stdin/stdout.
import { fileURLToPath } from "node:url";
import { runProcess, type ProcessResult } from "./process.ts";

export const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

export type { ProcessResult as CliResult } from "./process.ts";
export { runProcess };

/** Runs `sessionbridge ...args` with `input` on stdin. */
export function runCli(
  args: readonly string[],
  options: { input?: string; env?: Record<string, string>; cwd?: string } = {},
): Promise<ProcessResult> {
  return runProcess(process.execPath, [CLI, ...args], {
    ...options,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...options.env },
  });
}
