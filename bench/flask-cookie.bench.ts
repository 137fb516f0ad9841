// Verify + decode of one Flask session cookie (ops/s): sessionbridge's FlaskSessionCodec vs a raw
// node:crypto baseline (HMAC-SHA1 + base64url + JSON.parse, no tags, no max_age logic beyond a
// compare) vs itsdangerous/Flask in Python (same cookie, same machine, timeit in a child process).
// Targets: ≥ 0.8× the raw baseline, ≥ 3× Python.
import { spawnSync } from "node:child_process";
import { createHmac, timingSafeEqual } from "node:crypto";
import { FlaskSessionCodec } from "sessionbridge/flask";
import { PyTuple, type PyValue } from "sessionbridge";
import { peerEnv } from "../test/interop/django/peer.ts";
import { report, timeOps, type Measurement } from "./support.ts";

const SECRET = "bench-secret-key";
const ITERATIONS = 200_000;
const now = Math.floor(Date.now() / 1000);
const codec = new FlaskSessionCodec({ secretKey: SECRET });
// A logged-in Flask-Login session with a pending flash, small enough that
// Flask does not compress it (the raw baseline has no inflate step).
const cookie = codec.encode(
  new Map<string, PyValue>([
    ["_fresh", true],
    ["_user_id", "42"],
    ["_flashes", [new PyTuple(["message", "hi"])]],
    ["visits", 3],
  ]),
  now,
);

if (cookie.startsWith(".")) throw new Error("bench cookie must not be compressed");

// The raw baseline: what a hand-rolled verifier does.
const derived = createHmac("sha1", SECRET).update("cookie-session").digest();
function rawDecode(value: string): unknown {
  const sigAt = value.lastIndexOf(".");
  const signed = value.slice(0, sigAt);
  const expected = createHmac("sha1", derived).update(signed).digest();
  const given = Buffer.from(value.slice(sigAt + 1), "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Error("bad");
  const tsAt = signed.lastIndexOf(".");
  const ts = Buffer.from(signed.slice(tsAt + 1), "base64url").readUIntBE(0, 4);
  if (now - ts > 2_678_400) throw new Error("expired");
  return JSON.parse(Buffer.from(signed.slice(0, tsAt), "base64url").toString("utf8")) as unknown;
}

const ours = await timeOps(
  "sessionbridge FlaskSessionCodec.decode",
  () => codec.decode(cookie),
  ITERATIONS,
);
const raw = await timeOps(
  "raw node:crypto HMAC-SHA1 + base64url + JSON.parse",
  () => rawDecode(cookie),
  ITERATIONS,
);

const PYTHON = String.raw`
import sys, timeit
from flask import Flask
app = Flask(__name__)
app.secret_key = sys.argv[1]
cookie = sys.argv[2]
with app.app_context():
    s = app.session_interface.get_signing_serializer(app)
    max_age = int(app.permanent_session_lifetime.total_seconds())
    s.loads(cookie, max_age=max_age)
    n = 50000
    t = min(timeit.repeat(lambda: s.loads(cookie, max_age=max_age), number=n, repeat=3))
    print(n / t)
`;
const py = spawnSync("/usr/bin/python3", ["-c", PYTHON, SECRET, cookie], {
  env: { PATH: process.env.PATH ?? "/usr/bin", ...peerEnv("flask-3.1") },
  encoding: "utf8",
});
if (py.status !== 0) throw new Error(`python bench failed: ${py.stderr}`);
const pyOps = Number(py.stdout.trim());
const python: Measurement = {
  name: "Flask 3.1 / itsdangerous 2.2 (Python timeit)",
  opsPerSecond: pyOps,
  microsPerOp: 1e6 / pyOps,
};

report(`Flask cookie verify + decode (${cookie.length}-char cookie)`, [ours, raw, python], raw);
console.log(
  `  ours / raw = ${(ours.opsPerSecond / raw.opsPerSecond).toFixed(2)}× (target ≥ 0.8×); ours / Python = ${(ours.opsPerSecond / python.opsPerSecond).toFixed(2)}× (target ≥ 3×)`,
);
