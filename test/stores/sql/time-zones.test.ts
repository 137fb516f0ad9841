// The SQL session store on pools the caller made, in processes whose local time is not UTC
// (a zone west of UTC with DST, one east of it with a half-hour offset), against real
// SQLite, PostgreSQL and MariaDB and real Django 5.2: Django keeps naive UTC in a MySQL
// DATETIME (USE_TZ=True), which mysql2's default `timezone: "local"` would shift, so the store
// must never let the driver convert it. Each scenario runs in a child process with its own TZ
// (time-zones-child.ts); here Django writes the rows the child reads and reads the rows the
// child writes.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseExpireDate } from "../../../src/internal/sql/dates.ts";
import { runDjango } from "../../interop/django/peer.ts";
import { createTempDatabases, type TempDatabases } from "../../support/databases.ts";
import { runInTimeZone, TEST_ZONES as ZONES } from "../../support/time-zone-child.ts";
import type { StoreChildInput, StoreChildResult } from "./time-zones-child.ts";
import { SECRET } from "./helpers.ts";

const CHILD = "test/stores/sql/time-zones-child.ts";
const DJANGO = "5.2";
const DIALECTS = ["sqlite", "postgres", "mysql"] as const;

interface RawRow {
  readonly exists: boolean;
  readonly expire_date_iso?: string;
}

describe("SqlSessionStore on the caller's own pool, in non-UTC process time zones", () => {
  let dbs: TempDatabases;
  before(async () => {
    dbs = await createTempDatabases("store_tz");
  });
  after(async () => {
    await dbs.drop();
  });

  for (const dialect of DIALECTS) {
    describe(dialect, () => {
      let env: Record<string, string>;
      let url: string;
      const django = (args: string[], input?: unknown): Promise<unknown> =>
        runDjango(DJANGO, args, {
          env,
          ...(input === undefined ? {} : { input: JSON.stringify(input) }),
        });
      /** `expire_date` as Django's ORM reads the row, as an ISO instant (ms). */
      const djangoExpiry = async (key: string): Promise<string> => {
        const row = (await django(["raw-row", key])) as RawRow;
        assert.ok(row.exists && row.expire_date_iso !== undefined, `Django has ${key}`);
        return parseExpireDate(row.expire_date_iso).toISOString();
      };
      /** A session Django creates, expiring `seconds` from now. */
      const djangoSession = async (seconds: number): Promise<string> => {
        const made = (await django(["create", "--expiry", String(seconds)], { who: "django" })) as {
          key: string;
        };
        return made.key;
      };

      before(async () => {
        url = dbs.location(dialect);
        env = {
          DJANGO_DB: dbs.url(dialect),
          SECRET_KEY: SECRET,
        };
        await django(["migrate"]);
      });

      for (const [zone, offsets] of Object.entries(ZONES)) {
        it(`TZ=${zone}: Django's rows read right, ours Django reads right, clearExpired exact`, async () => {
          const liveKey = await djangoSession(7200);
          const input: StoreChildInput = {
            dialect,
            url,
            live: { key: liveKey, expire: await djangoExpiry(liveKey) },
            // Within the zones' offsets of now: a shifted comparison would misfile them.
            expired: [await djangoSession(-6 * 3600), await djangoSession(-3600)],
            alive: [liveKey, await djangoSession(3600), await djangoSession(6 * 3600)],
          };
          const report = await runInTimeZone<StoreChildResult>(CHILD, zone, input);
          assert.equal(report.tz, zone);
          assert.deepEqual(report.offsets, offsets, "the child really ran in that zone");
          const { variants, written, cleared } = report.result;
          assert.ok(variants.length >= 1);
          assert.equal(cleared, input.expired.length, "clearExpired: exactly the expired rows");
          assert.equal(written.length, variants.length * 2);
          for (const session of written) {
            // Django's ORM reads the instant the child wrote, and the data with it.
            assert.equal(await djangoExpiry(session.key), session.expire, session.variant);
            const loaded = (await django(["load", session.key])) as {
              exists: boolean;
              data: unknown;
            };
            assert.equal(loaded.exists, true);
            assert.deepEqual(loaded.data, session.data);
          }
        });
      }
    });
  }
});
