/** `sessionbridge encode`: a session as JSON → the value a framework stores or sends. */
import { Buffer } from "node:buffer";
import { sessionFromTypedJson } from "../../codecs/typed-json.ts";
import { isSessionBridgeError } from "../../errors.ts";
import { parseCommandArgs } from "../args.ts";
import { CommandFailure, UsageError, type Command } from "../command.ts";
import { encodeValue } from "../formats.ts";
import { readInput } from "../input.ts";
import { requireFormat, requireSecretFor } from "./decode.ts";

export const encodeCommand: Command = {
  name: "encode",
  summary: "Encode and sign a session given as JSON, in a framework's format",
  help: `Usage: sessionbridge encode --format FORMAT [--secret S] [--salt SALT] --json JSON|-

Prints the value FORMAT stores for the session given as a JSON object (typed values as
{"$type": "...", "value": ...}, as decode prints them). Binary formats (pickle, flask-session)
are printed as hex. Formats and their meaning: see 'sessionbridge decode --help'.

Options:
  --format FORMAT     django, django-legacy, django-cookie, pickle, flask, starlette, flask-session
  --secret S          the SECRET_KEY (default: $SECRET_KEY); signs, never a fallback
  --salt SALT         a non-default salt
  --serializer NAME   pickle or msgpack (flask-session)
  --json JSON         the session, or - to read it from standard input
  -h, --help          show this help

Examples:
  sessionbridge encode --format django --secret "$SECRET_KEY" --json '{"_auth_user_id": "1"}'
  echo '{"when": {"$type": "datetime", "value": "2024-01-02T03:04:05+00:00"}}' | sessionbridge encode --format pickle --json -
`,
  async run({ args, env, stdout }) {
    const { values, positionals } = parseCommandArgs(args, {
      format: { type: "string" },
      secret: { type: "string" },
      salt: { type: "string" },
      serializer: { type: "string" },
      json: { type: "string" },
    });
    const format = requireFormat(values.format);
    const secret = requireSecretFor(format, values.secret, env);
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]!}"`);
    if (values.json === undefined) throw new UsageError("--json is required");
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readInput(values.json));
    } catch {
      throw new CommandFailure("malformed: --json is not valid JSON");
    }
    try {
      const encoded = encodeValue(format, sessionFromTypedJson(parsed), {
        secret,
        fallbackSecrets: [],
        salt: values.salt,
        maxAge: undefined,
        serializer: values.serializer,
      });
      stdout.write(
        `${typeof encoded === "string" ? encoded : Buffer.from(encoded).toString("hex")}\n`,
      );
    } catch (error) {
      if (error instanceof UsageError) throw error;
      if (isSessionBridgeError(error)) throw new CommandFailure(`${error.code}: ${error.message}`);
      if (error instanceof TypeError) throw new CommandFailure(`malformed: ${error.message}`);
      throw error;
    }
  },
};
