// Issue 13 benchmarks, the Web-standard path against the Node one in the same run:
//  W1: per-request overhead of sessionbridge/web (a Fetch handler, served by @hono/node-server's
//      Request/Response bridge) against the node:http adapter, each above a plain route of the
//      same server doing the same work without sessionbridge (read the user id of a Django
//      session in the memory store). Target: the Web adapter's added µs within 20 % of the
//      node:http adapter's. Contenders in interleaved rounds, each reporting its median round.
//  W2: one HMAC of a session-sized text per operation: the Web runtimes' synchronous HMAC
//      (@noble/hashes, runtime/web.ts) and Web Crypto's `crypto.subtle.sign` against the Node
//      seam (node:crypto, runtime/node.ts, what Node runs) and plain `createHmac`.
// The adapters and seams come from src/ (the same code as dist/).
import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { Session, resolveSessionSettings } from "../src/index.ts";
import {
  getSession as getNodeSession,
  withSessions as nodeSessions,
} from "../src/adapters/node/index.ts";
import { withSessions as webSessions } from "../src/adapters/web/index.ts";
import { HmacKey as NodeHmacKey } from "../src/runtime/node.ts";
import { HmacKey as WebHmacKey } from "../src/runtime/web.ts";
import { MemoryStore } from "../src/stores/memory/index.ts";
import {
  compareLoad,
  median,
  report,
  startServer,
  timeOps,
  type LoadContender,
  type Measurement,
} from "./support.ts";

// ---------------------------------------------------------------------------------------------
// W1: the Web adapter against the node:http adapter, over HTTP
// ---------------------------------------------------------------------------------------------

const store = new MemoryStore();
const seed = new Session(store, null, resolveSessionSettings());
await seed.update({
  _auth_user_id: "1",
  _auth_user_backend: "django.contrib.auth.backends.ModelBackend",
});
await seed.save();
const key = seed.key!;
// The plain routes' work: the same lookup of the same data, without sessionbridge.
const plainData = new Map([[key, { _auth_user_id: "1" }]]);
function plainUserId(cookie: string | null | undefined): string {
  const sid = /sessionid=([a-z0-9]+)/.exec(cookie ?? "")?.[1] ?? "";
  return plainData.get(sid)?._auth_user_id ?? "";
}

function userIdOf(value: unknown): string {
  return typeof value === "string" ? value : "";
}

const nodePlain = createServer((req: IncomingMessage, res: ServerResponse) => {
  res.end(plainUserId(req.headers.cookie));
});
const nodeAdapter = createServer(
  nodeSessions({ djangoVersion: "5.2", store }, async (req, res) => {
    res.end(userIdOf(await getNodeSession(req).get("_auth_user_id")));
  }),
);
const webPlainListener = getRequestListener(
  (request: Request) => new Response(plainUserId(request.headers.get("cookie"))),
);
const webPlain = createServer((req, res) => void webPlainListener(req, res));
const webAdapterListener = getRequestListener(
  webSessions(
    { djangoVersion: "5.2", store },
    async (_request, session) => new Response(userIdOf(await session.get("_auth_user_id"))),
  ),
);
const webAdapter = createServer((req, res) => void webAdapterListener(req, res));

