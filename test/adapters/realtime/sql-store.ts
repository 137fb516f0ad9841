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
import type { DjangoVersion } from "../../interop/django/peer.ts";
import { ORIGIN } from "./harness.ts";
import { SECRET, type StoreUnderTest } from "./scenario.ts";

/** What differs between the SQL files. */
export interface SqlPartsOptions {
  /** The gate's watchers, made once the store and database are open. */
  readonly watchers?: (
    store: SqlSessionStore,
    database: SqlDatabase,
  ) => Promise<RevocationWatcher[]> | RevocationWatcher[];
  /** Called by `close()` after the database is closed. */
  readonly release?: () => Promise<void>;
  /** The Django version whose `_auth_user_hash` the users rule checks; default 5.2. */
  readonly djangoVersion?: DjangoVersion;
}

/** Opens `url` (a `DATABASE_URL`) when the gate is made. */
export function sqlParts(
  url: string,
  options: SqlPartsOptions = {},
): Pick<StoreUnderTest, "gate" | "node" | "expire" | "close"> {
  let database: SqlDatabase | undefined;
  let node: ReturnType<StoreUnderTest["node"]> | undefined;
  return {
    async gate() {
      const db = await openDatabaseUrl(url);
      database = db;
      const store = createSqlStore({
        database: db,
        codec: new DjangoSessionCodec({ secret: SECRET }),
      });
      const users = new DjangoUserSource({ database: db });
      node = { store, users };
      const gate = createRealtimeGate({
        djangoVersion: "5.2",
        store,
        users: djangoUsers({
          users,
          secretKey: SECRET,
          djangoVersion: options.djangoVersion ?? "5.2",
        }),
        allowedOrigins: [ORIGIN],
        watchers: (await options.watchers?.(store, db)) ?? [],
      });
      await gate.start();
      return gate;
    },
    node() {
      if (node === undefined) throw new Error("the gate was not made");
      return node;
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
      await options.release?.();
    },
  };
}
