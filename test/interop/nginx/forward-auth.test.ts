// Forward auth behind a real nginx (Debian's) on loopback: an upstream app is reachable only
// with a logged-in session, nginx asking `sessionbridge serve`'s /auth/verify on every request
// (the configuration the README documents, read from the README).
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli } from "../../support/cli.ts";
import { REPO_ROOT } from "../django/peer.ts";
import { CookieJar, listen } from "../../support/http.ts";
import { startNginx, type Nginx } from "../../support/nginx.ts";
import { csrfTokenIn, formPost, startServe, type ServeProcess } from "../../support/serve.ts";

/**
 * The README's nginx snippet, as the README writes it, with the two upstream addresses (the
 * README's 127.0.0.1:8000 for serve and 127.0.0.1:9000 for the app) replaced by the test's.
 */
export function forwardAuthConfig(servePort: number, appPort: number): string {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const block = [...readme.matchAll(/```nginx\n([\s\S]*?)```/g)]
    .map((m) => m[1] ?? "")
    .find((text) => text.includes("auth_request"));
  assert.ok(block !== undefined, "README has the forward-auth nginx block");
  assert.ok(block.includes("127.0.0.1:8000") && block.includes("127.0.0.1:9000"), block);
  return block
    .replaceAll("127.0.0.1:8000", `127.0.0.1:${servePort}`)
    .replaceAll("127.0.0.1:9000", `127.0.0.1:${appPort}`);
}

describe("forward auth behind nginx", () => {
  const dir = mkdtempSync(join(tmpdir(), "sb-forward-auth-"));
  const env = { SECRET_KEY: "forward-auth-secret", DJANGO_VERSION: "5.2" };
  let serve: ServeProcess;
  let app: Awaited<ReturnType<typeof listen>>;
  let nginx: Nginx;

  before(async () => {
    serve = await startServe(dir, env);
    const created = await runCli(["createuser", "--no-input", "--username", "bob"], {
      cwd: dir,
      env: { ...env, SESSIONBRIDGE_PASSWORD: "s3cret-pass-word" },
    });
    assert.equal(created.code, 0, created.stderr);
    app = await listen(
      createServer((req, res) => {
        res.setHeader("Content-Type", "application/json");
        res.end(
          JSON.stringify({
            secret: "upstream data",
            path: req.url,
            user: req.headers["x-auth-username"] ?? null,
          }),
        );
      }),
    );
    nginx = await startNginx(
      forwardAuthConfig(Number(new URL(serve.url).port), Number(new URL(app.url).port)),
    );
  });
  after(async () => {
    await nginx.stop();
    await app.close();
    await serve.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps an anonymous visitor out and sends them to the login page with next", async () => {
    const jar = new CookieJar();
    const res = await jar.fetch(`${nginx.url}/app/reports?id=7`);
    assert.equal(res.status, 302);
    // nginx makes the Location absolute; `next` keeps the original path and query.
    assert.equal(res.headers.get("location"), `${nginx.url}/login?next=/app/reports?id=7`);
    assert.doesNotMatch(await res.text(), /upstream data/);
  });

  it("lets a logged-in user through with their identity, and out again after logout", async () => {
    const jar = new CookieJar();
    const loginPage = await (await jar.fetch(`${nginx.url}/login?next=/app/reports`)).text();
    const login = await jar.fetch(
      `${nginx.url}/login`,
      formPost({
        csrfmiddlewaretoken: csrfTokenIn(loginPage),
        username: "bob",
        password: "s3cret-pass-word",
        next: "/app/reports",
      }),
    );
    assert.equal(login.status, 302);
    assert.equal(login.headers.get("location"), "/app/reports");

    const inside = await jar.fetch(`${nginx.url}/app/reports`);
    assert.equal(inside.status, 200);
    assert.deepEqual(await inside.json(), {
      secret: "upstream data",
      path: "/reports",
      user: "bob",
    });

    const logoutPage = await (await jar.fetch(`${nginx.url}/logout`)).text();
    assert.match(logoutPage, /Logged in as <strong id="username">bob<\/strong>/);
    assert.equal(
      (
        await jar.fetch(
          `${nginx.url}/logout`,
          formPost({ csrfmiddlewaretoken: csrfTokenIn(logoutPage) }),
        )
      ).status,
      302,
    );
    assert.equal((await jar.fetch(`${nginx.url}/app/reports`)).status, 302);
  });

  it("refuses a forged or stale cookie", async () => {
    const jar = new CookieJar();
    jar.cookies.set("sessionid", "0123456789abcdefghijklmnopqrstuv");
    assert.equal((await jar.fetch(`${nginx.url}/app/reports`)).status, 302);
  });
});
