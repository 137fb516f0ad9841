// A person's path through the demo in a real browser (Debian's Chromium, driven by
// playwright-core): log in through the form, see the counter and /backend's data, log out.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { chromium, type Browser } from "playwright-core";
import { runCli } from "../support/cli.ts";
import { startServe, type ServeProcess } from "../support/serve.ts";

const CHROMIUM = "/usr/bin/chromium";

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
    serve = await startServe(dir, env);
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

  it("logs in through the form, counts visits, reads /backend, logs out", async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${serve.url}/`);
    assert.equal(await page.textContent("#visits"), "1");
    assert.match((await page.textContent("#who")) ?? "", /not logged in/);

    await page.click("text=Log in");
    await page.fill("#username", "carol");
    await page.fill("#password", "wrong password");
    await page.click("#submit");
    assert.match((await page.textContent("#error")) ?? "", /correct username and password/i);

    await page.fill("#password", "browser-pass-123");
    await page.click("#submit");
    await page.waitForURL(`${serve.url}/`);
    assert.equal(await page.textContent("#username"), "carol");
    assert.equal(
      await page.textContent("#visits"),
      "2",
      "the visits counted before login survive it",
    );

    await page.goto(`${serve.url}/backend/session`);
    const backend = JSON.parse((await page.textContent("body")) ?? "{}") as {
      user: { username: string };
      visits: number;
    };
    assert.equal(backend.user.username, "carol");
    assert.equal(backend.visits, 2);

    await page.goto(`${serve.url}/`);
    await page.click("#logout");
    await page.waitForURL(`${serve.url}/`);
    assert.match((await page.textContent("#who")) ?? "", /not logged in/);
    await page.goto(`${serve.url}/backend/session`);
    assert.match((await page.textContent("body")) ?? "", /authentication required/);
  });
});
