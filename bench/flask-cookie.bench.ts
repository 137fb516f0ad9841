// Verify + decode of one Flask session cookie (ops/s): sessionbridge's FlaskSessionCodec vs a raw
// node:crypto baseline (HMAC-SHA1 + base64url + JSON.parse, no tags, no max_age logic beyond a
// compare) vs itsdangerous/Flask in Python (same cookie, same machine, timeit rounds in a child
// process alternating with ours).
// Targets: ≥ 0.8× the raw baseline, ≥ 3× Python.
import { createHmac, timingSafeEqual } from "node:crypto";
import { FlaskSessionCodec } from "sessionbridge/flask";
import { PyTuple, type PyValue } from "sessionbridge";
import { peerEnv } from "../test/interop/django/peer.ts";
import { median, report, startTimedChild, timeOps, type Measurement } from "./support.ts";

const SECRET = "bench-secret-key";
const ITERATIONS = 100_000;
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

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

// Flask itself, as a long-lived child: each "cookie" line on stdin gets one timeit round of
// the session interface's `loads(cookie, max_age=...)` back (µs per call). Its rounds
// alternate with ours and the raw baseline's, and each ratio is the median of paired rounds
// (see startTimedChild: a drifting machine speed then slows both sides of a pair).
const PYTHON = String.raw`
import json, sys, timeit
from flask import Flask
from importlib.metadata import version
app = Flask(__name__)
app.secret_key = sys.argv[1]
cookie = sys.stdin.readline().strip()
n = 50000
with app.app_context():
    s = app.session_interface.get_signing_serializer(app)
    max_age = int(app.permanent_session_lifetime.total_seconds())
    s.loads(cookie, max_age=max_age)
    timeit.timeit(lambda: s.loads(cookie, max_age=max_age), number=n)  # warm-up
    print(json.dumps({"flask": version("flask"), "itsdangerous": version("itsdangerous")}), flush=True)
    for line in sys.stdin:
        t = timeit.timeit(lambda: s.loads(cookie, max_age=max_age), number=n)
        print(t / n * 1e6, flush=True)
`;
const py = await startTimedChild<{ flask: string; itsdangerous: string }>(
  "/usr/bin/python3",
  ["-c", PYTHON, SECRET],
  { PATH: process.env.PATH ?? "/usr/bin", ...peerEnv("flask-3.1") },
  cookie,
);

const micros = { ours: [] as number[], raw: [] as number[], python: [] as number[] };
const ratios = { raw: [] as number[], python: [] as number[] };
for (let round = 0; round < ROUNDS; round++) {
  const pyUs = await py.round("cookie");
  const oursUs = (await timeOps("ours", () => codec.decode(cookie), ITERATIONS)).microsPerOp;
  const rawUs = (await timeOps("raw", () => rawDecode(cookie), ITERATIONS)).microsPerOp;
  micros.ours.push(oursUs);
  micros.raw.push(rawUs);
  micros.python.push(pyUs);
  ratios.raw.push(rawUs / oursUs);
  ratios.python.push(pyUs / oursUs);
}
py.close();

const row = (name: string, us: readonly number[]): Measurement => ({
  name,
  opsPerSecond: 1e6 / median(us),
  microsPerOp: median(us),
});
const ours = row("sessionbridge FlaskSessionCodec.decode", micros.ours);
const raw = row("raw node:crypto HMAC-SHA1 + base64url + JSON.parse", micros.raw);
const python = row(
  `Flask ${py.ready.flask} / itsdangerous ${py.ready.itsdangerous} (Python)`,
  micros.python,
);

report(
  `Flask cookie verify + decode (${cookie.length}-char cookie), medians of ${ROUNDS} rounds`,
  [ours, raw, python],
  raw,
);
const range = (xs: readonly number[]): string => {
  const sorted = [...xs].sort((a, b) => a - b);
  return `${sorted[0]!.toFixed(2)}–${sorted[sorted.length - 1]!.toFixed(2)}`;
};
console.log(
  `  ours / raw = ${median(ratios.raw).toFixed(2)}× (target ≥ 0.8×; paired rounds ${range(ratios.raw)}); ours / Python = ${median(ratios.python).toFixed(2)}× (target ≥ 3×; paired rounds ${range(ratios.python)})`,
);
