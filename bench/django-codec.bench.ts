// Verify + decode of real Django-signed session values (`SessionBase.decode`), compressed and
// uncompressed, in one run, same values for every contender:
//  - ours: `DjangoSessionCodec.decode` through the built package (self-reference import),
//  - Django 5.2's own `SessionStore().decode(v)`, timed with `timeit` in a child
//    /usr/bin/python3 (the values are produced by that same Django, so they are real), in
//    rounds that alternate with ours; the ratio reported is the median of the paired rounds,
//  - a naive node:crypto HMAC + base64url + `zlib.inflateSync` + JSON.parse decoder,
// plus the inflate step alone (pure-TypeScript inflate vs inflateSync).
// Target: ours ≥ 2× Django's Python, compressed and uncompressed.
//
// Run: npx tsc -p tsconfig.build.json; node --import tsx bench/run.ts django-codec
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { inflateSync } from "node:zlib";
import { DjangoSessionCodec } from "sessionbridge/django";
import { djangoPeerEnv, SYSTEM_PYTHON } from "../test/interop/django/peer.ts";
import { inflateZlib } from "../src/codecs/inflate/index.ts";
import { median, report, startTimedChild, timeOps, type Measurement } from "./support.ts";

const SECRET = "bench-secret-key-0123456789abcdefghijklmnopqrstuvwxyz-!@#";
const SALT = "django.contrib.sessions.SessionStore";
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 50_000);
const PY_NUMBER = Number(process.env.BENCH_PY_NUMBER ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

// Two sessions: an auth session of 3 keys + a cart (Django compresses it), and a small
// session of random-looking strings that does not compress (Django stores it plain).
const SESSIONS = {
  compressed: {
    _auth_user_id: "42",
    _auth_user_backend: "django.contrib.auth.backends.ModelBackend",
    _auth_user_hash: "3f1c8d0b4f6a2e9c7d5b1a0e8f7c6d5b4a3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c",
    cart: [
      { sku: "A-1001", qty: 2, price: "19.99" },
      { sku: "B-2002", qty: 1, price: "5.49" },
      { sku: "C-3003", qty: 3, price: "2.00" },
    ],
  },
  uncompressed: {
    _auth_user_id: "7",
    token: "Qm7xZ2pLk9VtR3wYb8NcJ5hFd1GsA6eU0iOyT4lK",
  },
} as const;

// Django itself, as a long-lived child /usr/bin/python3: it encodes each session once, then
// answers each "<name>\n" line on stdin with one timeit round of `SessionStore().decode(v)`
// (µs per call). Rounds alternate with ours below, so both sides see the same machine speed:
// on this kind of shared VM the CPU speed drifts by tens of percent within a minute, and
// timing all of Python first and all of Node afterwards turned that drift into the ratio.
const PY = String.raw`
import json, sys, timeit
import django
from django.conf import settings
settings.configure(SECRET_KEY=sys.argv[1], INSTALLED_APPS=["django.contrib.sessions"], USE_TZ=True)
django.setup()
from django.contrib.sessions.backends.db import SessionStore
sessions = json.loads(sys.stdin.readline())
number = int(sys.argv[2])
values = {}
for name, data in sessions.items():
    value = SessionStore().encode(data)
    assert SessionStore().decode(value) == data
    values[name] = value
    timeit.timeit(lambda: SessionStore().decode(value), number=number)  # warm-up
print(json.dumps({"django": django.get_version(), "values": values}), flush=True)
for line in sys.stdin:
    value = values[line.strip()]
    seconds = timeit.timeit(lambda: SessionStore().decode(value), number=number)
    print(seconds / number * 1e6, flush=True)
`;
const py = await startTimedChild<{ django: string; values: Record<string, string> }>(
  SYSTEM_PYTHON,
  ["-c", PY, SECRET, String(PY_NUMBER)],
  { PATH: process.env["PATH"] ?? "", ...djangoPeerEnv("5.2") },
  JSON.stringify(SESSIONS),
);
const django = py.ready;

// The naive decoder: Django's signer by hand (salted HMAC-SHA256 key, base64url signature of
// "payload:timestamp"), then base64url + inflateSync + JSON.parse.
const naiveKey = createHash("sha256").update(`${SALT}signer${SECRET}`).digest();
function naiveDecode(value: string): unknown {
  const sep = value.lastIndexOf(":");
  const signed = value.slice(0, sep);
  const given = Buffer.from(value.slice(sep + 1));
  const expected = Buffer.from(createHmac("sha256", naiveKey).update(signed).digest("base64url"));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new Error("bad signature");
  }
  const payload = signed.slice(0, signed.lastIndexOf(":"));
  const bytes = payload.startsWith(".")
    ? inflateSync(Buffer.from(payload.slice(1), "base64url"))
    : Buffer.from(payload, "base64url");
  return JSON.parse(bytes.toString("latin1"));
}

