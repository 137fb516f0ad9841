/**
 * `sessionbridge/realtime`: WebSocket, socket.io and Hocuspocus connections authenticated by
 * the Django (or Flask) session, and closed the moment the login ends.
 *
 * One {@link RealtimeGate} per session configuration: it authenticates handshakes under the
 * HTTP rules plus an Origin allow-list, and re-checks live connections (batched polling, or
 * Redis keyspace notifications / PostgreSQL LISTEN through watchers). The library glue:
 * `ws` ({@link wsVerifyClient}, {@link wsUpgradeHandler}, {@link trackWebSocket}), socket.io
 * ({@link socketIoAuth}) and Hocuspocus ({@link hocuspocusAuth}).
 *
 * @example
 * ```ts
 * import { WebSocketServer } from "ws";
 * import { createRealtimeGate, djangoUsers, wsVerifyClient, trackWebSocket } from "sessionbridge/realtime";
 * const gate = createRealtimeGate({
 *   store,
 *   djangoVersion: "5.2",
 *   users: djangoUsers({ users, secretKey, djangoVersion: "5.2" }),
 *   allowedOrigins: ["https://app.example.com"],
 * });
 * const wss = new WebSocketServer({ server, verifyClient: wsVerifyClient(gate) });
 * wss.on("connection", (ws, req) => {
 *   const { user } = trackWebSocket(gate, ws, req);
 * });
 * ```
 */
export { HandshakeRefusedError } from "../../errors.ts";
export {
  createRealtimeGate,
  RealtimeGate,
  type Handshake,
  type RealtimeGateOptions,
  type RealtimeOptions,
  type RevocationWatcher,
} from "./gate.ts";
export { originChecker, type AllowedOrigins } from "./origin.ts";
export {
  ConnectionRegistry,
  liveConnections,
  REVOKED_CLOSE_CODE,
  REVOKED_EVENT,
  type LiveConnection,
  type RevocationReason,
} from "./registry.ts";
export {
  djangoUsers,
  flaskLoginUsers,
  type FlaskLoginUsersOptions,
  type LoginCheck,
  type SessionLogin,
  type UserRule,
} from "./users.ts";
export {
  handshakeOf,
  trackWebSocket,
  wsUpgradeHandler,
  wsVerifyClient,
  type VerifyClientCallback,
  type WebSocketLike,
  type WebSocketServerLike,
} from "./ws.ts";
export { socketIoAuth, type SocketIoSessionData, type SocketIoSocketLike } from "./socketio.ts";
export {
  missingKeyspaceFlags,
  redisKeyspaceWatcher,
  type IoredisSubscriber,
  type NodeRedisSubscriber,
  type RedisKeyspaceListener,
  type RedisKeyspaceOf,
  type RedisKeyspaceWatcher,
  type RedisKeyspaceWatcherOptions,
} from "./redis-watcher.ts";
export {
  postgresTriggerDropSql,
  postgresTriggerSql,
  postgresWatcher,
  SESSION_CHANNEL,
  USER_CHANNEL,
  type PostgresListenClient,
  type PostgresNotification,
  type PostgresTriggerOptions,
  type PostgresWatcherOptions,
} from "./postgres-watcher.ts";
export {
  hocuspocusAuth,
  type HocuspocusAuthExtension,
  type HocuspocusConnectionLike,
  type HocuspocusSessionContext,
} from "./hocuspocus.ts";
