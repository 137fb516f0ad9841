/**
 * socket.io 4 glue: {@link socketIoAuth} is a namespace middleware (`io.use`) that
 * authenticates the handshake request (`socket.request`, whose headers carry the cookie and
 * Origin on every transport), puts the user on `socket.data.user` and tracks the socket. When
 * its login ends the client receives {@link REVOKED_EVENT} (`{ reason }`), then is disconnected.
 *
 * A refused handshake reaches the client's `connect_error` with the message and
 * `err.data = { reason, status }`; the connection is never established.
 *
 * @example
 * ```ts
 * import { Server } from "socket.io";
 * const io = new Server(httpServer);
 * io.use(socketIoAuth(gate));
 * io.on("connection", (socket) => socket.emit("hello", socket.data.user.username));
 * ```
 */
import type { IncomingMessage } from "node:http";
import type { RealtimeGate } from "./gate.ts";
import { REVOKED_EVENT } from "./registry.ts";

/** What the middleware needs of a socket.io `Socket`. */
export interface SocketIoSocketLike {
  readonly request: IncomingMessage;
  /** socket.io's `socket.data`; the middleware sets `user` and `sessionKey`. */
  data: unknown;
  emit(event: string, ...args: unknown[]): unknown;
  disconnect(close?: boolean): unknown;
  once(event: "disconnect", listener: () => void): unknown;
}

/**
 * What the middleware puts on `socket.data` (merged into what is there).
 *
 * @example
 * ```ts
 * const io = new Server<ClientEvents, ServerEvents, object, SocketIoSessionData<User>>();
 * ```
 */
export interface SocketIoSessionData<U> {
  user: U | null;
  sessionKey: string;
}

/**
 * The `io.use` middleware (see the module documentation).
 *
 * @example
 * ```ts
 * io.use(socketIoAuth(gate));
 * ```
 */
export function socketIoAuth<U>(
  gate: RealtimeGate<U>,
): (socket: SocketIoSocketLike, next: (error?: Error) => void) => void {
  return (socket, next) => {
    gate.authenticate(socket.request).then(
      (handshake) => {
        const data = (
          typeof socket.data === "object" && socket.data !== null ? socket.data : (socket.data = {})
        ) as Partial<SocketIoSessionData<U>>;
        data.user = handshake.user;
        data.sessionKey = handshake.sessionKey;
        const untrack = gate.track(handshake, (reason) => {
          socket.emit(REVOKED_EVENT, { reason });
          socket.disconnect(true);
        });
        socket.once("disconnect", untrack);
        next();
      },
      (error: unknown) => {
        next(error instanceof Error ? error : new Error(String(error)));
      },
    );
  };
}
