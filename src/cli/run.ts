/**
 * The CLI's dispatcher: finds the command, runs it, turns errors into exit codes.
 * Exit codes: 0 ok, 1 failed, 2 usage. Errors are one line on stderr;
 * `SESSIONBRIDGE_DEBUG=1` adds the stack.
 */
import { readFileSync } from "node:fs";
import { isSessionBridgeError } from "../errors.ts";
import { CommandFailure, UsageError, type Command } from "./command.ts";
import { decodeCommand } from "./commands/decode.ts";
import { encodeCommand } from "./commands/encode.ts";
import { demoCommand } from "./commands/demo.ts";
import { serveCommand } from "./commands/serve.ts";
import { changepasswordCommand } from "./commands/changepassword.ts";
import { clearsessionsCommand } from "./commands/clearsessions.ts";
import { createsuperuserCommand, createuserCommand } from "./commands/createuser.ts";
import { dumpdataCommand, loaddataCommand } from "./commands/dumpdata.ts";
import { flushCommand, sqlflushCommand } from "./commands/flush.ts";
import { migrateCommand } from "./commands/migrate.ts";
import { secretCommand } from "./commands/secret.ts";
import { sessionsCommand } from "./commands/sessions.ts";
import { usersCommand } from "./commands/users.ts";
import { didYouMean } from "./suggest.ts";

const COMMANDS: readonly Command[] = [
  serveCommand,
  demoCommand,
  decodeCommand,
  encodeCommand,
  migrateCommand,
  createuserCommand,
  createsuperuserCommand,
  changepasswordCommand,
  usersCommand,
  clearsessionsCommand,
  sessionsCommand,
  dumpdataCommand,
  loaddataCommand,
  flushCommand,
  sqlflushCommand,
  secretCommand,
];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: sessionbridge <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

Run 'sessionbridge <command> --help' for a command's options.
`;
}

/** Runs the CLI; resolves the exit code. Exported for tests. */
export async function main(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(overview());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-V") {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const hint = didYouMean(
      name,
      COMMANDS.map((c) => c.name),
    );
    process.stderr.write(
      hint === ""
        ? `sessionbridge: unknown command "${name}"\n\n${overview()}`
        : `sessionbridge: unknown command "${name}"${hint}\nRun 'sessionbridge --help' for the list of commands.\n`,
    );
    return 2;
  }
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(command.help);
    return 0;
  }
  const stopSignal = new Promise<void>((resolve) => {
    process.once("SIGINT", () => {
      resolve();
    });
    process.once("SIGTERM", () => {
      resolve();
    });
  });
  try {
    await command.run({ args, env, stdout: process.stdout, stderr: process.stderr, stopSignal });
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(
        `sessionbridge ${name}: ${error.message}\nRun 'sessionbridge ${name} --help' for usage.\n`,
      );
      return 2;
    }
    const message =
      error instanceof CommandFailure || isSessionBridgeError(error)
        ? error.message
        : `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
    process.stderr.write(`sessionbridge ${name}: ${message}\n`);
    if (env.SESSIONBRIDGE_DEBUG && error instanceof Error && error.stack)
      process.stderr.write(`${error.stack}\n`);
    return 1;
  }
}
