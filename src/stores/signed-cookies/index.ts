/**
 * `sessionbridge/stores/signed-cookies`: sessions kept entirely in a cookie signed like
 * Django's `django.contrib.sessions.backends.signed_cookies`, readable by Django and by Node.
 *
 * @example
 * ```ts
 * import { createSignedCookieStore } from "sessionbridge/stores/signed-cookies";
 * import { withSessions } from "sessionbridge/node";
 *
 * const store = createSignedCookieStore({ secret: process.env.SECRET_KEY! });
 * const handler = withSessions({ store, djangoVersion: "5.2" }, async (req, res) => { … });
 * ```
 */
export {
  DEFAULT_MAX_COOKIE_SIZE,
  SIGNED_COOKIES_SALT,
  SignedCookieStore,
  createSignedCookieStore,
} from "./store.ts";
export type { SignedCookieLogger, SignedCookieStoreOptions } from "./store.ts";
