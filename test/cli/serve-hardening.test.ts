// Issue 18, attacks on `sessionbridge serve` over real HTTP (the built CLI, as a user runs it):
// a quadratic forward-auth header (#2), forwarded headers from a client that is not a trusted
// proxy and X-Forwarded-For spoofing behind a real nginx (#4).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CookieJar } from "../support/http.ts";
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
