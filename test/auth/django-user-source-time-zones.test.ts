// DjangoUserSource's last_login / date_joined on pools the caller made, in processes whose
// local time is not UTC, against real SQLite, PostgreSQL and MariaDB and real Django 5.2.
// Django (USE_TZ=True) keeps naive UTC in a MySQL DATETIME; mysql2's default
// `timezone: "local"` would shift it by the process's offset both ways if the driver converted
// it. Each scenario runs in a child process with its own TZ (time-zones-child.ts); here Django
// writes the dates the child reads and reads the dates the child writes.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createTempDatabases, type TempDatabases } from "../support/databases.ts";
import { runInTimeZone, TEST_ZONES as ZONES } from "../support/time-zone-child.ts";
import type { UserChildInput, UserChildResult } from "./time-zones-child.ts";
import { djangoInstant, runUserModelPeer, type PeerUser } from "./user-model-peer.ts";

const CHILD = "test/auth/time-zones-child.ts";
const DIALECTS = ["sqlite", "postgres", "mysql"] as const;

describe("DjangoUserSource dates on the caller's own pool, in non-UTC process time zones", () => {
  let dbs: TempDatabases;
  before(async () => {
    dbs = await createTempDatabases("user_tz");
  });
  after(async () => {
    await dbs.drop();
  });

  for (const dialect of DIALECTS) {
    describe(dialect, () => {
      let url: string;
      let db: string;
      const django = <T>(args: string[], input?: unknown): Promise<T> =>
        runUserModelPeer<T>({ version: "5.2", db }, args, input);

      before(async () => {
        url = dbs.location(dialect);
        db = dbs.url(dialect);
        await django(["setup"]);
      });

      for (const [zone, offsets] of Object.entries(ZONES)) {
        it(`TZ=${zone}: Django's dates read right, ours Django reads right`, async () => {
          const slug = zone.replace(/\W/g, "").toLowerCase();
          const username = `dj-${slug}`;
          await django(["create-user"], { username, password: "pw" });
          // Summer time, and the previous day in New York.
          const theirs = await django<PeerUser>(["set-last-login"], {
            username,
            at: "2024-07-01T03:04:05.678901+00:00",
          });
          const input: UserChildInput = {
            dialect,
            url,
            django: {
              username,
              lastLogin: djangoInstant(theirs.last_login!),
              dateJoined: djangoInstant(theirs.date_joined!),
            },
            prefix: `node-${slug}`,
          };
          assert.equal(input.django.lastLogin, "2024-07-01T03:04:05.678Z");
          const report = await runInTimeZone<UserChildResult>(CHILD, zone, input);
          assert.equal(report.tz, zone);
          assert.deepEqual(report.offsets, offsets, "the child really ran in that zone");
          const { variants, written } = report.result;
          assert.ok(variants.length >= 1);
          assert.equal(written.length, variants.length * 2);
          for (const user of written) {
            // Django's ORM reads the instants the child wrote.
            const seen = await django<PeerUser | null>(["user"], { username: user.username });
            assert.ok(seen !== null, user.username);
            assert.equal(djangoInstant(seen.date_joined!), user.dateJoined, user.variant);
            assert.equal(
              seen.last_login === null ? "" : djangoInstant(seen.last_login),
              user.lastLogin,
              user.variant,
            );
          }
        });
      }
    });
  }
});
