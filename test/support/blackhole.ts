// A TCP proxy in front of a real server that, when told to, drops every byte in both directions
// without closing either side: a network blackhole, as in a real outage.
import { createConnection, createServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

export interface BlackholeProxy {
  readonly port: number;
  /** While true, bytes are dropped (neither side learns anything). */
  blackhole: boolean;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 (a free port) forwarding to `target`. */
export async function startBlackholeProxy(target: {
  host: string;
  port: number;
}): Promise<BlackholeProxy> {
  const sockets = new Set<Socket>();
  const state = { blackhole: false };
  const proxy = createServer((client) => {
    const server = createConnection(target);
    for (const s of [client, server]) {
      sockets.add(s);
      s.on("error", () => s.destroy());
      s.on("close", () => sockets.delete(s));
    }
    client.on("data", (d: Buffer) => {
      if (!state.blackhole) server.write(d);
    });
    server.on("data", (d: Buffer) => {
      if (!state.blackhole) client.write(d);
    });
    client.on("close", () => server.destroy());
    server.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  return {
    port: (proxy.address() as AddressInfo).port,
    get blackhole() {
      return state.blackhole;
    },
    set blackhole(on: boolean) {
      state.blackhole = on;
    },
    async close() {
      state.blackhole = false;
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}
