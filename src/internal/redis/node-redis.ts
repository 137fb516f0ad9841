/**
 * {@link RedisCommandClient} over node-redis 5/6 (`redis` / `@redis/client`, an optional peer
 * dependency that this module never imports: it only calls the client it is given).
 *
 * Works with what `createClient()`, `createCluster()` and `createSentinel()` return. Binary
 * safety comes from the client's type mapping: commands run on
 * `client.withCommandOptions({ typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer }, timeout })`,
 * so `GET` replies are `Buffer`s (node-redis 5 removed v4's `commandOptions({ returnBuffers })`).
 * `RESP_TYPES.BLOB_STRING` is the RESP type byte `$` (36); it is written as a number here so the
 * package need not be imported.
 *
 * Offline queue: node-redis queues commands while it reconnects, so a down Redis would make
 * them wait. Every command has an outer timer; writes, and reads issued while the client is
 * not ready, also carry node-redis's `timeout` command option, which drops a command still in
 * the queue, so a write that timed out here is never replayed after a reconnect. (node-redis
 * implements that option with an `AbortSignal.timeout` per command, which costs more than the
 * rest of a session load; a read on a ready connection is written at once, and a replayed
 * read would be harmless anyway, so reads skip it then.) Create the client with
 * `disableOfflineQueue: true` to fail at once while disconnected, and always attach an `error`
 * listener (`client.on("error", …)`), or Node ends the process on the first connection error.
 *
 * @example
 * ```ts
 * import { createClient } from "redis";
 * import { fromNodeRedis } from "sessionbridge/stores/redis";
 * const client = createClient({ url: process.env.REDIS_URL, disableOfflineQueue: true });
 * client.on("error", () => {});
 * const redis = fromNodeRedis(await client.connect(), { commandTimeoutMs: 2000 });
 * ```
 */
import { Buffer } from "node:buffer";
import {
  asBuffer,
  RedisReplyError,
  asInteger,
  commandTimeout,
  hasMethod,
  isNoScriptError,
  withTimeout,
  type RedisAdapterOptions,
  type RedisCommandClient,
  type RedisScript,
  type RedisSetOptions,
  type RedisTtl,
  type RedisValueWithTtl,
} from "./client.ts";
import { isWrongTypeError } from "./errors.ts";
import {
  requireSlotCoverage,
  runIdOf,
  scanEveryMaster,
  type RedisScanPage,
  type RedisScanTarget,
} from "./scan.ts";
import { ConfigurationError } from "../../errors.ts";

/** node-redis's `RESP_TYPES.BLOB_STRING` (the RESP type byte `$`). */
const RESP_BLOB_STRING = 36;

/** The command options this adapter sets on the client (node-redis `CommandOptions`). */
export interface NodeRedisCommandOptions {
  readonly typeMapping?: Readonly<Record<number, unknown>>;
  readonly timeout?: number;
}

/**
 * The part of a node-redis client, cluster or sentinel this module relies on to recognise it.
 * Commands are then called on the proxy `withCommandOptions` returns.
 */
export interface NodeRedisClientLike {
  withCommandOptions(options: NodeRedisCommandOptions): unknown;
  /** node-redis: connected and past its handshake (clusters and sentinels have it too). */
  readonly isReady?: boolean;
}

/** A node-redis cluster (`createCluster()`): SCAN runs on each of its masters. */
export interface NodeRedisClusterLike extends NodeRedisClientLike {
  readonly masters: readonly object[];
  nodeClient(node: object): unknown;
  /** node-redis's slot table: for each hash slot, its shard (`{ master, replicas }`). */
  readonly slots?: readonly ({ readonly master?: object } | undefined)[];
}

/** The node-redis commands used here (camelCase names exist in v5 and v6). */
interface NodeRedisCommands {
  get(key: string): Promise<unknown>;
  set(key: string, value: Buffer, options: object): Promise<unknown>;
  del(key: string): Promise<unknown>;
  exists(key: string): Promise<unknown>;
  pExpire(key: string, ms: number): Promise<unknown>;
  expire(key: string, seconds: number): Promise<unknown>;
  pTTL(key: string): Promise<unknown>;
}

