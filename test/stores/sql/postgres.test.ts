import assert from "node:assert/strict";
import { it } from "node:test";
import pg from "pg";
import { createSqlStore, postgresDatabase } from "../../../src/stores/sql/index.ts";
import { PG_URL, codec, newKey, uniqueTable } from "./helpers.ts";
import { checkUtcExpiry, describeDefaultTableDdl, sqlServerSuite } from "./server-suite.ts";
import { expiryAt } from "./suite.ts";

const server = { dialect: "postgres", url: PG_URL, port: 5432 } as const;

sqlServerSuite(server, "postgres://postgres:hunter2-s3cret@127.0.0.1:1/test", () => {
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
      const database = await postgresDatabase(client, { prepare: false });
      await checkUtcExpiry(database, "postgres", async (table, key) => {
        const { rows } = await client.query<{ epoch: string; utc: string }>(
          `SELECT extract(epoch FROM expire_date)::text AS epoch,
                  to_char(expire_date AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS utc
             FROM "${table}" WHERE session_key = $1`,
          [key],
        );
        assert.equal(rows[0]?.utc, "2023-11-28 22:13:20.123000");
        assert.equal(Number(rows[0].epoch), 1701209600.123);
      });
    } finally {
      await client.end();
    }
  });

  describeDefaultTableDdl(
    "schema",
    async (schema) => {
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`CREATE SCHEMA "${schema}"`);
      const database = await postgresDatabase({
        connectionString: PG_URL,
        options: `-c search_path=${schema}`,
      });
      const drop = async (): Promise<void> => {
        await admin.query(`DROP SCHEMA "${schema}" CASCADE`);
        await admin.end();
      };
      return { admin, database, drop };
    },
    "matches `sqlmigrate sessions 0001` (django-formats.md §3.1)",
    async (admin, schema) => {
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
    },
  );
});
