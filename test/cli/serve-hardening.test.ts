// Issue 18, attacks on `sessionbridge serve` over real HTTP (the built CLI, as a user runs it):
// a quadratic forward-auth header (#2), forwarded headers from a client that is not a trusted
// proxy and X-Forwarded-For spoofing behind a real nginx (#4).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { djangoPeerEnv } from "../interop/django/peer.ts";
import { runCli } from "../support/cli.ts";
import { CookieJar } from "../support/http.ts";
import { runPython } from "../support/python.ts";
import { startBlackholeProxy } from "../support/blackhole.ts";
import { createTempDatabases, type TempDatabases } from "../support/databases.ts";
import { startNginx, type Nginx } from "../support/nginx.ts";
import {
  randomDocumentationIp,
  startServe,
  submitLogin,
  type ServeProcess,
} from "../support/serve.ts";

const SECRET = "serve-hardening-test-secret";

async function verifyRedirect(base: string, headers: Record<string, string>): Promise<string> {
  const res = await fetch(`${base}/auth/verify?redirect=1`, { headers, redirect: "manual" });
  await res.text();
  assert.equal(res.status, 302);
  return res.headers.get("location") ?? "";
}

describe("serve: forward-auth headers (issue 18 #2, #4)", () => {
  const dirs = [
    mkdtempSync(join(tmpdir(), "sb-harden-")),
    mkdtempSync(join(tmpdir(), "sb-harden-")),
  ];
  let direct: ServeProcess; // no TRUST_PROXY
  let proxied: ServeProcess; // TRUST_PROXY=1
  before(async () => {
    direct = await startServe(dirs[0]!, { SECRET_KEY: SECRET });
    proxied = await startServe(dirs[1]!, { SECRET_KEY: SECRET, TRUST_PROXY: "1" });
  });
  after(async () => {
    await direct.stop();
    await proxied.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("a 16,000-character run of tabs or U+00A0 in X-Forwarded-Uri is refused (the length cap), and the server still answers", async () => {
    for (const run of ["\t", "\u00a0"]) {
      const attack = `/x${run.repeat(16_000)}y`;
      const all = await Promise.all(
        Array.from({ length: 10 }, () =>
          verifyRedirect(proxied.url, { "X-Forwarded-Uri": attack }),
        ),
      );
      assert.deepEqual(new Set(all), new Set(["/login?next=%2F"]));
    }
    assert.equal(
      await verifyRedirect(proxied.url, { "X-Forwarded-Uri": "/app/x?y=1" }),
      "/login?next=%2Fapp%2Fx%3Fy%3D1",
    );
    assert.equal((await fetch(`${proxied.url}/healthz`)).status, 200);
  });

  it("without TRUST_PROXY, X-Forwarded-Uri and X-Forwarded-Host are the client's word: ignored", async () => {
    const spoof = {
      "X-Forwarded-Host": "evil.example",
      "X-Forwarded-Uri": "https://evil.example/",
    };
    assert.equal(await verifyRedirect(direct.url, spoof), "/login?next=%2F");
    assert.equal(
      await verifyRedirect(direct.url, { "X-Original-URI": "/app/reports" }),
      "/login?next=%2F",
    );
    // Behind a trusted proxy the same headers are the proxy's: the host is the forwarded one.
    assert.equal(
      await verifyRedirect(proxied.url, spoof),
      `/login?next=${encodeURIComponent("https://evil.example/")}`,
    );
  });
});

describe("serve behind nginx with $proxy_add_x_forwarded_for (issue 18 #4)", () => {
  const dir = mkdtempSync(join(tmpdir(), "sb-harden-xff-"));
  let serve: ServeProcess | undefined;
  let nginx: Nginx | undefined;
  before(async () => {
    // 1 failure per username, so 4 per address.
    serve = await startServe(dir, {
      SECRET_KEY: SECRET,
      TRUST_PROXY: "1",
      LOGIN_RATE_LIMIT: "1/300",
    });
    nginx = await startNginx(`
    location / {
      proxy_pass http://127.0.0.1:${new URL(serve.url).port};
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }`);
  });
  after(async () => {
    await nginx?.stop();
    await serve?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a client that sends a new X-Forwarded-For each time still has one address's budget", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await submitLogin(
        new CookieJar(),
        nginx!.url,
        { username: `nobody-${String(i)}`, password: "wrong" },
        { "X-Forwarded-For": randomDocumentationIp() },
      );
      await res.text();
      statuses.push(res.status);
    }
    // The address nginx appended (127.0.0.1) is the client's: 4 failures, then refused.
    assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429, 429]);
  });
});