/** node-redis's script commands (`EVALSHA` / `EVAL` with `{ keys, arguments }`). */
interface NodeRedisScripting {
  evalSha(
    sha1: string,
    options: { keys: string[]; arguments: (string | Buffer)[] },
  ): Promise<unknown>;
  eval(
    script: string,
    options: { keys: string[]; arguments: (string | Buffer)[] },
  ): Promise<unknown>;
}

interface NodeRedisScanner {
  scan(cursor: string, options: { MATCH: string; COUNT: number }): Promise<unknown>;
  info?(section: string): Promise<unknown>;
}

// `pTTL` is not required: a client shape without it still runs the stores (not their walks).
const COMMANDS = ["get", "set", "del", "exists", "pExpire", "expire"] as const;

function isCommands(value: unknown): value is NodeRedisCommands {
  return COMMANDS.every((name) => hasMethod(value, name));
}

function isScripting(value: unknown): value is NodeRedisScripting {
  return hasMethod(value, "evalSha") && hasMethod(value, "eval");
}

function isScanner(value: unknown): value is NodeRedisScanner {
  return hasMethod(value, "scan");
}

/**
 * True for a node-redis 5/6 client, cluster or sentinel: it has `withCommandOptions` (which
 * ioredis does not).
 *
 * @example
 * ```ts
 * isNodeRedisClient(createClient()); // true
 * ```
 */
export function isNodeRedisClient(value: unknown): value is NodeRedisClientLike {
  return hasMethod(value, "withCommandOptions");
}

function isNodeRedisCluster(value: NodeRedisClientLike): value is NodeRedisClusterLike {
  return hasMethod(value, "nodeClient") && Array.isArray((value as { masters?: unknown }).masters);
}

function commandsOf(client: NodeRedisClientLike, options: NodeRedisCommandOptions): unknown {
  return client.withCommandOptions(options);
}

class NodeRedisAdapter implements RedisCommandClient {
  readonly kind: string;
  readonly #client: NodeRedisClientLike;
  readonly #binary: NodeRedisCommands;
  /** Like `#binary` without node-redis's queue timeout: reads on a ready single client. */
  readonly #readyReads: NodeRedisCommands | undefined;
  readonly #timeoutMs: number;

  constructor(client: NodeRedisClientLike, timeoutMs: number) {
    this.#client = client;
    this.#timeoutMs = timeoutMs;
    const cluster = isNodeRedisCluster(client);
    this.kind = cluster ? "node-redis-cluster" : "node-redis";
    const binary = commandsOf(client, {
      typeMapping: { [RESP_BLOB_STRING]: Buffer },
      timeout: timeoutMs,
    });
    if (!isCommands(binary)) {
      throw new ConfigurationError("The node-redis client lacks GET/SET/DEL/EXISTS/PEXPIRE/EXPIRE");
    }
    this.#binary = binary;
    // Clusters and sentinels route to per-node clients that may be reconnecting while the
    // whole is "ready": they keep the queue timeout on every command.
    const single = !cluster && !hasMethod(client, "getMasterNode");
    // `timeout: 0` (falsy) overrides node-redis 6's default command timeout too.
    const reads = single
      ? commandsOf(client, { typeMapping: { [RESP_BLOB_STRING]: Buffer }, timeout: 0 })
      : undefined;
    this.#readyReads = reads !== undefined && isCommands(reads) ? reads : undefined;
  }

