// Shared fixtures for the SQL store tests: real databases only, no mocks. PostgreSQL and
// MariaDB must be running; an unreachable service fails the tests instead of skipping them.
import { randomBytes } from "node:crypto";
import { createServer, connect, type Server, type Socket } from "node:net";
import { DjangoSessionCodec } from "../../../src/codecs/django/session-encoding.ts";
import type { StoreLogger } from "../../../src/stores/contract.ts";

export const PG_URL = process.env["SB_TEST_PG_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
export const MYSQL_URL = process.env["SB_TEST_MYSQL_URL"] ?? "mysql://root@127.0.0.1:3306/test";

export const SECRET = "test-secret-key-for-django-vectors";
export const codec = new DjangoSessionCodec({ secret: SECRET });

/** A table name unique to this run and file, so concurrent test files never share rows. */
export function uniqueTable(label: string): string {
  return `sb_test_${label}_${process.pid}_${randomBytes(4).toString("hex")}`;
}

/** A 32-character session key like Django's. */
export function newKey(): string {
  return randomBytes(16).toString("hex");
}

export interface WarnCall {
  message: string;
  detail: Readonly<Record<string, string | number | boolean>> | undefined;
}

/** A logger that records its calls. */
export function recordingLogger(): StoreLogger & { calls: WarnCall[] } {
  const calls: WarnCall[] = [];
  return {
    calls,
    warn(message, detail) {
      calls.push({ message, detail });
    },
  };
}

/** A TCP proxy in front of a database, to cut and restore the connection on demand. */
export interface Proxy {
  readonly port: number;
  /** Refuses new connections and drops the open ones, like a server going away. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

export async function startProxy(targetPort: number, targetHost = "127.0.0.1"): Promise<Proxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = async (): Promise<void> => {
    const s = createServer((client) => {
      const upstream = connect(targetPort, targetHost);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
        socket.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => {
        resolve();
      });
    });
    const address = s.address();
    if (address === null || typeof address === "string") throw new Error("no proxy port");
    port = address.port;
    server = s;
  };
  await listen();
  return {
    get port() {
      return port;
    },
    async stop() {
      const s = server;
      server = undefined;
      for (const socket of sockets) socket.destroy();
      if (s) {
        await new Promise<void>((resolve) => {
          s.close(() => {
            resolve();
          });
        });
      }
    },
    start: listen,
  };
}

/** The clock the stores under test read: settable, in milliseconds. */
export function testClock(start: number): { now: () => number; set(ms: number): void } {
  let current = start;
  return {
    now: () => current,
    set(ms) {
      current = ms;
    },
  };
}
