// Small, dependency-free benchmark helpers: an HTTP load loop over keep-alive connections on
// loopback, and a micro-benchmark timer. Everything is bounded in count and time.
import type { Server } from "node:http";
import { Worker } from "node:worker_threads";
import type { AddressInfo } from "node:net";

/** Result of one measured scenario. */
export interface Measurement {
  readonly name: string;
  /** Operations (requests) per second. */
  readonly opsPerSecond: number;
  /** Mean microseconds per operation. */
  readonly microsPerOp: number;
}

/** Starts a server on an ephemeral loopback port. */
export async function startServer(
  server: Server,
): Promise<{ port: number; close: () => Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/**
 * Sends `total` GET requests with `concurrency` in flight from a worker thread (its own event
 * loop and core) and returns requests per second.
 */
export async function loadTest(
  name: string,
  port: number,
  path: string,
  cookie: string,
  { total = 20_000, concurrency = 16 } = {},
): Promise<Measurement> {
  const worker = new Worker(new URL("./load-client.mjs", import.meta.url), {
    workerData: { port, path, cookie, total, concurrency, warmup: Math.min(2000, total / 5) },
  });
  const { seconds } = await new Promise<{ seconds: number }>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  await worker.terminate();
  return { name, opsPerSecond: total / seconds, microsPerOp: (seconds * 1e6) / total };
}

/** Times an async or sync function over `iterations` calls (after a warm-up). */
export async function timeOps(
  name: string,
  fn: () => unknown,
  iterations = 100_000,
): Promise<Measurement> {
  for (let i = 0; i < Math.min(10_000, iterations); i++) await fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await fn();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { name, opsPerSecond: iterations / seconds, microsPerOp: (seconds * 1e6) / iterations };
}

/** Prints a table of measurements with ratios against `baseline`. */
export function report(title: string, rows: readonly Measurement[], baseline: Measurement): void {
  console.log(`\n${title}`);
  for (const row of rows) {
    const ratio = row.opsPerSecond / baseline.opsPerSecond;
    console.log(
      `  ${row.name.padEnd(52)} ${row.opsPerSecond.toFixed(0).padStart(9)} ops/s  ${row.microsPerOp.toFixed(2).padStart(8)} µs/op  ${ratio.toFixed(2)}× ${baseline.name}`,
    );
  }
}
