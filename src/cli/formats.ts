/**
 * The value formats `decode` and `encode` understand, each a pair of pure codec calls.
 *
 * | format          | what it is                                                          |
 * |-----------------|---------------------------------------------------------------------|
 * | `django`        | `SessionBase.encode` output (db/file/cache-engine values)           |
 * | `django-legacy` | the pre-3.1 `base64(hash:json)` value                               |
 * | `django-cookie` | the `signed_cookies` backend's cookie value                         |
 * | `pickle`        | a raw pickle (django-redis / RedisCache value), hex                 |
 * | `flask`         | Flask's `session` cookie                                            |
 * | `starlette`     | Starlette/FastAPI's `session` cookie                                |
 * | `flask-session` | a Flask-Session value stored in Redis (pickle ≤0.6 or msgpack ≥0.7), hex |
 */
import { Buffer } from "node:buffer";
import { DjangoSessionCodec, DJANGO_SESSION_SALT } from "../codecs/django/session-encoding.ts";
import {
  DjangoTimestampSigner,
  djangoSignBytes,
  djangoUnsignBytes,
} from "../codecs/django/signing.ts";
import { djangoJsonSerializer } from "../codecs/django/session-encoding.ts";
import { FlaskSessionCodec } from "../codecs/flask/index.ts";
import { decodeMsgspecMsgpack, encodeMsgspecMsgpack } from "../codecs/msgpack/msgspec.ts";
import { dumpsPickle, loadsPickleSession } from "../codecs/pickle/index.ts";
import type { SessionData } from "../codecs/python-values.ts";
import { StarletteSessionCodec } from "../codecs/starlette/index.ts";
import { MalformedError } from "../errors.ts";

/** The format names, in help order. */
export const FORMATS = [
  "django",
  "django-legacy",
  "django-cookie",
  "pickle",
  "flask",
  "starlette",
  "flask-session",
] as const;

/** One of {@link FORMATS}. */
export type FormatName = (typeof FORMATS)[number];

/** What a format needs to know. */
export interface FormatOptions {
  readonly secret: string | undefined;
  readonly fallbackSecrets: readonly string[];
  readonly salt: string | undefined;
  /** Seconds; `undefined` = the format's default; only signed formats check it. */
  readonly maxAge: number | undefined;
  /** `pickle` or `msgpack`, for `flask-session`. */
  readonly serializer: string | undefined;
}

/** True for formats whose values are bytes (given and printed as hex). */
export function isBinaryFormat(format: FormatName): boolean {
  return format === "pickle" || format === "flask-session";
}

/** True for formats that are signed, which need the secret key to decode or encode. */
export function isSignedFormat(format: FormatName): boolean {
  return !isBinaryFormat(format);
}

const DJANGO_COOKIE_SALT = "django.contrib.sessions.backends.signed_cookies";
const DJANGO_COOKIE_AGE = 1_209_600;

function needSecret(options: FormatOptions): string {
  if (options.secret === undefined) throw new MalformedError("this format needs --secret");
  return options.secret;
}

function djangoSigner(options: FormatOptions, defaultSalt: string): DjangoTimestampSigner {
  return new DjangoTimestampSigner({
    secret: needSecret(options),
    fallbackSecrets: options.fallbackSecrets,
    salt: options.salt ?? defaultSalt,
  });
}

/**
 * Decodes `value` (text, or bytes for binary formats).
 * @throws typed errors (`bad-signature`, `expired`, `malformed`, `too-large`, `unsupported-pickle-*`).
 */
export function decodeValue(
  format: FormatName,
  value: string | Uint8Array,
  options: FormatOptions,
): SessionData {
  const text = typeof value === "string" ? value.trim() : Buffer.from(value).toString("latin1");
  switch (format) {
    case "django":
      return djangoJsonSerializer.loads(
        djangoUnsignBytes(djangoSigner(options, DJANGO_SESSION_SALT), text, {
          maxAge: options.maxAge,
        }),
      );
    case "django-cookie":
      return djangoJsonSerializer.loads(
        djangoUnsignBytes(djangoSigner(options, DJANGO_COOKIE_SALT), text, {
          maxAge: options.maxAge ?? DJANGO_COOKIE_AGE,
        }),
      );
    case "django-legacy":
      return new DjangoSessionCodec({
        secret: needSecret(options),
        readLegacy: true,
        ...(options.salt === undefined ? {} : { salt: options.salt }),
      }).decode(text);
    case "pickle":
      return loadsPickleSession(asBytes(value));
    case "flask":
      return new FlaskSessionCodec({
        secretKey: needSecret(options),
        secretKeyFallbacks: options.fallbackSecrets,
        ...(options.salt === undefined ? {} : { salt: options.salt }),
        ...(options.maxAge === undefined ? {} : { maxAge: options.maxAge }),
      }).decode(text);
    case "starlette":
      return new StarletteSessionCodec({
        secretKey: needSecret(options),
        ...(options.maxAge === undefined ? {} : { maxAge: options.maxAge }),
      }).decode(text);
    case "flask-session": {
      if ((options.serializer ?? "pickle") === "pickle") return loadsPickleSession(asBytes(value));
      return decodeMsgspecMsgpack(asBytes(value));
    }
  }
}

/** Encodes a session; binary formats return bytes. */
export function encodeValue(
  format: FormatName,
  data: SessionData,
  options: FormatOptions,
): string | Uint8Array {
  switch (format) {
    case "django":
      return djangoSignBytes(
        djangoSigner(options, DJANGO_SESSION_SALT),
        djangoJsonSerializer.dumps(data),
        {
          compress: true,
        },
      );
    case "django-cookie":
      return djangoSignBytes(
        djangoSigner(options, DJANGO_COOKIE_SALT),
        djangoJsonSerializer.dumps(data),
        {
          compress: true,
        },
      );
    case "django-legacy":
      return new DjangoSessionCodec({
        secret: needSecret(options),
        writeLegacy: true,
        ...(options.salt === undefined ? {} : { salt: options.salt }),
      }).encode(data);
    case "pickle":
      return dumpsPickle(data, { protocol: 4 });
    case "flask":
      return new FlaskSessionCodec({
        secretKey: needSecret(options),
        ...(options.salt === undefined ? {} : { salt: options.salt }),
      }).encode(data);
    case "starlette":
      return new StarletteSessionCodec({ secretKey: needSecret(options) }).encode(data);
    case "flask-session":
      if ((options.serializer ?? "pickle") === "pickle") return dumpsPickle(data, { protocol: 4 });
      return encodeMsgspecMsgpack(data);
  }
}

function asBytes(value: string | Uint8Array): Uint8Array {
  if (typeof value !== "string") return value;
  throw new MalformedError("binary formats take hex input: add --hex");
}
