/**
 * `sessionbridge/starlette`: Starlette's (and FastAPI's) `SessionMiddleware` as a policy for
 * the node, Express and Hono adapters (flask-starlette-formats.md §5).
 *
 * @example
 * ```ts
 * import { starletteSessionPolicy } from "sessionbridge/starlette";
 * import { sessionMiddleware } from "sessionbridge/hono";
 * app.use(sessionMiddleware({ policy: starletteSessionPolicy({ secretKey: process.env.SECRET_KEY!, starletteVersion: "1.x" }) }));
 * ```
 */
export {
  STARLETTE_MAX_AGE,
  starletteSessionPolicy,
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- kept for existing imports
  type StarletteBehaviour,
  type StarletteVersion,
  type StarlettePolicyOptions,
} from "./policy.ts";
export {
  StarletteSessionCodec,
  type StarletteSessionCodecOptions,
} from "../codecs/starlette/session-cookie.ts";
