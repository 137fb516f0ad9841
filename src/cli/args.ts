/**
 * A small argument reader for the CLI commands, over `node:util` `parseArgs`, that turns its
 * errors into {@link UsageError}s (exit code 2) with messages of our own: Node's name the
 * option inside a sentence of mixed quotes, and suggest nothing for a typo.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./command.ts";
import { didYouMean } from "./suggest.ts";

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
    throw new UsageError(describeParseError(args, options, error));
  }
}

/**
 * Names what is wrong with `args`: the first option that is unknown, lacks its value or has one
 * it does not take. Node's parser is asked again, leniently, for the tokens it saw.
 */
function describeParseError(args: readonly string[], options: Options, error: unknown): string {
  const { tokens } = parseArgs({
    args: [...args],
    options,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const known = Object.entries(options).flatMap(([name, option]) => [
    `--${name}`,
    ...(option.short === undefined ? [] : [`-${option.short}`]),
  ]);
  for (const token of tokens) {
    if (token.kind !== "option") continue;
    const option = options[token.name];
    if (option === undefined) {
      return `unknown option "${token.rawName}"${didYouMean(token.rawName, known)}`;
    }
    if (option.type === "string" && token.value === undefined) {
      return `option "${token.rawName}" needs a value`;
    }
    if (option.type === "string" && token.inlineValue === false && token.value.startsWith("-")) {
      return `option "${token.rawName}" needs a value, not the option "${token.value}" (write ${token.rawName}=${token.value} if that is the value)`;
    }
    if (option.type === "boolean" && token.value !== undefined) {
      return `option "${token.rawName}" takes no value`;
    }
  }
  // Nothing above matched (not expected): Node's own first line.
  return error instanceof Error ? error.message.split("\n")[0]! : String(error);
}

/** Reads an integer option. @throws {UsageError} */
export function intOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw new UsageError(`${name} must be a whole number`);
  return Number(value);
}
