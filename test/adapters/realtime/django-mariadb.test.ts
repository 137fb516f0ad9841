// The real-time proof on MariaDB beside real Django 5.2 (its db engine on MySQLdb): revocation
// by batched polling, one `inspectMany` query per interval for every connected session and one
// user query for every connected user.
import { describe } from "node:test";
import { createTempDatabases } from "../../support/databases.ts";
import { realtimeScenario } from "./scenario.ts";
import { sqlParts } from "./sql-store.ts";

const dbs = await createTempDatabases("realtime_mariadb");

describe("realtime beside Django 5.2 on MariaDB (polling)", () => {
  realtimeScenario({
    version: "5.2",
    djangoEnv: { DJANGO_DB: dbs.mysqlUrl },
    cliEnv: { DATABASE_URL: dbs.mysqlUrl },
    ...sqlParts(dbs.mysqlUrl, { release: () => dbs.drop() }),
  });
});
