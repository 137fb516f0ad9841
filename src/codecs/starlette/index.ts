/**
 * Starlette's (and FastAPI's) `SessionMiddleware` cookie format (flask-starlette-formats.md §5).
 *
 * @example
 * ```ts
 * import { StarletteSessionCodec } from "./codecs/starlette/index.ts";
 * const codec = new StarletteSessionCodec({ secretKey: process.env.SECRET_KEY! });
 * const session = codec.decode(cookieValue); // throws a typed error when invalid
 * ```
 */
export {
  STARLETTE_DEFAULT_MAX_AGE,
  StarletteSessionCodec,
  type StarletteDecodeOptions,
  type StarletteSessionCodecOptions,
} from "./session-cookie.ts";
