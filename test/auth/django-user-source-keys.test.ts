// DjangoUserSource.usernameKey on real MariaDB, PostgreSQL and SQLite: every spelling that the
// username lookup finds alice with has alice's key (so the per-username login limit cannot be
// dodged by respelling the name), under each MariaDB collation a Django table may have; a name
// the lookup tells apart keeps a key of its own (so no two real users share a budget, except
// names differing only in trailing spaces on a NO PAD collation).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DjangoUserSource } from "../../src/auth/index.ts";
import { openDatabaseUrl, type SqlDatabase } from "../../src/stores/sql/index.ts";
import { createTempDatabases, type TempDatabases } from "../support/databases.ts";

const SPELLINGS = [
  "alice",
  "Alice",
  "ÁLICE",
  "alicé",
  "àlice",
  "ALİCE",
  "ａｌｉｃｅ",
  "alıce",
  "a\u0301lice",
  "ali\u00adce",
  "alice\u200b",
  "alice ",
  "alice  ",
  "alice\t",
  "bob",
  "😀alice",
];

/** The columns of a minimal user table (the other fields are left out of the source). */
const NO_FIELDS = {
  isActive: null,
  isStaff: null,
  isSuperuser: null,
  email: null,
  firstName: null,
  lastName: null,
  lastLogin: null,
  dateJoined: null,
} as const;

/** Every spelling: whether the lookup finds alice, and whether it has alice's key. */
async function survey(
  database: SqlDatabase,
  table: string,
  spellings: readonly string[] = SPELLINGS,
): Promise<{ spelling: string; found: boolean; sameKey: boolean }[]> {
  const users = new DjangoUserSource({ database, table, columns: NO_FIELDS });
  const aliceKey = await users.usernameKey("alice");
  const rows = [];
  for (const spelling of spellings) {
    const found = (await users.getUserByUsername(spelling))?.username === "alice";
    rows.push({ spelling, found, sameKey: (await users.usernameKey(spelling)) === aliceKey });
  }
  return rows;
}

describe("DjangoUserSource.usernameKey", () => {
  let databases: TempDatabases;
  before(async () => {
    databases = await createTempDatabases("username_keys");
  });
  after(async () => {
    await databases.drop();
  });

  const MARIADB_COLLATIONS = [
    { collation: "utf8mb4_general_ci", noPad: false },
    { collation: "utf8mb4_unicode_ci", noPad: false },
    { collation: "utf8mb4_unicode_520_ci", noPad: false },
    { collation: "utf8mb4_uca1400_ai_ci", noPad: false },
    { collation: "utf8mb4_uca1400_as_cs", noPad: false },
    { collation: "utf8mb4_general_nopad_ci", noPad: true },
    { collation: "utf8mb4_bin", noPad: false },
    { collation: "utf8mb3_general_ci", noPad: false },
  ];

  it("MariaDB: a spelling the lookup finds alice with has her key, under every collation", async () => {
    const database = await openDatabaseUrl(databases.url("mysql"));
    try {
      for (const [i, { collation, noPad }] of MARIADB_COLLATIONS.entries()) {
        const table = `users_${String(i)}`;
        const charset = collation.split("_")[0]!;
        await database.execute(
          `CREATE TABLE ${table} (id int PRIMARY KEY AUTO_INCREMENT, username varchar(150) CHARACTER SET ${charset} COLLATE ${collation} NOT NULL UNIQUE, password varchar(128) NOT NULL)`,
          [],
        );
        await database.execute(
          `INSERT INTO ${table} (username, password) VALUES ('alice', 'x')`,
          [],
        );
        // A utf8mb3 column cannot be compared with 4-byte characters at all (the lookup fails,
        // in Django too), so those spellings are left out there.
        const rows = await survey(
          database,
          table,
          charset === "utf8mb3"
            ? SPELLINGS.filter((s) => !/[\u{10000}-\u{10ffff}]/u.test(s))
            : SPELLINGS,
        );
        for (const row of rows) {
          const what = `${collation}: ${JSON.stringify(row.spelling)}`;
          if (row.found) assert.ok(row.sameKey, `${what} finds alice but has a key of its own`);
          const trailingSpaces = /^alice +$/.test(row.spelling);
          if (!row.found && !(noPad && trailingSpaces)) {
            assert.ok(!row.sameKey, `${what} is another name but shares alice's key`);
          }
        }
        // The survey is not vacuous: the collation really finds alice under other spellings.
        if (collation !== "utf8mb4_bin") {
          assert.ok(
            rows.filter((r) => r.found).length >= 4,
            `${collation}: ${JSON.stringify(rows)}`,
          );
        }
      }
    } finally {
      await database.close();
    }
  });

  for (const dialect of ["postgres", "sqlite"] as const) {
    it(`${dialect}: the name itself (the lookup is exact)`, async () => {
      const database = await openDatabaseUrl(databases.url(dialect));
      try {
        await database.execute(
          `CREATE TABLE users_exact (id integer PRIMARY KEY, username varchar(150) NOT NULL UNIQUE, password varchar(128) NOT NULL)`,
          [],
        );
        await database.execute(
          `INSERT INTO users_exact (id, username, password) VALUES (1, 'alice', 'x')`,
          [],
        );
        const rows = await survey(database, "users_exact");
        assert.deepEqual(
          rows.filter((r) => r.found || r.sameKey).map((r) => r.spelling),
          ["alice"],
        );
        const users = new DjangoUserSource({
          database,
          table: "users_exact",
          columns: NO_FIELDS,
        });
        assert.equal(await users.usernameKey("ÁLICE "), "ÁLICE ");
      } finally {
        await database.close();
      }
    });
  }
});