const servers = await Promise.all(
  [nodePlain, nodeAdapter, webPlain, webAdapter].map((s) => startServer(s)),
);
const cookie = `sessionid=${key}`;
const names = [
  "node:http plain route",
  "node:http sessionbridge/node",
  "Fetch (@hono/node-server) plain handler",
  "Fetch (@hono/node-server) sessionbridge/web",
];
const contenders: LoadContender[] = servers.map((s, i) => ({
  name: names[i]!,
  port: s.port,
  path: "/",
  cookie,
}));
const total = Number(process.env.BENCH_REQUESTS ?? 5_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const [np, na, wp, wa] = await compareLoad(contenders, { total, rounds, concurrency });
await Promise.all(servers.map((s) => s.close()));
report(
  `W1: read the Django user id from a session, memory store (keep-alive, ${concurrency} in flight; median of ${rounds} interleaved rounds)`,
  [np!, na!, wp!, wa!],
  np!,
);
// Server-side busy time per request is the steadier measure on a shared machine; both shown.
const nodeAdded = na!.serverMicros - np!.serverMicros;
const webAdded = wa!.serverMicros - wp!.serverMicros;
console.log(
  `  sessionbridge adds ${nodeAdded.toFixed(1)} µs (server busy) per request on node:http, ${webAdded.toFixed(1)} µs on the Web path: ratio ${(webAdded / nodeAdded).toFixed(2)} (target ≤ 1.20)`,
);
console.log(
  `  wall clock: +${(na!.microsPerOp - np!.microsPerOp).toFixed(1)} µs node:http, +${(wa!.microsPerOp - wp!.microsPerOp).toFixed(1)} µs Web`,
);

// ---------------------------------------------------------------------------------------------
// W2: HMAC per operation, Web Crypto and the Web seam against node:crypto
// ---------------------------------------------------------------------------------------------

const SECRET = new TextEncoder().encode("django-insecure-bench-secret-key-0123456789abcdef");
// A signed_cookies payload of a logged-in session with a small cart (~200 bytes).
const TEXT =
  "eyJfYXV0aF91c2VyX2lkIjoiMSIsIl9hdXRoX3VzZXJfYmFja2VuZCI6ImRqYW5nby5jb250cmliLmF1dGguYmFja2VuZHMuTW9kZWxCYWNrZW5kIiwiY2FydCI6WyJib29rIiwibGFtcCJdfQ:1tQ4ap";
const ITERATIONS = Number(process.env.BENCH_HMAC_OPS ?? 50_000);
const HMAC_ROUNDS = 5;

for (const algorithm of ["sha256", "sha1"] as const) {
  const nodeKey = new NodeHmacKey(algorithm, SECRET);
  const webKey = new WebHmacKey(algorithm, SECRET);
  const subtleKey = await crypto.subtle.importKey(
    "raw",
    SECRET,
    { name: "HMAC", hash: algorithm === "sha256" ? "SHA-256" : "SHA-1" },
    false,
    ["sign"],
  );
  const encoder = new TextEncoder();
  // Every variant must give the same MAC.
  const expected = createHmac(algorithm, SECRET).update(TEXT).digest("base64url");
  const subtle = Buffer.from(
    await crypto.subtle.sign("HMAC", subtleKey, encoder.encode(TEXT)),
  ).toString("base64url");
  if (
    nodeKey.base64url(TEXT) !== expected ||
    webKey.base64url(TEXT) !== expected ||
    subtle !== expected
  ) {
    throw new Error(`${algorithm}: the HMAC variants disagree`);
  }
  const variants: [string, () => unknown][] = [
    ["node:crypto seam (runtime/node.ts, Node's path)", () => nodeKey.base64url(TEXT)],
    [
      "createHmac (node:crypto, new context per call)",
      () => createHmac(algorithm, SECRET).update(TEXT).digest("base64url"),
    ],
    ["Web seam, synchronous (@noble/hashes)", () => webKey.base64url(TEXT)],
    [
      "Web Crypto crypto.subtle.sign (async)",
      () => crypto.subtle.sign("HMAC", subtleKey, encoder.encode(TEXT)),
    ],
  ];
  // Interleaved rounds, the median of each: the machine's drift hits every variant alike.
  const micros: number[][] = variants.map(() => []);
  for (let round = 0; round < HMAC_ROUNDS; round++) {
    for (const [i, [name, fn]] of variants.entries()) {
      micros[i]!.push((await timeOps(name, fn, ITERATIONS)).microsPerOp);
    }
  }
  const rows: Measurement[] = variants.map(([name], i) => {
    const us = median(micros[i]!);
    return { name, opsPerSecond: 1e6 / us, microsPerOp: us };
  });
  report(
    `W2: HMAC-${algorithm.toUpperCase()} of a ${TEXT.length}-byte text per operation (median of ${HMAC_ROUNDS} interleaved rounds of ${ITERATIONS})`,
    rows,
    rows[0]!,
  );
  console.log(
    `  Web seam / node:crypto seam: ${(rows[2]!.microsPerOp / rows[0]!.microsPerOp).toFixed(2)}× the time; crypto.subtle.sign / Web seam: ${(rows[3]!.microsPerOp / rows[2]!.microsPerOp).toFixed(2)}×`,
  );
}
