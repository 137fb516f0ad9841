// The packed tarball as a user gets it: `npm pack`, then fresh consumer projects that install it
// with npm's ordinary peer-dependency rules (no --legacy-peer-deps), one on Express 4, one on
// Express 5 (with every public entry point type-checked under skipLibCheck: false, and loaded
// from CommonJS), one using only Redis (nothing native installed or built). publint and
// arethetypeswrong check the tarball itself. Installs read npm's local cache first
// (--prefer-offline) and run side by side.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { runProcess, type CliResult as Run } from "./support/cli.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "node_modules", ".bin");
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");
const REDIS_URL = "redis://127.0.0.1:6379/15";

/** The environment without what `npm test` itself sets for its scripts (npm_package_*, …). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    const npmOwn =
      name.startsWith("npm_") && !/^npm_config_(cache|registry|userconfig)$/.test(name);
    if (!npmOwn && name !== "INIT_CWD" && name !== "NODE_OPTIONS") env[name] = value;
  }
  return { ...env, ...extra };
}

function run(
  command: string,
  args: readonly string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<Run> {
  return runProcess(command, args, { cwd, env: cleanEnv(env) });
}

function ok(r: Run, what: string): Run {
  assert.equal(r.code, 0, `${what} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    outDir: "out",
    // The point: the package's own .d.ts files are checked too, as a strict consumer's are.
    skipLibCheck: false,
    types: ["node"],
  },
  include: ["*.ts"],
};

/** A consumer project: its package.json, then `npm install` of the tarball and `deps`. */
async function consumer(dir: string, tarball: string, deps: Record<string, string>): Promise<Run> {
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({
      name: "consumer",
      private: true,
      type: "module",
      dependencies: { sessionbridge: `file:${tarball}`, ...deps },
    }),
  );
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(TSCONFIG));
  return run(
    "npm",
    ["install", "--prefer-offline", "--no-audit", "--no-fund", "--no-update-notifier"],
    dir,
  );
}

/** An Express app on sessionbridge: a visit counter, and a store outage answered 503. */
const EXPRESS_APP = `
import { createRequire } from "node:module";
import express from "express";
import { getSession, sessionErrorHandler, sessionMiddleware } from "sessionbridge/express";
import { MemoryStore } from "sessionbridge/stores/memory";
import { SessionStoreError } from "sessionbridge/errors";

const down = new MemoryStore();
down.load = () => Promise.reject(new SessionStoreError("the store is down"));

const app = express();
app.get("/count", sessionMiddleware({ store: new MemoryStore(), djangoVersion: "5.2" }), async (req, res, next) => {
  try {
    const session = getSession<{ visits: number }>(req);
    const visits = ((await session.get("visits")) ?? 0) + 1;
    await session.set("visits", visits);
    res.json({ visits });
  } catch (error) {
    next(error); // Express 4 does not catch a rejected handler; Express 5 does
  }
});
app.get("/down", sessionMiddleware({ store: down, djangoVersion: "5.2" }), async (req, res, next) => {
  try {
    res.json({ visits: (await getSession(req).get("visits")) ?? null });
  } catch (error) {
    next(error);
  }
});
app.use(sessionErrorHandler());

const server = app.listen(0, "127.0.0.1", async () => {
  const address = server.address();
  const base = \`http://127.0.0.1:\${typeof address === "object" && address ? address.port : 0}\`;
  const first = await fetch(\`\${base}/count\`);
  const cookie = (first.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  const second = await fetch(\`\${base}/count\`, { headers: { cookie } });
  const down = await fetch(\`\${base}/down\`, { headers: { cookie } });
  console.log(JSON.stringify({
    express: (createRequire(import.meta.url)("express/package.json") as { version: string }).version,
    first: await first.json(),
    second: await second.json(),
    cookie: cookie.split("=")[0],
    down: down.status,
  }));
  server.close();
});
`;