const codec = new DjangoSessionCodec({ secret: SECRET });

async function best(name: string, fn: () => unknown, iterations: number): Promise<Measurement> {
  let top: Measurement | undefined;
  for (let i = 0; i < 3; i++) {
    const m = await timeOps(name, fn, iterations);
    if (top === undefined || m.opsPerSecond > top.opsPerSecond) top = m;
  }
  return top!;
}

console.log(
  `Django ${django.django} (/usr/bin/python3, ${ROUNDS} timeit rounds × ${PY_NUMBER} calls, interleaved with ours)`,
);
const summary: string[] = [];
for (const name of Object.keys(SESSIONS) as (keyof typeof SESSIONS)[]) {
  const value = django.values[name];
  if (value === undefined) throw new Error(`no Django value for ${name}`);
  const compressed = value.startsWith(".");
  if (compressed !== (name === "compressed")) throw new Error(`${name}: Django chose otherwise`);
  // Same result from every contender before timing anything.
  const ours = Object.fromEntries(codec.decode(value));
  const expectedJson = JSON.stringify(SESSIONS[name]);
  if (JSON.stringify(ours) !== expectedJson) throw new Error(`ours decoded ${name} differently`);
  if (JSON.stringify(naiveDecode(value)) !== expectedJson) throw new Error(`naive: ${name}`);

  // Rounds: Python, then ours, then the next pair; the ratio of each pair is taken before the
  // median, so a slow minute slows both sides of the pair it falls in.
  const pyMicros: number[] = [];
  const ourMicros: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const pyUs = await py.round(name);
    const ourUs = (await timeOps("ours", () => codec.decode(value), ITERATIONS)).microsPerOp;
    pyMicros.push(pyUs);
    ourMicros.push(ourUs);
    ratios.push(pyUs / ourUs);
  }
  const pyRow: Measurement = {
    name: "Django 5.2 SessionStore().decode (Python)",
    opsPerSecond: 1e6 / median(pyMicros),
    microsPerOp: median(pyMicros),
  };
  const oursRow: Measurement = {
    name: "sessionbridge DjangoSessionCodec.decode",
    opsPerSecond: 1e6 / median(ourMicros),
    microsPerOp: median(ourMicros),
  };
  const naiveRow = await best(
    "naive node:crypto + inflateSync + JSON.parse",
    () => naiveDecode(value),
    ITERATIONS,
  );
  report(
    `Decode a ${compressed ? "compressed" : "uncompressed"} Django session value (${value.length} chars), medians`,
    [oursRow, pyRow, naiveRow],
    pyRow,
  );
  const sortedRatios = [...ratios].sort((a, b) => a - b);
  summary.push(
    `  ${name}: ours ${median(ratios).toFixed(2)}× Django (target ≥ 2×; median of ${ROUNDS} paired rounds, range ${sortedRatios[0]!.toFixed(2)}–${sortedRatios[ROUNDS - 1]!.toFixed(2)}), ${(oursRow.opsPerSecond / naiveRow.opsPerSecond).toFixed(2)}× naive`,
  );
  if (compressed) {
    const z = Buffer.from(value.slice(1, value.indexOf(":")), "base64url");
    const jsInflate = await best(
      `inflateZlib (pure TypeScript), ${z.length} B in`,
      () => inflateZlib(z, 1 << 20),
      ITERATIONS,
    );
    const nodeInflate = await best(
      `zlib.inflateSync, ${z.length} B in`,
      () => inflateSync(z),
      ITERATIONS / 2,
    );
    report("  the inflate step alone", [jsInflate, nodeInflate], nodeInflate);
  }
}
py.close();
console.log("\nSummary");
for (const line of summary) console.log(line);
