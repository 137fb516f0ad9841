// The real-time proof on Redis beside real Django 6.1 (the cache session engine on
// django-redis; users in SQLite): sessions are never polled, keyspace notifications close the
// sockets; users are re-checked in one batched query per interval. The test turns
// notifications on (CONFIG SET) and restores the server's setting afterwards.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import {
  createRealtimeGate,
  djangoUsers,
  missingKeyspaceFlags,
  redisKeyspaceWatcher,
} from "../../../src/adapters/realtime/index.ts";
import { DjangoUserSource } from "../../../src/auth/django-user-source.ts";
import { ConfigurationError } from "../../../src/errors.ts";
import { openDatabaseUrl, type SqlDatabase } from "../../../src/stores/sql/index.ts";
import { DjangoCacheStore } from "../../../src/stores/redis/index.ts";
import { ORIGIN } from "./harness.ts";
import { realtimeScenario, SECRET } from "./scenario.ts";

const REDIS_URL = "redis://127.0.0.1:6379/0";
const PREFIX = `sbh-rt:${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), "sessionbridge-realtime-"));
const path = join(dir, "db.sqlite3");
const admin = new Redis(REDIS_URL, { lazyConnect: true });
let saved = "";
let database: SqlDatabase | undefined;
let subscriber: Redis | undefined;
let sessions: DjangoCacheStore | undefined;

async function notifyFlags(): Promise<string> {
  const reply = await admin.config("GET", "notify-keyspace-events");
  return reply[1] ?? "";
}

describe("realtime beside Django 6.1 on Redis (keyspace notifications)", () => {
  before(async () => {
    await admin.connect();
    saved = await notifyFlags();
    database = await openDatabaseUrl(`sqlite:${path}`);
  });
  after(async () => {
    await admin.config("SET", "notify-keyspace-events", saved);
    const keys = await admin.keys(`${PREFIX}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  it("refuses to start while notifications are off, naming the setting to make", async () => {
    await admin.config("SET", "notify-keyspace-events", "");
    const probe = new Redis(REDIS_URL);
    try {
      const store = new DjangoCacheStore({ client: probe, keyPrefix: PREFIX });
      const watcher = redisKeyspaceWatcher({ store, subscribers: [probe] });
      await assert.rejects(
        watcher.start(
          createRealtimeGate({
            djangoVersion: "5.2",
            store,
            users: djangoUsers({
              djangoVersion: "5.2",
              users: new DjangoUserSource({ database: database! }),
              secretKey: SECRET,
            }),
          }),
        ),
        (error: unknown) =>
          error instanceof ConfigurationError &&
          error.message.includes("CONFIG SET notify-keyspace-events Kg$xe"),
      );
    } finally {
      probe.disconnect();
    }
    assert.equal(missingKeyspaceFlags("AK"), "");
    assert.equal(missingKeyspaceFlags("Ex"), "Kg$e");
  });

  describe("with notifications on", () => {
    before(async () => {
      await admin.config("SET", "notify-keyspace-events", "Kg$xe");
    });
    realtimeScenario({
      version: "6.1",
      djangoEnv: {
        DJANGO_DB: `sqlite:${path}`,
        SESSION_ENGINE: "django.contrib.sessions.backends.cache",
        DJANGO_CACHE: `django-redis:${REDIS_URL}`,
        CACHE_KEY_PREFIX: PREFIX,
      },
      cliEnv: {
        SESSION_STORE: "cache",
        REDIS_URL,
        CACHE_KEY_PREFIX: PREFIX,
        DJANGO_VERSION: "6.1",
      },
      async gate() {
        subscriber = new Redis(REDIS_URL);
        const store = new DjangoCacheStore({ client: admin, keyPrefix: PREFIX });
        sessions = store;
        const gate = createRealtimeGate({
          djangoVersion: "5.2",
          store,
          users: djangoUsers({
            users: new DjangoUserSource({ database: database! }),
            secretKey: SECRET,
            djangoVersion: "6.1",
          }),
          allowedOrigins: [ORIGIN],
          watchers: [redisKeyspaceWatcher({ store, subscribers: [subscriber] })],
        });
        await gate.start();
        return gate;
      },
      node() {
        assert.ok(sessions && database, "the gate was made");
        return { store: sessions, users: new DjangoUserSource({ database }) };
      },
      async expire(key, at) {
        await admin.pexpireat(`${PREFIX}:1:django.contrib.sessions.cache${key}`, at.getTime());
      },
      async close() {
        subscriber?.disconnect();
        await database?.close();
        rmSync(dir, { recursive: true, force: true });
      },
    });
  });
});
