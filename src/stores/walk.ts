/**
 * What the stores' `walk` implementations share: the page size check, and paging through a
 * sorted list of names (the memory and file stores), resumable after the last name of a page;
 * and `inspectMany` for stores that read one session at a time ({@link inspectEach}).
 *
 * @example
 * ```ts
 * const size = walkBatchSize({ batchSize: 500 }); // 500
 * ```
 */
import { ConfigurationError } from "../errors.ts";
import type { StoredSession, StoredSessionPage, WalkOptions } from "./contract.ts";

/** The default page size of a walk. */
export const DEFAULT_WALK_BATCH_SIZE = 1000;

/**
 * The page size a walk asked for, checked.
 *
 * @throws {ConfigurationError} unless it is a whole number from 1 to 1 000 000.
 * @example
 * ```ts
 * walkBatchSize({}); // 1000
 * ```
 */
export function walkBatchSize(options: WalkOptions): number {
  const size = options.batchSize ?? DEFAULT_WALK_BATCH_SIZE;
  if (!Number.isSafeInteger(size) || size < 1 || size > 1_000_000) {
    throw new ConfigurationError("batchSize must be a whole number from 1 to 1000000");
  }
  return size;
}

/**
 * Pages through `names` in sorted order from after `position` (a name an earlier page ended
 * on), reading each with `read` (`null`: gone meanwhile, or filtered out). Only names are held,
 * never contents.
 *
 * @example
 * ```ts
 * for await (const page of sortedPages(["a", "b"], { batchSize: 1 }, (k) => store.inspect(k))) {}
 * ```
 */
export async function* sortedPages(
  names: readonly string[],
  options: WalkOptions,
  read: (name: string) => Promise<StoredSession | null>,
  now: () => number = Date.now,
): AsyncIterable<StoredSessionPage> {
  const batchSize = walkBatchSize(options);
  const after = options.position ?? "";
  const sorted = names.filter((name) => name > after).sort();
  for (let i = 0; i < sorted.length; i += batchSize) {
    const slice = sorted.slice(i, i + batchSize);
    const sessions: StoredSession[] = [];
    for (const name of slice) {
      const session = await read(name);
      if (session === null) continue;
      const expired = session.expireDate !== null && session.expireDate.getTime() <= now();
      if (options.activeOnly === true && expired) continue;
      sessions.push(session);
    }
    const last = i + batchSize >= sorted.length;
    yield { sessions, position: last ? "" : slice[slice.length - 1]! };
  }
}

/** Keys {@link inspectEach} reads at once. */
export const PARALLEL_INSPECTS = 64;

/**
 * `inspectMany` for a store whose backend has no batched read (files, signed cookies, memory):
 * `inspect` per distinct key, at most {@link PARALLEL_INSPECTS} at once, so a re-check of 10,000
 * sessions never opens 10,000 files together. Absent keys are missing from the map.
 *
 * @example
 * ```ts
 * const found = await inspectEach(["a", "b"], (key) => store.inspect(key));
 * ```
 */
export async function inspectEach(
  keys: readonly string[],
  inspect: (key: string) => Promise<StoredSession | null>,
): Promise<Map<string, StoredSession>> {
  const distinct = [...new Set(keys)];
  const found = new Map<string, StoredSession>();
  for (let start = 0; start < distinct.length; start += PARALLEL_INSPECTS) {
    const read = await Promise.all(distinct.slice(start, start + PARALLEL_INSPECTS).map(inspect));
    for (const session of read) if (session !== null) found.set(session.key, session);
  }
  return found;
}
