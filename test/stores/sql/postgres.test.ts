import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { SessionStoreError } from "../../../src/errors.ts";
import {
  createSqlStore,
  openDatabaseUrl,
  postgresDatabase,
  type SqlDatabase,
} from "../../../src/stores/sql/index.ts";
import { PG_URL, codec, newKey, startProxy, uniqueTable } from "./helpers.ts";
import { expiryAt, sqlStoreSuite } from "./suite.ts";

sqlStoreSuite("postgres", () => openDatabaseUrl(PG_URL));

describe("postgresDatabase", () => {
  it("runs through a caller's pool without closing it", async () => {
    const pool = new pg.Pool({ connectionString: PG_URL });
    pool.on("error", () => undefined);
    const table = uniqueTable("pgpool");
    const store = createSqlStore({ database: await postgresDatabase(pool), codec, table });
    await store.ensureSessionTable();
    const key = newKey();
    await store.save(key, new Map([["a", 1]]), {
      mustCreate: true,
      expiry: expiryAt(Date.now() + 60_000, Date.now()),
    });
    assert.deepEqual(await store.load(key), new Map([["a", 1]]));
    await store.close();
    await pool.query(`DROP TABLE "${table}"`); // still open
    await pool.end();
  });

  it("stores the UTC instant whatever the session TimeZone is", async () => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await client.query("SET TimeZone = 'Asia/Kathmandu'");
      const table = uniqueTable("pgtz");
      const store = createSqlStore({
        database: await postgresDatabase(client, { prepare: false }),
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
      const { rows } = await client.query<{ epoch: string; utc: string }>(
        `SELECT extract(epoch FROM expire_date)::text AS epoch,
                to_char(expire_date AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS utc
           FROM "${table}" WHERE session_key = $1`,
        [key],
      );
      assert.equal(rows[0]?.utc, "2023-11-28 22:13:20.123000");
      assert.equal(Number(rows[0].epoch), 1701209600.123);
      assert.equal((await store.expiryOf(key))?.toISOString(), "2023-11-28T22:13:20.123Z");
      // load compares against now in UTC too: 1 ms before expiry the row is live
      assert.deepEqual(await store.load(key), new Map([["a", 1]]));
      await client.query(`DROP TABLE "${table}"`);
    } finally {
      await client.end();
    }
  });

  describe("DDL with the default table name (in a private schema)", () => {
    const schema = `sb_ddl_${process.pid}_${randomBytes(4).toString("hex")}`;
    let admin: pg.Client;
    let database: SqlDatabase;

    before(async () => {
      admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`CREATE SCHEMA "${schema}"`);
      database = await postgresDatabase({
        connectionString: PG_URL,
        options: `-c search_path=${schema}`,
      });
    });

    after(async () => {
      await database.close();
      await admin.query(`DROP SCHEMA "${schema}" CASCADE`);
      await admin.end();
    });

    it("matches `sqlmigrate sessions 0001` (django-formats.md §3.1)", async () => {
      const store = createSqlStore({ database, codec });
      await store.ensureSessionTable();
      await store.ensureSessionTable();
      const columns = await admin.query(
        `SELECT column_name, data_type, character_maximum_length, is_nullable
           FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'django_session'
          ORDER BY ordinal_position`,
        [schema],
      );
      assert.deepEqual(columns.rows, [
        {
          column_name: "session_key",
          data_type: "character varying",
          character_maximum_length: 40,
          is_nullable: "NO",
        },
        {
          column_name: "session_data",
          data_type: "text",
          character_maximum_length: null,
          is_nullable: "NO",
        },
        {
          column_name: "expire_date",
          data_type: "timestamp with time zone",
          character_maximum_length: null,
          is_nullable: "NO",
        },
      ]);
      const indexes = await admin.query(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname",
        [schema],
      );
      assert.deepEqual(indexes.rows, [
        {
          indexname: "django_session_expire_date_a5c62663",
          indexdef: `CREATE INDEX django_session_expire_date_a5c62663 ON ${schema}.django_session USING btree (expire_date)`,
        },
        {
          indexname: "django_session_pkey",
          indexdef: `CREATE UNIQUE INDEX django_session_pkey ON ${schema}.django_session USING btree (session_key)`,
        },
        {
          indexname: "django_session_session_key_c0390e0f_like",
          indexdef: `CREATE INDEX django_session_session_key_c0390e0f_like ON ${schema}.django_session USING btree (session_key varchar_pattern_ops)`,
        },
      ]);
    });
  });

  it("reports an unreachable server as SessionStoreError without the password", async () => {
    const database = await openDatabaseUrl("postgres://postgres:hunter2-s3cret@127.0.0.1:1/test");
    const store = createSqlStore({ database, codec });
    const err = await store.load(newKey()).then(
      () => assert.fail("resolved"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof SessionStoreError, String(err));
    assert.match(err.message, /^SQL session store \(postgres\) failed: .*ECONNREFUSED/);
    assert.ok(!err.message.includes("hunter2-s3cret"));
    assert.ok(!err.message.includes("\n"));
    await store.close();
  });

  it("works again on the next call once the server is back", async () => {
    const proxy = await startProxy(5432);
    const url = new URL(PG_URL);
    url.port = String(proxy.port);
    const database = await openDatabaseUrl(url.href);
    const table = uniqueTable("pgdown");
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
      await database.execute(`DROP TABLE "${table}"`, []);
    } finally {
      await store.close();
      await proxy.stop();
    }
  });
});