  /** The command proxy for a read: without the queue timeout when the client is ready. */
  #reads(): NodeRedisCommands {
    return this.#readyReads !== undefined && this.#client.isReady === true
      ? this.#readyReads
      : this.#binary;
  }

  #run<T>(command: string, promise: Promise<T>): Promise<T> {
    // node-redis's own `timeout` normally fires first; the outer timer covers clients without it.
    return withTimeout(promise, command, this.#timeoutMs + 50);
  }

  async get(key: string): Promise<Buffer | null> {
    return asBuffer(await this.#run("GET", this.#reads().get(key)));
  }

  async set(key: string, value: Uint8Array, options: RedisSetOptions): Promise<boolean> {
    const setOptions: Record<string, unknown> = {};
    if (options.ttl)
      setOptions["expiration"] = { type: options.ttl.unit, value: options.ttl.value };
    if (options.condition) setOptions["condition"] = options.condition;
    const buffer = Buffer.from(value.buffer, value.byteOffset, value.length);
    const reply = await this.#run("SET", this.#binary.set(key, buffer, setOptions));
    return reply !== null && reply !== undefined;
  }

  async del(key: string): Promise<number> {
    return asInteger(await this.#run("DEL", this.#binary.del(key)));
  }

  async exists(key: string): Promise<boolean> {
    return asInteger(await this.#run("EXISTS", this.#reads().exists(key))) > 0;
  }

  async expire(key: string, ttl: RedisTtl): Promise<boolean> {
    const reply =
      ttl.unit === "PX"
        ? await this.#run("PEXPIRE", this.#binary.pExpire(key, ttl.value))
        : await this.#run("EXPIRE", this.#binary.expire(key, ttl.value));
    return asInteger(reply) === 1;
  }

  async pttl(key: string): Promise<number> {
    return asInteger(await this.#run("PTTL", this.#reads().pTTL(key)));
  }

  /**
   * `GET` and `PTTL` of every key, all issued in one tick: node-redis writes them as one
   * pipelined batch per connection (its auto-pipelining; on a cluster, per node).
   */
  async readMany(keys: readonly string[]): Promise<RedisValueWithTtl[]> {
    const reads = this.#reads();
    if (!hasMethod(reads, "pTTL")) {
      throw new ConfigurationError("The node-redis client lacks PTTL");
    }
    const values = keys.map((key) =>
      reads.get(key).catch((err: unknown) => {
        if (isWrongTypeError(err)) return null;
        throw err;
      }),
    );
    const ttls = keys.map((key) => reads.pTTL(key));
    const [got, left] = await this.#run(
      "GET/PTTL",
      Promise.all([Promise.all(values), Promise.all(ttls)]),
    );
    return keys.map((_, i) => ({ value: asBuffer(got[i]), pttl: asInteger(left[i]) }));
  }

  /**
   * `GET` of every key: one `MGET` on a single server; on a cluster or sentinel (where `MGET`
   * needs one slot, or the proxy may lack it) every `GET` issued in one tick, pipelined as
   * {@link NodeRedisAdapter.readMany}. A key of another type reads as `null`.
   */
  async getMany(keys: readonly string[]): Promise<(Buffer | null)[]> {
    if (keys.length === 0) return [];
    const reads = this.#reads();
    if (!isNodeRedisCluster(this.#client) && hasMethod(reads, "mGet")) {
      const reply = await this.#run(
        "MGET",
        (reads as unknown as { mGet(keys: string[]): Promise<unknown> }).mGet([...keys]),
      );
      if (!Array.isArray(reply) || reply.length !== keys.length)
        throw new RedisReplyError("Unexpected MGET reply");
      return reply.map(asBuffer);
    }
    const values = keys.map((key) =>
      reads.get(key).catch((err: unknown) => {
        if (isWrongTypeError(err)) return null;
        throw err;
      }),
    );
    return (await this.#run("GET", Promise.all(values))).map(asBuffer);
  }

  async evalScript(
    script: RedisScript,
    key: string,
    args: readonly (string | number | Uint8Array)[],
  ): Promise<unknown> {
    // On the proxy with node-redis's queue timeout: scripts here write, and a timed-out write
    // must not be replayed after a reconnection; a compare-and-set may be (it writes only if
    // nothing changed), so on a ready connection it skips that timeout's per-command
    // AbortSignal, the largest cost of a session save. A cluster routes both commands by `keys`.
    const commands: unknown = script.replaySafe === true ? this.#reads() : this.#binary;
    if (!isScripting(commands))
      throw new ConfigurationError("The node-redis client lacks EVALSHA/EVAL");
    // Values go as bytes (a pickle is not text); numbers and text as their decimal/UTF-8 form.
    const options = {
      keys: [key],
      arguments: args.map((arg) =>
        arg instanceof Uint8Array
          ? Buffer.from(arg.buffer, arg.byteOffset, arg.length)
          : String(arg),
      ),
    };
    try {
      return await this.#run("EVALSHA", commands.evalSha(script.sha1, options));
    } catch (err) {
      if (!isNoScriptError(err)) throw err;
      return this.#run("EVAL", commands.eval(script.source, options));
    }
  }

  async *scan(pattern: string, count: number): AsyncIterable<string> {
    for await (const page of this.scanPages(pattern, count)) yield* page.keys;
  }

  async *scanPages(pattern: string, count: number, from = ""): AsyncIterable<RedisScanPage> {
    const client = this.#client;
    const masters = isNodeRedisCluster(client) ? client.masters : [];
    if (isNodeRedisCluster(client) && client.slots !== undefined) {
      const slots = client.slots;
      const ids = new Map(masters.map((m, i) => [m, nodeLabel(m) || `master ${i + 1}`]));
      requireSlotCoverage((slot) => {
        const master = slots[slot]?.master;
        if (master === undefined) return undefined;
        return ids.get(master) ?? `${nodeLabel(master) || "a master"} (not connected)`;
      }, new Set(ids.values()));
    }
    const targets = (await this.#scanTargets()).map((node, i): RedisScanTarget => ({
      scan: (cursor, match, n) => this.#run("SCAN", node.scan(cursor, { MATCH: match, COUNT: n })),
      ...(node.info === undefined
        ? {}
        : { identity: async () => runIdOf(await this.#run("INFO", node.info!("server"))) }),
      ...(masters[i] === undefined ? {} : { label: nodeLabel(masters[i]) }),
    }));
    yield* scanEveryMaster(targets, pattern, count, from);
  }

  /** The connection(s) to SCAN: the client itself, or a client per cluster master. */
  async #scanTargets(): Promise<NodeRedisScanner[]> {
    const client = this.#client;
    const options = { timeout: this.#timeoutMs };
    if (!isNodeRedisCluster(client)) {
      const self = commandsOf(client, options);
      if (!isScanner(self)) throw new ConfigurationError("The node-redis client lacks SCAN");
      return [self];
    }
    const targets: NodeRedisScanner[] = [];
    for (const master of client.masters) {
      const nodeClient: unknown = await this.#run(
        "CLUSTER NODE",
        Promise.resolve(client.nodeClient(master)),
      );
      const scanner = isNodeRedisClient(nodeClient) ? commandsOf(nodeClient, options) : nodeClient;
      if (!isScanner(scanner)) throw new ConfigurationError("A node-redis cluster node lacks SCAN");
      targets.push(scanner);
    }
    return targets;
  }
}

/** `host:port` of a node-redis cluster node, `""` when unknown. */
function nodeLabel(node: object): string {
  const { host, port } = node as { host?: unknown; port?: unknown };
  return typeof host === "string" && typeof port === "number" ? `${host}:${port}` : "";
}

/**
 * Wraps a connected node-redis 5/6 client, cluster or sentinel. The client stays the caller's:
 * it is never connected, closed or reconfigured here.
 *
 * @example
 * ```ts
 * const redis = fromNodeRedis(await createClient().connect(), { commandTimeoutMs: 1000 });
 * const store = new DjangoCacheStore({ client: redis });
 * ```
 */
export function fromNodeRedis(
  client: NodeRedisClientLike,
  options: RedisAdapterOptions = {},
): RedisCommandClient {
  return new NodeRedisAdapter(client, commandTimeout(options));
}
