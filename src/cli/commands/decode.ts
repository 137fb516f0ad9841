/** `sessionbridge decode`: a stored or cookie value → the session as JSON. */
import { Buffer } from "node:buffer";
import { toTypedJson } from "../../codecs/typed-json.ts";
import { isSessionBridgeError } from "../../errors.ts";
import { intOption, parseCommandArgs } from "../args.ts";
import { CommandFailure, UsageError, type Command } from "../command.ts";
import {
  FORMATS,
  decodeValue,
  isBinaryFormat,
  isSignedFormat,
  type FormatName,
} from "../formats.ts";
import { readInput } from "../input.ts";

export const decodeCommand: Command = {
  name: "decode",
  summary: "Verify and decode a session value (Django, Flask, Starlette, pickle) to JSON",
  help: `Usage: sessionbridge decode --format FORMAT [--secret S] [--fallback-secret S]... [--max-age SECONDS] [--salt SALT] [--hex] VALUE|-

Verifies and decodes VALUE (or standard input with -) and prints the session as one line of
JSON. Values JSON cannot hold are printed as {"$type": "...", "value": ...} (datetime, date,
timedelta, decimal, uuid, tuple, bytes, markup, float, int). A bad signature, an expired or a
malformed value exits 1 with a one-line reason (bad-signature, expired, malformed, too-large,
unsupported-pickle-global, ...).

Formats:
  django          SessionBase.encode output: django_session.session_data, file and redis-sessions values
  django-legacy   the pre-3.1 base64(hash:json) value (Django <= 3.2)
  django-cookie   the signed_cookies backend's cookie (max age: SESSION_COOKIE_AGE, default 1209600)
  pickle          a raw pickle as django-redis / RedisCache store it (give it as hex with --hex)
  flask           Flask's session cookie (max age: PERMANENT_SESSION_LIFETIME, default 31 days)
  starlette       Starlette/FastAPI's session cookie (max age 14 days)
  flask-session   a Flask-Session value from Redis, hex (--serializer pickle|msgpack)

Options:
  --format FORMAT          one of the formats above (required)
  --secret S               the SECRET_KEY (default: $SECRET_KEY)
  --fallback-secret S      an older key accepted for verification (repeatable; default: $SECRET_KEY_FALLBACKS)
  --max-age SECONDS        refuse signatures older than this
  --salt SALT              a non-default salt (e.g. a renamed Django SessionStore class)
  --serializer NAME        pickle or msgpack (flask-session)
  --hex                    VALUE is hex-encoded bytes (pickle, flask-session)
  -h, --help               show this help

Examples:
  sessionbridge decode --format django --secret "$SECRET_KEY" 'eyJmb28iOiJiYXIifQ:1r31eq:nS3WMxIk864-TZxNTF3tbcDvdEJME5izsdXn0HNCPAA'
  redis-cli --raw GET ':1:django.contrib.sessions.cachek5u2…' | xxd -p | tr -d '\\n' | sessionbridge decode --format pickle --hex -
`,
  async run({ args, env, stdout }) {
    const { values, positionals } = parseCommandArgs(args, {
      format: { type: "string" },
      secret: { type: "string" },
      "fallback-secret": { type: "string", multiple: true },
      "max-age": { type: "string" },
      salt: { type: "string" },
      serializer: { type: "string" },
      hex: { type: "boolean" },
    });
    const format = requireFormat(values.format);
    if (positionals.length !== 1)
      throw new UsageError("give exactly one VALUE (or - for standard input)");
    const secret = requireSecretFor(format, values.secret, env);
    const raw = await readInput(positionals[0]!);
    const binary = values.hex === true || isBinaryFormat(format);
    let input: string | Uint8Array = raw.trim();
    if (binary) {
      const hex = raw.replace(/\s+/g, "");
      if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) {
        if (values.hex === true) throw new CommandFailure("malformed: --hex input is not hex");
        throw new UsageError(
          `--format ${format} reads bytes: give them hex-encoded and add --hex (for example: xxd -p FILE | tr -d '\\n')`,
        );
      }
      input = new Uint8Array(Buffer.from(hex, "hex"));
    }
    try {
      const data = decodeValue(format, input, {
        secret,
        fallbackSecrets: values["fallback-secret"] ?? splitList(env.SECRET_KEY_FALLBACKS),
        salt: values.salt,
        maxAge: intOption(values["max-age"], "--max-age"),
        serializer: values.serializer,
      });
      stdout.write(`${JSON.stringify(toTypedJson(data))}\n`);
    } catch (error) {
      if (error instanceof UsageError) throw error;
      if (isSessionBridgeError(error)) throw new CommandFailure(`${error.code}: ${error.message}`);
      throw error;
    }
  },
};

/** @throws {UsageError} when missing or unknown. */
export function requireFormat(value: string | undefined): FormatName {
  if (value === undefined) throw new UsageError(`--format is required (${FORMATS.join(", ")})`);
  if (!(FORMATS as readonly string[]).includes(value)) {
    throw new UsageError(`unknown format "${value}" (${FORMATS.join(", ")})`);
  }
  return value as FormatName;
}

/**
 * The secret key a signed format needs: `--secret`, else `SECRET_KEY`.
 * @throws {UsageError} when a signed format has neither (an empty one counts as missing).
 */
export function requireSecretFor(
  format: FormatName,
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const secret = flag ?? env.SECRET_KEY;
  if (!isSignedFormat(format)) return secret;
  if (secret === undefined || secret === "")
    throw new UsageError(
      `--format ${format} is signed: give the secret key with --secret or SECRET_KEY`,
    );
  return secret;
}

/** Splits a comma-separated environment list. */
export function splitList(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
