// The real-time proof on SQLite beside real Django 5.2: revocation by batched polling (one
// query per interval for every connected session, one for every connected user).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe } from "node:test";
import { createRealtimeGate, djangoUsers } from "../../../src/adapters/realtime/index.ts";
import { DjangoUserSource } from "../../../src/auth/django-user-source.ts";
import { DjangoSessionCodec } from "../../../src/codecs/django/session-encoding.ts";
import { expireDateParam } from "../../../src/internal/sql/dates.ts";
import {
  createSqlStore,
  openDatabaseUrl,
  type SqlDatabase,
} from "../../../src/stores/sql/index.ts";
import { ORIGIN } from "./harness.ts";
import { realtimeScenario, SECRET } from "./scenario.ts";

const dir = mkdtempSync(join(tmpdir(), "sessionbridge-realtime-"));
const path = join(dir, "db.sqlite3");
let database: SqlDatabase | undefined;

describe("realtime beside Django 5.2 on SQLite (polling)", () => {
  realtimeScenario({
    version: "5.2",
    djangoEnv: { DJANGO_DB: `sqlite:${path}` },
    cliEnv: { DATABASE_URL: `sqlite:${path}` },
    async gate() {
      const db = await openDatabaseUrl(`sqlite:${path}`);
      database = db;
      const store = createSqlStore({
        database: db,
        codec: new DjangoSessionCodec({ secret: SECRET }),
      });
      return createRealtimeGate({
        store,
        users: djangoUsers({ users: new DjangoUserSource({ database: db }), secretKey: SECRET }),
        allowedOrigins: [ORIGIN],
      });
    },
    async expire(key, at) {
      await database!.execute("UPDATE django_session SET expire_date = ? WHERE session_key = ?", [
        expireDateParam("sqlite", at),
        key,
      ]);
    },
    async close() {
      await database?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
});
