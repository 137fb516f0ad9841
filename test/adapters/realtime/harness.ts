// The real-time proof's moving parts: a ws 8 server, a socket.io 4 server and a Hocuspocus
// server behind one gate, and their real clients (ws, socket.io-client, @hocuspocus/provider)
// connecting with a Django session cookie and an Origin.
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server as Hocuspocus } from "@hocuspocus/server";
import { HocuspocusProvider } from "@hocuspocus/provider";
import { Server as SocketIoServer } from "socket.io";
import { io as ioClient, type Socket as ClientSocket } from "socket.io-client";
import WebSocket, { WebSocketServer } from "ws";
import {
  REVOKED_EVENT,
  hocuspocusAuth,
  socketIoAuth,
  trackWebSocket,
  wsVerifyClient,
  type RealtimeGate,
} from "../../../src/adapters/realtime/index.ts";
import type { User } from "../../../src/auth/user.ts";

export const ORIGIN = "http://app.test";
export const FOREIGN_ORIGIN = "http://evil.test";

export interface RealtimeApps {
  readonly wsUrl: string;
  readonly ioUrl: string;
  readonly hocuspocusUrl: string;
  close(): Promise<void>;
}

function listen(server: HttpServer): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

/** Starts the three servers behind `gate`; each greets a connection with the user's name. */
export async function startApps<U = User>(
  gate: RealtimeGate<U>,
  nameOf: (user: U) => string = (user) => (user as User).username,
): Promise<RealtimeApps> {
  const wsHttp = createServer();
  const wss = new WebSocketServer({ server: wsHttp, verifyClient: wsVerifyClient(gate) });
  wss.on("connection", (ws, req) => {
    const { user } = trackWebSocket(gate, ws, req);
    ws.send(JSON.stringify({ user: user === null ? null : nameOf(user) }));
  });
  const ioHttp = createServer();
  const io = new SocketIoServer(ioHttp);
  io.use(socketIoAuth(gate));
  io.on("connection", (socket) => {
    const { user } = socket.data as { user: U | null };
    socket.emit("hello", { user: user === null ? null : nameOf(user) });
  });
  // Hocuspocus's listen(0) treats 0 as "no port" and falls back to its default (80, on every
  // address), which a second test file running at the same time finds taken: the port, the
  // address and the signal handling are given to the constructor instead.
  const hocuspocus = new Hocuspocus({
    quiet: true,
    port: 0,
    address: "127.0.0.1",
    stopOnSignals: false,
    extensions: [hocuspocusAuth(gate)],
  });
  const [wsPort, ioPort] = await Promise.all([listen(wsHttp), listen(ioHttp)]);
  await hocuspocus.listen();
  return {
    wsUrl: `ws://127.0.0.1:${wsPort}/`,
    ioUrl: `http://127.0.0.1:${ioPort}`,
    hocuspocusUrl: `ws://127.0.0.1:${hocuspocus.address.port}`,
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => wsHttp.close(() => r()));
      await io.close();
      await hocuspocus.destroy();
    },
  };
}

function headers(
  cookie: string | null,
  origin: string | null,
  cookieName = "sessionid",
): Record<string, string> {
  return {
    ...(cookie === null ? {} : { Cookie: `${cookieName}=${cookie}` }),
    ...(origin === null ? {} : { Origin: origin }),
  };
}

/** A connection's outcome: accepted (with the greeting) or refused (with the status/reason). */
export type Opened<T> =
  | { readonly ok: true; readonly user: string | null; readonly client: T }
  | { readonly ok: false; readonly refusal: string };

/** How a connection ended. */
export interface Closed {
  readonly code: number;
  readonly reason: string;
}

/** A ws client; `closed` resolves with the close code and reason. */
export interface WsClient {
  readonly ws: WebSocket;
  readonly closed: Promise<Closed>;
}

export function openWs(
  url: string,
  cookie: string | null,
  origin: string | null = ORIGIN,
  cookieName = "sessionid",
): Promise<Opened<WsClient>> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: headers(cookie, origin, cookieName) });
    const closed = new Promise<Closed>((r) => {
      ws.once("close", (code, reason) => r({ code, reason: reason.toString("utf8") }));
    });
    ws.once("unexpected-response", (_req, res) => {
      resolve({ ok: false, refusal: String(res.statusCode) });
      res.resume();
      ws.terminate();
    });
    ws.once("message", (data: Buffer) => {
      const { user } = JSON.parse(data.toString("utf8")) as { user: string | null };
      resolve({ ok: true, user, client: { ws, closed } });
    });
    ws.once("error", (error) => {
      if (ws.readyState !== WebSocket.CLOSED) reject(error);
    });
  });
}

/** A socket.io client; `revoked` resolves with the revocation event's reason, then disconnect. */
export interface IoClient {
  readonly socket: ClientSocket;
  readonly revoked: Promise<{ reason: string; disconnect: string }>;
}

export function openIo(
  url: string,
  cookie: string | null,
  origin: string | null = ORIGIN,
  cookieName = "sessionid",
): Promise<Opened<IoClient>> {
  return new Promise((resolve) => {
    const socket = ioClient(url, {
      transports: ["websocket"],
      extraHeaders: headers(cookie, origin, cookieName),
      reconnection: false,
    });
    let revokedReason = "";
    const revoked = new Promise<{ reason: string; disconnect: string }>((r) => {
      socket.on(REVOKED_EVENT, ({ reason }: { reason: string }) => (revokedReason = reason));
      socket.on("disconnect", (disconnect) => r({ reason: revokedReason, disconnect }));
    });
    socket.once("hello", ({ user }: { user: string | null }) => {
      resolve({ ok: true, user, client: { socket, revoked } });
    });
    socket.once("connect_error", (error: Error & { data?: { reason?: string } }) => {
      socket.close();
      resolve({ ok: false, refusal: error.data?.reason ?? error.message });
    });
  });
}

/** A Hocuspocus provider; `closed` resolves with the WebSocket close code and reason. */
export interface HocuspocusClient {
  readonly provider: HocuspocusProvider;
  readonly closed: Promise<Closed>;
}

export function openHocuspocus(
  url: string,
  cookie: string | null,
  origin: string | null = ORIGIN,
  name = "doc",
): Promise<Opened<HocuspocusClient>> {
  const extra = headers(cookie, origin);
  class CookieWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers: extra });
    }
  }
  return new Promise((resolve) => {
    let resolveClosed: (closed: Closed) => void = () => undefined;
    const closed = new Promise<Closed>((r) => (resolveClosed = r));
    // The provider passes WebSocketPolyfill on to the socket it makes (its type omits it).
    const provider: HocuspocusProvider = new HocuspocusProvider({
      url,
      name,
      ...({ WebSocketPolyfill: CookieWebSocket } as object),
      onAuthenticated: () => resolve({ ok: true, user: null, client: { provider, closed } }),
      onAuthenticationFailed: ({ reason }) => {
        provider.destroy();
        resolve({ ok: false, refusal: reason });
      },
      onClose: ({ event }) => {
        provider.destroy();
        resolveClosed({ code: event.code, reason: event.reason });
      },
    });
  });
}
