/**
 * The per-process registry of live real-time connections: which sockets belong to which
 * session and which user, so that one event (a session deleted, a password changed) closes
 * exactly those sockets. One shared instance, {@link liveConnections}, serves every gate of the
 * process; entries leave it when their socket closes, so nothing grows with closed sockets.
 *
 * Memory: one {@link LiveConnection} object per socket (the session key, the user id, the auth
 * proof and the close callback are references to strings the handshake already made) plus one
 * `Set` slot in each of two indexes (by session key, by user id): under a kilobyte per
 * socket with a fresh key string, as `bench/realtime.bench.ts` measures per 1,000 sockets.
 *
 * @example
 * ```ts
 * import { liveConnections } from "sessionbridge/realtime";
 * // after a Node-side logout:
 * liveConnections.closeSession(sessionKey, "logged-out");
 * ```
 */

/**
 * Why a connection was closed by sessionbridge; the WebSocket close reason and the payload of
 * socket.io's `sessionbridge:revoked` event.
 *
 * - `session-ended`: the session no longer exists (logout, `sessions revoke`, `clearsessions`,
 *   a deleted row or key);
 * - `session-expired`: the session's expiry date passed;
 * - `logged-out`: the session still exists but no longer holds this login (a different user,
 *   or none);
 * - `password-changed`: the user's password changed, so the session's `_auth_user_hash` no
 *   longer verifies;
 * - `user-inactive`: the user was deactivated or deleted;
 * - `revoked`: the application closed it through {@link ConnectionRegistry}.
 *
 * @example
 * ```ts
 * const reason: RevocationReason = "password-changed";
 * ```
 */
export type RevocationReason =
  | "session-ended"
  | "session-expired"
  | "logged-out"
  | "password-changed"
  | "user-inactive"
  | "revoked";

/**
 * The WebSocket close code of a revoked connection (private range 4000–4999; 4401 as HTTP's
 * 401). The close reason is the {@link RevocationReason}.
 *
 * @example
 * ```ts
 * ws.on("close", (code, reason) => {
 *   if (code === REVOKED_CLOSE_CODE) console.log("logged out:", reason.toString());
 * });
 * ```
 */
export const REVOKED_CLOSE_CODE = 4401;

/**
 * The socket.io event sent just before the server disconnects a revoked socket; its payload is
 * `{ reason }` ({@link RevocationReason}).
 *
 * @example
 * ```ts
 * socket.on(REVOKED_EVENT, ({ reason }) => showLoginPage(reason));
 * ```
 */
export const REVOKED_EVENT = "sessionbridge:revoked";

/**
 * One live connection as the registry holds it.
 *
 * @example
 * ```ts
 * const connection: LiveConnection = {
 *   sessionKey: "k5u2y0zq3n7b0x1c9d8e7f6g5h4j3k2l",
 *   userId: "42",
 *   proof: null,
 *   owner: undefined,
 *   close: (reason) => ws.close(REVOKED_CLOSE_CODE, reason),
 * };
 * ```
 */
export interface LiveConnection {
  /** The session key (the cookie value) the handshake authenticated. */
  readonly sessionKey: string;
  /** The user's id in its session form, `null` for an anonymous connection. */
  readonly userId: string | null;
  /** What ties the login to the user's password (Django's `_auth_user_hash`), if any. */
  readonly proof: string | null;
  /** The gate that registered it (the registry only compares it), or `undefined`. */
  readonly owner: unknown;
  /** Closes the socket; called at most once, by the registry. */
  close(reason: RevocationReason): void;
}

/**
 * Live connections indexed by session key and by user id.
 *
 * @example
 * ```ts
 * const registry = new ConnectionRegistry();
 * const remove = registry.add(connection);
 * registry.closeUser("42", "revoked"); // closes and removes it
 * remove(); // no-op now
 * ```
 */
export class ConnectionRegistry {
  readonly #bySession = new Map<string, Set<LiveConnection>>();
  readonly #byUser = new Map<string, Set<LiveConnection>>();
  #size = 0;

  /** How many connections are registered. */
  get size(): number {
    return this.#size;
  }

  /**
   * Registers a connection; returns the function that removes it (call it when the socket
   * closes; calling it twice is harmless).
   */
  add(connection: LiveConnection): () => void {
    addTo(this.#bySession, connection.sessionKey, connection);
    if (connection.userId !== null) addTo(this.#byUser, connection.userId, connection);
    this.#size++;
    return () => {
      this.remove(connection);
    };
  }

  /** Removes a connection without closing it; `false` when it was not registered. */
  remove(connection: LiveConnection): boolean {
    if (!removeFrom(this.#bySession, connection.sessionKey, connection)) return false;
    if (connection.userId !== null) removeFrom(this.#byUser, connection.userId, connection);
    this.#size--;
    return true;
  }

  /** The connections of one session (a copy). */
  ofSession(sessionKey: string): LiveConnection[] {
    return [...(this.#bySession.get(sessionKey) ?? [])];
  }

  /** The connections of one user (a copy). */
  ofUser(userId: string): LiveConnection[] {
    return [...(this.#byUser.get(userId) ?? [])];
  }

  /** The distinct session keys with a connection owned by `owner` (every key without it). */
  sessionKeys(owner?: unknown): string[] {
    return keysOwnedBy(this.#bySession, owner);
  }

  /** The distinct user ids with a connection owned by `owner` (every id without it). */
  userIds(owner?: unknown): string[] {
    return keysOwnedBy(this.#byUser, owner);
  }

  /** Closes (and removes) one connection; `false` when it was no longer registered. */
  close(connection: LiveConnection, reason: RevocationReason): boolean {
    if (!this.remove(connection)) return false;
    try {
      connection.close(reason);
    } catch {
      // A socket that is already gone: nothing left to close.
    }
    return true;
  }

  /** Closes every connection of a session; returns how many. */
  closeSession(sessionKey: string, reason: RevocationReason = "revoked"): number {
    let closed = 0;
    for (const c of this.ofSession(sessionKey)) if (this.close(c, reason)) closed++;
    return closed;
  }

  /** Closes every connection of a user; returns how many. */
  closeUser(userId: string, reason: RevocationReason = "revoked"): number {
    let closed = 0;
    for (const c of this.ofUser(userId)) if (this.close(c, reason)) closed++;
    return closed;
  }
}

function keysOwnedBy(index: Map<string, Set<LiveConnection>>, owner: unknown): string[] {
  const keys: string[] = [];
  for (const [key, set] of index) {
    if (owner === undefined) keys.push(key);
    else
      for (const c of set)
        if (c.owner === owner) {
          keys.push(key);
          break;
        }
  }
  return keys;
}

function addTo(index: Map<string, Set<LiveConnection>>, key: string, c: LiveConnection): void {
  let set = index.get(key);
  if (set === undefined) index.set(key, (set = new Set()));
  set.add(c);
}

function removeFrom(
  index: Map<string, Set<LiveConnection>>,
  key: string,
  c: LiveConnection,
): boolean {
  const set = index.get(key);
  if (set === undefined || !set.delete(c)) return false;
  if (set.size === 0) index.delete(key);
  return true;
}

/**
 * The process's shared registry: every gate uses it unless given another.
 *
 * @example
 * ```ts
 * import { liveConnections } from "sessionbridge/realtime";
 * liveConnections.closeUser("42", "revoked");
 * ```
 */
export const liveConnections = new ConnectionRegistry();
