// `serve` beside a Django project with django-axes and django-allauth (apps_project.py on Django
// 5.2, its SQLite database shared), configured by the apps' own settings names (issue 17):
// AXES_ENABLED and AXES_* share axes' lockout and access log; ALLAUTH_APPS records allauth's
// authentication method, writes the usersessions row and accepts X-Session-Token.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openDatabaseUrl, type SqlDatabase } from "../../src/stores/sql/index.ts";
import { CookieJar } from "../support/http.ts";
import { startServe, submitLogin, type ServeProcess } from "../support/serve.ts";
import {
  APPS_SECRET,
  APPS_USER,
  startAppsProject,
  type AppsProject,
} from "../interop/django/apps.ts";
import { postDjangoAdminLogin } from "../interop/django/project.ts";

const AGENT = "serve-apps-test";

describe("sessionbridge serve with django-axes and django-allauth", () => {
  let django: AppsProject;
  let serve: ServeProcess;
  let database: SqlDatabase;
  let cwd: string;

  before(async () => {
    // Django's own lockout is by username (apps_project.py's AXES_LOCKOUT), as serve's here.
    django = await startAppsProject("5.2", { AXES_LOCKOUT: "username", AXES_FAILURE_LIMIT: "2" });
    database = await openDatabaseUrl(django.databaseUrl);
    cwd = mkdtempSync(join(tmpdir(), "sb-serve-apps-"));
    serve = await startServe(cwd, {
      DATABASE_URL: django.databaseUrl,
      SECRET_KEY: APPS_SECRET,
      DJANGO_VERSION: "5.2",
      AXES_ENABLED: "True",
      AXES_FAILURE_LIMIT: "2",
      AXES_COOLOFF_TIME: "1",
      AXES_LOCKOUT_PARAMETERS: "username",
      AXES_RESET_ON_SUCCESS: "True",
      ALLAUTH_APPS: "account, usersessions, headless",
    });
  });
  after(async () => {
    await serve.stop();
    await database.close();
    await django.stop();
    rmSync(cwd, { recursive: true, force: true });
  });

  const login = (password: string, jar = new CookieJar()): Promise<Response> =>
    submitLogin(
      jar,
      serve.url,
      { username: APPS_USER.username, password },
      { "User-Agent": AGENT },
    );

  it("a serve login is axes' access log, allauth's session row and a recent authentication", async () => {
    const jar = new CookieJar();
    const response = await login(APPS_USER.password, jar);
    assert.equal(response.status, 302, serve.stderr());
    const key = jar.cookies.get("sessionid");
    assert.ok(key);
    const [log] = await database.query(
      "SELECT username, user_agent FROM axes_accesslog ORDER BY id DESC",
      [],
    );
    assert.deepEqual(log, { username: APPS_USER.username, user_agent: AGENT });
    const rows = await database.query(
      "SELECT user_agent FROM usersessions_usersession WHERE session_key = ?",
      [key],
    );
    assert.deepEqual(rows, [{ user_agent: AGENT }]);
    const sensitive = await jar.fetch(`${django.url}/sensitive/`);
    assert.equal(sensitive.status, 200, "allauth's reauthentication sees the serve login");
  });

  it("an allauth app client's X-Session-Token is its session at /whoami", async () => {
    const response = await fetch(`${django.url}/_allauth/app/v1/auth/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: APPS_USER.username, password: APPS_USER.password }),
    });
    const { meta } = (await response.json()) as { meta: { session_token: string } };
    const whoami = await fetch(`${serve.url}/whoami`, {
      headers: { "X-Session-Token": meta.session_token },
    });
    assert.equal(((await whoami.json()) as { username: string | null }).username, "alice");
    assert.deepEqual(whoami.headers.getSetCookie(), []);
  });

  it("two wrong passwords through serve lock the user out of serve and of Django", async () => {
    for (let i = 0; i < 2; i++) assert.equal((await login("wrong")).status, 200);
    assert.equal((await login(APPS_USER.password)).status, 429);
    const djangoLogin = await postDjangoAdminLogin(
      django.url,
      APPS_USER.username,
      APPS_USER.password,
    );
    assert.ok([403, 429].includes(djangoLogin.status), `Django locked: ${djangoLogin.status}`);
  });

  it("refuses an AXES_LOCKOUT_PARAMETERS or ALLAUTH_APPS value it does not know", async () => {
    for (const env of [{ AXES_LOCKOUT_PARAMETERS: "username+email" }, { ALLAUTH_APPS: "mfa" }]) {
      await assert.rejects(
        startServe(cwd, {
          DATABASE_URL: django.databaseUrl,
          SECRET_KEY: APPS_SECRET,
          DJANGO_VERSION: "5.2",
          AXES_ENABLED: "True",
          ...env,
        }),
        /exited 2: .*(AXES_LOCKOUT_PARAMETERS lists|ALLAUTH_APPS lists)/s,
      );
    }
  });
});
