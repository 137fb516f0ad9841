// The HTTP load generator, run in a worker thread so that client work does not share the
// server's event loop. Bounded in count; loopback only.
//
// It speaks HTTP/1.1 over raw keep-alive sockets (one request in flight per connection, no
// pipelining) with the request bytes built once: node:http's client costs more CPU per request
// than the servers it measures, and on a 2-core machine that CPU is taken from the server (and
// Redis), which squeezes every ratio toward 1. Responses are framed by Content-Length or by
// chunked encoding (RFC 9112 §6.3, §7.1) and must be 200.
import { Buffer } from "node:buffer";
import { connect } from "node:net";
import { parentPort, workerData } from "node:worker_threads";

const { port, path, cookie, total, concurrency, warmup } = workerData;
// One cookie for every connection, or a list: connection i sends cookies[i % length] (one user's
// requests in sequence per connection, several users in parallel).
const cookies = Array.isArray(cookie) ? cookie : [cookie];
const requests = cookies.map((c) =>
  Buffer.from(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nCookie: ${c}\r\nConnection: keep-alive\r\n\r\n`,
    "latin1",
  ),
);
const HEAD_END = Buffer.from("\r\n\r\n");
const CHUNKED_END = Buffer.from("\r\n0\r\n\r\n");

/** Length of the first complete response in `buf`, or -1 when more bytes are needed. */
function responseLength(buf) {
  const headEnd = buf.indexOf(HEAD_END);
  if (headEnd < 0) return -1;
  const head = buf.toString("latin1", 0, headEnd);
  // RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]
  const status = head.slice(9, 12);
  if (status !== "200") throw new Error(`status ${status} for ${path}: ${head.split("\r\n")[0]}`);
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (length !== null) {
    const end = headEnd + 4 + Number(length[1]);
    return buf.length >= end ? end : -1;
  }
  if (/\r\ntransfer-encoding:[^\r]*chunked/i.test(head)) {
    const end = buf.indexOf(CHUNKED_END, headEnd);
    return end < 0 ? -1 : end + CHUNKED_END.length;
  }
  throw new Error(`response without a length for ${path}`);
}

/** Sends `count` requests over `concurrency` connections; resolves when all are answered. */
function run(count) {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let done = 0;
    let open = 0;
    const sockets = [];
    const finish = (err) => {
      for (const s of sockets) s.destroy();
      if (err) reject(err);
      else resolve();
    };
    const next = (socket, request) => {
      if (sent >= count) {
        socket.end();
        return;
      }
      sent++;
      socket.write(request);
    };
    for (let i = 0; i < Math.min(concurrency, count); i++) {
      const socket = connect({ host: "127.0.0.1", port, noDelay: true });
      const request = requests[i % requests.length];
      sockets.push(socket);
      open++;
      let pending = Buffer.alloc(0);
      socket.on("connect", () => next(socket, request));
      socket.on("data", (chunk) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        try {
          for (;;) {
            const n = responseLength(pending);
            if (n < 0) return;
            pending = pending.subarray(n);
            done++;
            if (done === count) {
              finish();
              return;
            }
            next(socket, request);
          }
        } catch (err) {
          finish(err);
        }
      });
      socket.on("error", finish);
      socket.on("close", () => {
        open--;
        if (open === 0 && done < count) finish(new Error(`connections closed after ${done}`));
      });
    }
  });
}

await run(warmup);
const start = process.hrtime.bigint();
await run(total);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
parentPort.postMessage({ seconds });
