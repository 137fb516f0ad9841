// Pools and connections as a caller makes them with the drivers themselves (so that the
// library's own defaults, like `timezone: "Z"` on pools it creates, do not apply): each
// driver's defaults first, then settings that change how it converts dates.
import Database from "better-sqlite3";
import mysql from "mysql2/promise";
import pg from "pg";
import {
  mysqlDatabase,
  postgresDatabase,
  sqliteDatabase,
  type SqlDatabase,
} from "../../../src/stores/sql/index.ts";

/** A caller's pool wrapped as a {@link SqlDatabase}; `close` ends the pool itself. */
export interface CallerPool {
  readonly database: SqlDatabase;
  close(): Promise<void>;
}

/**
 * Name → opener of each caller pool for `dialect`: mysql2 with its defaults (`timezone:
 * "local"`), with `dateStrings`, with another offset; pg with the server's `TimeZone`, and with
 * sessions in a zone west and one east of UTC; a better-sqlite3 database.
 *
 * @param url a database URL, or the SQLite file.
 */
export function callerPools(
  dialect: "sqlite" | "postgres" | "mysql",
  url: string,
): Record<string, () => Promise<CallerPool>> {
  switch (dialect) {
    case "mysql": {
      const pool = (options: mysql.PoolOptions) => async (): Promise<CallerPool> => {
        const made = mysql.createPool({ uri: url, ...options });
        return { database: await mysqlDatabase(made), close: () => made.end() };
      };
      return {
        "mysql2 defaults (timezone local)": pool({}),
        "dateStrings: true": pool({ dateStrings: true }),
        'timezone: "+09:00"': pool({ timezone: "+09:00" }),
      };
    }
    case "postgres": {
      const pool = (options: pg.PoolConfig) => async (): Promise<CallerPool> => {
        const made = new pg.Pool({ connectionString: url, ...options });
        return { database: await postgresDatabase(made), close: () => made.end() };
      };
      return {
        "pg defaults": pool({}),
        "TimeZone=America/Los_Angeles": pool({ options: "-c TimeZone=America/Los_Angeles" }),
        "TimeZone=Asia/Kathmandu": pool({ options: "-c TimeZone=Asia/Kathmandu" }),
      };
    }
    case "sqlite":
      return {
        "better-sqlite3 defaults": async () => {
          const made = new Database(url);
          return {
            database: await sqliteDatabase(made),
            close: () => Promise.resolve(void made.close()),
          };
        },
      };
  }
}
