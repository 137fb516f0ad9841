// A real Django 5.2 and a Node app (Express) writing the same session at the same time, on
// Django's database engine on PostgreSQL (issue 16): Django's SessionMiddleware saves blindly,
// ours is a compare-and-set that merges, so none of the keys Django's views wrote is lost to
// a Node write, and a Django logout racing Node writes is never undone by them.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import { DjangoSessionCodec } from "../../../src/codecs/django/session-encoding.ts";
import { createSqlStore, openDatabaseUrl } from "../../../src/stores/sql/index.ts";
import type { SqlSessionStore } from "../../../src/stores/sql/store.ts";
import { createTempDatabases, type TempDatabases } from "../../support/databases.ts";
import { listen } from "../../support/http.ts";
import { addInParallel, buildApp, cookieValue } from "../../engine/concurrent-writes.ts";
import { runDjango, startDjangoServer, type DjangoServer } from "./peer.ts";

const SECRET = "interop-secret-key-for-concurrent-writes";
const VERSION = "5.2";

describe(`Django ${VERSION} and Node writing one session at once (PostgreSQL)`, () => {
  let dbs: TempDatabases;
  let store: SqlSessionStore;
  let django: DjangoServer;
  let node: { url: string; close: () => Promise<void> };
  const reported: unknown[] = [];
  before(async () => {
    dbs = await createTempDatabases("cas_dj");
    const env = { DJANGO_DB: dbs.postgresUrl, SECRET_KEY: SECRET };
    await runDjango(VERSION, ["migrate"], { env });
    store = createSqlStore({
      database: await openDatabaseUrl(dbs.postgresUrl),
      codec: new DjangoSessionCodec({ secret: SECRET }),
    });
    django = await startDjangoServer(VERSION, env);
    node = await listen(createServer(buildApp(store, "merge", reported)));
  });
  after(async () => {
    await node.close();
    await django.stop();
    await store.close();
    await dbs.drop();
  });

  /** A session Node created (through `/login`), and its cookie header. */
  async function loggedIn(): Promise<{ key: string; cookie: string }> {
    const response = await fetch(`${node.url}/login`);
    const key = cookieValue(response);
    assert.ok(key);
    return { key, cookie: `sessionid=${key}` };
  }

  it("keeps every key Django's views write while 50 Node requests write others", async () => {
    for (let run = 0; run < 3; run++) {
      const { key, cookie } = await loggedIn();
      const djangoKeys: string[] = [];
      // Django's writes one after another (two Django requests racing would lose each other's
      // keys: Django's own save is blind), all of them while the Node requests run.
      const djangoWrites = (async () => {
        for (let i = 0; i < 10; i++) {
          const name = `dj${run}_${i}`;
          const response = await fetch(`${django.url}/set?${name}=v${i}`, { headers: { cookie } });
          assert.equal(response.status, 200);
          const body = (await response.json()) as { key: string };
          assert.equal(body.key, key, "Django updated the same session");
          djangoKeys.push(name);
        }
      })();
      const [nodeResponses] = await Promise.all([
        addInParallel(node.url, key, `n${run}_`, 50),
        djangoWrites,
      ]);
      assert.deepEqual(
        nodeResponses.map((r) => r.status),
        Array.from({ length: 50 }, () => 200),
      );
      const data = await store.load(key);
      assert.ok(data);
      for (const name of djangoKeys) assert.ok(data.has(name), `Django's ${name} was lost`);
      assert.equal(data.get("user"), "alice");
      // What Django can still take from us (its blind save of a copy loaded before our write)
      // is documented; with Django's writes done, one more Node round keeps all its keys.
      const final = await addInParallel(node.url, key, `last${run}_`, 20);
      assert.ok(final.every((r) => r.status === 200));
      const after = await store.load(key);
      assert.ok(after);
      for (let i = 0; i < 20; i++) assert.ok(after.has(`last${run}_${i}`));
      for (const name of djangoKeys) assert.ok(after.has(name));
    }
    assert.deepEqual(reported, []);
  });

  it("a Django logout racing Node writes stays a logout", async () => {
    for (let run = 0; run < 3; run++) {
      const { key, cookie } = await loggedIn();
      const [logout, writes] = await Promise.all([
        new Promise<Response>((resolve, reject) => {
          setImmediate(() => {
            fetch(`${django.url}/flush`, { headers: { cookie } }).then(resolve, reject);
          });
        }),
        addInParallel(node.url, key, `w${run}_`, 20),
      ]);
      assert.equal(logout.status, 200);
      assert.equal(await store.exists(key), false, "the flushed session stays deleted");
      for (const response of writes) {
        assert.ok([200, 400].includes(response.status), `status ${response.status}`);
        const value = cookieValue(response);
        if (value !== undefined && value !== key) {
          const fresh = await store.load(value);
          assert.ok(fresh);
          assert.equal(fresh.has("user"), false, "a new session is anonymous");
        }
      }
    }
  });
});
