/**
 * The shape of a CLI command, and the errors that pick the exit code:
 * 0 ok, 1 failed ({@link CommandFailure} or any typed sessionbridge error), 2 usage
 * ({@link UsageError}).
 */

/** What every command receives. */
export interface CommandContext {
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM). */
  readonly stopSignal: Promise<void>;
}

/** One `sessionbridge <name>` command. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Full `--help` text: usage, options, environment, examples. */
  readonly help: string;
  run(context: CommandContext): Promise<void>;
}

/** Wrong arguments: printed with a hint to `--help`, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The command ran and failed in an expected way: one line on stderr, exit code 1. */
export class CommandFailure extends Error {
  override name = "CommandFailure";
}
