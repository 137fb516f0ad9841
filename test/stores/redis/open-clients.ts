// The Redis clients a test file opens itself (through a proxy, on a cluster, via a sentinel):
// their error events swallowed (tests assert on rejections instead), and all closed by the
// file's `after`, whatever state they are in by then.

/** Anything that emits "error": node-redis clients, clusters and sentinels, ioredis. */
interface ErrorEmitter {
  on(event: "error", listener: () => void): unknown;
}

export class OpenClients {
  readonly #closers: (() => Promise<void> | void)[] = [];

  /** Swallows `client`'s error events and remembers to `close` it; returns it. */
  track<C extends ErrorEmitter>(client: C, close: (client: C) => Promise<void> | void): C {
    client.on("error", () => undefined);
    this.#closers.push(() => close(client));
    return client;
  }

  /** Closes every tracked client; one that is already closed is passed over. */
  async closeAll(): Promise<void> {
    for (const close of this.#closers) {
      try {
        await close();
      } catch {
        // already closed
      }
    }
  }
}

/** Resolves once an ioredis client (or cluster) emits "ready". */
export function ready(client: {
  once(event: "ready", listener: () => void): unknown;
}): Promise<void> {
  return new Promise((resolve) => {
    client.once("ready", resolve);
  });
}
