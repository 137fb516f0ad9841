/**
 * `ws` 8 glue: authenticate the upgrade ({@link wsVerifyClient} for a `WebSocketServer`
 * with its own server, or {@link wsUpgradeHandler} for `noServer` mode), then
 * {@link trackWebSocket} in the `connection` handler: the socket is closed with
 * {@link REVOKED_CLOSE_CODE} and the reason when its login ends.
 *
 * Refused upgrades are answered with a plain HTTP 401 (403 for a foreign Origin) and never
 * become WebSockets.
 *
 * @example
 * ```ts
 * import { WebSocketServer } from "ws";
 * const wss = new WebSocketServer({ server, verifyClient: wsVerifyClient(gate) });
 * wss.on("connection", (ws, req) => {
 *   const { user } = trackWebSocket(gate, ws, req);
 *   ws.send(`hello ${user?.username}`);
 * });
 * ```
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { ConfigurationError, HandshakeRefusedError } from "../../errors.ts";
import type { Handshake, RealtimeGate } from "./gate.ts";
import { REVOKED_CLOSE_CODE } from "./registry.ts";

/** What the glue needs of a `ws` WebSocket. */
export interface WebSocketLike {
  close(code?: number, reason?: string): void;
  once(event: "close", listener: () => void): unknown;
}

/** What the glue needs of a `ws` WebSocketServer (noServer mode). */
export interface WebSocketServerLike<W> {
  handleUpgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    callback: (ws: W, request: IncomingMessage) => void,
  ): void;
  emit(event: "connection", ws: W, request: IncomingMessage): boolean;
}

/** `ws`'s `verifyClient` callback, asynchronous form. */
export type VerifyClientCallback = (
  result: boolean,
  code?: number,
  message?: string,
  headers?: Record<string, string>,
) => void;

const handshakes = new WeakMap<IncomingMessage, Handshake<unknown>>();

/**
 * The handshake a gate accepted for this upgrade request.
 * @throws {ConfigurationError} when the request did not pass `wsVerifyClient` / `wsUpgradeHandler`.
 *
 * @example
 * ```ts
 * wss.on("connection", (ws, req) => console.log(handshakeOf(req).user));
 * ```
 */
export function handshakeOf<U>(request: IncomingMessage): Handshake<U> {
  const handshake = handshakes.get(request);
  if (handshake === undefined) {
    throw new ConfigurationError(
      "No sessionbridge handshake on this request: pass verifyClient: wsVerifyClient(gate)",
    );
  }
  return handshake as Handshake<U>;
}

/**
 * `verifyClient` for `new WebSocketServer({ verifyClient })`: refuses with 401/403 and
 * remembers the handshake for {@link trackWebSocket}. Store outages answer 503.
 *
 * @example
 * ```ts
 * new WebSocketServer({ server, verifyClient: wsVerifyClient(gate) });
 * ```
 */
export function wsVerifyClient<U>(
  gate: RealtimeGate<U>,
): (info: { req: IncomingMessage }, callback: VerifyClientCallback) => void {
  return (info, callback) => {
    gate.authenticate(info.req).then(
      (handshake) => {
        handshakes.set(info.req, handshake);
        callback(true);
      },
      (error: unknown) => {
        const status = error instanceof HandshakeRefusedError ? error.status : 503;
        callback(
          false,
          status,
          status === 403 ? "Forbidden" : status === 401 ? "Unauthorized" : "Service Unavailable",
        );
      },
    );
  };
}

/**
 * An `upgrade` listener for a `noServer` WebSocketServer: authenticates, answers refusals with
 * 401/403 (503 for a store outage), and on success upgrades and emits `connection`.
 *
 * @example
 * ```ts
 * const wss = new WebSocketServer({ noServer: true });
 * server.on("upgrade", wsUpgradeHandler(gate, wss));
 * ```
 */
export function wsUpgradeHandler<U, W>(
  gate: RealtimeGate<U>,
  wss: WebSocketServerLike<W>,
): (request: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (request, socket, head) => {
    socket.on("error", () => socket.destroy());
    gate.authenticate(request).then(
      (handshake) => {
        handshakes.set(request, handshake);
        wss.handleUpgrade(request, socket, head, (ws) => {
          wss.emit("connection", ws, request);
        });
      },
      (error: unknown) => {
        const status = error instanceof HandshakeRefusedError ? error.status : 503;
        const text =
          status === 403 ? "Forbidden" : status === 401 ? "Unauthorized" : "Service Unavailable";
        socket.end(
          `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length + 1}\r\n\r\n${text}\n`,
        );
      },
    );
  };
}

/**
 * Tracks an accepted WebSocket: closed with {@link REVOKED_CLOSE_CODE} and the
 * {@link RevocationReason} when its login ends; forgotten when it closes. Returns the handshake.
 * @throws {ConfigurationError} when the request did not pass the gate.
 *
 * @example
 * ```ts
 * wss.on("connection", (ws, req) => {
 *   const { user } = trackWebSocket(gate, ws, req);
 * });
 * ```
 */
export function trackWebSocket<U>(
  gate: RealtimeGate<U>,
  ws: WebSocketLike,
  request: IncomingMessage,
): Handshake<U> {
  const handshake = handshakeOf<U>(request);
  const untrack = gate.track(handshake, (reason) => {
    ws.close(REVOKED_CLOSE_CODE, reason);
  });
  ws.once("close", untrack);
  return handshake;
}
