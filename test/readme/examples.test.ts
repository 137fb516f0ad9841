// Every TypeScript example in the README runs as written, beside the real Python app it names,
// and exits: the Django ones against a real Django 5.2 project (its own `migrate`, its own
// `createsuperuser`, a person's login through its admin form, then the example with that
// cookie), the Flask one against a real Flask 3.1 with Flask-Login, on real SQLite and Redis.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createClient } from "redis";
import { io as ioClient } from "socket.io-client";
import { runCli } from "../support/cli.ts";
import {
  FLASK_PEER_SCRIPT,
  startPythonServer,
  type PythonServer,
} from "../interop/flask/server.ts";
import { CookieJar } from "../support/http.ts";
import { djangoAdminLogin, djangoProject, startDjangoProject } from "../interop/django/project.ts";
import {
  APPS_SECRET,
  APPS_USER,
  startAppsProject,
  type AppsProject,
} from "../interop/django/apps.ts";
import {
  readmeExamples,
  readmeTypeScriptBlockCount,
  ROOT,
  runExample,
  startExample,
  type RunningExample,
} from "./examples.ts";

const DJANGO = "django-5.2";
const SECRET = "readme-examples-django-secret-key-0123456789abcdef";
const PASSWORD = "correct horse battery staple";
const SESSIONS_REDIS = "redis://127.0.0.1:6379/13";
const RATE_LIMIT_REDIS = "redis://127.0.0.1:6379/14";

/** The scenarios below, one per README example. */
const TESTED = [
  "express-django-db",
  "fastify-django",
  "hono-memory",
  "web-memory",
  "koa-redis",
  "nestjs-redis",
  "django-redis",
  "express-auth",
  "express-csrf",
  "express-messages",
  "express-drf",
  "rate-limit",
  "create-user",
  "flask",
  "node-memory",
  "decode",
  "next-django",
  "realtime-socketio",
];

async function flushRedis(url: string): Promise<void> {
  const client = await createClient({ url }).connect();
  await client.flushDb();
  await client.quit();
}

/** Stops a server example and checks that it ended (by the signal, or by exiting cleanly). */
async function stopped(example: RunningExample): Promise<void> {
  const end = await example.stop();
  assert.ok(end.signal === "SIGTERM" || end.code === 0, `ended with ${JSON.stringify(end)}`);
}

interface DjangoSite {
  readonly dir: string;
  readonly env: Record<string, string>;
  readonly databaseUrl: string;
  readonly userId: number;
  readonly server: PythonServer;
}

/** A Django project on a fresh SQLite file: migrated and given a superuser by Django itself. */
async function djangoSite(extraEnv: Record<string, string> = {}): Promise<DjangoSite> {
  const dir = mkdtempSync(join(tmpdir(), "sb-readme-"));
  const database = join(dir, "db.sqlite3");
  const env = { DJANGO_DB: `sqlite:${database}`, SECRET_KEY: SECRET, ...extraEnv };
  await djangoProject(DJANGO, ["migrate"], env);
  const created = await djangoProject(DJANGO, ["createsuperuser", "alice", "alice@example.com"], {
    ...env,
    DJANGO_SUPERUSER_PASSWORD: PASSWORD,
  });
  const userId = (JSON.parse(created) as { id: number }).id;
  const server = await startDjangoProject(DJANGO, env);
  return { dir, env, databaseUrl: `sqlite:${database}`, userId, server };
}

async function djangoSession(
  site: DjangoSite,
  sessionid: string,
): Promise<{ user_id: number | null; data: Record<string, unknown> }> {
  const response = await fetch(`${site.server.url}/session/`, {
    headers: { Cookie: `sessionid=${sessionid}` },
  });
  assert.equal(response.status, 200);
  return (await response.json()) as { user_id: number | null; data: Record<string, unknown> };
}

