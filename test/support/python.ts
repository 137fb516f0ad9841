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
