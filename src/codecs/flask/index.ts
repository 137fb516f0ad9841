/**
 * Flask's session formats (flask-starlette-formats.md §2–§4): the signed cookie session with
 * tagged JSON, Flask-Session's signed session ids and Flask-Login's formulas.
 *
 * @example
 * ```ts
 * import { FlaskSessionCodec } from "./codecs/flask/index.ts";
 * const codec = new FlaskSessionCodec({ secretKey: process.env.SECRET_KEY! });
 * const session = codec.decode(cookieValue); // throws a typed error when invalid
 * ```
 */
export {
  FLASK_DEFAULT_MAX_AGE,
  FlaskSessionCodec,
  type FlaskDecodeOptions,
  type FlaskSessionCodecOptions,
} from "./session-cookie.ts";
export {
  FLASK_TAG_KEYS,
  dumpsFlaskTaggedJson,
  loadsFlaskSessionJson,
  tagFlaskValue,
  untagFlaskValue,
  type FlaskJsonOptions,
} from "./tagged-json.ts";
export { httpDate, parseHttpDate } from "./http-date.ts";
export {
  flaskSessionIdSigner,
  flaskSessionStoreKey,
  newFlaskSessionId,
  signFlaskSessionId,
  unsignFlaskSessionId,
} from "./flask-session.ts";
export {
  FLASK_LOGIN_SESSION_KEYS,
  decodeRememberCookie,
  encodeRememberCookie,
  flaskLoginIdentifier,
  flaskLoginIdentifierBase,
  pythonBytesRepr,
  type FlaskLoginRequestInfo,
} from "./flask-login.ts";
