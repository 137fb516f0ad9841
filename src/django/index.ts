/**
 * Django's formats: signing (`django.core.signing`), the session encoding of every
 * `SessionBase` store, and Python-identical JSON.
 *
 * @example
 * ```ts
 * import { DjangoSessionCodec } from "sessionbridge/django";
 * const codec = new DjangoSessionCodec({ secret: process.env.SECRET_KEY! });
 * const data = codec.decode(row.session_data); // Map { "_auth_user_id" => "1", … }
 * ```
 */
export {
  DjangoSigner,
  DjangoTimestampSigner,
  djangoSignBytes,
  djangoUnsignBytes,
  saltedHmac,
  type DjangoHashAlgorithm,
  type DjangoSignerOptions,
  type Secret,
  type SignBytesOptions,
  type UnsignBytesOptions,
  type UnsignOptions,
} from "../codecs/django/signing.ts";
export {
  DJANGO_LEGACY_SESSION_SALT,
  DJANGO_SESSION_SALT,
  DjangoSessionCodec,
  djangoJsonSerializer,
  type DjangoSessionCodecOptions,
  type SessionSerializer,
} from "../codecs/django/session-encoding.ts";
export {
  COMPACT_SEPARATORS,
  compareCodePoints,
  dumpsPythonJson,
  floatRepr,
  loadsPythonJson,
  loadsPythonJsonSession,
  type PythonJsonDumpOptions,
} from "../codecs/python-json.ts";
export { base62Decode, base62Encode } from "../codecs/base62.ts";
export { djangoCodecOptions, djangoPreset, type DjangoPreset } from "./presets.ts";
export {
  DjangoMessageCookie,
  DjangoMessages,
  MESSAGE_LEVELS,
  MESSAGES_SESSION_KEY,
  MessageBox,
  decodeSessionMessages,
  encodeSessionMessages,
  messageTags,
  type DjangoMessage,
  type DjangoMessageCookieOptions,
  type DjangoMessagesOptions,
  type MessageStorageName,
  type MessagesRequest,
} from "./messages.ts";
export {
  AxesLockout,
  axes5LockoutParameters,
  type Axes5Settings,
  type AxesLockoutOptions,
  type AxesParameter,
  type LockoutAttempt,
  type LoginLockout,
} from "./axes.ts";
export {
  AUTHENTICATION_METHODS_SESSION_KEY,
  AllauthLogins,
  recordAuthentication,
  type AllauthLoginsOptions,
  type LoginRecorder,
  type RecordedLogin,
} from "./allauth.ts";
