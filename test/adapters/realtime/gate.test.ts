// Bad input at the gate: a flood of ws handshakes with random cookies, through a real `ws` 8
// server in front of a real SQLite store, costs no database round trip for values that could
// not be Django session keys (each well-shaped but unknown key costs exactly one), and never
// crashes the server. The round trips are counted on the real database, wrapped.
import assert from "node:assert/strict";
import { randomBytes, randomInt } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import WebSocket, { WebSocketServer } from "ws";
import {
  createRealtimeGate,
  djangoUsers,
  trackWebSocket,
  wsVerifyClient,
} from "../../../src/adapters/realtime/index.ts";
import { DjangoUserSource } from "../../../src/auth/django-user-source.ts";
import { DjangoSessionCodec } from "../../../src/codecs/django/session-encoding.ts";
import {
  createSqlStore,
  openDatabaseUrl,
  type SqlDatabase,
} from "../../../src/stores/sql/index.ts";
import { ORIGIN } from "./harness.ts";

const SECRET = "realtime-flood-secret";
const dir = mkdtempSync(join(tmpdir(), "sessionbridge-realtime-flood-"));

/** The database with every query and execute counted. */
function counted(database: SqlDatabase): { database: SqlDatabase; calls: () => number } {
  let calls = 0;
  const wrapped = new Proxy(database, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if ((name === "query" || name === "execute") && typeof value === "function") {
        return (...args: unknown[]) => {
          calls++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof value === "function" ? (value as () => unknown).bind(target) : value;
    },
  });
  return { database: wrapped, calls: () => calls };
}

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ!#$%&'*+-.^_`|~:=/";

/** A cookie value Django could not have made: wrong length, or a character outside [a-z0-9]. */
function malformedKey(): string {
  const length = randomInt(0, 120);
  let value = "";
  for (let i = 0; i < length; i++) value += ALPHABET.charAt(randomInt(ALPHABET.length));
  if (/^[a-z0-9]{8,40}$/.test(value)) value += "!";
  return value;
}

function handshake(url: string, cookie: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers: { Cookie: `sessionid=${cookie}`, Origin: ORIGIN } });
    ws.once("unexpected-response", (_req, res) => {
      resolve(String(res.statusCode));
      res.resume();
      ws.terminate();
    });
    ws.once("open", () => {
      resolve("open");
      ws.terminate();
    });
    ws.once("error", (error) => resolve(`error: ${error.message}`));
  });
}

describe("a flood of handshakes with random cookies", () => {
  let sql: SqlDatabase | undefined;
  let count: () => number = () => 0;
  let url = "";
  const server = createServer();
  let wss: WebSocketServer | undefined;

  before(async () => {
    sql = await openDatabaseUrl(`sqlite:${join(dir, "db.sqlite3")}`);
    const wrapped = counted(sql);
    count = wrapped.calls;
    const store = createSqlStore({
      database: wrapped.database,
      codec: new DjangoSessionCodec({ secret: SECRET }),
    });
    await store.ensureSessionTable();
    const gate = createRealtimeGate({
      djangoVersion: "5.2",
      store,
      users: djangoUsers({
        djangoVersion: "5.2",
        users: new DjangoUserSource({ database: wrapped.database }),
        secretKey: SECRET,
      }),
      allowedOrigins: [ORIGIN],
    });
    wss = new WebSocketServer({ server, verifyClient: wsVerifyClient(gate) });
    wss.on("connection", (ws, req) => trackWebSocket(gate, ws, req));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(async () => {
    await new Promise<void>((r) => wss?.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
    await sql?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("costs no store round trip for values that fail the key check, one per unknown key, and leaves the server up", async () => {
    const before = count();
    const malformed = Array.from({ length: 600 }, malformedKey);
    // Raw bytes too: header-unsafe characters are the client's to refuse, so keep printable.
    malformed.push("\u00e9t\u00e9", "%00", "a".repeat(4096), "");
    for (let start = 0; start < malformed.length; start += 50) {
      const results = await Promise.all(
        malformed.slice(start, start + 50).map((cookie) => handshake(url, cookie)),
      );
      assert.deepEqual(new Set(results), new Set(["401"]));
    }
    assert.equal(count() - before, 0, "no database round trip");

    // Well-shaped keys Django never made: one read each, then refused.
    const unknown = Array.from({ length: 40 }, () => randomBytes(16).toString("hex").slice(0, 32));
    const results = await Promise.all(unknown.map((cookie) => handshake(url, cookie)));
    assert.deepEqual(new Set(results), new Set(["401"]));
    assert.equal(count() - before, unknown.length);

    // Still serving: a handshake after the flood is answered as before.
    assert.equal(await handshake(url, malformedKey()), "401");
  });
});
