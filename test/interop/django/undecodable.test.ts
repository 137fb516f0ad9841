// Issue 18 #13 for Django's sessions: a django-redis (pickle) session holding what only Python
// can read (a ZoneInfo datetime, a complex, next to a set and the login) read as empty and
// looked missing, so the first Node request that read it answered with a deleting Set-Cookie and
// the user was logged out of Django too. Now Node sees an empty, read-only session: its requests
// leave the stored bytes and the cookie alone, a write is refused, and real Django still reads
// everything, request after request.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DjangoCacheStore } from "../../../src/stores/redis/index.ts";
import { CookieJar } from "../../support/http.ts";
import { runPython } from "../../support/python.ts";
import {
  RawRedis,
  ioredisClient,
  recordingLogger,
  uniquePrefix,
} from "../../stores/redis/helpers.ts";
import { startNodeApp, type NodeApp } from "./engine-scenario.ts";
import { runDjango } from "./peer.ts";

const DB = 11;
const VERSION = "5.2";
const SECRET = "undecodable-secret-key-for-sessionbridge";

interface LoadResult {
  exists: boolean;
  data: Record<string, unknown>;
}

describe("Django 5.2, django-redis pickle: a session only Python can read (issue 18 #13)", () => {
  const prefix = uniquePrefix("sbh-harden-undec");
  const env = {
    DJANGO_CACHE: `django-redis:redis://127.0.0.1:6379/${DB}`,
    CACHE_KEY_PREFIX: prefix,
    SECRET_KEY: SECRET,
    SESSION_ENGINE: "django.contrib.sessions.backends.cache",
  };
  const raw = new RawRedis(DB);
  let ioredis: Awaited<ReturnType<typeof ioredisClient>>;
  let node: NodeApp;
  let store: DjangoCacheStore;
  const logger = recordingLogger();
  before(async () => {
    ioredis = await ioredisClient(DB);
    store = new DjangoCacheStore({ client: ioredis, keyPrefix: prefix, logger });
    node = await startNodeApp(store, VERSION);
  });
  after(async () => {
    await node.close();
    await raw.deleteMatching(`${prefix}:*`);
    await raw.close();
    await ioredis.quit();
  });

  it("Node requests that read leave it and its cookie alone; a write is refused; Django reads it all", async () => {
    const created = (await runDjango(VERSION, ["create"], {
      env,
      input: JSON.stringify({ seed: 1 }),
    })) as { key: string };
    const redisKey = store.redisKey(created.key);
    // What Django keeps for a logged-in user who holds a ZoneInfo datetime, a complex and a set
    // (django-redis: pickle.dumps(value, pickle.HIGHEST_PROTOCOL)).
    const pickled = Buffer.from(
      await runPython(
        "import base64, datetime, pickle, sys, zoneinfo\n" +
          "d = {'_auth_user_id': '1', 'tags': {1, 2},\n" +
          "     'at': datetime.datetime(2026, 1, 2, 3, 4, tzinfo=zoneinfo.ZoneInfo('Europe/Paris')),\n" +
          "     'z': complex(1, 2)}\n" +
          "sys.stdout.write(base64.b64encode(pickle.dumps(d, pickle.HIGHEST_PROTOCOL)).decode())",
      ),
      "base64",
    );
    await raw.set(redisKey, pickled, 3600);

    const jar = new CookieJar();
    jar.cookies.set("sessionid", created.key);
    for (let i = 0; i < 5; i++) {
      const res = await jar.fetch(`${node.url}/read`);
      const body = (await res.json()) as { data: Record<string, unknown>; key: string | null };
      assert.equal(res.status, 200);
      assert.deepEqual(res.headers.getSetCookie(), [], "no cookie set or deleted");
      assert.deepEqual(body, { data: {}, key: created.key });
      assert.deepEqual(await raw.get(redisKey), pickled, `round ${i + 1}: bytes unchanged`);
    }
    const write = await jar.fetch(`${node.url}/bump`);
    await write.text();
    assert.equal(write.status, 500);
    assert.deepEqual(write.headers.getSetCookie(), []);
    assert.deepEqual(await raw.get(redisKey), pickled);
    assert.ok((await raw.ttl(redisKey)) > 3500, "its expiry is untouched");
    assert.equal(jar.cookies.get("sessionid"), created.key);
    assert.equal(logger.calls.length, 1, "logged once with its reason, not per request");
    assert.match(JSON.stringify(logger.calls[0]), /unsupported-pickle-global/);

    const loaded = (await runDjango(VERSION, ["load", created.key], { env })) as LoadResult;
    assert.equal(loaded.exists, true);
    assert.deepEqual(loaded.data, {
      _auth_user_id: "1",
      tags: { $type: "set", value: [1, 2] },
      at: { $type: "datetime", value: "2026-01-02T03:04:00+01:00" },
      z: { $type: "repr", value: "(1+2j)" },
    });
  });
});
