// sqlBoolean and placeholders on the real databases: Django's boolean column as each dialect
// declares it (SQLite `bool`, PostgreSQL `boolean`, MariaDB `bool` = `tinyint(1)`), written
// with the dialect's placeholders and read back as the driver returns it, as a value and as text.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { placeholders, type SqlDialect } from "../../../src/internal/sql/database.ts";
import { sqlBoolean } from "../../../src/internal/sql/rows.ts";
import { openDatabaseUrl } from "../../../src/internal/sql/url.ts";
import { createTempDatabases, type TempDatabases } from "../../support/databases.ts";

let databases: TempDatabases;
before(async () => {
  databases = await createTempDatabases("rows");
});
after(() => databases.drop());

const DIALECTS: readonly SqlDialect[] = ["sqlite", "postgres", "mysql"];

describe("placeholders", () => {
  it("numbers PostgreSQL's and leaves SQLite's and MySQL's positional", () => {
    assert.equal(placeholders("postgres")(3), "$3");
    assert.equal(placeholders("sqlite")(3), "?");
    assert.equal(placeholders("mysql")(3), "?");
  });
});

describe("sqlBoolean", () => {
  for (const dialect of DIALECTS) {
    it(`reads ${dialect}'s boolean column, as a value and as text`, async () => {
      const database = await openDatabaseUrl(databases.url(dialect));
      try {
        const p = placeholders(dialect);
        const type = dialect === "postgres" ? "boolean" : "bool";
        await database.execute(`CREATE TABLE flags (id integer PRIMARY KEY, on_ ${type})`, []);
        const [yes, no] = dialect === "postgres" ? ["true", "false"] : ["1", "0"];
        await database.execute(
          `INSERT INTO flags VALUES (${p(1)}, ${yes}), (${p(2)}, ${no})`,
          [1, 2],
        );
        const text =
          dialect === "postgres"
            ? "on_::text"
            : dialect === "mysql"
              ? "CAST(on_ AS CHAR)"
              : "CAST(on_ AS TEXT)";
        const rows = await database.query(
          `SELECT id, on_ AS value, ${text} AS text FROM flags WHERE id IN (${p(1)}, ${p(2)}) ORDER BY id`,
          [1, 2],
        );
        assert.deepEqual(
          rows.map((row) => [sqlBoolean(row["value"]), sqlBoolean(row["text"])]),
          [
            [true, true],
            [false, false],
          ],
        );
      } finally {
        await database.close();
      }
    });
  }

  it("takes every form a driver may hand over, and nothing else", () => {
    for (const value of [true, 1, 1n, "1", "t", "true"]) assert.equal(sqlBoolean(value), true);
    for (const value of [false, 0, 0n, "0", "f", "false", "", null, undefined, 2, "yes"]) {
      assert.equal(sqlBoolean(value), false, String(value));
    }
  });
});
