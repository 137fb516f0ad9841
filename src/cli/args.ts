/**
 * A small argument reader for the CLI commands, over `node:util` `parseArgs`, that turns its
 * errors into {@link UsageError}s (exit code 2).
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./command.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parses `args` strictly; unknown options and missing values are usage errors. */
export function parseCommandArgs<T extends Options>(
  args: readonly string[],
  options: T,
): ReturnType<
  typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>
> {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.split("\n")[0]! : String(error));
  }
}

/** Reads an integer option. @throws {UsageError} */
export function intOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw new UsageError(`${name} must be a whole number`);
  return Number(value);
}
