// Issue 18 #5 (MariaDB): mysql2 bounds only the connect, so during a network blackhole a
// statement on a pool made by mysqlDatabase waited for the whole stall. Through a TCP proxy that
// stops forwarding without closing, a statement now fails with a typed SessionStoreError within
// queryTimeout, its connection is destroyed, and once the network is back the pool answers again.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ConfigurationError, SessionStoreError } from "../../../src/errors.ts";
import { mysqlDatabase } from "../../../src/internal/sql/mysql.ts";
import type { SqlDatabase } from "../../../src/internal/sql/database.ts";
import { startBlackholeProxy, type BlackholeProxy } from "../../support/blackhole.ts";

describe("mysqlDatabase under a network blackhole", () => {
  let proxy: BlackholeProxy;
  let db: SqlDatabase;
  before(async () => {
    proxy = await startBlackholeProxy({ host: "127.0.0.1", port: 3306 });
    db = await mysqlDatabase(
      `mysql://root@127.0.0.1:${String(proxy.port)}/test?connectionLimit=1&queryTimeout=1500`,
    );
  });
  after(async () => {
    proxy.blackhole = false;
    await db.close();
    await proxy.close();
  });

  it(
    "a statement in the stall fails with SessionStoreError, and the pool recovers afterwards",
    { timeout: 30_000 },
    async () => {
      assert.deepEqual(await db.query("SELECT 1 AS x", []), [{ x: 1 }]);
      proxy.blackhole = true;
      await assert.rejects(db.query("SELECT ? AS x", [2]), (err: unknown) => {
        assert.ok(err instanceof SessionStoreError);
        assert.match(err.message, /no answer within 1500 ms/);
        return true;
      });
      proxy.blackhole = false;
      // The only connection of the pool was the stuck one: it was destroyed, a new one answers.
      assert.deepEqual(await db.query("SELECT ? AS x", [3]), [{ x: 3 }]);
      assert.equal(await db.execute("DO 1", []), 0);
    },
  );

  it("queryTimeout that is not a number of milliseconds is a ConfigurationError", async () => {
    await assert.rejects(
      mysqlDatabase({ host: "127.0.0.1", queryTimeout: -1 }),
      ConfigurationError,
    );
  });
});
