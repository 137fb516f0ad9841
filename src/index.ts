/**
 * sessionbridge: Django-grade sessions for Node, byte-compatible with Django, Flask and
 * Starlette. This entry point is what a user of the framework-free core needs: the `Session`,
 * its settings, the store contract (to write a store), session keys, the Python values sessions
 * hold and the typed errors. Codecs, stores and adapters have their own entry points
 * (`sessionbridge/django`, `sessionbridge/stores/sql`, `sessionbridge/express`,
 * `sessionbridge/hono`, `sessionbridge/node`, …). The HTTP plumbing the adapters share (opening a
 * request's session, planning its response headers) is not exported: an adapter is the way to
 * use it.
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
  PyFrozenSet,
  PyMarkup,
  PyOrderedDict,
  PySet,
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
  type DjangoVersion,
  type ConcurrentWrites,
  type SameSite,
  type SessionSettings,
  type SessionSettingsInput,
} from "./engine/config.ts";
export { VALID_KEY_CHARS, generateSessionKey, isValidSessionKey } from "./engine/keys.ts";
export { Session, type ExpiryInput, type SessionShape } from "./engine/session.ts";
export type { SessionPolicy } from "./engine/policy.ts";
