// The real-time proof on Django's file engine beside real Django 5.2 (users in SQLite):
// revocation by batched polling of the session files (a deleted file ends the login; a file's
// expiry is its `_session_expiry` or its mtime plus SESSION_COOKIE_AGE).
import { mkdirSync, mkdtempSync, rmSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe } from "node:test";
import { createRealtimeGate, djangoUsers } from "../../../src/adapters/realtime/index.ts";
import { DjangoUserSource } from "../../../src/auth/django-user-source.ts";
import { DjangoSessionCodec } from "../../../src/codecs/django/session-encoding.ts";
import { FileSessionStore } from "../../../src/stores/file/index.ts";
import { openDatabaseUrl, type SqlDatabase } from "../../../src/stores/sql/index.ts";
import { ORIGIN } from "./harness.ts";
import { realtimeScenario, SECRET } from "./scenario.ts";

/** Django's SESSION_COOKIE_AGE default: a file expires this long after its mtime. */
const AGE_MS = 1_209_600_000;
const root = mkdtempSync(join(tmpdir(), "sessionbridge-realtime-file-"));
const sessions = join(root, "sessions");
mkdirSync(sessions);
const path = join(root, "db.sqlite3");
let database: SqlDatabase | undefined;
const store = new FileSessionStore({
  directory: sessions,
  codec: new DjangoSessionCodec({ secret: SECRET }),
});

describe("realtime beside Django 5.2 on the file engine (polling)", () => {
  realtimeScenario({
    version: "5.2",
    djangoEnv: {
      DJANGO_DB: `sqlite:${path}`,
      SESSION_ENGINE: "django.contrib.sessions.backends.file",
      SESSION_FILE_PATH: sessions,
    },
    cliEnv: { SESSION_STORE: "file", SESSION_FILE_PATH: sessions, DATABASE_URL: `sqlite:${path}` },
    async gate() {
      database = await openDatabaseUrl(`sqlite:${path}`);
      return createRealtimeGate({
        djangoVersion: "5.2",
        store,
        users: djangoUsers({
          djangoVersion: "5.2",
          users: new DjangoUserSource({ database }),
          secretKey: SECRET,
        }),
        allowedOrigins: [ORIGIN],
      });
    },
    node() {
      if (database === undefined) throw new Error("the gate was not made");
      return { store, users: new DjangoUserSource({ database }) };
    },
    expire(key, at) {
      // The file's mtime such that mtime + SESSION_COOKIE_AGE is `at`.
      const when = (at.getTime() - AGE_MS) / 1000;
      utimesSync(join(sessions, `sessionid${key}`), when, when);
      return Promise.resolve();
    },
    async close() {
      await database?.close();
      rmSync(root, { recursive: true, force: true });
    },
  });
});
