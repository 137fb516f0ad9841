// Interop with real Django (3.2, 4.2, 5.2) on the db session engine, on SQLite, PostgreSQL and
// MariaDB: Django writes and we read, we write and Django reads, directly and through Django's
// real SessionMiddleware over HTTP. Expiry must agree both ways.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DjangoSessionCodec } from "../../../src/codecs/django/session-encoding.ts";
import { PyFloat, type PyValue } from "../../../src/codecs/python-values.ts";
import { toTypedJson } from "../../../src/codecs/typed-json.ts";
import { Session } from "../../../src/engine/session.ts";
import { createSqlStore, openDatabaseUrl } from "../../../src/stores/sql/index.ts";
import { createTempDatabases, type TempDatabases } from "../../support/databases.ts";
import { CookieJar } from "../../support/http.ts";
import {
  djangoEngine,
  fetchSession,
  itAgreesOnBrowserClose,
  itReadsWhatDjangoCreated,
  itSharesOneCookie,
  itWritesWhatDjangoReads,
  overHttp,
} from "./engine-scenario.ts";
import { DJANGO_VERSIONS, runDjango } from "./peer.ts";

const SECRET = "interop-secret-key-for-sessionbridge";

const SAMPLE = {
  user: "zoë 😀",
  n: 42,
  f: 1.5,
  whole: new PyFloat(2),
  nested: { list: [1, "two", null, true], empty: {} },
  "10": "integer-like key",
} satisfies Record<string, PyValue>;

/** Compares session values the way Python would (1.0 == 1). */
function plain(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(toTypedJson(value as PyValue), (_k, v: unknown) =>
      v instanceof PyFloat ? v.value : v,
    ),
    (_k, v: unknown) =>
      v !== null && typeof v === "object" && (v as { $type?: string }).$type === "float"
        ? (v as { value: number }).value
        : v,
  );
}

