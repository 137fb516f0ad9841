// What the dialects behind a network server (PostgreSQL, MariaDB/MySQL) share beyond the store
// contract: a server that cannot be reached, or goes away and comes back. Each dialect's test
// file registers these in its own suite, next to its dialect-specific tests.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { SessionStoreError } from "../../../src/errors.ts";
import {
  createSqlStore,
  openDatabaseUrl,
  type SqlDatabase,
  type SqlDialect,
} from "../../../src/stores/sql/index.ts";
import { quoteIdentifier } from "../../../src/internal/sql/identifiers.ts";
import { codec, newKey, startProxy, uniqueTable } from "./helpers.ts";
import { expiryAt, sqlStoreSuite } from "./suite.ts";

/** A dialect's running test server. */
export interface SqlServer {
  readonly dialect: Exclude<SqlDialect, "sqlite">;
  /** The URL the tests use. */
  readonly url: string;
  /** The server's port on 127.0.0.1, for a proxy in front of it. */
  readonly port: number;
}

/**
 * The store contract on `server`, then the suite `${dialect}Database`: the dialect's own tests
 * (`specific`), an unreachable server (`unreachableUrl`, with a password) and a server that
 * goes away and comes back.
 */
export function sqlServerSuite(
  server: SqlServer,
  unreachableUrl: string,
  specific: () => void,
): void {
  sqlStoreSuite(server.dialect, () => openDatabaseUrl(server.url));
  describe(`${server.dialect}Database`, () => {
    specific();
    itReportsAnUnreachableServer(server, unreachableUrl);
    itRecoversOnceTheServerIsBack(server);
  });
}

/** A private namespace on the server (a PostgreSQL schema, a MySQL database). */
export interface PrivateNamespace<Admin> {
  /** A connection of its own, to inspect the namespace with. */
  readonly admin: Admin;
  /** The store's database: its default table lands in the namespace. */
  readonly database: SqlDatabase;
  /** Drops the namespace and closes `admin`. */
  drop(): Promise<void>;
}

/**
 * The suite "DDL with the default table name (in a private <kind>)": `ensureSessionTable()`,
 * twice, creates django_session in a namespace `create` makes; `check` compares its columns
 * and indexes with Django's, in the test `name`.
 */
export function describeDefaultTableDdl<Admin>(
  kind: "database" | "schema",
  create: (namespace: string) => Promise<PrivateNamespace<Admin>>,
  name: string,
  check: (admin: Admin, namespace: string) => Promise<void>,
): void {
  describe(`DDL with the default table name (in a private ${kind})`, () => {
    const namespace = `sb_ddl_${process.pid}_${randomBytes(4).toString("hex")}`;
    let made: PrivateNamespace<Admin> | undefined;
    before(async () => {
      made = await create(namespace);
    });
    after(async () => {
      await made?.database.close();
      await made?.drop();
    });
    it(name, async () => {
      assert.ok(made, "the namespace was made");
      const store = createSqlStore({ database: made.database, codec });
      await store.ensureSessionTable();
      await store.ensureSessionTable();
      await check(made.admin, namespace);
    });
  });
}

/** Drops `table` on `database`. */
export async function dropTable(
  database: SqlDatabase,
  dialect: SqlDialect,
  table: string,
): Promise<void> {
  await database.execute(`DROP TABLE ${quoteIdentifier(dialect, table)}`, []);
}

/**
 * Saves, in a new table on `database`, a row whose expiry (2023-11-28 22:13:20.123 UTC) is 1 ms
 * after the store's clock; `stored` checks the expire_date the server keeps for it. The store
 * reads the same instant back and the row is live: whatever time zone the connection has.
 */
export async function checkUtcExpiry(
  database: SqlDatabase,
  dialect: SqlDialect,
  stored: (table: string, key: string) => Promise<void>,
): Promise<void> {
  const table = uniqueTable(`${dialect}_tz`);
  const store = createSqlStore({
    database,
    codec,
    table,
    now: () => Date.UTC(2023, 10, 28, 22, 13, 20, 122),
  });
  await store.ensureSessionTable();
  const key = newKey();
  await store.save(key, new Map([["a", 1]]), {
    mustCreate: true,
    expiry: expiryAt(Date.UTC(2023, 10, 28, 22, 13, 20, 123)),
  });
  await stored(table, key);
  assert.equal((await store.expiryOf(key))?.toISOString(), "2023-11-28T22:13:20.123Z");
  // load compares against now in UTC too: 1 ms before expiry the row is live
  assert.deepEqual(await store.load(key), new Map([["a", 1]]));
  await dropTable(database, dialect, table);
}

/** The SessionStoreError `promise` rejects with (it must reject, and with nothing else). */
export async function storeError(promise: Promise<unknown>): Promise<SessionStoreError> {
  const err = await promise.then(
    () => assert.fail("resolved"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof SessionStoreError, String(err));
  return err;
}

/**
 * A URL with a password, for a port nothing listens on: loads and exists fail with a one-line
 * SessionStoreError that names the dialect and the cause, never the password.
 */
function itReportsAnUnreachableServer(server: SqlServer, unreachableUrl: string): void {
  it("reports an unreachable server as SessionStoreError without the password", async () => {
    const { password } = new URL(unreachableUrl);
    assert.ok(password.length > 0, "the URL carries a password");
    const store = createSqlStore({ database: await openDatabaseUrl(unreachableUrl), codec });
    for (const call of [() => store.load(newKey()), () => store.exists(newKey())]) {
      const err = await storeError(call());
      assert.match(
        err.message,
        new RegExp(`^SQL session store \\(${server.dialect}\\) failed: .*ECONNREFUSED`),
      );
      assert.ok(!err.message.includes(password));
      assert.ok(!err.message.includes("\n"));
    }
    await store.close();
  });
}

/** Through a proxy that is stopped and restarted: the store fails while down, then works. */
function itRecoversOnceTheServerIsBack(server: SqlServer): void {
  it("works again on the next call once the server is back", async () => {
    const proxy = await startProxy(server.port);
    const url = new URL(server.url);
    url.port = String(proxy.port);
    const database = await openDatabaseUrl(url.href);
    const table = uniqueTable(`${server.dialect}_down`);
    const store = createSqlStore({ database, codec, table });
    try {
      await store.ensureSessionTable();
      const key = newKey();
      const expiry = expiryAt(Date.now() + 60_000, Date.now());
      await store.save(key, new Map([["a", 1]]), { mustCreate: true, expiry });

      await proxy.stop();
      await assert.rejects(store.load(key), SessionStoreError);
      await assert.rejects(store.load(key), SessionStoreError);

      await proxy.start();
      assert.deepEqual(await store.load(key), new Map([["a", 1]]));
      await dropTable(database, server.dialect, table);
    } finally {
      await store.close();
      await proxy.stop();
    }
  });
}
