// Fastify, Koa and NestJS (on Express and on Fastify) beside a real Django project, 5.2 and 6.1,
// each on Django's own session stores: the database (django_session, on SQLite beside 5.2 and on
// PostgreSQL beside 6.1) and django-redis (cache sessions in Redis, pickled). A person logs in through Django's admin and the Node app sees the
// user; the Node app writes (behind Django's CSRF check, with Django's token) and Django reads it;
// a login on the Node app is a login on Django, and a logout on the Node app ends it there.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createClient } from "redis";
import { DjangoUserSource } from "../../../src/auth/index.ts";
import { DjangoSessionCodec } from "../../../src/codecs/django/session-encoding.ts";
import type { SessionStore } from "../../../src/stores/contract.ts";
import { DjangoCacheStore } from "../../../src/stores/redis/index.ts";
import {
  createSqlStore,
  openDatabaseUrl,
  type SqlDatabase,
} from "../../../src/stores/sql/index.ts";
import type { DjangoVersion } from "../../../src/codecs/django/version.ts";
import { createTempDatabases, type TempDatabases } from "../../support/databases.ts";
import { CookieJar } from "../../support/http.ts";
import type { PythonServer } from "../flask/server.ts";
import { FRAMEWORK_APPS, type AppConfig, type RunningApp } from "./framework-apps.ts";
import { djangoAdminLogin, djangoProject, startDjangoProject } from "./project.ts";

const SECRET = "frameworks-interop-secret-key-0123456789abcdef";
const PASSWORD = "correct horse battery staple";
const REDIS_URL = "redis://127.0.0.1:6379/9";

interface DjangoSessionView {
  key: string | null;
  user_id: number | null;
  data: Record<string, unknown>;
}

async function djangoSees(django: PythonServer, sessionid: string): Promise<DjangoSessionView> {
  const response = await fetch(`${django.url}/session/`, {
    headers: { Cookie: `sessionid=${sessionid}` },
  });
  assert.equal(response.status, 200);
  return (await response.json()) as DjangoSessionView;
}

/** A POST as a browser page sends it: the session and CSRF cookies, the token in X-CSRFToken. */
function post(jar: CookieJar, url: string, body?: unknown): Promise<Response> {
  return jar.fetch(url, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "X-CSRFToken": jar.cookies.get("csrftoken") ?? "",
    },
    body: JSON.stringify(body ?? {}),
  });
}

/** Each Django beside the apps, with the SQL database its django_session lives in. */
const DJANGOS: readonly (readonly [DjangoVersion, "sqlite" | "postgres"])[] = [
  ["5.2", "sqlite"],
  ["6.1", "postgres"],
];

for (const [version, dialect] of DJANGOS) describeBeside(version, dialect);