for (const version of DJANGO_VERSIONS) {
  describe(`Django ${version} db engine`, () => {
    let dbs: TempDatabases;
    before(async () => {
      dbs = await createTempDatabases(`dj${version.replace(".", "")}`);
    });
    after(async () => {
      await dbs.drop();
    });

    for (const dialect of ["sqlite", "postgres", "mysql"] as const) {
      describe(dialect, () => {
        let url: string;
        const engine = djangoEngine(version, async () => {
          url =
            dialect === "sqlite"
              ? `sqlite:${dbs.sqlitePath}`
              : dialect === "postgres"
                ? dbs.postgresUrl
                : dbs.mysqlUrl;
          const env = { DJANGO_DB: url, SECRET_KEY: SECRET };
          await runDjango(version, ["migrate"], { env });
          const store = createSqlStore({
            database: await openDatabaseUrl(url),
            codec: new DjangoSessionCodec({ secret: SECRET, readLegacy: version === "3.2" }),
          });
          return { env, store, close: () => store.close() };
        });

        itReadsWhatDjangoCreated(engine, {
          entries: SAMPLE,
          normalise: plain,
          verify: async (created, data, ours, startedAt) => {
            // The harness sends a JS object, whose integer-like key comes first; Django keeps
            // that order.
            assert.deepEqual([...data.keys()], ["10", "user", "n", "f", "whole", "nested"]);
            const theirs = new Date(created.expire_date).getTime();
            const mine = (await ours.getExpiryDate()).getTime();
            const endedAt = Date.now();
            // Both are "now + the age", each taken between startedAt and endedAt: bracketed by
            // clock readings on both sides, however slow Django's start-up was (the row may
            // keep whole seconds only).
            const age = created.expiry_age * 1000;
            for (const [who, at] of [
              ["Django's", theirs],
              ["ours", mine],
            ] as const) {
              assert.ok(
                at >= startedAt + age - 1000 && at <= endedAt + age,
                `${who} expiry ${at} outside [${startedAt + age - 1000}, ${endedAt + age}]`,
              );
            }
          },
        });

        itWritesWhatDjangoReads(engine, {
          entries: SAMPLE,
          normalise: plain,
          verify: async (ours, startedAt) => {
            const row = (await runDjango(version, ["raw-row", ours.key!], {
              env: engine.env,
            })) as { expire_date_iso: string };
            const endedAt = Date.now();
            // The row was written between startedAt and now, 300 s ahead: bracketed by clock
            // readings on both sides, however slow the save or Django's start-up was.
            const stored = new Date(row.expire_date_iso).getTime();
            assert.ok(
              stored >= startedAt + 300_000 && stored <= endedAt + 300_000,
              `expire_date agrees: ${row.expire_date_iso} within [${new Date(startedAt + 300_000).toISOString()}, ${new Date(endedAt + 300_000).toISOString()}]`,
            );
          },
        });

        itAgreesOnBrowserClose(engine);

        it("does not load an expired session, and neither does Django", async () => {
          // Saved with a clock four weeks behind: its two-week expiry is already over.
          const session = engine.session(null, () => Date.now() - 28 * 86_400_000);
          await session.set("a", 1);
          await session.save();
          assert.equal(await engine.store.load(session.key!), null);
          const loaded = await engine.load(session.key!);
          assert.equal(loaded.key_after_load, null);
          assert.deepEqual(loaded.data, {});
        });

        if (version !== "3.2") {
          it("rotates SECRET_KEY with SECRET_KEY_FALLBACKS both ways", async () => {
            // A session we saved under the old key, read by Django configured with the new key
            // and the old one as a fallback; and Django's old-key row read by us the same way.
            const oldStore = createSqlStore({
              database: await openDatabaseUrl(url),
              codec: new DjangoSessionCodec({ secret: "old-key-0" }),
            });
            const old = new Session(oldStore, null, engine.settings);
            await old.set("who", "rotated");
            await old.save();
            await oldStore.close();
            const rotatedEnv = {
              DJANGO_DB: url,
              SECRET_KEY: "new-key-1",
              SECRET_KEY_FALLBACKS: "old-key-0",
            };
            const loaded = await engine.load(old.key!, rotatedEnv);
            assert.deepEqual(loaded.data, { who: "rotated" });
            const noFallback = await engine.load(old.key!, {
              DJANGO_DB: url,
              SECRET_KEY: "new-key-1",
            });
            assert.deepEqual(noFallback.data, {});

            const theirs = await engine.create('{"from": "django"}', {
              env: { DJANGO_DB: url, SECRET_KEY: "old-key-0" },
            });
            const rotated = createSqlStore({
              database: await openDatabaseUrl(url),
              codec: new DjangoSessionCodec({
                secret: "new-key-1",
                fallbackSecrets: ["old-key-0"],
              }),
            });
            assert.equal((await rotated.load(theirs.key))?.get("from"), "django");
            await rotated.close();
          });
        }

        overHttp(engine, (peers) => {
          itSharesOneCookie(peers);

          it("a session Node creates is Django's session, and Django's flush logs Node out", async () => {
            const jar = new CookieJar();
            await jar.fetch(`${peers.node.url}/bump`);
            const key = jar.cookies.get("sessionid")!;
            const seen = await fetchSession(jar, `${peers.django.url}/get`);
            assert.equal(JSON.stringify(seen).includes('"count"'), true, JSON.stringify(seen));
            await jar.fetch(`${peers.django.url}/flush`);
            assert.equal(await engine.store.load(key), null);
            const after = await fetchSession(jar, `${peers.node.url}/read`);
            assert.deepEqual(after.data, {});
          });

          it("Django does not save on a 500 and neither do we", async () => {
            const jar = new CookieJar();
            const res = await jar.fetch(`${peers.django.url}/error500?x=1`);
            assert.equal(res.status, 500);
            assert.equal(jar.cookies.size, 0);
          });
        });
      });
    }
  });
}
