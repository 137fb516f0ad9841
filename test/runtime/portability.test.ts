// The same Web-standard suite (portable/worker.ts) on Node, Bun, Deno, Cloudflare's workerd
// (no nodejs_compat flag) and Vercel's edge runtime, each from its npm package: Django's
// signed_cookies, Flask's and Starlette's cookies (decode what the real frameworks wrote,
// refuse a tampered one, encode what the real frameworks then verify), and a `fetch` handler
// (sessionbridge/web) sharing a session with a real Flask over HTTP. The built package (dist/,
// `npm run build`) is bundled by esbuild with each runtime's export conditions, as a Worker's
// bundler does; the Web bundles must contain no `node:` import at all.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { build } from "esbuild";
import { EdgeRuntime } from "edge-runtime";
import { freePort, peerEnv } from "../interop/django/peer.ts";
import {
  FLASK_PEER_SCRIPT,
  startPythonServer,
  type PythonServer,
} from "../interop/flask/server.ts";
import { CookieJar } from "../support/http.ts";
import { runProcess } from "../support/process.ts";
import { peerPython, pythonBaseEnv } from "../support/python.ts";
import type { Fixtures } from "./portable/worker.ts";

const ROOT = resolve(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "node_modules", ".bin");
const SECRET = "portable-secret-key";
const DATA = { user: "alice", n: 42, cart: ["a", "b"], "k\u00e9y": "\u2603 \u{1f389}" };

type Runtime = "node" | "bun" | "deno" | "workerd" | "edge-runtime";
const CONDITIONS: Record<Runtime, string[]> = {
  node: ["node"],
  bun: ["bun"],
  deno: ["deno"],
  workerd: ["workerd", "worker"],
  "edge-runtime": ["edge-light"],
};
const RUNTIMES = Object.keys(CONDITIONS) as Runtime[];

interface Result {
  runtime: string;
  error?: string;
  hasNodeBuffer: string;
  django: { decoded: unknown; tampered: unknown; encoded: string; compressed: string };
  flask: { decoded: unknown; large: string[]; tampered: unknown; encoded: string };
  starlette: { decoded: unknown; tampered: unknown; encoded: string };
  handler: { status: number; body: unknown; setCookie: string | null; tamperedBody: unknown };
}

