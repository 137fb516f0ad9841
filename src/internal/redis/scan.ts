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
 * a key may rarely come twice (while Redis rehashes or a Cluster reshards). Masters are walked
 * in `host:port` order, and when the targets report their `run_id`, positions carry a hash of
 * them (`"<master>:<cursor>~<hash>"`): resuming on restarted or failed-over servers throws
 * {@link StaleWalkPositionError} instead of misreading a dead cursor, and every SCAN is sent
 * with an `INFO server` (same round trip), so that a client that follows a failover mid-walk
 * (a Sentinel client, a reconnecting one) fails the walk with {@link RedisWalkError} rather
 * than go on with a cursor of the old master.
 *
 * @example
 * ```ts
 * for await (const page of scanEveryMaster(targets, "sess:*", 1000)) {
 *   console.log(page.keys.length, page.position);
 * }
 * ```
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { ConfigurationError, SessionStoreError } from "../../errors.ts";
import { parseScanReply } from "./client.ts";
import { redisUnavailableError } from "./errors.ts";

/** One connection to SCAN: a single server, or one master of a cluster. */
export interface RedisScanTarget {
  /** Sends `SCAN cursor MATCH pattern COUNT count` and resolves with the raw reply. */
  scan(cursor: string, pattern: string, count: number): Promise<unknown>;
  /** `host:port`, for messages and a stable order of the masters, when known. */
  readonly label?: string;
  /**
   * The server process's identity (`run_id` of `INFO server`): it changes when Redis restarts
   * or a replica takes over, and with it the meaning of every SCAN cursor.
   */
  identity?(): Promise<string>;
}

/**
 * A walk was asked to resume from a position taken on other Redis processes than the ones it
 * now reaches (a restart, a failover, a master added or removed): SCAN cursors mean nothing
 * across processes, so the walk must start again (idempotently, for a copy).
 *
 * @example
 * ```ts
 * if (err instanceof StaleWalkPositionError) position = ""; // walk again from the start
 * ```
 */
export class StaleWalkPositionError extends ConfigurationError {
  constructor() {
    super(
      "the Redis servers changed since this walk position was taken (a restart or failover): their SCAN cursors mean nothing now",
    );
  }
}

/**
 * A walk over every master could not finish: a master did not answer its `SCAN`, or (on a
 * Cluster) some hash slots had no reachable master when the walk began. The message says how
 * far the walk got (which master of how many, how many keys it had listed); the keys listed
 * before it failed were yielded. Never a partial walk reported as complete.
 *
 * @example
 * ```ts
 * if (err instanceof RedisWalkError) console.log(err.mastersDone, err.masters); // 1 3
 * ```
 */