describe("serve: login redirects and caching (issue 18 #10, #11)", () => {
  const dir = mkdtempSync(join(tmpdir(), "sb-harden-login-"));
  const password = "a-long-enough-pass-phrase";
  let serve: ServeProcess | undefined;
  before(async () => {
    serve = await startServe(dir, { SECRET_KEY: SECRET, LOGIN_RATE_LIMIT: "off" });
    const created = await runCli(["createuser", "--no-input", "--username", "carol"], {
      cwd: dir,
      env: { SECRET_KEY: SECRET, SESSIONBRIDGE_PASSWORD: password },
    });
    assert.equal(created.code, 0, created.stderr);
  });
  after(async () => {
    await serve?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a next with non-Latin-1 characters or CR/LF logs the user in and redirects as Django's iri_to_uri", async () => {
    const cases: [string, string][] = [
      ["/café/日本?q=ü", "/caf%C3%A9/%E6%97%A5%E6%9C%AC?q=%C3%BC"],
      ["/a\r\nSet-Cookie: evil=1", "/a%0D%0ASet-Cookie:%20evil=1"],
      ["/ok?x=1", "/ok?x=1"],
    ];
    for (const [next, location] of cases) {
      const jar = new CookieJar();
      const res = await submitLogin(jar, serve!.url, { username: "carol", password, next });
      await res.text();
      assert.equal(res.status, 302, next);
      assert.equal(res.headers.get("location"), location);
      assert.equal(res.headers.get("set-cookie")?.includes("evil"), false);
      const who = (await (await jar.fetch(`${serve!.url}/whoami`)).json()) as { username: string };
      assert.equal(who.username, "carol");
    }
  });

  it("the login and logout pages carry Django's never_cache headers", async () => {
    const django = (
      await runPython(
        "from django.conf import settings\nsettings.configure()\n" +
          "from django.http import HttpResponse\nfrom django.utils.cache import add_never_cache_headers\n" +
          "r = HttpResponse()\nadd_never_cache_headers(r)\nprint(r['Cache-Control'])",
        "",
        djangoPeerEnv("5.2"),
      )
    ).trim();
    const jar = new CookieJar();
    const page = await jar.fetch(`${serve!.url}/login`);
    await page.text();
    const failed = await submitLogin(jar, serve!.url, { username: "carol", password: "wrong" });
    await failed.text();
    const ok = await submitLogin(jar, serve!.url, { username: "carol", password });
    await ok.text();
    // The first sets the session and CSRF cookies, the last the logged-in session's.
    assert.ok(page.headers.getSetCookie().length > 0 && ok.headers.getSetCookie().length > 0);
    for (const res of [page, failed, ok]) {
      assert.equal(res.headers.get("cache-control"), django);
      // Already expired when sent (Django: Expires = now); no wall-clock tolerance, since the
      // login hashes a password between the two on a loaded machine.
      const expires = Date.parse(res.headers.get("expires") ?? "");
      assert.ok(Number.isFinite(expires));
      assert.ok(expires <= Date.parse(res.headers.get("date") ?? ""));
    }
    const logout = await jar.fetch(`${serve!.url}/logout`, { method: "GET" });
    assert.equal(logout.headers.get("cache-control"), django);
  });
});

describe("serve over a database that blackholes (issue 18 #5)", () => {
  // Empty databases of this run's own (serve makes the tables), reached through the proxy.
  let databases: TempDatabases;
  before(async () => {
    databases = await createTempDatabases("harden_serve");
  });
  after(async () => {
    await databases.drop();
  });
  const through = (serverUrl: string, proxyPort: number, timeout: string): string => {
    const url = new URL(serverUrl);
    url.port = String(proxyPort);
    return `${url.href}?${timeout}=1500`;
  };
  const cases = [
    {
      name: "MariaDB",
      port: 3306,
      url: (proxyPort: number) => through(databases.mysqlUrl, proxyPort, "queryTimeout"),
    },
    {
      name: "PostgreSQL",
      port: 5432,
      url: (proxyPort: number) => through(databases.postgresUrl, proxyPort, "query_timeout"),
    },
  ];
  for (const { name, port, url } of cases) {
    it(
      `${name}: a request during the stall answers 503, and serve answers again afterwards`,
      { timeout: 60_000 },
      async () => {
        const dir = mkdtempSync(join(tmpdir(), "sb-harden-db-"));
        const proxy = await startBlackholeProxy({ host: "127.0.0.1", port });
        const serve = await startServe(dir, {
          SECRET_KEY: SECRET,
          DATABASE_URL: url(proxy.port),
        });
        try {
          const jar = new CookieJar();
          const page = await jar.fetch(`${serve.url}/login`);
          await page.text();
          assert.equal(page.status, 200);
          assert.ok(jar.cookies.has("sessionid"));
          const before = await jar.fetch(`${serve.url}/whoami`);
          await before.text();
          assert.equal(before.status, 200);
          proxy.blackhole = true;
          const stalled = await jar.fetch(`${serve.url}/whoami`);
          await stalled.text();
          assert.equal(stalled.status, 503);
          proxy.blackhole = false;
          const again = await jar.fetch(`${serve.url}/whoami`);
          await again.text();
          assert.equal(again.status, 200);
          assert.doesNotMatch(serve.stderr(), /password|Error: \n/);
        } finally {
          await serve.stop();
          await proxy.close();
          rmSync(dir, { recursive: true, force: true });
        }
      },
    );
  }
});
