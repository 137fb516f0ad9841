// The README's nginx block for Node beside Flask, as written (its two upstream addresses
// replaced by the test's): a real Flask 3.1 setting a 4.5 KB session cookie passes through it,
// and the same block without its buffer lines gets nginx's 502 (why the README has them).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { flaskSessionPolicy } from "../../../src/flask/index.ts";
import { startNginx, type Nginx } from "../../support/nginx.ts";
import { startNodeApp, type NodeApp } from "./node-app.ts";
import { FLASK_PEER_SCRIPT, REPO_ROOT, startPythonServer, type PythonServer } from "./server.ts";

const SECRET = "nginx-buffer-secret-key";

function readmeBlock(): string {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const block = [...readme.matchAll(/```nginx\n([\s\S]*?)```/g)]
    .map((m) => m[1] ?? "")
    .find((text) => text.includes("proxy_buffer_size"));
  assert.ok(block !== undefined, "README has the Node-beside-Flask nginx block");
  return block;
}

describe("the README's nginx block for Node beside Flask", () => {
  let flask: PythonServer;
  let node: NodeApp;
  const proxies: Nginx[] = [];

  before(async () => {
    flask = await startPythonServer("flask-3.1", FLASK_PEER_SCRIPT, ["cookie"], {
      SECRET_KEY: SECRET,
    });
    node = await startNodeApp(flaskSessionPolicy({ secretKey: SECRET, flaskVersion: "3.1" }));
  });
  after(async () => {
    await Promise.all([...proxies.map((p) => p.stop()), flask.stop(), node.close()]);
  });

  const configure = (block: string): string =>
    block
      .replaceAll("127.0.0.1:5000", `127.0.0.1:${flask.port}`)
      .replaceAll("127.0.0.1:3000", `127.0.0.1:${new URL(node.url).port}`);

  it("passes Flask's 4.5 KB Set-Cookie, which the defaults answer with 502", async () => {
    const block = readmeBlock();
    const proxy = await startNginx(configure(block));
    proxies.push(proxy);
    const response = await fetch(`${proxy.url}/set/noise`);
    assert.equal(response.status, 200);
    const [cookie] = response.headers.getSetCookie();
    assert.ok(cookie !== undefined && cookie.length > 4096, `cookie of ${cookie?.length} bytes`);
    // Node reads the same session through the same proxy.
    const dump = await fetch(`${proxy.url}/node/dump`, {
      headers: { Cookie: cookie.split(";")[0] ?? "" },
    });
    assert.equal(dump.status, 200);
    assert.match(((await dump.json()) as { canonical: string }).canonical, /"noise"/);

    const unbuffered = block
      .split("\n")
      .filter((line) => !/proxy_buffer/.test(line))
      .join("\n");
    const plain = await startNginx(configure(unbuffered));
    proxies.push(plain);
    assert.equal((await fetch(`${plain.url}/set/noise`)).status, 502);
  });
});
