/**
 * The shape of a CLI command, and the errors that pick the exit code:
 * 0 ok, 1 failed ({@link CommandFailure} or any typed sessionbridge error), 2 usage
 * ({@link UsageError}). Both are {@link SessionBridgeError}s, with codes `usage` and
 * `command-failed`.
 */
import { SessionBridgeError } from "../errors.ts";

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
export class UsageError extends SessionBridgeError {
  static override readonly code = "usage";
}

/** The command ran and failed in an expected way: one line on stderr, exit code 1. */
export class CommandFailure extends SessionBridgeError {
  static override readonly code = "command-failed";
}
