// The gated ws server of bench/realtime.bench.ts's revocation rounds, in its own process so that
// its memory and CPU are its own (the clients run in the parent) and each side stays under the
// file descriptor limit with 10,000 sockets. Store from argv[2]: `redis` (keyspace
// notifications), `postgres` (LISTEN/NOTIFY), `sqlite` (batched polling, 1 s). Prints one JSON
// line `{ "port": n }` when listening; answers IPC "cpu" with its CPU time so far and "memory"
// with its memory after a full GC.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { createClient } from "redis";
import { WebSocketServer } from "ws";
import {
  createRealtimeGate,
  flaskLoginUsers,
  postgresWatcher,
  redisKeyspaceWatcher,
  trackWebSocket,
  wsVerifyClient,
  type RevocationWatcher,
} from "../src/adapters/realtime/index.ts";
import { DjangoSessionCodec } from "../src/codecs/django/session-encoding.ts";
import type { SessionStore } from "../src/stores/contract.ts";
import { DjangoCacheStore } from "../src/stores/redis/index.ts";
import { createSqlStore, openDatabaseUrl } from "../src/stores/sql/index.ts";

export const BENCH_SECRET = "realtime-bench-secret";
export const BENCH_ORIGIN = "http://app.test";

const kind = process.argv[2];
const target = process.argv[3] ?? "";
let store: SessionStore;
const watchers: RevocationWatcher[] = [];
const closers: (() => Promise<unknown>)[] = [];
if (kind === "redis") {
  const client = createClient({ url: "redis://127.0.0.1:6379/0" });
  await client.connect();
  const subscriber = client.duplicate();
  await subscriber.connect();
  const redisStore = new DjangoCacheStore({ client, keyPrefix: target });
  store = redisStore;
  watchers.push(redisKeyspaceWatcher({ store: redisStore, subscribers: [subscriber] }));
  closers.push(
    () => subscriber.quit(),
    () => client.quit(),
  );
} else {
  const database = await openDatabaseUrl(target);
  store = createSqlStore({ database, codec: new DjangoSessionCodec({ secret: BENCH_SECRET }) });
  closers.push(() => database.close());
  if (kind === "postgres") {
    const listener = new pg.Client(target);
    await listener.connect();
    watchers.push(postgresWatcher({ client: listener }));
    closers.unshift(() => listener.end());
  }
}

// Users in the session data under Flask-Login's key, loaded from memory: the rounds measure
// the session side (the store's mechanism), not a user table.
const gate = createRealtimeGate({
  store,
  djangoVersion: "6.1",
  users: flaskLoginUsers((id: string) => ({ id })),
  allowedOrigins: [BENCH_ORIGIN],
  watchers,
});
await gate.start();
const server = createServer();
const wss = new WebSocketServer({ server, verifyClient: wsVerifyClient(gate) });
wss.on("connection", (ws, req) => {
  trackWebSocket(gate, ws, req);
  ws.send("hi");
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
console.log(JSON.stringify({ port: (server.address() as AddressInfo).port }));

process.on("message", (message) => {
  if (message === "cpu") {
    process.send?.({ cpu: process.cpuUsage(), sockets: gate.size });
  } else if (message === "memory") {
    (globalThis as { gc?: () => void }).gc?.();
    const { rss, heapUsed, external } = process.memoryUsage();
    process.send?.({ rss, heapUsed, external, sockets: gate.size });
  } else if (message === "stop") {
    void (async () => {
      for (const ws of wss.clients) ws.terminate();
      await gate.close();
      for (const close of closers) await close();
      process.exit(0);
    })();
  }
});