/** Runs `code` with a Python peer's interpreter and path; `input` on stdin; stdout as JSON. */
async function python(peer: string, code: string, input: unknown): Promise<unknown> {
  const r = await runProcess(peerPython(peer), ["-c", code], {
    input: JSON.stringify(input),
    env: pythonBaseEnv({ ...peerEnv(peer), PYTHONIOENCODING: "utf-8" }),
  });
  if (r.code !== 0) throw new Error(`${peer}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const DJANGO = `
import json, sys
from django.conf import settings
settings.configure(SECRET_KEY=${JSON.stringify(SECRET)})
from django.core import signing
salt = "django.contrib.sessions.backends.signed_cookies"
args = json.load(sys.stdin)
if args["op"] == "dumps":
    print(json.dumps(signing.dumps(args["data"], salt=salt, compress=True)))
else:
    print(json.dumps([signing.loads(v, salt=salt) for v in args["values"]]))
`;

const STARLETTE = `
import base64, json, sys
from itsdangerous import TimestampSigner
signer = TimestampSigner(${JSON.stringify(SECRET)})
args = json.load(sys.stdin)
if args["op"] == "dumps":
    print(json.dumps(signer.sign(base64.b64encode(json.dumps(args["data"]).encode())).decode()))
else:
    print(json.dumps([json.loads(base64.b64decode(signer.unsign(v))) for v in args["values"]]))
`;

const FLASK = `
import json, sys
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
app = Flask("check")
app.secret_key = ${JSON.stringify(SECRET)}
s = SecureCookieSessionInterface().get_signing_serializer(app)
print(json.dumps([s.loads(v) for v in json.load(sys.stdin)["values"]]))
`;

/** Bundles the suite for `runtime` into `dir`; returns the bundle's text. */
async function bundle(dir: string, runtime: Runtime): Promise<string> {
  const out = await build({
    entryPoints: [join(ROOT, "test", "runtime", "portable", "worker.ts")],
    bundle: true,
    write: false,
    format: runtime === "edge-runtime" ? "iife" : "esm",
    globalName: "portableWorker",
    platform: runtime === "node" ? "node" : "neutral",
    mainFields: ["module", "main"],
    conditions: CONDITIONS[runtime],
    absWorkingDir: dir,
    nodePaths: [join(dir, "node_modules")],
    logLevel: "silent",
    // Not the repository's tsconfig: its paths map #runtime to the Node seam for tsx.
    tsconfigRaw: "{}",
  });
  return out.outputFiles[0]!.text;
}

/** The suite's answer from a driver script that Node, Bun or Deno runs. */
async function runScript(
  dir: string,
  runtime: Runtime,
  code: string,
  body: string,
): Promise<Result> {
  writeFileSync(join(dir, `${runtime}.mjs`), code);
  writeFileSync(
    join(dir, `${runtime}-driver.mjs`),
    `import worker from "./${runtime}.mjs";\n` +
      `const res = await worker.fetch(new Request("http://app.test/", { method: "POST", body: ${JSON.stringify(body)} }));\n` +
      `console.log(await res.text());\n`,
  );
  const [command, ...args] =
    runtime === "node"
      ? [process.execPath]
      : runtime === "bun"
        ? [join(BIN, "bun"), "run"]
        : [join(BIN, "deno"), "run", "--quiet", "--no-config"];
  const r = await runProcess(command, [...args, `${runtime}-driver.mjs`], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", HOME: dir, DENO_DIR: join(dir, ".deno"), NO_COLOR: "1" },
  });
  if (r.code !== 0) throw new Error(`${runtime} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Result;
}

/** The suite's answer from workerd serving the bundle as an ES module Worker. */
async function runWorkerd(dir: string, code: string, body: string): Promise<Result> {
  writeFileSync(join(dir, "workerd.mjs"), code);
  const port = await freePort();
  // compatibilityFlags stay empty: no nodejs_compat.
  writeFileSync(
    join(dir, "workerd.capnp"),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .suite)],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const suite :Workerd.Worker = (
  modules = [(name = "worker", esModule = embed "workerd.mjs")],
  compatibilityDate = "2025-01-01",
  compatibilityFlags = [],
);
`,
  );
  const { spawn } = await import("node:child_process");
  const child = spawn(join(BIN, "workerd"), ["serve", "workerd.capnp"], {
    cwd: dir,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body });
        return (await res.json()) as Result;
      } catch (error) {
        if (attempt > 200 || child.exitCode !== null) {
          throw new Error(`workerd did not answer: ${stderr}`, { cause: error });
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  } finally {
    child.kill();
  }
}

/** The suite's answer from Vercel's edge runtime (the `edge-runtime` package's VM). */
async function runEdge(code: string, body: string): Promise<Result> {
  const runtime = new EdgeRuntime({
    initialCode: `${code}\naddEventListener("fetch", (event) => event.respondWith(portableWorker.default.fetch(event.request)));`,
  });
  const res = await runtime.dispatchFetch("http://app.test/", { method: "POST", body });
  await res.waitUntil();
  return (await res.json()) as Result;
}

describe("the Web-standard suite on Node, Bun, Deno, workerd and the edge runtime", () => {
  let flask: PythonServer;
  let dir: string;
  let fixtures: Fixtures;
  const results = new Map<Runtime, Result>();
  const bundles = new Map<Runtime, string>();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "sb-portable-"));
    mkdirSync(join(dir, "node_modules"));
    symlinkSync(ROOT, join(dir, "node_modules", "sessionbridge"), "dir");
    flask = await startPythonServer("flask-3.1", FLASK_PEER_SCRIPT, ["cookie"], {
      SECRET_KEY: SECRET,
    });
    const flaskCookie = async (path: string): Promise<string> => {
      const jar = new CookieJar();
      jar.store(await fetch(`${flask.url}${path}`));
      return jar.cookies.get("session")!;
    };
    const [django, starlette, plain, large] = await Promise.all([
      python("django-5.2", DJANGO, { op: "dumps", data: DATA }),
      python("flask-3.1", STARLETTE, { op: "dumps", data: DATA }),
      flaskCookie("/set/plain"),
      flaskCookie("/set/large"),
    ]);
    fixtures = {
      secret: SECRET,
      data: DATA,
      django: django as string,
      starlette: starlette as string,
      flask: plain,
      flaskLarge: large,
    };
    const body = JSON.stringify(fixtures);
    await Promise.all(
      RUNTIMES.map(async (runtime) => {
        const code = await bundle(dir, runtime);
        bundles.set(runtime, code);
        const result =
          runtime === "workerd"
            ? await runWorkerd(dir, code, body)
            : runtime === "edge-runtime"
              ? await runEdge(code, body)
              : await runScript(dir, runtime, code, body);
        results.set(runtime, result);
      }),
    );
  });

  after(async () => {
    await flask.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const runtime of RUNTIMES) {
    it(`${runtime}: decodes, refuses tampering, encodes, and shares a session with real Flask`, async () => {
      const r = results.get(runtime)!;
      assert.equal(r.error, undefined, r.error);
      assert.equal(r.runtime, runtime);
      if (runtime !== "node") {
        assert.doesNotMatch(
          bundles.get(runtime)!,
          /\bfrom\s*"node:|require\("node:|import\("node:/,
        );
      }
      if (runtime === "workerd" || runtime === "edge-runtime")
        assert.equal(r.hasNodeBuffer, "undefined");

      // What the real frameworks wrote, read back; a tampered value is no session.
      assert.deepEqual(r.django.decoded, DATA);
      assert.equal(r.django.tampered, null);
      assert.deepEqual(r.starlette.decoded, DATA);
      assert.deepEqual(r.starlette.tampered, { threw: "BadSignatureError" });
      assert.equal((r.flask.decoded as { user?: string }).user, "alice");
      assert.deepEqual(r.flask.large, ["blob", "n"]);
      assert.deepEqual(r.flask.tampered, { threw: "BadSignatureError" });

      // What we wrote, read by the real frameworks.
      const [django, starlette, flaskValues] = await Promise.all([
        python("django-5.2", DJANGO, {
          op: "loads",
          values: [r.django.encoded, r.django.compressed],
        }),
        python("flask-3.1", STARLETTE, { op: "loads", values: [r.starlette.encoded] }),
        python("flask-3.1", FLASK, { values: [r.flask.encoded] }),
      ]);
      assert.deepEqual(django, [DATA, { cart: Array.from({ length: 40 }, () => "book") }]);
      // Django's compress=True through the runtime's CompressionStream: workerd's zlib writes
      // Node's (and Python's) bytes; Bun's and Deno's deflaters write other valid streams; the
      // edge-runtime package has no CompressionStream, so the value stays uncompressed. Django
      // read each one above.
      const payload = (value: string) => value.split(":")[0]!;
      const nodePayload = payload(results.get("node")!.django.compressed);
      assert.match(nodePayload, /^\.eJ/);
      if (runtime === "workerd") assert.equal(payload(r.django.compressed), nodePayload);
      else if (runtime === "edge-runtime") assert.match(r.django.compressed, /^eyJ/);
      else assert.match(r.django.compressed, /^\.eJ/);
      assert.deepEqual(starlette, [DATA]);
      assert.deepEqual(flaskValues, [DATA]);

      // The fetch handler read Flask's session and wrote it back; Flask reads the result.
      assert.equal(r.handler.status, 200);
      assert.deepEqual(r.handler.body, { user: "alice" });
      assert.deepEqual(r.handler.tamperedBody, {}); // no user: the tampered session is empty
      const cookie = /^session=([^;]+)/.exec(r.handler.setCookie ?? "")?.[1];
      assert.ok(cookie, `Set-Cookie: ${r.handler.setCookie}`);
      const res = await fetch(`${flask.url}/dump`, { headers: { Cookie: `session=${cookie}` } });
      const dump = (await res.json()) as { keys: string[]; canonical: string };
      assert.ok(dump.keys.includes("visited_by") && dump.keys.includes("user"), dump.canonical);
      assert.match(dump.canonical, new RegExp(`"visited_by":\\s*"${runtime}"`));
    });
  }
});
