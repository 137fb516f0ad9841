// Packaging: every public entry point resolves, by its public name, to built JavaScript with
// types; nothing else of the package is importable from outside.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  exports: Record<string, string | { types: string; default: string }>;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional: boolean }>;
};

describe("package.json", () => {
  const entries = Object.entries(pkg.exports).filter(([name]) => name !== "./package.json");

  for (const [name, target] of entries) {
    it(`${name} has built JavaScript and types, and imports by its public name`, async () => {
      assert.equal(typeof target, "object");
      const { types, default: js } = target as { types: string; default: string };
      assert.ok(existsSync(join(ROOT, js)), js);
      assert.ok(existsSync(join(ROOT, types)), types);
      const specifier = name === "." ? "sessionbridge" : `sessionbridge/${name.slice(2)}`;
      const mod = (await import(specifier)) as Record<string, unknown>;
      assert.ok(Object.keys(mod).length > 0, `${specifier} exports nothing`);
    });
  }

  it("sessionbridge/realtime imports no real-time library: ws, socket.io and Hocuspocus stay optional", async () => {
    const realtime = (await import("sessionbridge/realtime")) as Record<string, unknown>;
    for (const name of ["createRealtimeGate", "wsVerifyClient", "socketIoAuth", "hocuspocusAuth"]) {
      assert.equal(typeof realtime[name], "function", name);
    }
    const built = readFileSync(join(ROOT, "dist", "adapters", "realtime", "ws.js"), "utf8");
    assert.doesNotMatch(built, /from "(?:ws|socket\.io|@hocuspocus\/server)"/);
  });

  it("keeps internals private (no deep imports)", async () => {
    const deep: string = "sessionbridge/dist/engine/session.js";
    await assert.rejects(import(deep), {
      code: "ERR_PACKAGE_PATH_NOT_EXPORTED",
    });
  });

  it("ships the CLI binary", () => {
    assert.ok(existsSync(join(ROOT, pkg.bin.sessionbridge!)));
    assert.match(
      readFileSync(join(ROOT, pkg.bin.sessionbridge!), "utf8"),
      /^#!\/usr\/bin\/env node/,
    );
  });

  it("forces only the cookie parser and the Web runtimes' hashes on users: drivers (SQLite's too) and frameworks are optional peers", () => {
    assert.deepEqual(Object.keys(pkg.dependencies), ["@noble/hashes", "cookie"]);
    for (const peer of [
      "better-sqlite3",
      "pg",
      "mysql2",
      "redis",
      "ioredis",
      "express",
      "hono",
      "fastify",
      "fastify-plugin",
      "koa",
      "@types/koa",
      "@nestjs/common",
      "@nestjs/core",
      "ws",
      "socket.io",
      "@hocuspocus/server",
    ]) {
      assert.equal(pkg.peerDependenciesMeta[peer]?.optional, true, peer);
    }
  });
});
