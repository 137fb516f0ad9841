// Issue 18 #5: during a network blackhole a query on a pool made by postgresDatabase waited for
// the whole stall (only the connect was bounded). Through a TCP proxy that stops forwarding
// without closing, a query now fails with a typed SessionStoreError, and once the network is
// back the pool answers again on a new connection.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { SessionStoreError } from "../../../src/errors.ts";
import { postgresDatabase } from "../../../src/internal/sql/postgres.ts";
import type { SqlDatabase } from "../../../src/internal/sql/database.ts";
import { startBlackholeProxy, type BlackholeProxy } from "../../support/blackhole.ts";

describe("postgresDatabase under a network blackhole", () => {
  let proxy: BlackholeProxy;
  let db: SqlDatabase;
  before(async () => {
    proxy = await startBlackholeProxy({ host: "127.0.0.1", port: 5432 });
    db = await postgresDatabase({
      connectionString: `postgres://postgres@127.0.0.1:${String(proxy.port)}/test`,
      max: 1,
      query_timeout: 1500,
    });
  });
  after(async () => {
    proxy.blackhole = false;
    await db.close();
    await proxy.close();
  });

  it("a query in the stall fails with SessionStoreError, and the pool recovers afterwards", async () => {
    assert.deepEqual(await db.query("SELECT 1 AS x", []), [{ x: 1 }]);
    proxy.blackhole = true;
    await assert.rejects(db.query("SELECT 2 AS x", []), SessionStoreError);
    proxy.blackhole = false;
    assert.deepEqual(await db.query("SELECT 3 AS x", []), [{ x: 3 }]);
  });
});
