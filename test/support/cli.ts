// Runs the built CLI (dist/cli/main.js) as a user would: a child process, real stdin/stdout.
import { fileURLToPath } from "node:url";
import { runProcess, type ProcessResult } from "./process.ts";

export const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

export type { ProcessResult as CliResult } from "./process.ts";
export { runProcess };

/**
 * The Django version every CLI run of the tests states, as a deployment must (`DJANGO_VERSION`
 * is required wherever it changes bytes); a test of its absence passes `DJANGO_VERSION: ""`.
 */
export const TEST_DJANGO = { DJANGO_VERSION: "5.2" } as const;

/** Runs `sessionbridge ...args` with `input` on stdin. */
export function runCli(
  args: readonly string[],
  options: { input?: string; env?: Record<string, string>; cwd?: string } = {},
): Promise<ProcessResult> {
  return runProcess(process.execPath, [CLI, ...args], {
    ...options,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      ...TEST_DJANGO,
      ...options.env,
    },
  });
}

/** The Redis clients the CLI drives (`SESSIONBRIDGE_REDIS_CLIENT`). */
export type CliRedisDriver = "ioredis" | "redis";

/**
 * The CLI's environment for Django's cache engine on Redis (`SESSION_STORE=cache`) through
 * `driver`, without progress lines; `extra` adds to it or overrides it.
 */
export function redisCacheCliEnv(
  driver: CliRedisDriver,
  store: { readonly secretKey: string; readonly keyPrefix: string; readonly url: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    SECRET_KEY: store.secretKey,
    SESSION_STORE: "cache",
    CACHE_KEY_PREFIX: store.keyPrefix,
    REDIS_URL: store.url,
    SESSIONBRIDGE_REDIS_CLIENT: driver,
    SESSIONBRIDGE_NO_PROGRESS: "1",
    ...extra,
  };
}
