// The walk helpers every store shares, and the memory store's walk on them: pages in key order,
// resumable from a page's position, activeOnly, and the batch size check.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigurationError } from "../../src/errors.ts";
import type { StoredSessionPage } from "../../src/stores/contract.ts";
import { MemoryStore } from "../../src/stores/memory/index.ts";
import { sortedPages, walkBatchSize } from "../../src/stores/walk.ts";

async function collect(pages: AsyncIterable<StoredSessionPage>): Promise<[string[], string][]> {
  const out: [string[], string][] = [];
  for await (const page of pages) out.push([page.sessions.map((s) => s.key), page.position]);
  return out;
}

describe("walkBatchSize", () => {
  it("defaults to 1000 and refuses what is not a whole number from 1 to 1000000", () => {
    assert.equal(walkBatchSize({}), 1000);
    assert.equal(walkBatchSize({ batchSize: 1 }), 1);
    for (const batchSize of [0, -1, 1.5, Number.NaN, 1_000_001]) {
      assert.throws(() => walkBatchSize({ batchSize }), ConfigurationError);
    }
  });
});

describe("sortedPages", () => {
  const read = (name: string) => Promise.resolve({ key: name, data: new Map(), expireDate: null });

  it("pages through names in sorted order, the last page with an empty position", async () => {
    assert.deepEqual(
      await collect(sortedPages(["c", "a", "e", "b", "d"], { batchSize: 2 }, read)),
      [
        [["a", "b"], "b"],
        [["c", "d"], "d"],
        [["e"], ""],
      ],
    );
    assert.deepEqual(await collect(sortedPages([], {}, read)), []);
  });

  it("resumes after a position, and leaves out what read answers null for", async () => {
    const some = (name: string) => (name === "d" ? Promise.resolve(null) : read(name));
    assert.deepEqual(await collect(sortedPages(["a", "b", "c", "d"], { position: "b" }, some)), [
      [["c"], ""],
    ]);
  });
});

describe("MemoryStore walk, inspect and count", () => {
  it("lists every entry with its data and expiry; activeOnly leaves the expired out", async () => {
    let now = 1_000_000;
    const store = new MemoryStore({ now: () => now });
    for (const [key, at] of [
      ["kb", 2_000_000],
      ["ka", 3_000_000],
      ["kc", 1_500_000],
    ] as const) {
      await store.save(key, new Map([["k", key]]), {
        mustCreate: true,
        expiry: { age: (at - now) / 1000, date: new Date(at) },
      });
    }
    now = 1_600_000; // kc has expired
    assert.deepEqual(await collect(store.walk({ batchSize: 2 })), [
      [["ka", "kb"], "kb"],
      [["kc"], ""],
    ]);
    assert.deepEqual(await collect(store.walk({ activeOnly: true })), [[["ka", "kb"], ""]]);
    assert.deepEqual(await store.inspect("kc"), {
      key: "kc",
      data: new Map([["k", "kc"]]),
      expireDate: new Date(1_500_000),
    });
    assert.equal(await store.inspect("nope"), null);
    assert.equal(await store.count(), 3);
    assert.equal(await store.count({ activeOnly: true }), 2);
  });
});
