// Issue 18 #6: a Redis that accepts TCP but never answers (a blackholed proxy, a wrong port)
// kept `sessions list` alive for 25 minutes and `serve` from starting: the drivers bound the
// TCP connect only. The whole handshake is bounded now, for both drivers, through the built CLI.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli } from "../support/cli.ts";

describe("the CLI against a Redis that accepts and stays silent", () => {
  const sockets = new Set<Socket>();
  let received = 0;
  const silent: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("data", (d) => (received += d.length)); // read, never answer
    socket.on("close", () => sockets.delete(socket));
  });
  let url = "";
  const dir = mkdtempSync(join(tmpdir(), "sb-silent-redis-"));
  before(async () => {
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    url = `redis://127.0.0.1:${String((silent.address() as AddressInfo).port)}/1`; // SELECT 1: every driver speaks during the handshake
  });
  after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  for (const driver of ["ioredis", "redis"]) {
    it(`${driver}: sessions list ends with a typed store error instead of waiting forever`, async () => {
      const before = received;
      const result = await runCli(["sessions", "list"], {
        cwd: dir,
        env: {
          SESSION_STORE: "cache",
          REDIS_URL: url,
          SESSIONBRIDGE_REDIS_CLIENT: driver,
          SECRET_KEY: "silent-redis-test-secret",
        },
      });
      assert.notEqual(result.code, 0);
      assert.match(
        result.stderr,
        /cannot connect to Redis at 127\.0\.0\.1:\d+\/1: no answer within 5000 ms/,
      );
      assert.ok(received > before, "the client did open a connection and speak first");
    });
  }
});