function describeBeside(version: DjangoVersion, dialect: "sqlite" | "postgres"): void {
  describe(`Node frameworks beside a real Django ${version} (${dialect})`, () => {
    const DJANGO = `django-${version}`;
    let databases: TempDatabases;
    let databaseUrl: string;
    const prefix = `sbfw-${process.pid}-${randomBytes(3).toString("hex")}`;
    const redis = createClient({ url: REDIS_URL });
    let database: SqlDatabase;
    let userId: number;
    const django: Record<"db" | "cache", PythonServer | undefined> = {
      db: undefined,
      cache: undefined,
    };
    const stores: Record<"db" | "cache", SessionStore | undefined> = {
      db: undefined,
      cache: undefined,
    };

    before(async () => {
      databases = await createTempDatabases(`frameworks_${version}`);
      databaseUrl = databases.url(dialect);
      const env = { DJANGO_DB: databaseUrl, SECRET_KEY: SECRET };
      await djangoProject(DJANGO, ["migrate"], env);
      const created = await djangoProject(DJANGO, ["createsuperuser", "alice", "a@example.com"], {
        ...env,
        DJANGO_SUPERUSER_PASSWORD: PASSWORD,
      });
      userId = (JSON.parse(created) as { id: number }).id;
      django.db = await startDjangoProject(DJANGO, env);
      django.cache = await startDjangoProject(DJANGO, {
        ...env,
        SESSION_ENGINE: "django.contrib.sessions.backends.cache",
        DJANGO_CACHE: `django-redis:${REDIS_URL}`,
        CACHE_KEY_PREFIX: prefix,
      });
      database = await openDatabaseUrl(databaseUrl);
      await redis.connect();
      stores.db = createSqlStore({ database, codec: new DjangoSessionCodec({ secret: SECRET }) });
      stores.cache = new DjangoCacheStore({ client: redis, keyPrefix: prefix });
    });

    after(async () => {
      await django.db?.stop();
      await django.cache?.stop();
      for await (const keys of redis.scanIterator({ MATCH: `${prefix}:*` })) {
        if (keys.length > 0) await redis.del(keys);
      }
      await redis.quit();
      await database.close();
      await databases.drop();
    });

    for (const [name, startApp] of Object.entries(FRAMEWORK_APPS)) {
      for (const engine of ["db", "cache"] as const) {
        describe(`${name} on Django's ${engine === "db" ? "database" : "django-redis cache"} sessions`, () => {
          let app: RunningApp;
          before(async () => {
            const config: AppConfig = {
              store: stores[engine]!,
              users: new DjangoUserSource({ database }),
              secretKey: SECRET,
              djangoVersion: version,
            };
            app = await startApp(config);
          });
          after(() => app.close());

          it("sees Django's login, writes behind Django's CSRF check, and Django reads it", async () => {
            const site = django[engine]!;
            const sessionid = await djangoAdminLogin(site.url, "alice", PASSWORD);
            const jar = new CookieJar();
            jar.cookies.set("sessionid", sessionid);
            // Django's CSRF cookie, as Django set it on its own page.
            await jar.fetch(`${site.url}/csrf/`);
            assert.ok(jar.cookies.get("csrftoken"));

            const me = await jar.fetch(`${app.url}/api/me`);
            assert.equal(me.status, 200);
            assert.deepEqual(await me.json(), { id: userId, username: "alice" });

            const refused = await jar.fetch(`${app.url}/api/cart/book`, { method: "POST" });
            assert.equal(refused.status, 403, "no token: Django's CSRF rule");
            for (const item of ["book", "pen"]) {
              assert.equal((await post(jar, `${app.url}/api/cart/${item}`)).status, 204);
            }
            const seen = await djangoSees(site, sessionid);
            assert.equal(seen.user_id, userId, "still logged in on Django");
            assert.deepEqual(seen.data["cart"], ["book", "pen"]);
          });

          it("a login on the Node app is a login on Django; its logout ends it there", async () => {
            const site = django[engine]!;
            const jar = new CookieJar();
            await jar.fetch(`${site.url}/csrf/`);
            const anonymous = await jar.fetch(`${app.url}/api/me`);
            assert.equal(anonymous.status, 401);
            const wrong = await post(jar, `${app.url}/login`, { username: "alice", password: "x" });
            assert.equal(wrong.status, 400);
            const tokenBefore = jar.cookies.get("csrftoken");
            const ok = await post(jar, `${app.url}/login`, {
              username: "alice",
              password: PASSWORD,
            });
            assert.equal(ok.status, 200, await ok.clone().text());
            assert.notEqual(
              jar.cookies.get("csrftoken"),
              tokenBefore,
              "login rotated the CSRF secret",
            );
            const sessionid = jar.cookies.get("sessionid");
            assert.ok(sessionid);
            assert.equal(
              (await djangoSees(site, sessionid)).user_id,
              userId,
              "Django sees the login",
            );

            assert.equal((await post(jar, `${app.url}/logout`)).status, 200);
            assert.equal(jar.cookies.get("sessionid"), undefined, "cookie deleted");
            assert.equal((await djangoSees(site, sessionid)).user_id, null, "logged out on Django");
          });
        });
      }
    }
  });
}
