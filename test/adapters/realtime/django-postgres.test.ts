// The real-time proof on PostgreSQL beside real Django 6.1: `sessionbridge migrate
// --realtime-triggers` installs the triggers, and revocation comes by LISTEN/NOTIFY (sessions and
// users are never polled while the listening connection lives); `--drop-realtime-triggers`
// removes them cleanly and the watcher then refuses to start, naming the command.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import pg from "pg";
import {
  createRealtimeGate,
  djangoUsers,
  postgresWatcher,
} from "../../../src/adapters/realtime/index.ts";
import { DjangoUserSource } from "../../../src/auth/django-user-source.ts";
import { ConfigurationError } from "../../../src/errors.ts";
import { DjangoSessionCodec } from "../../../src/codecs/django/session-encoding.ts";
import { createSqlStore, openDatabaseUrl } from "../../../src/stores/sql/index.ts";
import { runCli } from "../../support/cli.ts";
import { createTempDatabases } from "../../support/databases.ts";
import { realtimeScenario, SECRET, USERS } from "./scenario.ts";
import { sqlParts } from "./sql-store.ts";

const dbs = await createTempDatabases("realtime_pg");
const url = dbs.postgresUrl;
const cliEnv = { DATABASE_URL: url, DJANGO_VERSION: "6.1" };
let listener: pg.Client | undefined;
const lost: unknown[] = [];

/** The sessionbridge triggers and functions in the database. */
async function installed(): Promise<{ triggers: string[]; functions: string[] }> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    const triggers = await client.query<{ name: string }>(
      "SELECT tgname AS name FROM pg_trigger WHERE tgname LIKE 'sessionbridge%' ORDER BY 1",
    );
    const functions = await client.query<{ name: string }>(
      "SELECT proname AS name FROM pg_proc WHERE proname LIKE 'sessionbridge%' ORDER BY 1",
    );
    return {
      triggers: triggers.rows.map((r) => r.name),
      functions: functions.rows.map((r) => r.name),
    };
  } finally {
    await client.end();
  }
}

describe("realtime beside Django 6.1 on PostgreSQL (LISTEN/NOTIFY)", () => {
  after(async () => {
    await dbs.drop();
  });

  describe("with the triggers installed by migrate --realtime-triggers", () => {
    realtimeScenario({
      version: "6.1",
      djangoEnv: { DJANGO_DB: url },
      cliEnv,
      ...sqlParts(url, {
        djangoVersion: "6.1",
        async watchers() {
          const migrated = await runCli(["migrate", "--realtime-triggers"], { env: cliEnv });
          assert.equal(migrated.code, 0, migrated.stderr);
          assert.deepEqual(await installed(), {
            triggers: [
              "sessionbridge_session_notify",
              "sessionbridge_session_truncate",
              "sessionbridge_user_notify",
            ],
            functions: ["sessionbridge_session_notify", "sessionbridge_user_notify"],
          });
          listener = new pg.Client(url);
          await listener.connect();
          const watcher = postgresWatcher({ client: listener, onError: (e) => lost.push(e) });
          return [watcher];
        },
        async release() {
          await listener?.end();
          // The listening connection lived throughout: the gate never fell back to polling.
          assert.deepEqual(lost, []);
        },
      }),
    });
  });

  it("migrate --drop-realtime-triggers removes them and nothing else; the watcher then names the command", async () => {
    const dropped = await runCli(["migrate", "--drop-realtime-triggers"], { env: cliEnv });
    assert.equal(dropped.code, 0, dropped.stderr);
    assert.deepEqual(await installed(), { triggers: [], functions: [] });
    const database = await openDatabaseUrl(url);
    const client = new pg.Client(url);
    await client.connect();
    try {
      // The tables and Django's data are intact.
      const [users] = await database.query("SELECT count(*) AS n FROM auth_user", []);
      assert.equal(Number(users?.["n"]), USERS.length);
      const gate = createRealtimeGate({
        djangoVersion: "5.2",
        store: createSqlStore({ database, codec: new DjangoSessionCodec({ secret: SECRET }) }),
        users: djangoUsers({
          djangoVersion: "5.2",
          users: new DjangoUserSource({ database }),
          secretKey: SECRET,
        }),
      });
      const refused = postgresWatcher({ client });
      await assert.rejects(
        refused.start(gate),
        (error: unknown) =>
          error instanceof ConfigurationError &&
          error.message.includes("sessionbridge migrate --realtime-triggers"),
      );
      assert.equal(refused.sessions, false);
      const sqlite = await runCli(["migrate", "--realtime-triggers"], {
        env: { DATABASE_URL: "sqlite::memory:" },
      });
      assert.equal(sqlite.code, 2);
      assert.match(sqlite.stderr, /need PostgreSQL/);
    } finally {
      await client.end();
      await database.close();
    }
  });
});
