/**
 * `sessionbridge/csrf`: Django's CSRF protection, framework-free. The adapters' `csrfMiddleware`
 * (`sessionbridge/node`, `sessionbridge/express`, `sessionbridge/hono`) run it per request;
 * use {@link DjangoCsrf} directly for another framework or runtime.
 *
 * @example
 * ```ts
 * import { DjangoCsrf } from "sessionbridge/csrf";
 * const csrf = new DjangoCsrf({ djangoVersion: "5.2", trustedOrigins: ["https://app.example.com"] });
 * ```
 */
export {
  CSRF_FORM_FIELD,
  CSRF_HEADER,
  CSRF_SESSION_KEY,
  CsrfRequestState,
  DjangoCsrf,
  isSafeMethod,
  rotateCsrfForSession,
  type CsrfCheck,
  type CsrfFailureReason,
  type CsrfResponseHeaders,
  type CsrfSettings,
  type CsrfVerdict,
} from "./csrf-protection.ts";
