// `sessionbridge serve`, the production login and forward-auth server, as an operator runs it:
// the built CLI, a real SQLite file, real HTTP. It serves its own endpoints and nothing else,
// and reads the session cookie and login URLs under Django's setting names.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { runCli } from "../support/cli.ts";
import { CookieJar } from "../support/http.ts";
import { csrfTokenIn, formPost as form, startServe, type ServeProcess } from "../support/serve.ts";

const PASSWORD = "correct horse battery staple";

function sessionRows(dir: string, file: string): number {
  const db = new Database(join(dir, file), { readonly: true });
  try {
    return (db.prepare("SELECT COUNT(*) AS n FROM django_session").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** A database made by `migrate`, with one superuser. */
async function migratedWithUser(
  dir: string,
  env: Record<string, string>,
  username: string,
): Promise<void> {
  assert.equal((await runCli(["migrate"], { cwd: dir, env })).code, 0);
  const created = await runCli(["createsuperuser", "--no-input", "--username", username], {
    cwd: dir,
    env: { ...env, SESSIONBRIDGE_PASSWORD: PASSWORD },
  });
  assert.equal(created.code, 0, created.stderr);
}

describe("sessionbridge serve (production)", () => {
  const dir = mkdtempSync(join(tmpdir(), "sb-serve-"));
  let server: ServeProcess;
  before(async () => {
    const env = { SECRET_KEY: "serve-test-secret-key", DJANGO_VERSION: "5.2" };
    await migratedWithUser(dir, env, "alice");
    server = await startServe(dir, env);
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("has no demo: / and /backend are 404 and write no session", async () => {
    for (const path of ["/", "/backend", "/backend/session", "/anything"]) {
      const response = await fetch(`${server.url}${path}`);
      assert.equal(response.status, 404, path);
      assert.deepEqual(response.headers.getSetCookie(), [], path);
    }
    assert.equal(sessionRows(dir, "sessionbridge.sqlite3"), 0);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    assert.doesNotMatch(server.stderr(), /warning: SECRET_KEY/);
  });
});

describe("sessionbridge serve reads Django's settings names", () => {
  const dir = mkdtempSync(join(tmpdir(), "sb-serve-settings-"));
  const env = {
    SECRET_KEY: "serve-settings-secret-key",
    DJANGO_VERSION: "5.2",
    SESSION_COOKIE_NAME: "appsession",
    SESSION_COOKIE_AGE: "3600",
    SESSION_COOKIE_SECURE: "True",
    SESSION_COOKIE_DOMAIN: "127.0.0.1",
    SESSION_COOKIE_SAMESITE: "Strict",
    LOGIN_URL: "/accounts/login/",
    LOGIN_REDIRECT_URL: "/dashboard/",
    LOGOUT_REDIRECT_URL: "/bye/",
    TRUST_PROXY: "1",
  };
  let server: ServeProcess;
  before(async () => {
    await migratedWithUser(dir, env, "bob");
    server = await startServe(dir, env);
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the login form at LOGIN_URL, the cookie as SESSION_COOKIE_*, LOGIN_REDIRECT_URL and LOGOUT_REDIRECT_URL", async () => {
    assert.equal((await fetch(`${server.url}/login`)).status, 404, "LOGIN_URL replaces /login");
    const jar = new CookieJar();
    const page = await (await jar.fetch(`${server.url}/accounts/login/`)).text();
    assert.match(page, /<form method="post" action="\/accounts\/login\/">/);
    const loggedIn = await jar.fetch(
      `${server.url}/accounts/login/`,
      form({ csrfmiddlewaretoken: csrfTokenIn(page), username: "bob", password: PASSWORD }),
    );
    assert.equal(loggedIn.status, 302);
    assert.equal(loggedIn.headers.get("location"), "/dashboard/");
    const cookie = loggedIn.headers.getSetCookie().find((c) => c.startsWith("appsession="));
    assert.ok(cookie, "the cookie is named SESSION_COOKIE_NAME");
    assert.match(cookie, /; Max-Age=3600(;|$)/);
    assert.match(cookie, /; Domain=127\.0\.0\.1(;|$)/);
    assert.match(cookie, /; Secure(;|$)/);
    assert.match(cookie, /; SameSite=Strict(;|$)/);
    assert.match(cookie, /; HttpOnly(;|$)/);
    assert.equal(jar.cookies.has("sessionid"), false);

    const verify = await fetch(`${server.url}/auth/verify?redirect=1`, {
      redirect: "manual",
      headers: { "X-Original-URI": "/app/" },
    });
    assert.equal(verify.headers.get("location"), "/accounts/login/?next=%2Fapp%2F");
    const whoami = (await (await jar.fetch(`${server.url}/whoami`)).json()) as {
      username: string;
    };
    assert.equal(whoami.username, "bob");

    const again = await (await jar.fetch(`${server.url}/accounts/login/`)).text();
    const out = await jar.fetch(
      `${server.url}/logout`,
      form({ csrfmiddlewaretoken: csrfTokenIn(again) }),
    );
    assert.equal(out.status, 302);
    assert.equal(out.headers.get("location"), "/bye/");
    assert.equal(jar.cookies.has("appsession"), false, "the cookie is deleted at logout");
  });

  it("a setting it cannot read stops it at start, naming the setting", async () => {
    for (const [name, value] of [
      ["SESSION_COOKIE_SECURE", "maybe"],
      ["SESSION_COOKIE_SAMESITE", "Sometimes"],
      ["LOGIN_URL", "https://evil.example/login"],
    ] as const) {
      const r = await runCli(["serve", "--port", "0"], {
        cwd: dir,
        env: { ...env, [name]: value },
      });
      assert.equal(r.code, 2, `${name}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(name));
    }
  });
});

describe("sessionbridge serve errors", () => {
  it("an unreachable DATABASE_URL is one line without the password, exit 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sb-serve-"));
    const r = await runCli(["serve", "--port", "0"], {
      cwd: dir,
      env: { DATABASE_URL: "postgres://app:hunter2@127.0.0.1:1/app", SECRET_KEY: "k" },
    });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /hunter2|at \w+ \(/);
  });

  it("an unparseable DATABASE_URL is one line, exit 1, and writes no secret file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sb-serve-"));
    const r = await runCli(["serve"], { cwd: dir, env: { DATABASE_URL: "oracle://x:pw@h/db" } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Unsupported DATABASE_URL scheme "oracle"/);
    assert.equal(existsSync(join(dir, ".sessionbridge-secret")), false);
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses an existing Django database without SECRET_KEY, writing no key of its own", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sb-serve-"));
    try {
      // A Django project's database: its tables exist, and no key of ours sits beside it.
      const migrated = await runCli(["migrate"], {
        cwd: dir,
        env: { DATABASE_URL: "sqlite:./db.sqlite3" },
      });
      assert.equal(migrated.code, 0, migrated.stderr);
      const r = await runCli(["serve", "--port", "0"], {
        cwd: dir,
        env: { DATABASE_URL: "sqlite:./db.sqlite3" },
      });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /SECRET_KEY is not set and the database already has Django's tables/);
      assert.equal(existsSync(join(dir, "db.sqlite3.secret-key")), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("an unknown option is a usage error, exit 2", async () => {
    assert.equal((await runCli(["serve", "--nope"])).code, 2);
  });
});
