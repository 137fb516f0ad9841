// A person's path through the demo (`npm start`) in a real browser (Debian's Chromium, driven
// by playwright-core): the page explains itself, log in through the form, see the counter go on
// under a new session key and the API's answer on the page, log out. Screenshots of each step
// are written to .work/screenshots/ for a person to look at.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { chromium, type Browser } from "playwright-core";
import { runCli } from "../support/cli.ts";
import { startServe, type ServeProcess } from "../support/serve.ts";

const CHROMIUM = "/usr/bin/chromium";
const SHOTS = fileURLToPath(new URL("../../.work/screenshots/", import.meta.url));

describe("the demo in a real browser", () => {
  const dir = mkdtempSync(join(tmpdir(), "sb-browser-"));
  const env = { SECRET_KEY: "browser-test-secret", DJANGO_VERSION: "5.2" };
  let serve: ServeProcess;
  let browser: Browser;

  before(async () => {
    assert.ok(
      existsSync(CHROMIUM),
      `${CHROMIUM} is missing: apt-get install chromium (npm test does it as root)`,
    );
    serve = await startServe(dir, env, "demo");
    const created = await runCli(["createsuperuser", "--no-input", "--username", "carol"], {
      cwd: dir,
      env: { ...env, SESSIONBRIDGE_PASSWORD: "browser-pass-123" },
    });
    assert.equal(created.code, 0, created.stderr);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });
  after(async () => {
    await browser.close();
    await serve.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("explains itself, logs in through the form, keeps the visits under a new key, shows the API, logs out", async () => {
    mkdirSync(SHOTS, { recursive: true });
    const shot = async (name: string): Promise<void> => {
      const path = join(SHOTS, `demo-${name}.png`);
      await page.screenshot({ path, fullPage: true });
      assert.ok(statSync(path).size > 10_000, `${name}: a real picture`);
    };
    const page = await (
      await browser.newContext({ viewport: { width: 1100, height: 900 } })
    ).newPage();
    await page.goto(`${serve.url}/`);
    assert.equal(await page.textContent("#visits"), "1");
    assert.match((await page.textContent("#who")) ?? "", /not logged in/);
    assert.match((await page.textContent("header")) ?? "", /Django session/);
    assert.match(
      (await page.textContent("#django")) ?? "",
      /SESSION_ENGINE = "django\.contrib\.sessions\.backends\.db"/,
    );
    await page.waitForFunction('document.getElementById("api")?.textContent?.startsWith("401")');
    assert.match((await page.textContent("#api")) ?? "", /authentication required/);
    await page.reload();
    assert.equal(await page.textContent("#visits"), "2");
    const anonymousKey = await page.textContent("#session-key");
    assert.match(anonymousKey ?? "", /^[a-z0-9]{6}…$/);
    await shot("1-anonymous");

    await page.click("#login");
    assert.match((await page.textContent("#hint")) ?? "", /npx sessionbridge createsuperuser/);
    await page.fill("#username", "carol");
    await page.fill("#password", "wrong password");
    await page.click("#submit");
    assert.match((await page.textContent("#error")) ?? "", /correct username and password/i);
    await shot("2-login-error");

    await page.fill("#password", "browser-pass-123");
    await page.click("#submit");
    await page.waitForURL(`${serve.url}/`);
    assert.equal(await page.textContent("#username"), "carol");
    assert.equal(
      await page.textContent("#visits"),
      "3",
      "the visits counted before login survive it",
    );
    assert.notEqual(await page.textContent("#session-key"), anonymousKey, "login cycles the key");
    await page.waitForFunction('document.getElementById("api")?.textContent?.startsWith("200")');
    const api = (await page.textContent("#api")) ?? "";
    assert.match(api, /"username": "carol"/);
    assert.match(api, /"visits": 3/);
    await shot("3-logged-in");

    await page.goto(`${serve.url}/backend/session`);
    const backend = JSON.parse((await page.textContent("body")) ?? "{}") as {
      user: { username: string };
      visits: number;
    };
    assert.equal(backend.user.username, "carol");
    assert.equal(backend.visits, 3);

    await page.goto(`${serve.url}/`);
    await page.click("#logout");
    await page.waitForURL(`${serve.url}/`);
    assert.match((await page.textContent("#who")) ?? "", /not logged in/);
    await page.goto(`${serve.url}/backend/session`);
    assert.match((await page.textContent("body")) ?? "", /authentication required/);
  });
});