/** Every public entry point, imported by its public name and used a little, for tsc. */
const ALL_ENTRY_POINTS = `
import express from "express";
import { Hono } from "hono";
import * as root from "sessionbridge";
import { SessionStoreError, isSessionBridgeError } from "sessionbridge/errors";
import { DjangoSessionCodec } from "sessionbridge/django";
import { withSessions } from "sessionbridge/node";
import { sessionMiddleware as expressSessions, sessionErrorHandler } from "sessionbridge/express";
import { sessionMiddleware as honoSessions, type SessionEnv } from "sessionbridge/hono";
import { MemoryStore } from "sessionbridge/stores/memory";
import { createSqlStore } from "sessionbridge/stores/sql";
import { flaskSessionPolicy } from "sessionbridge/flask";
import { starletteSessionPolicy } from "sessionbridge/starlette";
import * as itsdangerous from "sessionbridge/itsdangerous";
import * as pickle from "sessionbridge/pickle";
import * as flaskSession from "sessionbridge/stores/flask-session";
import * as fileStore from "sessionbridge/stores/file";
import * as signedCookies from "sessionbridge/stores/signed-cookies";
import * as cachedDb from "sessionbridge/stores/cached-db";
import { makePassword } from "sessionbridge/hashers";
import { DjangoUserSource } from "sessionbridge/auth";
import { authMiddleware, loginRequired } from "sessionbridge/auth/express";
import * as authHono from "sessionbridge/auth/hono";
import * as authNode from "sessionbridge/auth/node";
import * as redisStores from "sessionbridge/stores/redis";

const store = new MemoryStore();
const app = express();
app.use(expressSessions({ store, djangoVersion: "5.2" }));
app.get("/", loginRequired(), (_req, res) => {
  res.end();
});
app.use(sessionErrorHandler());
const hono = new Hono<SessionEnv<{ visits: number }>>();
hono.use(honoSessions({ store, djangoVersion: "5.2" }));
const codec: DjangoSessionCodec = new DjangoSessionCodec({ secret: "consumer-secret" });
const error: unknown = new SessionStoreError("x");
export const used = [
  root, codec, withSessions, createSqlStore, flaskSessionPolicy, starletteSessionPolicy,
  itsdangerous, pickle, flaskSession, fileStore, signedCookies, cachedDb, makePassword,
  DjangoUserSource, authMiddleware, authHono, authNode, redisStores, isSessionBridgeError(error),
];
`;

