// Issue 18 #5: during a network blackhole a query on a pool made by postgresDatabase waited for
// the whole stall (only the connect was bounded). Through a TCP proxy that stops forwarding
// without closing, a query now fails with a typed SessionStoreError, and once the network is
// back the pool answers again on a new connection.
import assert from "node:assert/strict";
import { createConnection, createServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { SessionStoreError } from "../../../src/errors.ts";
import { postgresDatabase } from "../../../src/internal/sql/postgres.ts";
import type { SqlDatabase } from "../../../src/internal/sql/database.ts";

describe("postgresDatabase under a network blackhole", () => {
  let blackhole = false;
  const sockets = new Set<Socket>();
  const proxy = createServer((client) => {
    const server = createConnection({ host: "127.0.0.1", port: 5432 });
    for (const s of [client, server]) {
      sockets.add(s);
      s.on("error", () => s.destroy());
      s.on("close", () => sockets.delete(s));
    }
    // Bytes are dropped, not refused: neither side learns anything, as in a real outage.
    client.on("data", (d) => {
      if (!blackhole) server.write(d);
    });
    server.on("data", (d) => {
      if (!blackhole) client.write(d);
    });
    client.on("close", () => server.destroy());
    server.on("close", () => client.destroy());
  });
  let db: SqlDatabase;
  before(async () => {
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const port = (proxy.address() as AddressInfo).port;
    db = await postgresDatabase({
      connectionString: `postgres://postgres@127.0.0.1:${String(port)}/test`,
      max: 1,
    });
  });
  after(async () => {
    blackhole = false;
    await db.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
  });

  it("a query in the stall fails with SessionStoreError, and the pool recovers afterwards", async () => {
    assert.deepEqual(await db.query("SELECT 1 AS x", []), [{ x: 1 }]);
    blackhole = true;
    await assert.rejects(db.query("SELECT 2 AS x", []), SessionStoreError);
    blackhole = false;
    assert.deepEqual(await db.query("SELECT 3 AS x", []), [{ x: 3 }]);
  });
});
