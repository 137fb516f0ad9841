/** `sessionbridge secret generate`: a new Django-style SECRET_KEY. */
import type { Command } from "../command.ts";
import { UsageError } from "../command.ts";
import { parseCommandArgs } from "../args.ts";
import { generateSecretKey } from "../secret-key.ts";

export const secretCommand: Command = {
  name: "secret",
  summary: "Generate a Django-style 50-character SECRET_KEY",
  help: `Usage: sessionbridge secret generate [--json]

Prints a new 50-character secret key from the alphabet of Django's get_random_secret_key()
(a-z, 0-9 and !@#$%^&*(-_=+)), drawn from a CSPRNG.

Options:
  --json       print {"secret_key": "..."}
  -h, --help   show this help

Examples:
  sessionbridge secret generate
  echo "SECRET_KEY='$(sessionbridge secret generate)'" >> .env
`,
  run({ args, stdout }) {
    const { values, positionals } = parseCommandArgs(args, { json: { type: "boolean" } });
    if (positionals[0] !== "generate") {
      throw new UsageError(
        positionals.length === 0
          ? "missing subcommand (generate)"
          : `unknown subcommand "${positionals[0]}"`,
      );
    }
    if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
    const key = generateSecretKey();
    stdout.write(values.json === true ? `${JSON.stringify({ secret_key: key })}\n` : `${key}\n`);
    return Promise.resolve();
  },
};