describe("the packed package, installed by fresh consumer projects", () => {
  const work = mkdtempSync(join(tmpdir(), "sb-consumers-"));
  const dirs = {
    express4: join(work, "express4"),
    express5: join(work, "express5"),
    redisOnly: join(work, "redis-only"),
  };
  let tarball: string;
  const installs: Partial<Record<keyof typeof dirs, Run>> = {};

  before(async () => {
    const packed = ok(
      await run("npm", ["pack", "--json", "--pack-destination", work], ROOT),
      "npm pack",
    );
    tarball = join(work, (JSON.parse(packed.stdout) as [{ filename: string }])[0].filename);
    for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
    const [e4, e5, r] = await Promise.all([
      consumer(dirs.express4, tarball, {
        express: "^4.22.3",
        "@types/express": "^4.17.25",
        "@types/node": "^20.19.0",
      }),
      consumer(dirs.express5, tarball, {
        express: "^5.3.0",
        "@types/express": "^5.0.6",
        "@types/node": "^20.19.0",
        hono: "^4.13.19",
      }),
      consumer(dirs.redisOnly, tarball, { redis: "^6.3.1" }),
    ]);
    installs.express4 = e4;
    installs.express5 = e5;
    installs.redisOnly = r;
  });
  after(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it("publint finds nothing to fix in the tarball (strict)", async () => {
    const r = ok(await run(join(BIN, "publint"), ["run", tarball, "--strict"], work), "publint");
    assert.match(r.stdout, /All good!/);
  });

  it("arethetypeswrong: every entry point has types for ESM consumers (ESM-only package)", async () => {
    const r = await run(join(BIN, "attw"), [tarball, "--profile", "esm-only", "-f", "json"], work);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const { analysis } = JSON.parse(r.stdout) as {
      analysis: { entrypoints: Record<string, unknown> };
    };
    assert.ok(Object.keys(analysis.entrypoints).length >= 22);
  });

  it("ships LICENSE, says where the project lives, states ESM-only engines, has no prepare script", async () => {
    const listing = ok(await run("tar", ["-tzf", tarball], work), "tar").stdout.split("\n");
    assert.ok(listing.includes("package/LICENSE"), "LICENSE in the tarball");
    assert.ok(!listing.some((f) => f.endsWith(".map")), "no source maps");
    assert.ok(!listing.some((f) => f.startsWith("package/src/")), "no sources");
    const pkg = JSON.parse(
      ok(await run("tar", ["-xzOf", tarball, "package/package.json"], work), "tar").stdout,
    ) as Record<string, unknown> & { scripts?: Record<string, string> };
    assert.equal(pkg["license"], "MIT");
    assert.equal(pkg["type"], "module");
    assert.match((pkg["repository"] as { url: string }).url, /sessionbridge\.git$/);
    assert.ok(pkg["homepage"] && pkg["bugs"]);
    assert.equal(pkg.scripts?.["prepare"], undefined, "consumers' npm warns about prepare");
    assert.equal((pkg["engines"] as { node: string }).node, "^20.19.0 || >=22.12.0");
    assert.deepEqual(Object.keys(pkg["dependencies"] as object), ["@noble/hashes", "cookie"]);
  });

  it("Express 4: installs with npm's peer rules, type-checks strictly, and runs", async () => {
    ok(installs.express4!, "npm install (Express 4)");
    writeFileSync(join(dirs.express4, "app.ts"), EXPRESS_APP);
    ok(await run(process.execPath, [TSC, "-p", "."], dirs.express4), "tsc (Express 4 types)");
    const out = ok(await run(process.execPath, ["out/app.js"], dirs.express4), "the Express 4 app");
    const result = JSON.parse(out.stdout) as {
      express: string;
      first: unknown;
      second: unknown;
      cookie: string;
      down: number;
    };
    assert.match(result.express, /^4\./);
    assert.deepEqual(result, {
      express: result.express,
      first: { visits: 1 },
      second: { visits: 2 },
      cookie: "sessionid",
      down: 503,
    });
  });

  it("Express 5: installs, runs, and every public entry point type-checks with skipLibCheck: false", async () => {
    ok(installs.express5!, "npm install (Express 5)");
    writeFileSync(join(dirs.express5, "app.ts"), EXPRESS_APP);
    writeFileSync(join(dirs.express5, "all.ts"), ALL_ENTRY_POINTS);
    ok(await run(process.execPath, [TSC, "-p", "."], dirs.express5), "tsc (every entry point)");
    const out = ok(await run(process.execPath, ["out/app.js"], dirs.express5), "the Express 5 app");
    const result = JSON.parse(out.stdout) as { express: string; down: number; second: unknown };
    assert.match(result.express, /^5\./);
    assert.deepEqual(result.second, { visits: 2 });
    assert.equal(result.down, 503);
  });

  it("the README's `npx sessionbridge decode/encode` lines run as written in a consumer project", async () => {
    ok(installs.express5!, "npm install (Express 5)");
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const lines = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
      .flatMap((m) => m[1]!.replace(/\\\n\s*/g, "").split("\n"))
      .filter((line) => /^npx sessionbridge (decode|encode) /.test(line));
    assert.equal(lines.length, 2, "the decode and encode lines");
    for (const line of lines) {
      // What the README says the command prints, in the comment after it (if any).
      const expected = /#\s*(\S.*)$/.exec(line)?.[1];
      const command = line.replace(/\s+#.*$/, "");
      const out = ok(
        await run("bash", ["-c", command], dirs.express5, { SECRET_KEY: "readme-secret-key" }),
        command,
      );
      if (expected !== undefined) assert.equal(out.stdout.trim(), expected);
      else assert.notEqual(out.stdout.trim(), "");
    }
  });

  it("CommonJS code loads it with require() (require(esm), Node 20.19+ / 22.12+)", async () => {
    ok(installs.express5!, "npm install (Express 5)");
    writeFileSync(
      join(dirs.express5, "legacy.cjs"),
      `const { DjangoSessionCodec } = require("sessionbridge/django");
const codec = new DjangoSessionCodec({ secret: "test-secret-key-for-django-vectors" });
console.log(codec.decode("eyJmb28iOiJiYXIifQ:1r31eq:nS3WMxIk864-TZxNTF3tbcDvdEJME5izsdXn0HNCPAA").get("foo"));`,
    );
    const out = ok(
      await run(process.execPath, ["--no-warnings", "legacy.cjs"], dirs.express5),
      "require()",
    );
    assert.equal(out.stdout, "bar\n");
  });

  it("Redis only: nothing native installed or built; a sqlite: URL names the missing package in one line", async () => {
    ok(installs.redisOnly!, "npm install (Redis only)");
    const modules = join(dirs.redisOnly, "node_modules");
    assert.equal(existsSync(join(modules, "better-sqlite3")), false, "better-sqlite3 installed");
    const native = readdirSync(modules, { recursive: true, encoding: "utf8" }).filter(
      (f) => f.endsWith(".node") || f.endsWith("binding.gyp"),
    );
    assert.deepEqual(native, []);
    const prefix = `sbtest-consumer-${randomBytes(4).toString("hex")}`;
    writeFileSync(
      join(dirs.redisOnly, "redis.mjs"),
      `import { createClient } from "redis";
import { DjangoCacheStore } from "sessionbridge/stores/redis";
import { openDatabaseUrl } from "sessionbridge/stores/sql";
const client = await createClient({ url: process.env.REDIS_URL }).connect();
const store = new DjangoCacheStore({ client, keyPrefix: process.env.PREFIX });
const key = "k".repeat(32);
await store.save(key, new Map([["cart", ["apple"]]]), {
  mustCreate: true,
  expiry: { age: 60, date: new Date(Date.now() + 60_000) },
});
const loaded = await store.load(key);
await store.delete(key);
await client.quit();
let sqlite;
try {
  await openDatabaseUrl("sqlite:./db.sqlite3");
} catch (error) {
  sqlite = { name: error.name, code: error.code, message: error.message };
}
console.log(JSON.stringify({ cart: loaded?.get("cart"), sqlite }));`,
    );
    const out = ok(
      await run(process.execPath, ["redis.mjs"], dirs.redisOnly, { REDIS_URL, PREFIX: prefix }),
      "the Redis-only script",
    );
    const result = JSON.parse(out.stdout) as {
      cart: unknown;
      sqlite: { name: string; code: string; message: string };
    };
    assert.deepEqual(result.cart, ["apple"]);
    assert.equal(result.sqlite.name, "ConfigurationError");
    assert.match(
      result.sqlite.message,
      /needs the optional package "better-sqlite3" \(npm install better-sqlite3\)/,
    );
    assert.equal(existsSync(join(dirs.redisOnly, "db.sqlite3")), false);

    // The CLI's embedded default is SQLite: one line saying what to install, exit 1.
    const cli = await run(
      process.execPath,
      [join(modules, "sessionbridge", "dist", "cli", "main.js"), "migrate"],
      dirs.redisOnly,
    );
    assert.equal(cli.code, 1, cli.stdout + cli.stderr);
    assert.equal(cli.stderr.trim().split("\n").length, 1, cli.stderr);
    assert.match(cli.stderr, /npm install better-sqlite3/);
  });
});
