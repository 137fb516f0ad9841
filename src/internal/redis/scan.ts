/**
 * The one SCAN walk: `SCAN cursor MATCH pattern COUNT n` until the cursor comes back to 0, on
 * every master in turn (one connection for a single server or Sentinel, one per master of a
 * Cluster, where each master holds its own slots), never `KEYS`, which blocks Redis. Both client
 * adapters run their `scan` and `scanPages` on it; the stores' `scanSessionKeys` and the CLI's
 * store walks go through those.
 *
 * A walk can stop after any page and resume from the page's `position`, across processes (the
 * CLI's `sessions migrate` checkpoint): `"<cursor>"` on the first master, `"<master>:<cursor>"`
 * on a later one, `""` once every master is done. SCAN's own guarantees hold: a key present for
 * the whole walk is seen at least once; keys created or deleted meanwhile may or may not be, and
 * a key may rarely come twice (while Redis rehashes or a Cluster reshards). A resumed walk is
 * only as good as the master list staying the same.
 *
 * @example
 * ```ts
 * for await (const page of scanEveryMaster(targets, "sess:*", 1000)) {
 *   console.log(page.keys.length, page.position);
 * }
 * ```
 */
import { ConfigurationError } from "../../errors.ts";
import { parseScanReply } from "./client.ts";

/** One connection to SCAN: a single server, or one master of a cluster. */
export interface RedisScanTarget {
  /** Sends `SCAN cursor MATCH pattern COUNT count` and resolves with the raw reply. */
  scan(cursor: string, pattern: string, count: number): Promise<unknown>;
}

/** One SCAN reply of a walk. */
export interface RedisScanPage {
  /** The keys this reply listed (Redis keys, as stored). */
  readonly keys: readonly string[];
  /** Where to resume after this page; `""` when the walk is complete. */
  readonly position: string;
}

const POSITION = /^(?:([0-9]{1,6}):)?([0-9]{1,20})$/;

/**
 * Walks `targets` page by page, from `from` (a position an earlier page returned; `""` or `"0"`
 * starts at the beginning).
 *
 * @throws {ConfigurationError} for a `from` that is no position of a walk over these targets.
 * @example
 * ```ts
 * const pages = scanEveryMaster([{ scan: (c, p, n) => redis.call("SCAN", c, "MATCH", p, "COUNT", n) }], "*", 100);
 * ```
 */
export async function* scanEveryMaster(
  targets: readonly RedisScanTarget[],
  pattern: string,
  count: number,
  from = "",
): AsyncIterable<RedisScanPage> {
  let index = 0;
  let cursor = "0";
  if (from !== "") {
    const match = POSITION.exec(from);
    index = match === null ? -1 : Number(match[1] ?? 0);
    if (match === null || index >= targets.length) {
      throw new ConfigurationError(
        "not a position of this Redis key walk (was the server changed?)",
      );
    }
    cursor = match[2]!;
  }
  for (; index < targets.length; index++) {
    const target = targets[index]!;
    do {
      const reply = parseScanReply(await target.scan(cursor, pattern, count));
      cursor = reply.cursor;
      const next = cursor === "0" ? index + 1 : index;
      const position = next >= targets.length ? "" : next === 0 ? cursor : `${next}:${cursor}`;
      yield { keys: reply.keys, position };
    } while (cursor !== "0");
  }
}
