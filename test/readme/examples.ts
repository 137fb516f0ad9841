// Runs the README's TypeScript examples as a reader would: each block written to a file inside
// the package (so `sessionbridge/...` resolves to the built package by self-reference) and run
// with `node --import tsx`, beside the real Python app it names.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../interop/django/peer.ts";
import { runProcess, type CliResult } from "../support/cli.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, "..", "..");
// Inside this checkout (not .cache/, which checkouts may share) so that `sessionbridge/...`
// resolves to this checkout's own dist/.
const RUN_DIR = join(ROOT, ".work", "readme-run");

/** The README's TypeScript blocks by the id in the `<!-- example: id -->` line before each. */
export function readmeExamples(): Map<string, string> {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const examples = new Map<string, string>();
  for (const m of readme.matchAll(/<!-- example: ([\w-]+) -->\n```ts\n([\s\S]*?)```/g)) {
    examples.set(m[1]!, m[2]!);
  }
  return examples;
}

/** Every ```ts block in the README, labelled or not. */
export function readmeTypeScriptBlockCount(): number {
  return [...readFileSync(join(ROOT, "README.md"), "utf8").matchAll(/```ts\n/g)].length;
}

// The reader's tsconfig.json, as the README asks of a NestJS project: parameter decorators need
// experimentalDecorators (the checkout's own tsconfig.json covers only its src/, test/, ...).
const RUN_TSCONFIG = join(RUN_DIR, "tsconfig.json");
const READER_TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    experimentalDecorators: true,
  },
};

function exampleFile(id: string): string {
  const code = readmeExamples().get(id);
  if (code === undefined) throw new Error(`README has no example "${id}"`);
  mkdirSync(RUN_DIR, { recursive: true });
  writeFileSync(RUN_TSCONFIG, JSON.stringify(READER_TSCONFIG, null, 2));
  const file = join(RUN_DIR, `${id}.ts`);
  writeFileSync(file, code);
  return file;
}

function exampleEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    TSX_TSCONFIG_PATH: RUN_TSCONFIG,
    ...env,
  };
}

/** Runs a README example that ends by itself, to its end. */
export function runExample(id: string, env: Record<string, string>): Promise<CliResult> {
  return runProcess(process.execPath, ["--import", "tsx", exampleFile(id)], {
    cwd: ROOT,
    env: exampleEnv(env),
  });
}

/** A README example that serves HTTP, started on a free port. */
export interface RunningExample {
  readonly url: string;
  stderr(): string;
  /** SIGTERM; resolves with how it ended once it has. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a README server example with `PORT` set, and resolves once it answers HTTP. */
export async function startExample(
  id: string,
  env: Record<string, string>,
): Promise<RunningExample> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", exampleFile(id)], {
    cwd: ROOT,
    env: exampleEnv({ ...env, PORT: String(port) }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdout!.resume();
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once("exit", (code, signal) => r({ code, signal })),
  );
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const url = `http://127.0.0.1:${port}`;
  // Up to 60 s for tsx to compile and the example to connect its stores.
  for (let attempt = 0; ; attempt++) {
    if (exited()) throw new Error(`example ${id} exited before listening:\n${stderr}`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(2_000) });
      break;
    } catch {
      if (attempt >= 300) {
        child.kill("SIGKILL");
        throw new Error(`example ${id} did not listen on ${port}:\n${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    url,
    stderr: () => stderr,
    stop: async () => {
      if (!exited()) child.kill("SIGTERM");
      return ended;
    },
  };
}
