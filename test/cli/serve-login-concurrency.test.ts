// The failed-login limits hold under concurrency (issue 18, finding 1), through the real
// `sessionbridge serve` (the built CLI as a child process) over HTTP: 40 wrong-password POSTs
// sent at once are answered with at most the limit's worth of password checks (200 "invalid
// login"), the rest 429 at once, with the limits in memory and in the sessions' Redis (the real
// Redis at 127.0.0.1:6379, database 14). Before the fix every one of them was checked: the limit
// was read before any failure was recorded.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DEFAULT_RATE_LIMIT_KEY_PREFIX } from "../../src/auth/index.ts";
import { runCli } from "../support/cli.ts";
import { CookieJar } from "../support/http.ts";
import {
  csrfTokenIn,
  formPost,
  randomDocumentationIp,
  startServe,
  type ServeProcess,
} from "../support/serve.ts";
import { RawRedis } from "../stores/redis/helpers.ts";

const DB = 14;
const PASSWORD = "correct horse battery staple";
/** 2 per username, so 8 per address (serve allows 4× per IP). */
const LIMIT = 2;
const IP_LIMIT = LIMIT * 4;
const ATTEMPTS = 40;

const usedIps: string[] = [];
const randomIp = (): string => {
  const ip = randomDocumentationIp();
  usedIps.push(ip);
  return ip;
};

/** Opens `count` login pages (each its own session and CSRF token), then posts them all at once. */
async function concurrentLogins(
  base: string,
  ip: string,
  fields: (i: number) => { username: string; password: string },
  count = ATTEMPTS,
): Promise<number[]> {
  // Every login page first (each its own session and token), then all the POSTs at once.
  const pages = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const jar = new CookieJar();
      const page = await (
        await jar.fetch(`${base}/login`, { headers: { "X-Forwarded-For": ip } })
      ).text();
      return { jar, token: csrfTokenIn(page), fields: fields(i) };
    }),
  );
  const responses = await Promise.all(
    pages.map(({ jar, token, fields: f }) =>
      jar.fetch(`${base}/login`, {
        ...formPost({ csrfmiddlewaretoken: token, ...f }),
        headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": ip },
      }),
    ),
  );
  return Promise.all(
    responses.map(async (r) => {
      await r.arrayBuffer();
      return r.status;
    }),
  );
}

const count = (statuses: readonly number[], status: number): number =>
  statuses.filter((s) => s === status).length;

/** One correct login from a fresh address: 302 when allowed, 429 when the username is locked. */
async function loginStatus(base: string, username: string): Promise<number> {
  const [status] = await concurrentLogins(
    base,
    randomIp(),
    () => ({ username, password: PASSWORD }),
    1,
  );
  return status!;
}

const stores = [
  { label: "in memory", env: {} as Record<string, string> },
  {
    label: "in Redis",
    env: {
      SESSION_STORE: "cache",
      REDIS_URL: `redis://127.0.0.1:6379/${String(DB)}`,
      CACHE_KEY_PREFIX: `sbtest-login-race-${randomBytes(3).toString("hex")}`,
    } as Record<string, string>,
  },
];

for (const store of stores) {
  describe(`serve: concurrent failed logins, limits ${store.label}`, () => {
    const dir = mkdtempSync(join(tmpdir(), "sb-login-race-"));
    const raw = new RawRedis(DB);
    const username = `alice${randomBytes(3).toString("hex")}`;
    const ipOne = randomIp();
    const ipTwo = randomIp();
    const sprayPrefix = `spray${randomBytes(3).toString("hex")}`;
    let serve: ServeProcess;
    const env = {
      ...store.env,
      DATABASE_URL: `sqlite:${join(dir, "db.sqlite3")}`,
      SECRET_KEY: "login-race-secret",
      LOGIN_RATE_LIMIT: `${String(LIMIT)}/300`,
      // The test's own X-Forwarded-For is the client address (one trusted hop: serve takes the
      // address that hop appended, which is the whole header when no proxy is in between).
      TRUST_PROXY: "1",
    };

    before(async () => {
      serve = await startServe(dir, env);
      const created = await runCli(["createuser", "--no-input", "--username", username], {
        cwd: dir,
        env: { ...env, SESSIONBRIDGE_PASSWORD: PASSWORD },
      });
      assert.equal(created.code, 0, created.stderr);
    });
    after(async () => {
      await serve.stop();
      if (store.env.CACHE_KEY_PREFIX !== undefined) {
        await raw.deleteMatching(`${store.env.CACHE_KEY_PREFIX}:*`);
        await raw.deleteMatching(`${DEFAULT_RATE_LIMIT_KEY_PREFIX}*${username}*`);
        await raw.deleteMatching(`${DEFAULT_RATE_LIMIT_KEY_PREFIX}*${sprayPrefix}*`);
        for (const ip of usedIps) await raw.redis.del(`${DEFAULT_RATE_LIMIT_KEY_PREFIX}ip:${ip}`);
      }
      await raw.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it(`checks at most ${String(LIMIT)} of ${String(ATTEMPTS)} simultaneous wrong passwords for one username`, async () => {
      const statuses = await concurrentLogins(serve.url, ipOne, () => ({
        username,
        password: "wrong password",
      }));
      assert.equal(count(statuses, 200), LIMIT, `checked: ${statuses.join(",")}`);
      assert.equal(count(statuses, 429), ATTEMPTS - LIMIT);
      // The username is locked now, even with the right password from another address.
      assert.equal(await loginStatus(serve.url, username), 429);
    });

    it(`checks at most ${String(IP_LIMIT)} of ${String(ATTEMPTS)} simultaneous logins from one address`, async () => {
      const statuses = await concurrentLogins(serve.url, ipTwo, (i) => ({
        username: `${sprayPrefix}${String(i)}`,
        password: "wrong password",
      }));
      assert.equal(count(statuses, 200), IP_LIMIT, `checked: ${statuses.join(",")}`);
      assert.equal(count(statuses, 429), ATTEMPTS - IP_LIMIT);
    });

    it("a success does not use up the address's budget", async () => {
      // A fresh user; from one address, IP_LIMIT - 1 failures, then the right password twice:
      // each success gives its own attempt back, so the address never reaches its limit here.
      const name = `${sprayPrefix}ok`;
      const created = await runCli(["createuser", "--no-input", "--username", name], {
        cwd: dir,
        env: { ...env, SESSIONBRIDGE_PASSWORD: PASSWORD },
      });
      assert.equal(created.code, 0, created.stderr);
      const ip = randomIp();
      const failures = await concurrentLogins(
        serve.url,
        ip,
        (i) => ({ username: `${sprayPrefix}x${String(i)}`, password: "nope" }),
        IP_LIMIT - 1,
      );
      assert.equal(count(failures, 200), IP_LIMIT - 1);
      for (let i = 0; i < 2; i++) {
        const [status] = await concurrentLogins(
          serve.url,
          ip,
          () => ({ username: name, password: PASSWORD }),
          1,
        );
        assert.equal(status, 302, `success ${String(i + 1)} is let through`);
      }
    });
  });
}
