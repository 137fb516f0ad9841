// `sessionbridge demo` (`npm start`) as a user runs it: the built CLI, a real SQLite file, real
// HTTP. The demo serves serve's endpoints (login, logout, whoami, forward auth) and its own two
// apps (the page at /, the Hono API at /backend) on one session.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { runCli } from "../support/cli.ts";
import { csrfTokenIn, formPost as form, startServe } from "../support/serve.ts";
import { CookieJar } from "../support/http.ts";

let server: Awaited<ReturnType<typeof startServe>>;

describe("sessionbridge demo (embedded default)", () => {
  const dir = mkdtempSync(join(tmpdir(), "sb-demo-"));
  before(async () => {
    server = await startServe(dir, {}, "demo");
  });
  after(() => {
    server.child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates ./sessionbridge.sqlite3 with Django's table and keeps a generated secret beside it", () => {
    const db = new Database(join(dir, "sessionbridge.sqlite3"), { readonly: true });
    const sql = (
      db.prepare("SELECT sql FROM sqlite_master WHERE name = 'django_session'").get() as {
        sql: string;
      }
    ).sql;
    db.close();
    assert.match(sql, /"session_key" varchar\(40\) NOT NULL PRIMARY KEY/);
    const secretFile = join(dir, "sessionbridge.sqlite3.secret-key");
    assert.equal(readFileSync(secretFile, "utf8").trim().length, 50);
    assert.equal(statSync(secretFile).mode & 0o777, 0o600);
    assert.match(server.stderr(), /warning: SECRET_KEY is not set/);
    assert.doesNotMatch(
      server.stderr(),
      new RegExp(
        readFileSync(secretFile, "utf8")
          .trim()
          .replace(/[^a-z0-9]/g, "."),
      ),
    );
  });

  it("counts visits at /, and /backend (a Hono app) answers 401 JSON to anonymous users", async () => {
    const jar = new CookieJar();
    assert.match(await (await jar.fetch(`${server.url}/`)).text(), /id="visits">1</);
    assert.match(await (await jar.fetch(`${server.url}/`)).text(), /id="visits">2</);
    const backend = await jar.fetch(`${server.url}/backend/session`);
    assert.equal(backend.status, 401);
    assert.deepEqual(await backend.json(), { error: "authentication required" });
    assert.match(jar.cookies.get("sessionid") ?? "", /^[a-z0-9]{32}$/);
  });

  it("logs a user in through the CSRF-protected form, keeps the visits, then serves /backend, /whoami and /auth/verify", async () => {
    const created = await runCli(
      ["createsuperuser", "--no-input", "--username", "alice", "--email", "a@example.com"],
      {
        cwd: dir,
        env: { SESSIONBRIDGE_PASSWORD: "correct horse battery staple", DJANGO_VERSION: "5.2" },
      },
    );
    assert.equal(created.code, 0, created.stderr);
    const jar = new CookieJar();
    await jar.fetch(`${server.url}/`);
    const anonymousKey = jar.cookies.get("sessionid");
    const verifyAnon = await jar.fetch(`${server.url}/auth/verify`);
    assert.equal(verifyAnon.status, 401);

    // Missing CSRF token → 403, nothing logged in.
    const noCsrf = await jar.fetch(
      `${server.url}/login`,
      form({ username: "alice", password: "correct horse battery staple" }),
    );
    assert.equal(noCsrf.status, 403);

    // Wrong password and unknown user: the same page, the same message.
    const wrong = await postLogin(jar, { username: "alice", password: "nope" });
    const unknown = await postLogin(jar, { username: "mallory", password: "nope" });
    assert.equal(wrong.status, 200);
    assert.equal(unknown.status, 200);
    const message = (html: string) => /<p id="error"[^>]*>(.*?)<\/p>/.exec(html)?.[1];
    assert.ok(message(await wrong.text()));
    assert.equal(
      message(await unknown.text()),
      message(await (await postLogin(jar, { username: "alice", password: "nope" })).text()),
    );

    // An open redirect in next is refused; the login itself works and cycles the key.
    const ok = await postLogin(jar, {
      username: "alice",
      password: "correct horse battery staple",
      next: "https://evil.example/",
    });
    assert.equal(ok.status, 302, await ok.clone().text());
    assert.equal(ok.headers.get("location"), "/");
    assert.notEqual(jar.cookies.get("sessionid"), anonymousKey, "login cycles the session key");

    const whoami = (await (await jar.fetch(`${server.url}/whoami`)).json()) as Record<
      string,
      unknown
    >;
    assert.deepEqual(
      { ...whoami, id: typeof whoami.id },
      { authenticated: true, id: "string", username: "alice", isStaff: true },
    );
    const backend = (await (await jar.fetch(`${server.url}/backend/session`)).json()) as {
      user: { username: string };
      visits: number;
    };
    assert.equal(backend.user.username, "alice");
    assert.equal(backend.visits, 1, "anonymous data survived login (cycle_key keeps data)");
    const index = await jar.fetch(`${server.url}/backend`);
    assert.equal(index.status, 200);
    assert.ok("/backend/session" in ((await index.json()) as { endpoints: object }).endpoints);
    const verify = await jar.fetch(`${server.url}/auth/verify`);
    assert.equal(verify.status, 200);
    assert.equal(verify.headers.get("x-auth-username"), "alice");
    assert.equal(verify.headers.get("x-auth-user-id"), whoami.id);

    // Logout needs POST + CSRF, then the session is gone.
    const home = await (await jar.fetch(`${server.url}/`)).text();
    const token = /name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"/.exec(home)?.[1] ?? "";
    assert.equal((await jar.fetch(`${server.url}/logout`, form({}))).status, 403);
    const out = await jar.fetch(`${server.url}/logout`, form({ csrfmiddlewaretoken: token }));
    assert.equal(out.status, 302);
    assert.deepEqual(await (await jar.fetch(`${server.url}/whoami`)).json(), {
      authenticated: false,
      id: null,
      username: null,
      isStaff: false,
    });
    assert.equal(
      (
        await jar.fetch(`${server.url}/auth/verify?redirect=1`, {
          headers: { "X-Forwarded-Uri": "/app/x?y=1" },
        })
      ).headers.get("location"),
      // Without TRUST_PROXY the header is the client's word (issue 18 #4); serve-hardening
      // tests the proxied case.
      "/login?next=%2F",
    );
  });

  it("explains itself: the API's answer, Django's settings for the same sessions, how to make a user", async () => {
    const home = await (await fetch(`${server.url}/`)).text();
    assert.match(home, /<pre id="api"/);
    assert.match(home, /fetch\("\/backend\/session"/);
    const django = /<pre id="django">([\s\S]*?)<\/pre>/.exec(home)?.[1] ?? "";
    assert.match(django, /SESSION_ENGINE = &#34;django\.contrib\.sessions\.backends\.db&#34;/);
    assert.ok(django.includes(join(dir, "sessionbridge.sqlite3")), django);
    assert.doesNotMatch(
      django,
      new RegExp(
        readFileSync(join(dir, "sessionbridge.sqlite3.secret-key"), "utf8")
          .trim()
          .slice(0, 20)
          .replace(/[^a-z0-9]/g, "."),
      ),
    );
    const login = await (await fetch(`${server.url}/login`)).text();
    assert.match(
      login,
      /id="hint"[^>]*>No user yet\? Create one: <code>npx sessionbridge createsuperuser --django-version 5\.2<\/code>/,
    );
  });

  it("keeps sessions across a restart (same secret, same file)", async () => {
    const jar = new CookieJar();
    await jar.fetch(`${server.url}/`);
    await jar.fetch(`${server.url}/`);
    server.child.kill("SIGTERM");
    await new Promise((r) => server.child.once("exit", r));
    server = await startServe(dir, {}, "demo");
    assert.match(await (await jar.fetch(`${server.url}/`)).text(), /id="visits">3</);
    assert.match(server.stderr(), /using the key saved in/);
  });
});

/** GET /login for a CSRF token, then POST the form. */
async function postLogin(jar: CookieJar, fields: Record<string, string>): Promise<Response> {
  const url = new URL(server.url);
  const page = await (await jar.fetch(`${url.origin}/login`)).text();
  return jar.fetch(
    `${url.origin}/login`,
    form({ csrfmiddlewaretoken: csrfTokenIn(page), ...fields }),
  );
}
