/**
 * `sessionbridge/stores/flask-session`: Flask-Session's server-side sessions on Redis, as Flask
 * keeps them (the store, a layer below the frameworks), and Flask-Session's request rules (the
 * policy, Flask's layer). This file only gathers both under the public subpath.
 *
 * @example
 * ```ts
 * import { FlaskSessionRedisStore, flaskSessionServerPolicy } from "sessionbridge/stores/flask-session";
 * const store = new FlaskSessionRedisStore({ client, serializer: "msgpack" });
 * const policy = flaskSessionServerPolicy({
 *   store,
 *   flaskSessionVersion: "0.8",
 *   useSigner: true,
 *   secretKey: process.env.SECRET_KEY!,
 * });
 * ```
 */
export * from "../stores/flask-session/index.ts";
export {
  flaskSessionServerPolicy,
  type FlaskSessionPolicyOptions,
  type FlaskSessionVersion,
} from "./server-session-policy.ts";
