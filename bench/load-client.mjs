// The HTTP load generator, run in a worker thread so that client work does not share the
// server's event loop (on a 2-core machine: one core each). Bounded in count; loopback only.
import { Agent, request } from "node:http";
import { parentPort, workerData } from "node:worker_threads";

const { port, path, cookie, total, concurrency, warmup } = workerData;
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });

function get() {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent, headers: { cookie } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode} for ${path}`));
      res.resume();
      res.on("end", resolve);
    });
    req.on("error", reject);
    req.end();
  });
}

async function run(count) {
  let sent = 0;
  const worker = async () => {
    while (sent < count) {
      sent++;
      await get();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

await run(warmup);
const start = process.hrtime.bigint();
await run(total);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
agent.destroy();
parentPort.postMessage({ seconds });
