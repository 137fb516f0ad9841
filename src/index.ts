/**
 * sessionbridge: Django-grade sessions for Node, byte-compatible with Django, Flask and
 * Starlette. This entry point is the framework-free core: the session engine, the store
 * contract, the typed values and the errors. Codecs, stores and adapters have their own
 * entry points (`sessionbridge/django`, `sessionbridge/stores/sql`, `sessionbridge/express`,
 * `sessionbridge/hono`, `sessionbridge/node`, …).
 *
 * @example
 * ```ts
 * import { Session, resolveSessionSettings } from "sessionbridge";
 * import { MemoryStore } from "sessionbridge/stores/memory";
 * const session = new Session(new MemoryStore(), null, resolveSessionSettings());
 * await session.set("cart", ["apple"]);
 * await session.save();
 * ```
 */
export * from "./errors.ts";
export {
  PyDate,
  PyDateTime,
  PyDecimal,
  PyFloat,
  PyMarkup,
  PyTimeDelta,
  PyTuple,
  PyUUID,
  isPyDict,
  type PyDict,
  type PyValue,
  type SessionData,
} from "./codecs/python-values.ts";
export type {
  SaveOptions,
  SessionDataCodec,
  SessionExpiry,
  SessionStore,
  StoreLogger,
  StoredSession,
  StoredSessionPage,
  WalkOptions,
  VersionedSessionData,
} from "./stores/contract.ts";
export {
  DEFAULT_SESSION_SETTINGS,
  resolveSessionSettings,
  skipsSaveOnStatus,
  type DjangoVersion,
  type ConcurrentWrites,
  type SameSite,
  type SessionSettings,
  type SessionSettingsInput,
} from "./engine/config.ts";
export { VALID_KEY_CHARS, generateSessionKey, isValidSessionKey } from "./engine/keys.ts";
export {
  EXPIRY_KEY,
  Session,
  computeExpiry,
  type ExpiryInput,
  type SessionShape,
} from "./engine/session.ts";
export {
  addVaryCookie,
  commitResponseSession,
  deleteCookieHeader,
  openRequestSession,
  plainResponseHeaders,
  type RequestSession,
  type SessionResponseHeaders,
} from "./engine/http.ts";
export type { SessionPolicy } from "./engine/policy.ts";
export {
  djangoSessionPolicy,
  policyFrom,
  type DjangoPolicyOptions,
  type PolicyOptions,
} from "./django/policy.ts";
