// examples/next-django as its users run it: `next build` once, then `next start` beside a real
// Django 5.2 and then a real Django 6.1, the same build for both (users in PostgreSQL, sessions
// in Redis through django-redis). A person logs in
// through Django's login view; Next's Server Component renders that user and calls Django's API
// as them; a Route Handler and a Server Action write the cart Django then shows; proxy.ts sends
// anonymous visitors to Django's login with the right next=; Django's logout makes Next
// anonymous. Once in Chromium too (beside Django 5.2), with a screenshot. The README's Next.js
// block is lib/sessions.ts as written (test/readme/examples.test.ts holds them equal).
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { createClient } from "redis";
import { chromium } from "playwright-core";
import { runProcess } from "../support/process.ts";
import {
  pythonBaseEnv,
  peerPython,
  startReadyServer,
  type ReadyServer,
} from "../support/python.ts";
import { peerEnv } from "../interop/django/peer.ts";
import { CookieJar } from "../support/http.ts";

const EXAMPLE = fileURLToPath(new URL("../../examples/next-django/", import.meta.url));
const SHOTS = fileURLToPath(new URL("../../.work/screenshots/", import.meta.url));
const NEXT_BIN = join(EXAMPLE, "node_modules", "next", "dist", "bin", "next");
/** The Django releases the one Next build runs beside, in turn. */
const PEERS = ["django-5.2", "django-6.1"] as const;
const REDIS_URL = "redis://127.0.0.1:6379/12";
const SECRET_KEY = "next-django-example-secret-key-0123456789abcdef";
const PASSWORD = "correct horse battery staple";

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function must(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const result = await runProcess(command, args, { cwd, env });
  assert.equal(result.code, 0, `${command} ${args.join(" ")}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** Django's login view, as a person uses it: the form's CSRF token, then the POST. */
async function djangoLogin(jar: CookieJar, djangoUrl: string, next: string): Promise<Response> {
  const page = await jar.fetch(`${djangoUrl}/accounts/login/?next=${encodeURIComponent(next)}`);
  const token = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(await page.text())?.[1];
  assert.ok(token, "the login page has Django's CSRF token");
  return jar.fetch(`${djangoUrl}/accounts/login/`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Referer: `${djangoUrl}/` },
    body: new URLSearchParams({
      csrfmiddlewaretoken: token,
      username: "alice",
      password: PASSWORD,
      next,
    }),
  });
}

describe("examples/next-django: one Next.js 16 build", () => {
  before(async () => {
    const npmEnv = { ...process.env };
    if (!existsSync(NEXT_BIN)) {
      await must("npm", ["install", "--no-audit", "--no-fund"], EXAMPLE, npmEnv);
    }
    // The one Next.js build of the run, started beside each Django release below.
    await must(process.execPath, [NEXT_BIN, "build"], EXAMPLE, {
      ...npmEnv,
      NEXT_TELEMETRY_DISABLED: "1",
    });
  });

  for (const peer of PEERS) besideDjango(peer);
});

function besideDjango(PEER: (typeof PEERS)[number]): void {
  const DB = `sb_web_next_${PEER.replace(/\W/g, "_")}`;
  const DATABASE_URL = `postgres://postgres@127.0.0.1:5432/${DB}`;
  describe(`beside ${PEER.replace("django-", "Django ")}`, () => {
    let django: ReadyServer;
    let next: ChildProcess;
    let nextUrl: string;

    before(async () => {
      const admin = new pg.Client({
        connectionString: "postgres://postgres@127.0.0.1:5432/postgres",
      });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${DB}`);
      await admin.end();
      const redis = await createClient({ url: REDIS_URL }).connect();
      await redis.flushDb();
      await redis.quit();

      const nextPort = await freePort();
      nextUrl = `http://127.0.0.1:${nextPort}`;
      const djangoEnv = pythonBaseEnv({
        ...peerEnv(PEER),
        DJANGO_DB: DATABASE_URL,
        REDIS_URL,
        SECRET_KEY,
        NEXT_ORIGIN: nextUrl,
      });
      const python = peerPython(PEER);
      await must(python, ["django_app.py", "migrate", "-v", "0"], EXAMPLE, djangoEnv);
      await must(
        python,
        [
          "django_app.py",
          "createsuperuser",
          "--noinput",
          "--username",
          "alice",
          "--email",
          "a@example.com",
        ],
        EXAMPLE,
        { ...djangoEnv, DJANGO_SUPERUSER_PASSWORD: PASSWORD },
      );
      django = await startReadyServer("django", ["django_app.py", "serve", "0"], {
        cwd: EXAMPLE,
        env: djangoEnv,
        python,
      });
      next = spawn(
        process.execPath,
        [NEXT_BIN, "start", "-p", String(nextPort), "-H", "127.0.0.1"],
        {
          cwd: EXAMPLE,
          env: {
            ...process.env,
            DATABASE_URL,
            REDIS_URL,
            SECRET_KEY,
            DJANGO_VERSION: PEER.replace("django-", ""),
            DJANGO_URL: django.url,
            NEXT_TELEMETRY_DISABLED: "1",
          },
          stdio: ["ignore", "pipe", "inherit"],
        },
      );
      await new Promise<void>((resolve, reject) => {
        let out = "";
        next.stdout!.on("data", (b: Buffer) => {
          out += b.toString();
          if (/Ready in/.test(out)) resolve();
        });
        next.once("exit", (code) => reject(new Error(`next start exited ${code}: ${out}`)));
      });
    });
    after(async () => {
      next.kill("SIGTERM");
      await django.stop();
    });

    it("anonymous: renders anonymous, proxy sends /cart to Django's login with next", async () => {
      const jar = new CookieJar();
      assert.match(await (await jar.fetch(`${nextUrl}/`)).text(), /id="user">anonymous</);
      const refused = await jar.fetch(`${nextUrl}/cart?tab=1`);
      assert.equal(refused.status, 302);
      assert.equal(
        refused.headers.get("location"),
        `${django.url}/accounts/login/?next=${encodeURIComponent(`${nextUrl}/cart?tab=1`).replaceAll("%2F", "/")}`,
      );
      // A client's own user-id header is not believed.
      const forged = await jar.fetch(`${nextUrl}/cart`, { headers: { "x-django-user-id": "1" } });
      assert.equal(forged.status, 302);
    });

    it("a write in a Server Component is a typed error naming where writes go", async () => {
      const text = await (await fetch(`${nextUrl}/render-write`)).text();
      assert.match(text, /read-only-session: session\.set\(\) in a Server Component/);
      assert.match(text, /Server Action or a Route Handler/);
    });

    it("logged in through Django: Server Component, SSR fetch with CSRF, proxy, Route Handler, logout", async () => {
      const jar = new CookieJar();
      const login = await djangoLogin(jar, django.url, `${nextUrl}/`);
      assert.equal(login.status, 302);
      assert.equal(login.headers.get("location"), `${nextUrl}/`);
      assert.ok(jar.cookies.get("sessionid"));

      const home = await (await jar.fetch(`${nextUrl}/`)).text();
      assert.match(home, /id="user">alice</);
      assert.match(
        home,
        /id="api">200 \{&quot;username&quot;: &quot;alice&quot;, &quot;method&quot;: &quot;POST&quot;\}</,
      );

      const cart = await jar.fetch(`${nextUrl}/cart`);
      assert.equal(cart.status, 200);
      assert.match(await cart.text(), /id="user-id">1</);

      const added = await jar.fetch(`${nextUrl}/api/cart`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ item: "lamp" }),
      });
      assert.deepEqual(await added.json(), { cart: ["lamp"] });
      const seen = await jar.fetch(`${django.url}/cart/`, {
        headers: { Accept: "application/json" },
      });
      assert.deepEqual(await seen.json(), { cart: ["lamp"] });

      const csrf = jar.cookies.get("csrftoken")!;
      const logout = await jar.fetch(`${django.url}/accounts/logout/`, {
        method: "POST",
        headers: { "X-CSRFToken": csrf, Referer: `${django.url}/` },
      });
      assert.equal(logout.status, 302);
      assert.match(await (await jar.fetch(`${nextUrl}/`)).text(), /id="user">anonymous</);
    });

    // Once, beside Django 5.2: the browser run is the slow part.
    if (PEER === "django-5.2")
      it("in Chromium: log in at Django, add to the cart with a Server Action, Django shows it", async () => {
        const browser = await chromium.launch({
          executablePath: "/usr/bin/chromium",
          args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
        });
        try {
          const page = await (
            await browser.newContext({ viewport: { width: 900, height: 700 } })
          ).newPage();
          await page.goto(`${nextUrl}/cart`);
          assert.match(page.url(), /\/accounts\/login\/\?next=/);
          await page.fill("#id_username", "alice");
          await page.fill("#id_password", PASSWORD);
          await Promise.all([
            page.waitForURL(`${nextUrl}/cart`),
            page.click("button[type=submit]"),
          ]);
          await page.goto(`${nextUrl}/`);
          assert.equal(await page.textContent("#user"), "alice");
          await page.click("#add");
          await page.waitForFunction('document.getElementById("cart")?.textContent === "book"');
          mkdirSync(SHOTS, { recursive: true });
          const shot = join(SHOTS, "next-django.png");
          await page.screenshot({ path: shot, fullPage: true });
          assert.ok(statSync(shot).size > 5_000);
          await page.goto(`${django.url}/cart/`);
          assert.equal(await page.textContent("#cart"), "book");
          assert.equal(await page.textContent("#who"), "alice");
        } finally {
          await browser.close();
        }
      });
  });
}
