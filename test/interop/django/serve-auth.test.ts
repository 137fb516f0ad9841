// `sessionbridge serve` pointed at a Django deployment's database and SECRET_KEY (no Python
// change): Django's users log in through our /login and Django sees them; users logged in by
// Django are recognised by /whoami and /auth/verify; a password changed by Django logs our
// session out. Django 3.2, 4.2 and 5.2, on a SQLite file and on PostgreSQL.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runAuthPeer, startAuthServer } from "../../auth/django-peer.ts";
import { createTempDatabases, type TempDatabases } from "../../support/databases.ts";
import { CookieJar } from "../../support/http.ts";
import { csrfTokenIn, formPost, startServe, type ServeProcess } from "../../support/serve.ts";
import { DJANGO_VERSIONS, type DjangoServer } from "./peer.ts";

const SECRET = "serve-auth-interop-secret";

for (const version of DJANGO_VERSIONS) {
  for (const dialect of ["sqlite", "postgres"] as const) {
    describe(`serve on Django ${version}'s ${dialect} database`, () => {
      let dbs: TempDatabases;
      let url: string;
      let serve: ServeProcess;
      let django: DjangoServer;
      const dir = mkdtempSync(join(tmpdir(), "sb-serve-django-"));
      let env: Record<string, string>;

      before(async () => {
        dbs = await createTempDatabases(`serve${version.replace(".", "")}${dialect.slice(0, 2)}`);
        url = dialect === "sqlite" ? `sqlite:${dbs.sqlitePath}` : dbs.postgresUrl;
        env = { DJANGO_DB: url, SECRET_KEY: SECRET };
        await runAuthPeer(version, ["migrate"], env);
        await runAuthPeer(version, ["create-user"], env, {
          username: "dora",
          password: "django-made-password",
        });
        django = await startAuthServer(version, env);
        serve = await startServe(dir, {
          DATABASE_URL: url,
          SECRET_KEY: SECRET,
          DJANGO_VERSION: version,
        });
      });
      after(async () => {
        await serve.stop();
        await django.stop();
        await dbs.drop();
        rmSync(dir, { recursive: true, force: true });
      });

      it("a Django user logs in through our /login and Django's request.user is that user", async () => {
        const jar = new CookieJar();
        const page = await (await jar.fetch(`${serve.url}/login`)).text();
        const login = await jar.fetch(
          `${serve.url}/login`,
          formPost({
            csrfmiddlewaretoken: csrfTokenIn(page),
            username: "dora",
            password: "django-made-password",
          }),
        );
        assert.equal(login.status, 302);
        const theirs = (await (await jar.fetch(`${django.url}/auth/whoami`)).json()) as {
          username: string;
          is_authenticated: boolean;
        };
        assert.deepEqual([theirs.is_authenticated, theirs.username], [true, "dora"]);
      });

      it("a user Django logged in is recognised by /whoami and /auth/verify, until Django changes the password", async () => {
        const jar = new CookieJar();
        const res = await jar.fetch(
          `${django.url}/auth/login`,
          formPost({ username: "dora", password: "django-made-password" }),
        );
        assert.equal(res.status, 200);
        const whoami = (await (await jar.fetch(`${serve.url}/whoami`)).json()) as {
          authenticated: boolean;
          username: string;
        };
        assert.deepEqual([whoami.authenticated, whoami.username], [true, "dora"]);
        const verify = await jar.fetch(`${serve.url}/auth/verify`);
        assert.equal(verify.status, 200);
        assert.equal(verify.headers.get("x-auth-username"), "dora");

        await runAuthPeer(version, ["set-password"], env, {
          username: "dora",
          password: "changed-by-django",
        });
        assert.equal((await jar.fetch(`${serve.url}/auth/verify`)).status, 401);
        await runAuthPeer(version, ["set-password"], env, {
          username: "dora",
          password: "django-made-password",
        });
      });
    });
  }
}
