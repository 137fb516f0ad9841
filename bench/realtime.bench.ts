// sessionbridge/realtime: the handshake against a plain `ws` upgrade (the named peer) in the same
// run, a refused bad cookie, one batched re-check closing 1,000 and 10,000 revoked sockets, and
// the registry's memory per 1,000 sockets (SQLite store, anonymous sessions allowed: the
// handshake is the Origin check, the cookie and one store read; a user adds one user read).
// Then, per store and mechanism (Redis keyspace notifications, PostgreSQL LISTEN/NOTIFY, SQLite
// batched polling), with 1,000 and 10,000 real idle ws connections to a gated server in a child
// process: the server's memory and idle CPU per 1,000 sockets, and the time from a session's
// revocation (a DELETE / DEL, as `sessions revoke KEY` or a logout does) to its client seeing the
// close frame, p50/p99 over 200 revocations spread in time.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket, { WebSocketServer } from "ws";
import {
  ConnectionRegistry,
  createRealtimeGate,
  djangoUsers,
  trackWebSocket,
  wsVerifyClient,
} from "../src/adapters/realtime/index.ts";
import { DjangoUserSource } from "../src/auth/django-user-source.ts";
import { DjangoSessionCodec } from "../src/codecs/django/session-encoding.ts";
import { createSqlStore, openDatabaseUrl } from "../src/stores/sql/index.ts";
import { report, timeOps } from "./support.ts";
import { revocationRounds } from "./realtime-rounds.ts";

const SECRET = "realtime-bench-secret";
const ORIGIN = "http://app.test";
const dir = mkdtempSync(join(tmpdir(), "sb-bench-realtime-"));
const database = await openDatabaseUrl(`sqlite:${join(dir, "db.sqlite3")}`);
const store = createSqlStore({ database, codec: new DjangoSessionCodec({ secret: SECRET }) });
await store.ensureSessionTable();
const users = djangoUsers({
  users: new DjangoUserSource({ database }),
  secretKey: SECRET,
  djangoVersion: "6.1",
});
const expiry = () => ({
  mustCreate: true,
  expiry: { age: 3600, date: new Date(Date.now() + 3_600_000) },
});
const KEY = "k".repeat(8) + "0123456789abcdefghijklmnop";
await store.save(KEY, new Map([["seen", 1]]), expiry());

async function wsServer(verify: boolean): Promise<{ url: string; close: () => Promise<void> }> {
  const gate = createRealtimeGate({
    store,
    djangoVersion: "6.1",
    users,
    allowAnonymous: true,
    allowedOrigins: [ORIGIN],
  });
  const server = createServer();
  const wss = verify
    ? new WebSocketServer({ server, verifyClient: wsVerifyClient(gate) })
    : new WebSocketServer({ server });
  wss.on("connection", (ws, req) => {
    if (verify) trackWebSocket(gate, ws, req);
    ws.send("hi");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    async close() {
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
      await gate.close();
    },
  };
}

function connect(url: string, cookie: string): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers: { Cookie: `sessionid=${cookie}`, Origin: ORIGIN } });
    const done = (): void => {
      ws.terminate();
      resolve();
    };
    ws.once("message", done);
    ws.once("unexpected-response", (_req, res) => {
      res.resume();
      done();
    });
    ws.once("error", done);
  });
}

const plain = await wsServer(false);
const gated = await wsServer(true);
const HANDSHAKES = 400;
const baseline = await timeOps(
  "plain ws upgrade (peer: ws 8)",
  () => connect(plain.url, KEY),
  HANDSHAKES,
);
report(
  "Handshake, one connection at a time on loopback",
  [
    baseline,
    await timeOps("gate: session read from SQLite", () => connect(gated.url, KEY), HANDSHAKES),
    await timeOps(
      "gate: malformed cookie refused (401)",
      () => connect(gated.url, "x!"),
      HANDSHAKES,
    ),
  ],
  baseline,
);
await plain.close();
await gated.close();

console.log("\nRevocation: one batched re-check closing every revoked socket (SQLite)");
for (const count of [1_000, 10_000]) {
  const registry = new ConnectionRegistry();
  const gate = createRealtimeGate({
    store,
    djangoVersion: "6.1",
    users,
    allowAnonymous: true,
    registry,
    recheckInterval: 0,
  });
  const keys = Array.from({ length: count }, (_, i) => `bench${String(i).padStart(27, "0")}`);
  for (const key of keys) await store.save(key, new Map([["n", 1]]), expiry());
  let closed = 0;
  for (const key of keys) {
    gate.track(
      { sessionKey: key, session: undefined as never, user: null, login: null, expireDate: null },
      () => closed++,
    );
  }
  await database.execute("DELETE FROM django_session WHERE session_key LIKE 'bench%'", []);
  const start = process.hrtime.bigint();
  await gate.recheck();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  console.log(
    `  ${String(count).padStart(6)} sockets: ${closed} closed in ${ms.toFixed(1)} ms (one query), so within recheckInterval + ${ms.toFixed(0)} ms`,
  );
  await gate.close();
}

console.log("\nRegistry memory (heap used, no sockets: the registry's own share)");
{
  const registry = new ConnectionRegistry();
  const count = 100_000;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < count; i++) {
    registry.add({
      sessionKey: `key${String(i).padStart(29, "0")}`,
      userId: String(i % 5000),
      proof: null,
      owner: undefined,
      close: () => undefined,
    });
  }
  gc?.();
  const perThousand = (process.memoryUsage().heapUsed - before) / (count / 1000);
  // Still referenced here: a full GC must not collect the registry before it is measured.
  if (registry.size !== count) throw new Error("the registry lost connections");
  console.log(
    `  ${(perThousand / 1024).toFixed(0)} KiB per 1,000 connections (session key strings included${gc ? "" : "; run with --expose-gc for a steadier figure"})`,
  );
}

await database.close();
rmSync(dir, { recursive: true, force: true });

await revocationRounds();
