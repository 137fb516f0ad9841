// The gate, expiry and cleanup of a StoreUnderTest on Django's db engine (SQLite, PostgreSQL,
// MariaDB): the SQL store and the user table on one database.
import {
  createRealtimeGate,
  djangoUsers,
  type RevocationWatcher,
} from "../../../src/adapters/realtime/index.ts";
import { DjangoUserSource } from "../../../src/auth/django-user-source.ts";
import { DjangoSessionCodec } from "../../../src/codecs/django/session-encoding.ts";
import { expireDateParam } from "../../../src/internal/sql/dates.ts";
import { placeholders } from "../../../src/internal/sql/database.ts";
import {
  createSqlStore,
  openDatabaseUrl,
  type SqlDatabase,
  type SqlSessionStore,
} from "../../../src/stores/sql/index.ts";
import { ORIGIN } from "./harness.ts";
import { SECRET, type StoreUnderTest } from "./scenario.ts";

/**
 * Opens `url` (a `DATABASE_URL`) when the gate is made; `watchers` makes the gate's watchers
 * from the open store and database.
 */
export function sqlParts(
  url: string,
  watchers: (store: SqlSessionStore, database: SqlDatabase) => RevocationWatcher[] = () => [],
  release: () => Promise<void> = () => Promise.resolve(),
): Pick<StoreUnderTest, "gate" | "expire" | "close"> {
  let database: SqlDatabase | undefined;
  return {
    async gate() {
      const db = await openDatabaseUrl(url);
      database = db;
      const store = createSqlStore({
        database: db,
        codec: new DjangoSessionCodec({ secret: SECRET }),
      });
      const gate = createRealtimeGate({
        djangoVersion: "5.2",
        store,
        users: djangoUsers({
          djangoVersion: "5.2",
          users: new DjangoUserSource({ database: db }),
          secretKey: SECRET,
        }),
        allowedOrigins: [ORIGIN],
        watchers: watchers(store, db),
      });
      await gate.start();
      return gate;
    },
    async expire(key, at) {
      const db = database;
      if (db === undefined) throw new Error("the gate was not made");
      const p = placeholders(db.dialect);
      await db.execute(
        `UPDATE django_session SET expire_date = ${p(1)} WHERE session_key = ${p(2)}`,
        [expireDateParam(db.dialect, at), key],
      );
    },
    async close() {
      await database?.close();
      await release();
    },
  };
}
