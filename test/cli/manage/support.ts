// Helpers of the management-command tests: a real Django project (django_manage.py), a real
// pseudo-terminal (pty_driver.py, Python's pty module: no npm package needed), fresh databases.
import { fileURLToPath } from "node:url";
import { CLI, runProcess, TEST_DJANGO } from "../../support/cli.ts";
import {
  djangoPeerEnv,
  djangoPython,
  SYSTEM_PYTHON,
  type DjangoVersion,
} from "../../interop/django/peer.ts";

const HERE = fileURLToPath(new URL(".", import.meta.url));
export const DJANGO_MANAGE = `${HERE}django_manage.py`;
export const PTY_DRIVER = `${HERE}pty_driver.py`;
export const SECRET = "management-test-secret-key";

export type { ProcessResult } from "../../support/process.ts";

function run(
  command: string,
  args: readonly string[],
  env: Record<string, string>,
  input = "",
): ReturnType<typeof runProcess> {
  return runProcess(command, args, { env, input });
}

/** Runs `django_manage.py ARGS` with Django `version` on `db` (a DJANGO_DB URL). */
export async function django(
  version: DjangoVersion,
  db: string,
  args: readonly string[],
  extraEnv: Record<string, string> = {},
): Promise<string> {
  const r = await run(djangoPython(version), [DJANGO_MANAGE, ...args], {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    ...djangoPeerEnv(version),
    DJANGO_DB: db,
    SECRET_KEY: SECRET,
    ...extraEnv,
  });
  if (r.code !== 0)
    throw new Error(`django ${version} ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** `django(...)` parsed as JSON. */
export async function djangoJson<T>(
  version: DjangoVersion,
  db: string,
  args: readonly string[],
  extraEnv: Record<string, string> = {},
): Promise<T> {
  return JSON.parse(await django(version, db, args, extraEnv)) as T;
}

/** DJANGO_DB for a DATABASE_URL (same forms, sqlite without the sqlite: scheme's variants). */
export function djangoDb(url: string): string {
  return url.startsWith("sqlite:") ? `sqlite:${url.slice("sqlite:".length)}` : url;
}

export interface PtyResult {
  readonly code: number | null;
  readonly output: string;
  readonly timed_out: number | null;
}

/** Runs `sessionbridge ARGS` in a real pseudo-terminal, playing `script` ([expect, send] pairs). */
export async function runCliInPty(
  args: readonly string[],
  script: readonly (readonly [string, string])[],
  env: Record<string, string>,
): Promise<PtyResult> {
  const envArgs = Object.entries({ ...TEST_DJANGO, ...env }).map(([k, v]) => `${k}=${v}`);
  const r = await run(
    SYSTEM_PYTHON,
    [
      PTY_DRIVER,
      JSON.stringify(script),
      "--",
      "env",
      "-i",
      `PATH=${process.env.PATH ?? ""}`,
      `HOME=${process.env.HOME ?? ""}`,
      "TERM=xterm",
      ...envArgs,
      process.execPath,
      CLI,
      ...args,
    ],
    { PATH: process.env.PATH ?? "" },
  );
  if (r.code !== 0) throw new Error(`pty driver failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as PtyResult;
}

export const DIALECTS = ["sqlite", "postgres", "mysql"] as const;
export type Dialect = (typeof DIALECTS)[number];
