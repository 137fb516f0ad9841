/**
 * `sessionbridge/flask`: Flask's signed cookie session as a policy for the node, Express and
 * Hono adapters, its `permanent` flag, Flask-Login, and Werkzeug's cookie text.
 *
 * @example
 * ```ts
 * import { flaskSessionPolicy, flaskLoginUser } from "sessionbridge/flask";
 * import { sessionMiddleware, getSession } from "sessionbridge/node";
 * const sessions = sessionMiddleware({ policy: flaskSessionPolicy({ secretKey: process.env.SECRET_KEY! }) });
 * // in a handler: const user = await flaskLoginUser(getSession(req), (id) => users.get(id), { request: { remoteAddr, userAgent } });
 * ```
 */
export {
  FLASK_PERMANENT_SESSION_LIFETIME,
  flaskSessionPolicy,
  isPermanent,
  setPermanent,
  type FlaskPolicyOptions,
} from "./policy.ts";
export {
  flaskLoginUser,
  loginFlaskUser,
  logoutFlaskUser,
  rememberCookieHeader,
  type FlaskLoginLoadOptions,
  type FlaskLoginOptions,
  type FlaskLoginRequestInfo,
  type FlaskLoginVersion,
  type FlaskLogoutOptions,
  type FlaskUserLoader,
  type RememberCookieOptions,
} from "./login.ts";
export {
  deleteWerkzeugCookie,
  dumpWerkzeugCookie,
  readCookie,
  type WerkzeugCookieOptions,
  type WerkzeugSameSite,
} from "../codecs/werkzeug/cookies.ts";
export {
  FlaskSessionCodec,
  type FlaskSessionCodecOptions,
} from "../codecs/flask/session-cookie.ts";
export {
  decodeRememberCookie,
  encodeRememberCookie,
  flaskLoginIdentifier,
} from "../codecs/flask/flask-login.ts";
