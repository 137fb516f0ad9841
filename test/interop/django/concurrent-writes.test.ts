// A real Django 5.2 and a Node app writing the same session at the same time on Django's
// database engine (issue 16): PostgreSQL, MariaDB and SQLite, each in a database of its own. The
// races are in concurrent-scenario.ts.
import { DjangoSessionCodec } from "../../../src/codecs/django/session-encoding.ts";
import { createSqlStore, openDatabaseUrl } from "../../../src/stores/sql/index.ts";
import { createTempDatabases } from "../../support/databases.ts";
import { itKeepsDjangosWrites, type SharedEngine } from "./concurrent-scenario.ts";

const SECRET = "interop-secret-key-for-concurrent-writes";

function databaseEngine(dialect: "postgres" | "mysql" | "sqlite") {
  return async (): Promise<SharedEngine> => {
    const dbs = await createTempDatabases(`cas_dj_${dialect}`);
    const store = createSqlStore({
      database: await openDatabaseUrl(dbs.url(dialect)),
      codec: new DjangoSessionCodec({ secret: SECRET }),
    });
    return {
      env: { DJANGO_DB: dbs.url(dialect), SECRET_KEY: SECRET },
      store,
      async close() {
        await store.close();
        await dbs.drop();
      },
    };
  };
}

itKeepsDjangosWrites("database engine, PostgreSQL", databaseEngine("postgres"));
itKeepsDjangosWrites("database engine, MariaDB", databaseEngine("mysql"));
itKeepsDjangosWrites("database engine, SQLite", databaseEngine("sqlite"));