describe("README examples", () => {
  it("every TypeScript block is labelled and has a scenario here", () => {
    const ids = [...readmeExamples().keys()];
    assert.equal(
      ids.length,
      readmeTypeScriptBlockCount(),
      "a ```ts block without <!-- example: id -->",
    );
    assert.deepEqual([...ids].sort(), [...TESTED].sort());
  });

  describe("beside Django 5.2 (SQLite, database sessions)", () => {
    let site: DjangoSite;
    before(async () => {
      site = await djangoSite();
    });
    after(async () => {
      await site.server.stop();
      rmSync(site.dir, { recursive: true, force: true });
    });

    it("express-django-db: Node sees the Django login, and Django sees what Node wrote", async () => {
      const sessionid = await djangoAdminLogin(site.server.url, "alice", PASSWORD);
      const example = await startExample("express-django-db", {
        DATABASE_URL: site.databaseUrl,
        SECRET_KEY: SECRET,
      });
      try {
        const cookie = { Cookie: `sessionid=${sessionid}` };
        const me = await fetch(`${example.url}/api/me`, { headers: cookie });
        assert.deepEqual(await me.json(), { userId: String(site.userId) });
        for (const item of ["book", "pen"]) {
          const added = await fetch(`${example.url}/api/cart/${item}`, {
            method: "POST",
            headers: cookie,
          });
          assert.equal(added.status, 204);
        }
        const seen = await djangoSession(site, sessionid);
        assert.equal(seen.user_id, site.userId, "still logged in on Django");
        assert.deepEqual(seen.data["cart"], ["book", "pen"]);
      } finally {
        await stopped(example);
      }
    });

    it("fastify-django: Django's user, and a cart written behind Django's CSRF check", async () => {
      const sessionid = await djangoAdminLogin(site.server.url, "alice", PASSWORD);
      const jar = new CookieJar();
      jar.cookies.set("sessionid", sessionid);
      await jar.fetch(`${site.server.url}/csrf/`); // Django's csrftoken cookie
      const example = await startExample("fastify-django", {
        DATABASE_URL: site.databaseUrl,
        SECRET_KEY: SECRET,
      });
      try {
        const me = await jar.fetch(`${example.url}/api/me`);
        assert.deepEqual(await me.json(), { id: site.userId, username: "alice" });
        assert.equal((await fetch(`${example.url}/api/me`)).status, 401);
        const add = (item: string, token: string): Promise<Response> =>
          jar.fetch(`${example.url}/api/cart/${item}`, {
            method: "POST",
            headers: { "X-CSRFToken": token },
          });
        assert.equal((await add("book", "")).status, 403, "no CSRF token");
        for (const item of ["book", "pen"]) {
          assert.equal((await add(item, jar.cookies.get("csrftoken")!)).status, 204);
        }
        const seen = await djangoSession(site, sessionid);
        assert.equal(seen.user_id, site.userId, "still logged in on Django");
        assert.deepEqual(seen.data["cart"], ["book", "pen"]);
      } finally {
        await stopped(example);
      }
    });

    it("express-django-db: without SECRET_KEY it stops at start, saying so", async () => {
      const run = await runExample("express-django-db", { DATABASE_URL: site.databaseUrl });
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, /Set SECRET_KEY to your Django project's SECRET_KEY/);
    });

    it("express-auth: Django's user, with permissions, behind loginRequired", async () => {
      const sessionid = await djangoAdminLogin(site.server.url, "alice", PASSWORD);
      const example = await startExample("express-auth", {
        DATABASE_URL: site.databaseUrl,
        SECRET_KEY: SECRET,
      });
      try {
        const account = await fetch(`${example.url}/account`, {
          headers: { Cookie: `sessionid=${sessionid}` },
        });
        assert.deepEqual(await account.json(), {
          id: site.userId,
          username: "alice",
          canPublish: true,
        });
        const anonymous = await fetch(`${example.url}/account`, { redirect: "manual" });
        assert.equal(anonymous.status, 302);
        assert.equal(anonymous.headers.get("location"), "/accounts/login/?next=/account");
        assert.equal((await fetch(`${example.url}/api/me`)).status, 401);
      } finally {
        await stopped(example);
      }
    });

    it("express-messages: Django's flash shows on Node, Node's on Django, each once", async () => {
      const jar = new CookieJar();
      const page = await jar.fetch(`${site.server.url}/csrf/`);
      const { token } = (await page.json()) as { token: string };
      const flash = (): Promise<Response> => jar.fetch(`${site.server.url}/flash/`);
      const added = await jar.fetch(`${site.server.url}/flash/`, {
        method: "POST",
        headers: { "X-CSRFToken": token, "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ text: "Saved on Django." }),
      });
      assert.equal(added.status, 200);
      const example = await startExample("express-messages", {
        DATABASE_URL: site.databaseUrl,
        SECRET_KEY: SECRET,
      });
      try {
        const shown = await jar.fetch(`${example.url}/messages`);
        assert.deepEqual(await shown.json(), [{ text: "Saved on Django.", tags: "success" }]);
        assert.deepEqual(await (await flash()).json(), { messages: [] }, "shown once");
        const ordered = await jar.fetch(`${example.url}/orders`, { method: "POST" });
        assert.equal(ordered.status, 303);
        assert.deepEqual(await (await flash()).json(), {
          messages: [{ message: "Order placed.", tags: "success" }],
        });
        assert.deepEqual(await (await jar.fetch(`${example.url}/messages`)).json(), []);
      } finally {
        await stopped(example);
      }
    });

    it("express-csrf: Django's token passes Node, Node's passes Django, a forged post gets 403", async () => {
      const sessionid = await djangoAdminLogin(site.server.url, "alice", PASSWORD);
      const example = await startExample("express-csrf", {
        DATABASE_URL: site.databaseUrl,
        SECRET_KEY: SECRET,
      });
      try {
        // A token Django put in its page, with Django's csrftoken cookie, posted to Node.
        const djangoPage = await fetch(`${site.server.url}/csrf/`, {
          headers: { Cookie: `sessionid=${sessionid}` },
        });
        const djangoCookie = /csrftoken=([^;]+)/.exec(
          djangoPage.headers.getSetCookie().join(),
        )?.[1];
        const { token: djangoToken } = (await djangoPage.json()) as { token: string };
        assert.ok(djangoCookie, "Django set its csrftoken cookie");
        const post = (
          cookies: string,
          token: string | undefined,
          origin: string,
        ): Promise<Response> =>
          fetch(`${example.url}/notes`, {
            method: "POST",
            headers: {
              Cookie: cookies,
              Origin: origin,
              "Content-Type": "application/x-www-form-urlencoded",
            },
            body: new URLSearchParams({
              ...(token === undefined ? {} : { csrfmiddlewaretoken: token }),
              note: "from Django's page",
            }),
          });
        const both = `sessionid=${sessionid}; csrftoken=${djangoCookie}`;
        const accepted = await post(both, djangoToken, example.url);
        assert.equal(accepted.status, 200);
        assert.deepEqual(await accepted.json(), { notes: ["from Django's page"] });
        assert.deepEqual((await djangoSession(site, sessionid)).data["notes"], [
          "from Django's page",
        ]);

        const forged = await post(both, undefined, "https://evil.example");
        assert.equal(forged.status, 403);
        assert.match(await forged.text(), /CSRF/);
        const noToken = await post(both, undefined, example.url);
        assert.equal(noToken.status, 403);
        assert.deepEqual((await djangoSession(site, sessionid)).data["notes"], [
          "from Django's page",
        ]);

        // A token Node put in its page, with Node's cookie, posted to Django.
        const nodePage = await fetch(`${example.url}/notes`);
        const nodeCookie = /csrftoken=([^;]+)/.exec(nodePage.headers.getSetCookie().join())?.[1];
        const nodeToken = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(
          await nodePage.text(),
        )?.[1];
        assert.ok(nodeCookie && nodeToken, "Node's page carries a token and sets the cookie");
        const toDjango = await fetch(`${site.server.url}/csrf/`, {
          method: "POST",
          headers: {
            Cookie: `csrftoken=${nodeCookie}`,
            Origin: site.server.url,
            "Content-Type": "application/x-www-form-urlencoded",
          },
          body: new URLSearchParams({ csrfmiddlewaretoken: nodeToken }),
        });
        assert.equal(toDjango.status, 200);
      } finally {
        await stopped(example);
      }
    });

    it("create-user: the user it makes logs in through Django's admin; a second run finds it", async () => {
      const first = await runExample("create-user", { DATABASE_URL: site.databaseUrl });
      assert.equal(first.code, 0, first.stderr);
      const lines = first.stdout.trim().split("\n");
      const id = lines[0]!;
      assert.match(id, /^\d+$/);
      assert.ok(
        lines.includes(`${id} admin`) && lines.includes(`${site.userId} alice`),
        first.stdout,
      );
      assert.equal(
        await djangoProject(DJANGO, ["check-password", "admin"], site.env, PASSWORD),
        "true\n",
      );
      await djangoAdminLogin(site.server.url, "admin", PASSWORD);
      const second = await runExample("create-user", { DATABASE_URL: site.databaseUrl });
      assert.equal(second.code, 0, second.stderr);
      assert.deepEqual(second.stdout.trim().split("\n"), lines.slice(1));
    });

    it("rate-limit: the sixth wrong password in a row is refused by the budget kept in Redis", async () => {
      await flushRedis(RATE_LIMIT_REDIS);
      try {
        const env = {
          DATABASE_URL: site.databaseUrl,
          SECRET_KEY: SECRET,
          REDIS_URL: RATE_LIMIT_REDIS,
        };
        // Each run is its own process: only Redis carries the count from one to the next.
        for (let attempt = 1; attempt <= 5; attempt++) {
          const run = await runExample("rate-limit", env);
          assert.equal(run.code, 0, run.stderr);
          assert.equal(run.stdout, "wrong username or password\n");
        }
        const locked = await runExample("rate-limit", env);
        assert.equal(locked.code, 0, locked.stderr);
        assert.match(locked.stdout, /^try again in \d+ s\n$/);
      } finally {
        await flushRedis(RATE_LIMIT_REDIS);
      }
    });

    it("realtime-socketio: a socket opened with the Django login sees the user, a foreign Origin is refused, and sessions revoke --user closes it with the reason", async () => {
      const sessionid = await djangoAdminLogin(site.server.url, "alice", PASSWORD);
      const origin = "http://app.test";
      const example = await startExample("realtime-socketio", {
        DATABASE_URL: site.databaseUrl,
        SECRET_KEY: SECRET,
        APP_ORIGIN: origin,
      });
      const connect = (from: string) =>
        ioClient(example.url, {
          transports: ["websocket"],
          extraHeaders: { Cookie: `sessionid=${sessionid}`, Origin: from },
          reconnection: false,
        });
      try {
        const foreign = connect("http://evil.test");
        const refusal = await new Promise<unknown>((r) =>
          foreign.once("connect_error", (e: Error & { data?: unknown }) => r(e.data)),
        );
        foreign.close();
        assert.deepEqual(refusal, { reason: "origin", status: 403 });

        const socket = connect(origin);
        const revoked = new Promise<unknown>((r) => socket.once("sessionbridge:revoked", r));
        const disconnected = new Promise<string>((r) => socket.once("disconnect", r));
        assert.deepEqual(await new Promise((r) => socket.once("hello", r)), { username: "alice" });
        const revoke = await runCli(["sessions", "revoke", "--user", String(site.userId)], {
          env: { DATABASE_URL: site.databaseUrl, SECRET_KEY: SECRET },
        });
        assert.equal(revoke.code, 0, revoke.stderr);
        assert.deepEqual(await revoked, { reason: "session-ended" });
        assert.equal(await disconnected, "io server disconnect");
      } finally {
        await stopped(example);
      }
    });
  });

  describe("beside Django 5.2 with DRF, django-allauth and django-axes (apps_project.py)", () => {
    let apps: AppsProject;
    before(async () => {
      apps = await startAppsProject("5.2");
    });
    after(async () => {
      await apps.stop();
    });

    it("express-drf: Node checks the CSRF token, then calls DRF as the same user", async () => {
      const sessionid = await djangoAdminLogin(apps.url, APPS_USER.username, APPS_USER.password);
      const jar = new CookieJar();
      jar.cookies.set("sessionid", sessionid);
      const { token } = (await (await jar.fetch(`${apps.url}/csrf/`)).json()) as { token: string };
      const example = await startExample("express-drf", {
        DATABASE_URL: apps.databaseUrl,
        SECRET_KEY: APPS_SECRET,
        DRF_URL: apps.url,
      });
      try {
        const order = (headers: Record<string, string>): Promise<Response> =>
          jar.fetch(`${example.url}/orders`, {
            method: "POST",
            headers: { "Content-Type": "application/json", ...headers },
            body: JSON.stringify({ item: "book" }),
          });
        const placed = await order({ "X-CSRFToken": token });
        assert.equal(placed.status, 200);
        assert.deepEqual(await placed.json(), { username: "alice", data: { item: "book" } });
        assert.equal((await order({})).status, 403, "no token: Node's own check refuses");
        const anonymous = await fetch(`${example.url}/orders`, {
          method: "POST",
          headers: { Cookie: `csrftoken=${jar.cookies.get("csrftoken")}`, "X-CSRFToken": token },
        });
        assert.equal(anonymous.status, 401, "a valid token but no user");
      } finally {
        await stopped(example);
      }
    });
  });

  describe("beside Django 5.2 with django-redis sessions (pickle)", () => {
    let site: DjangoSite;
    before(async () => {
      await flushRedis(SESSIONS_REDIS);
      site = await djangoSite({
        SESSION_ENGINE: "django.contrib.sessions.backends.cache",
        DJANGO_CACHE: `django-redis:${SESSIONS_REDIS}`,
        CACHE_KEY_PREFIX: "myapp",
      });
    });
    after(async () => {
      await site.server.stop();
      rmSync(site.dir, { recursive: true, force: true });
      await flushRedis(SESSIONS_REDIS);
    });

    it("django-redis: Node reads Django's login from Redis and writes what Django reads", async () => {
      const sessionid = await djangoAdminLogin(site.server.url, "alice", PASSWORD);
      const example = await startExample("django-redis", { REDIS_URL: SESSIONS_REDIS });
      try {
        const cookie = { Cookie: `sessionid=${sessionid}` };
        assert.deepEqual(await (await fetch(example.url, { headers: cookie })).json(), {
          userId: String(site.userId),
          nodeVisits: 1,
        });
        assert.deepEqual(await (await fetch(example.url, { headers: cookie })).json(), {
          userId: String(site.userId),
          nodeVisits: 2,
        });
        const seen = await djangoSession(site, sessionid);
        assert.equal(seen.user_id, site.userId);
        assert.equal(seen.data["nodeVisits"], 2);
      } finally {
        await stopped(example);
      }
    });

    for (const [name, what] of [
      ["koa-redis", "Koa sees Django's user in Redis, behind loginRequired, and writes back"],
      ["nestjs-redis", "NestJS (Fastify platform) sees Django's user in Redis, and writes back"],
    ] as const) {
      it(`${name}: ${what}`, async () => {
        const sessionid = await djangoAdminLogin(site.server.url, "alice", PASSWORD);
        const example = await startExample(name, {
          REDIS_URL: SESSIONS_REDIS,
          DATABASE_URL: site.databaseUrl,
          SECRET_KEY: SECRET,
        });
        try {
          const cookie = { Cookie: `sessionid=${sessionid}` };
          for (const nodeVisits of [1, 2]) {
            const me = await fetch(`${example.url}/api/me`, { headers: cookie });
            assert.deepEqual(await me.json(), { username: "alice", nodeVisits });
          }
          assert.equal((await fetch(`${example.url}/api/me`)).status, 401);
          const seen = await djangoSession(site, sessionid);
          assert.equal(seen.user_id, site.userId);
          assert.equal(seen.data["nodeVisits"], 2);
        } finally {
          await stopped(example);
        }
      });
    }
  });

  describe("beside Flask 3.1 with Flask-Login", () => {
    const FLASK_SECRET = "readme-examples-flask-secret";
    let flask: PythonServer;
    before(async () => {
      flask = await startPythonServer("flask-3.1", FLASK_PEER_SCRIPT, ["cookie"], {
        SECRET_KEY: FLASK_SECRET,
      });
    });
    after(async () => {
      await flask.stop();
    });

    it("flask: Node sees Flask-Login's user in Flask's session cookie", async () => {
      const jar = new CookieJar();
      assert.equal((await jar.fetch(`${flask.url}/login/42`)).status, 200);
      const example = await startExample("flask", { SECRET_KEY: FLASK_SECRET });
      try {
        const response = await jar.fetch(example.url);
        assert.deepEqual(await response.json(), { user: { id: "42" }, cart: [] });
        assert.equal(response.headers.get("set-cookie"), null, "Flask's cookie is not rewritten");
      } finally {
        await stopped(example);
      }
    });
  });

  describe("on their own", () => {
    for (const [id, body] of [
      ["hono-memory", (n: number) => JSON.stringify({ visits: n })],
      ["web-memory", (n: number) => JSON.stringify({ visits: n })],
      ["node-memory", (n: number) => `visit ${n}\n`],
    ] as const) {
      it(`${id}: counts visits in the session`, async () => {
        const example = await startExample(id, {});
        try {
          const jar = new CookieJar();
          // startExample's readiness probe carried no cookie: this jar starts at one.
          assert.equal(await (await jar.fetch(example.url)).text(), body(1));
          assert.equal(await (await jar.fetch(example.url)).text(), body(2));
        } finally {
          await stopped(example);
        }
      });
    }

    it("decode: prints the decoded value and exits", async () => {
      const run = await runExample("decode", {});
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, "bar\n");
    });

    it("next-django: is examples/next-django/lib/sessions.ts, which test/examples/next-django.test.ts builds and runs beside Django 5.2 and 6.1", () => {
      const file = join(ROOT, "examples", "next-django", "lib", "sessions.ts");
      assert.equal(readmeExamples().get("next-django"), readFileSync(file, "utf8"));
    });
  });
});
