// `serve` on a Redis session store keeps its failed-login limits in that Redis, so that several
// `serve` processes share them: two servers (the command run in-process, real HTTP, the real
// Redis at 127.0.0.1:6379, database 14), a brute force spread over both is stopped.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, it } from "node:test";
import { serveCommand } from "../../src/cli/commands/serve.ts";
import { DEFAULT_RATE_LIMIT_KEY_PREFIX } from "../../src/auth/index.ts";
import { TEST_DJANGO } from "../support/cli.ts";
import { CookieJar } from "../support/http.ts";
import { csrfTokenIn, formPost } from "../support/serve.ts";
import { RawRedis } from "../stores/redis/helpers.ts";

const DB = 14;

interface InProcessServe {
  readonly url: string;
  /** The startup line. */
  readonly banner: string;
  stop(): Promise<void>;
}

/** Runs `serve --port 0` in this process; resolves once it listens. */
async function startInProcess(env: Record<string, string>): Promise<InProcessServe> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let errors = "";
  stderr.setEncoding("utf8").on("data", (d: string) => (errors += d));
  let stop = (): void => {};
  const stopSignal = new Promise<void>((resolve) => (stop = resolve));
  const started = new Promise<{ url: string; banner: string }>((resolve) => {
    let out = "";
    stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = /serving on (http:\/\/\S+).*\n/.exec(out);
      if (m) resolve({ url: m[1]!, banner: m[0] });
    });
  });
  const running = serveCommand.run({
    args: ["--port", "0", "--host", "127.0.0.1"],
    env: { ...TEST_DJANGO, ...env },
    stdout,
    stderr,
    stopSignal,
  });
  const failed = running.then(() => {
    throw new Error(`serve stopped early: ${errors}`);
  });
  const { url, banner } = await Promise.race([started, failed]);
  return {
    url,
    banner,
    async stop() {
      stop();
      await running;
    },
  };
}

describe("sessionbridge serve: login rate limits in the sessions' Redis", () => {
  const dir = mkdtempSync(join(tmpdir(), "sb-serve-rl-"));
  const raw = new RawRedis(DB);
  const cachePrefix = `sbtest-serve-rl-${randomBytes(3).toString("hex")}`;
  const username = `mallory-${randomBytes(4).toString("hex")}`;
  const ip = `198.51.100.${String(1 + (randomBytes(1)[0]! % 250))}`;
  const rateKeys = [`username:${username}`, `ip:${ip}`].map(
    (k) => `${DEFAULT_RATE_LIMIT_KEY_PREFIX}${k}`,
  );
  const servers: InProcessServe[] = [];

  before(async () => {
    await raw.redis.del(...rateKeys);
    const env = {
      SESSION_STORE: "cache",
      REDIS_URL: `redis://127.0.0.1:6379/${String(DB)}`,
      CACHE_KEY_PREFIX: cachePrefix,
      DATABASE_URL: `sqlite:${join(dir, "users.sqlite3")}`,
      SECRET_KEY: "serve-rate-limit-test-secret",
      LOGIN_RATE_LIMIT: "2/60",
      // So that the test's client address (X-Forwarded-For) is its own, not 127.0.0.1.
      TRUST_PROXY: "1",
    };
    // One after the other: the first creates the SQLite tables.
    servers.push(await startInProcess(env));
    servers.push(await startInProcess(env));
  });
  after(async () => {
    for (const server of servers) await server.stop();
    await raw.deleteMatching(`${cachePrefix}:*`);
    await raw.redis.del(...rateKeys);
    await raw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function postLogin(base: string, password: string): Promise<Response> {
    const jar = new CookieJar();
    const headers = { "X-Forwarded-For": ip };
    const page = await (await jar.fetch(`${base}/login`, { headers })).text();
    const form = formPost({ csrfmiddlewaretoken: csrfTokenIn(page), username, password });
    return jar.fetch(`${base}/login`, {
      ...form,
      headers: { ...(form.headers as Record<string, string>), ...headers },
    });
  }

  it("says at start-up where it keeps the limits", () => {
    for (const server of servers) assert.match(server.banner, /login limits: in Redis\)/);
  });

  it("failures on one server lock the username on the other", async () => {
    const [a, b] = servers;
    assert.ok(a && b);
    for (const password of ["guess1", "guess2"]) {
      const r = await postLogin(a.url, password);
      assert.equal(r.status, 200, "an ordinary failed login");
      await r.text();
    }
    const blocked = await postLogin(b.url, "guess3");
    assert.equal(blocked.status, 429, "the second server sees the first one's failures");
    const retryAfter = Number(blocked.headers.get("retry-after"));
    assert.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After ${String(retryAfter)}`);
    await blocked.text();
    // The failures are in Redis, with the window as TTL.
    assert.equal(await raw.redis.zcard(rateKeys[0]!), 2);
    const ttl = await raw.pttl(rateKeys[0]!);
    assert.ok(ttl > 50_000 && ttl <= 60_000, `PTTL ${String(ttl)}`);
    assert.equal(await raw.redis.zcard(rateKeys[1]!), 2, "the per-IP limit counts there too");
  });
});

describe("sessionbridge serve: login limits without Redis", () => {
  it("keeps them in memory on a database store, and says so; LOGIN_RATE_LIMIT=off says off", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sb-serve-rl-mem-"));
    try {
      const base = {
        DATABASE_URL: `sqlite:${join(dir, "db.sqlite3")}`,
        SECRET_KEY: "serve-rate-limit-test-secret",
      };
      const memory = await startInProcess(base);
      await memory.stop();
      assert.match(memory.banner, /sessions: .*login limits: in memory\)/);
      const off = await startInProcess({ ...base, LOGIN_RATE_LIMIT: "off" });
      await off.stop();
      assert.match(off.banner, /login limits: off\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
