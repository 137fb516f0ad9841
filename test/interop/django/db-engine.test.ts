// Interop with real Django (3.2, 4.2, 5.2) on the db session engine, on SQLite, PostgreSQL and
// MariaDB: Django writes and we read, we write and Django reads, directly and through Django's
// real SessionMiddleware over HTTP. Expiry must agree both ways.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import { getSession, withSessions } from "../../../src/adapters/node/index.ts";
import { DjangoSessionCodec } from "../../../src/codecs/django/session-encoding.ts";
import { PyFloat, type PyValue } from "../../../src/codecs/python-values.ts";
import { sessionFromTypedJson, toTypedJson } from "../../../src/codecs/typed-json.ts";
import { resolveSessionSettings } from "../../../src/engine/config.ts";
import { Session } from "../../../src/engine/session.ts";
import {
  createSqlStore,
  openDatabaseUrl,
  type SqlSessionStore,
} from "../../../src/stores/sql/index.ts";
import { createTempDatabases, type TempDatabases } from "../../support/databases.ts";
import { CookieJar, listen } from "../../support/http.ts";
import { DJANGO_VERSIONS, runDjango, startDjangoServer, type DjangoServer } from "./peer.ts";

const SECRET = "interop-secret-key-for-sessionbridge";

interface CreateResult {
  key: string;
  expiry_age: number;
  expire_date: string;
}
interface LoadResult {
  exists: boolean;
  data: Record<string, unknown>;
  key_after_load: string | null;
  expiry_age: number;
  expire_date: string;
  expire_at_browser_close: boolean;
}

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
        let env: Record<string, string>;
        let store: SqlSessionStore;
        const settings = resolveSessionSettings({ djangoVersion: version });
        before(async () => {
          url =
            dialect === "sqlite"
              ? `sqlite:${dbs.sqlitePath}`
              : dialect === "postgres"
                ? dbs.postgresUrl
                : dbs.mysqlUrl;
          env = { DJANGO_DB: url, SECRET_KEY: SECRET };
          await runDjango(version, ["migrate"], { env });
          store = createSqlStore({
            database: await openDatabaseUrl(url),
            codec: new DjangoSessionCodec({ secret: SECRET, readLegacy: version === "3.2" }),
          });
        });
        after(async () => {
          await store.close();
        });

        it("reads a session Django created, with the same expiry", async () => {
          const created = (await runDjango(version, ["create"], {
            env,
            input: JSON.stringify(toTypedJson(new Map(Object.entries(SAMPLE)))),
          })) as CreateResult;
          const data = await store.load(created.key);
          assert.ok(data, "session not found");
          assert.deepEqual(plain(data), plain(new Map(Object.entries(SAMPLE))));
          // The harness sends a JS object, whose integer-like key comes first; Django keeps that order.
          assert.deepEqual([...data.keys()], ["10", "user", "n", "f", "whole", "nested"]);
          const session = new Session(store, created.key, settings);
          assert.equal(await session.getExpiryAge(), created.expiry_age);
          const theirs = new Date(created.expire_date).getTime();
          assert.ok(Math.abs((await session.getExpiryDate()).getTime() - theirs) < 5000);
        });

        it("writes a session Django reads, with a custom expiry it agrees with", async () => {
          const session = new Session(store, null, settings);
          await session.update(SAMPLE);
          await session.setExpiry(300);
          await session.save();
          const loaded = (await runDjango(version, ["load", session.key!], { env })) as LoadResult;
          assert.equal(loaded.exists, true);
          assert.equal(loaded.key_after_load, session.key);
          const theirs = sessionFromTypedJson(loaded.data);
          assert.deepEqual(plain(theirs), plain(await session.toMap()));
          assert.equal(loaded.expiry_age, 300);
          assert.equal(loaded.expire_at_browser_close, false);
          const row = (await runDjango(version, ["raw-row", session.key!], { env })) as {
            expire_date_iso: string;
          };
          const ours = Date.now() + 300_000;
          assert.ok(
            Math.abs(new Date(row.expire_date_iso).getTime() - ours) < 5000,
            "expire_date agrees",
          );
        });

        it("agrees on browser-close sessions (set_expiry(0)) both ways", async () => {
          const created = (await runDjango(version, ["create", "--expiry", "0"], {
            env,
            input: '{"a": 1}',
          })) as CreateResult;
          const theirs = new Session(store, created.key, settings);
          assert.equal(await theirs.getExpireAtBrowserClose(), true);
          const ours = new Session(store, null, settings);
          await ours.set("a", 1);
          await ours.setExpiry(0);
          await ours.save();
          const loaded = (await runDjango(version, ["load", ours.key!], { env })) as LoadResult;
          assert.equal(loaded.expire_at_browser_close, true);
          assert.equal(loaded.expiry_age, 1209600);
        });

        it("does not load an expired session, and neither does Django", async () => {
          // Saved with a clock four weeks behind: its two-week expiry is already over.
          const session = new Session(store, null, settings, () => Date.now() - 28 * 86_400_000);
          await session.set("a", 1);
          await session.save();
          assert.equal(await store.load(session.key!), null);
          const loaded = (await runDjango(version, ["load", session.key!], { env })) as LoadResult;
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
            const old = new Session(oldStore, null, settings);
            await old.set("who", "rotated");
            await old.save();
            await oldStore.close();
            const rotatedEnv = {
              DJANGO_DB: url,
              SECRET_KEY: "new-key-1",
              SECRET_KEY_FALLBACKS: "old-key-0",
            };
            const loaded = (await runDjango(version, ["load", old.key!], {
              env: rotatedEnv,
            })) as LoadResult;
            assert.deepEqual(loaded.data, { who: "rotated" });
            const noFallback = (await runDjango(version, ["load", old.key!], {
              env: { DJANGO_DB: url, SECRET_KEY: "new-key-1" },
            })) as LoadResult;
            assert.deepEqual(noFallback.data, {});

            const theirs = (await runDjango(version, ["create"], {
              env: { DJANGO_DB: url, SECRET_KEY: "old-key-0" },
              input: '{"from": "django"}',
            })) as CreateResult;
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

        describe("through Django's real SessionMiddleware over HTTP", () => {
          let django: DjangoServer;
          let node: Awaited<ReturnType<typeof listen>>;
          before(async () => {
            django = await startDjangoServer(version, env);
            node = await listen(
              createServer(
                withSessions({ store, djangoVersion: version }, async (req, res) => {
                  const session = getSession(req);
                  if (req.url?.startsWith("/bump")) {
                    const count = Number((await session.get("count")) ?? 0) + 1;
                    await session.set("count", String(count));
                  }
                  res.setHeader("Content-Type", "application/json");
                  res.end(
                    JSON.stringify({ data: toTypedJson(await session.toMap()), key: session.key }),
                  );
                }),
              ),
            );
          });
          after(async () => {
            await django.stop();
            await node.close();
          });

          it("shares one cookie: Django sets, Node reads and writes, Django sees it", async () => {
            const jar = new CookieJar();
            const set = await jar.fetch(`${django.url}/set?user=alice&count=1`);
            assert.equal(set.status, 200);
            const key = jar.cookies.get("sessionid");
            assert.match(key ?? "", /^[a-z0-9]{32}$/);

            const read = (await (await jar.fetch(`${node.url}/read`)).json()) as {
              data: Record<string, unknown>;
              key: string;
            };
            assert.deepEqual(read.data, { user: "alice", count: "1" });
            assert.equal(read.key, key);

            const bumped = (await (await jar.fetch(`${node.url}/bump`)).json()) as {
              data: Record<string, unknown>;
            };
            assert.deepEqual(bumped.data, { user: "alice", count: "2" });
            assert.equal(jar.cookies.get("sessionid"), key, "same key kept on update");

            const back = (await (await jar.fetch(`${django.url}/get`)).json()) as Record<
              string,
              unknown
            >;
            assert.deepEqual(back.data, { user: "alice", count: "2" });
          });

          it("a session Node creates is Django's session, and Django's flush logs Node out", async () => {
            const jar = new CookieJar();
            await jar.fetch(`${node.url}/bump`);
            const key = jar.cookies.get("sessionid")!;
            const seen = (await (await jar.fetch(`${django.url}/get`)).json()) as Record<
              string,
              unknown
            >;
            assert.equal(JSON.stringify(seen).includes('"count"'), true, JSON.stringify(seen));
            await jar.fetch(`${django.url}/flush`);
            assert.equal(await store.load(key), null);
            const after = (await (await jar.fetch(`${node.url}/read`)).json()) as {
              data: Record<string, unknown>;
            };
            assert.deepEqual(after.data, {});
          });

          it("Django does not save on a 500 and neither do we", async () => {
            const jar = new CookieJar();
            const res = await jar.fetch(`${django.url}/error500?x=1`);
            assert.equal(res.status, 500);
            assert.equal(jar.cookies.size, 0);
          });
        });
      });
    }
  });
}