export class RedisWalkError extends SessionStoreError {
  static override readonly code = "redis-walk-incomplete";
  constructor(
    message: string,
    /** Masters walked to the end before the failure. */
    readonly mastersDone: number,
    /** Masters the walk had to cover. */
    readonly masters: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The `run_id` in an `INFO server` reply (`""` when absent, e.g. a proxy).
 *
 * @example
 * ```ts
 * runIdOf("# Server\r\nrun_id:4f1c…\r\n"); // "4f1c…"
 * ```
 */
export function runIdOf(reply: unknown): string {
  const text = Buffer.isBuffer(reply) ? reply.toString("latin1") : String(reply);
  return /^run_id:(\w+)/m.exec(text)?.[1] ?? "";
}

/** Hash slots of a Redis Cluster. */
export const CLUSTER_SLOTS = 16384;

/**
 * Checks that every hash slot of a Cluster is served by one of the masters a walk is about to
 * SCAN (a master the client lost is not in its master list, and its keys would be missed).
 * `slotMaster(slot)` names the slot's master (`host:port`) as the client's slot table has it.
 *
 * @throws {RedisWalkError} naming the first slot range without a reachable master.
 * @example
 * ```ts
 * requireSlotCoverage((slot) => table[slot]?.[0], new Set(["10.0.0.1:7000", "10.0.0.2:7000"]));
 * ```
 */
export function requireSlotCoverage(
  slotMaster: (slot: number) => string | undefined,
  masters: ReadonlySet<string>,
): void {
  for (let slot = 0; slot < CLUSTER_SLOTS; slot++) {
    const master = slotMaster(slot);
    if (master !== undefined && masters.has(master)) continue;
    let last = slot;
    while (last + 1 < CLUSTER_SLOTS && slotMaster(last + 1) === master) last++;
    throw new RedisWalkError(
      `Redis Cluster walk not started: hash slots ${slot}-${last} have no reachable master` +
        `${master === undefined ? "" : ` (${master} is gone)`}; ${masters.size} masters reachable`,
      0,
      masters.size,
    );
  }
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
  // A stable order (positions name masters by index), and the processes' identity, so that a
  // position taken before a restart or failover is refused rather than misread.
  const ordered = targets.every((t) => t.label !== undefined)
    ? [...targets].sort((a, b) => (a.label! < b.label! ? -1 : a.label! > b.label! ? 1 : 0))
    : [...targets];
  let epoch = "";
  let ids: string[] | undefined;
  if (ordered.length > 0 && ordered.every((t) => t.identity !== undefined)) {
    try {
      ids = await Promise.all(ordered.map((t) => t.identity!()));
    } catch (err) {
      throw new RedisWalkError(
        `Redis walk not started: ${redisUnavailableError("INFO server", err).message}`,
        0,
        ordered.length,
        { cause: err },
      );
    }
    epoch = createHash("sha1").update(ids.join(",")).digest("hex").slice(0, 12);
  }
  const stamp = (position: string): string =>
    position === "" || epoch === "" ? position : `${position}~${epoch}`;
  let index = 0;
  let cursor = "0";
  const tilde = from.indexOf("~");
  if (tilde !== -1) {
    if (epoch !== "" && from.slice(tilde + 1) !== epoch) throw new StaleWalkPositionError();
    from = from.slice(0, tilde);
  }
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
  let listed = 0;
  targets = ordered;
  for (; index < targets.length; index++) {
    const target = targets[index]!;
    const where = `master ${index + 1} of ${targets.length}${target.label === undefined ? "" : ` (${target.label})`}`;
    const expected = ids?.[index] || undefined; // "": a proxy without run_id
    do {
      let raw: unknown;
      let now: string | undefined;
      try {
        // The process's identity with every reply (sent together: one round trip): a client
        // that followed a failover or a restart mid-walk would go on with a cursor of another
        // process and silently skip keys.
        [raw, now] = await Promise.all([
          target.scan(cursor, pattern, count),
          expected === undefined ? undefined : target.identity?.(),
        ]);
      } catch (err) {
        if (err instanceof RedisWalkError) throw err;
        const detail = redisUnavailableError(`SCAN on ${where}`, err).message;
        throw new RedisWalkError(
          `Redis walk incomplete: ${detail} (${index} of ${targets.length} masters walked, ${listed} keys listed before)`,
          index,
          targets.length,
          { cause: err },
        );
      }
      if (expected !== undefined && now !== expected) {
        throw new RedisWalkError(
          `Redis walk incomplete: ${where} is another Redis process than when the walk began (a restart or failover: its SCAN cursor means nothing there) (${index} of ${targets.length} masters walked, ${listed} keys listed before)`,
          index,
          targets.length,
        );
      }
      const reply = parseScanReply(raw);
      listed += reply.keys.length;
      cursor = reply.cursor;
      const next = cursor === "0" ? index + 1 : index;
      const position = next >= targets.length ? "" : next === 0 ? cursor : `${next}:${cursor}`;
      yield { keys: reply.keys, position: stamp(position) };
    } while (cursor !== "0");
  }
}
