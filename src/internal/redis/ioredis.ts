/**
 * {@link RedisCommandClient} over ioredis 5/6 (an optional peer dependency that this module
 * never imports: it only calls the client it is given).
 *
 * Works with `new Redis(…)` (also a Sentinel-managed master: `new Redis({ sentinels, name })`)
 * and `new Cluster(…)`. Reads go through `callBuffer` / `call` (ioredis ≥ 5), so `GET` returns a
 * `Buffer` and a Cluster routes each command by its key; SCAN runs on every node of
 * `cluster.nodes("master")`.
 *
 * Writes (`SET`, `DEL`, `PEXPIRE`/`EXPIRE`, and the `EVALSHA`/`EVAL` of {@link
 * RedisCommandClient.evalScript}) are never applied after they were reported as failed,
 * whatever the client's `enableOfflineQueue` and `autoResendUnfulfilledCommands`:
 * - while the client (for a Cluster: the cluster) is not `ready` — reconnecting, connecting,
 *   closed — a write is not sent at all: it rejects at once with {@link RedisNotReadyError}, so
 *   it never enters ioredis's offline queue. (A `lazyConnect` client that never connected, status
 *   `wait`, is an exception: the write is sent, which makes ioredis connect, as any command would;
 *   the next rule covers it.)
 * - a write that was sent gets `commandTimeoutMs` to settle. When it fails (the timeout, or
 *   ioredis rejecting it), it is withdrawn: if ioredis later transmits it again — from its offline
 *   queue (a connection that broke while the client was still `ready`, a Cluster node connection
 *   still connecting while the cluster is `ready`), as an unfulfilled command re-sent after a
 *   reconnection (`autoResendUnfulfilledCommands`), or as a Cluster retry after `MOVED` or a
 *   closed connection — it goes out as a `PING` instead, which keeps ioredis's replies in order
 *   and changes nothing.
 *
 * How: each write is an ioredis `Command` (the class ioredis exports as `Redis.Command`, taken
 * from a command the client's own `callBuffer` builds), sent with `client.sendCommand`, whose
 * `toWritable` yields `PING` once the write is withdrawn. That relies on what ioredis 5.x and
 * 6.0 do, not on a documented promise: ioredis calls `toWritable` each time it writes a command
 * to a socket, and its offline queue, its re-sends and Cluster retries all send the same
 * `Command` object again. This package's tests replay writes for real (offline queue, re-send
 * of a stalled command, Cluster retry) to check it.
 *
 * What remains: bytes that reached the server before the write was withdrawn may still be
 * executed there (a Redis that is slow or paused rather than gone, or whose reply was lost with
 * the connection): no client can take back what the server received, node-redis cannot either.
 * A client that merely looks like ioredis (no `status` or `sendCommand`, or a `callBuffer` that
 * does not build a `Command`) gets plain `call`s, bounded by the timeout only.
 *
 * Reads (`GET`, `EXISTS`, `SCAN`) keep ioredis's own queueing, bounded by `commandTimeoutMs`, as
 * on node-redis: a read issued during a short reconnection (a failover, a network blip) still
 * succeeds, and a read replayed after it was reported as failed changes nothing. Create the
 * client with `enableOfflineQueue: false` to fail reads at once as well.
 *
 * A client `keyPrefix` is refused: it would silently prefix every key; use the store's own
 * key prefix options instead.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import { fromIoredis } from "sessionbridge/stores/redis";
 * const client = new Redis(process.env.REDIS_URL!);
 * const redis = fromIoredis(client, { commandTimeoutMs: 2000 });
 * ```
 */
import { Buffer } from "node:buffer";
import { ConfigurationError } from "../../errors.ts";
import {
  RedisCommandTimeoutError,
  RedisNotReadyError,
  asBuffer,
  asInteger,
  commandTimeout,
  hasMethod,
  isNoScriptError,
  withTimeout,
  RedisReplyError,
  type RedisAdapterOptions,
  type RedisCommandClient,
  type RedisScript,
  type RedisSetOptions,
  type RedisTtl,
  type RedisValueWithTtl,
} from "./client.ts";
import { isWrongTypeError } from "./errors.ts";
import { keySlot } from "./slot.ts";
import {
  requireSlotCoverage,
  runIdOf,
  scanEveryMaster,
  type RedisScanPage,
  type RedisScanTarget,
} from "./scan.ts";

/** An argument of ioredis `call`. */
export type IoredisArgument = string | Buffer | number;

/** The part of an ioredis `Command` this module uses (`Redis.Command` instances). */
export interface IoredisCommandLike {
  readonly promise: Promise<unknown>;
  /** The bytes ioredis writes to the socket, each time it (re)sends the command. */
  toWritable(socket: object): string | Buffer;
}

/** The part of an ioredis `Pipeline` this module uses (reads only). */
export interface IoredisPipelineLike {
  getBuffer(key: string): unknown;
  pttl(key: string): unknown;
  /** Each command's `[error, reply]`, in order. */
  exec(): Promise<[Error | null, unknown][] | null>;
}

/** The part of an ioredis `Redis` this module uses. */
export interface IoredisClientLike {
  call(command: string, args: IoredisArgument[]): Promise<unknown>;
  callBuffer(command: string, args: IoredisArgument[]): Promise<unknown>;
  /** ioredis: a pipeline (on a Cluster, for keys served by one node). */
  pipeline?(): IoredisPipelineLike;
  /** ioredis's connection status (`ready`, `reconnecting`, …); writes need `ready`. */
  readonly status?: string;
  /** ioredis: queues or writes a `Command` (how writes are sent, so they can be withdrawn). */
  sendCommand?(command: IoredisCommandLike): unknown;
}

/** The part of an ioredis `Cluster` this module uses. */
export interface IoredisClusterLike extends IoredisClientLike {
  readonly isCluster: boolean;
  nodes(role: "master"): IoredisClientLike[];
  /** ioredis's slot table: for each hash slot, its nodes' `host:port` keys, the master first. */
  readonly slots?: readonly (readonly string[] | undefined)[];
}

/** ioredis's `Command` class (`Redis.Command`), as constructed here. */
type IoredisCommandClass = new (
  name: string,
  args: IoredisArgument[],
  options: { replyEncoding: "utf8" | null },
) => IoredisCommandLike;

/** What a withdrawn write is sent as, should ioredis send it again: one RESP `PING`. */
const WITHDRAWN_WRITE = "*1\r\n$4\r\nPING\r\n";

/**
 * True for an ioredis `Redis` or `Cluster`: it has `callBuffer` (node-redis does not).
 *
 * @example
 * ```ts
 * isIoredisClient(new Redis({ lazyConnect: true })); // true
 * ```
 */
export function isIoredisClient(value: unknown): value is IoredisClientLike {
  return hasMethod(value, "call") && hasMethod(value, "callBuffer");
}

function isIoredisCluster(value: IoredisClientLike): value is IoredisClusterLike {
  return (value as { isCluster?: unknown }).isCluster === true && hasMethod(value, "nodes");
}

/** ioredis's `keyPrefix`, on a `Redis` (`options.keyPrefix`) or a `Cluster` (`options.redisOptions`). */
function keyPrefixOf(client: IoredisClientLike): unknown {
  const options = (client as { options?: { keyPrefix?: unknown; redisOptions?: unknown } }).options;
  const nested = options?.redisOptions as { keyPrefix?: unknown } | undefined;
  return options?.keyPrefix ?? nested?.keyPrefix;
}

/**
 * ioredis's `Command` class (`Redis.Command`), taken from the client. ioredis mixes
 * `EventEmitter` into `Redis` and `Cluster`, so an instance's `constructor` is not its class;
 * instead the client's own `callBuffer` builds one `PING` command on a receiver whose
 * `sendCommand` only keeps it: every ioredis command method builds a `Command` and hands it to
 * `this.sendCommand` (how `Redis`, `Cluster` and `Pipeline` all send). Nothing is sent.
 * `undefined` for a client that does not work that way.
 */
function commandClassOf(client: IoredisClientLike): IoredisCommandClass | undefined {
  let built: unknown;
  const receiver = {
    options: {},
    isPipeline: true,
    sendCommand(command: unknown): Promise<null> {
      built = command;
      return Promise.resolve(null);
    },
  };
  const callBuffer = (client as { callBuffer?: unknown }).callBuffer;
  if (typeof callBuffer !== "function") return undefined;
  try {
    const reply: unknown = Reflect.apply(callBuffer, receiver, ["PING", []]);
    if (reply instanceof Promise) reply.catch(() => undefined);
  } catch {
    return undefined;
  }
  if (typeof built !== "object" || built === null) return undefined;
  const command = built as Partial<IoredisCommandLike>;
  if (typeof command.toWritable !== "function" || !(command.promise instanceof Promise)) {
    return undefined;
  }
  const Command: unknown = (Object.getPrototypeOf(built) as { constructor?: unknown } | null)
    ?.constructor;
  return typeof Command === "function" ? (Command as IoredisCommandClass) : undefined;
}

class IoredisAdapter implements RedisCommandClient {
  readonly kind: string;
  readonly #client: IoredisClientLike;
  readonly #timeoutMs: number;
  /** ioredis's `Command` class; `undefined` for a client that only looks like ioredis. */
  readonly #Command: IoredisCommandClass | undefined;

  constructor(client: IoredisClientLike, timeoutMs: number) {
    const prefix = keyPrefixOf(client);
    if (typeof prefix === "string" && prefix !== "") {
      throw new ConfigurationError(
        "The ioredis client has a keyPrefix; remove it and use the store's key prefix option",
      );
    }
    this.#client = client;
    this.#timeoutMs = timeoutMs;
    this.kind = isIoredisCluster(client) ? "ioredis-cluster" : "ioredis";
    // Only a client with ioredis's `status` and `sendCommand` is probed (a look-alike's
    // `callBuffer` might send the probe for real).
    const ioredis = typeof client.status === "string" && hasMethod(client, "sendCommand");
    this.#Command = ioredis ? commandClassOf(client) : undefined;
  }

  #call(command: string, args: IoredisArgument[], node = this.#client): Promise<unknown> {
    return withTimeout(node.call(command, args), command, this.#timeoutMs);
  }

  /**
   * Sends a write so that, once it has failed here, it can never take effect later (see the
   * module notes): refused while the client is not ready, withdrawn when it times out or fails.
   */
  #write(command: string, args: IoredisArgument[], encoding: "utf8" | null): Promise<unknown> {
    const client = this.#client;
    const status = client.status;
    if (status !== undefined && status !== "ready" && status !== "wait") {
      return Promise.reject(new RedisNotReadyError(command, status));
    }
    const Command = this.#Command;
    if (Command === undefined || client.sendCommand === undefined) {
      // Not an ioredis client as this module knows it: bounded by the timeout only.
      const call =
        encoding === null ? client.callBuffer(command, args) : client.call(command, args);
      return withTimeout(call, command, this.#timeoutMs);
    }
    const sent = new Command(command, args, { replyEncoding: encoding });
    let withdrawn = false;
    const toWritable = sent.toWritable.bind(sent);
    sent.toWritable = (socket) => (withdrawn ? WITHDRAWN_WRITE : toWritable(socket));
    client.sendCommand(sent);
    const timeoutMs = this.#timeoutMs;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        withdrawn = true;
        reject(new RedisCommandTimeoutError(command, timeoutMs));
      }, timeoutMs);
      sent.promise.then(
        (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        (err: unknown) => {
          // Whatever ioredis rejected it for (its own `commandTimeout`, `maxRetriesPerRequest`,
          // a closed connection), it is reported as failed: it must not run later either.
          withdrawn = true;
          clearTimeout(timer);
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
          reject(err);
        },
      );
    });
  }

  async get(key: string): Promise<Buffer | null> {
    const reply = await withTimeout(this.#client.callBuffer("GET", [key]), "GET", this.#timeoutMs);
    return asBuffer(reply);
  }

  async set(key: string, value: Uint8Array, options: RedisSetOptions): Promise<boolean> {
    const args: IoredisArgument[] = [
      key,
      Buffer.from(value.buffer, value.byteOffset, value.length),
    ];
    if (options.ttl) args.push(options.ttl.unit, options.ttl.value);
    if (options.condition) args.push(options.condition);
    const reply = await this.#write("SET", args, "utf8");
    return reply !== null && reply !== undefined;
  }

  async del(key: string): Promise<number> {
    return asInteger(await this.#write("DEL", [key], "utf8"));
  }

  async exists(key: string): Promise<boolean> {
    return asInteger(await this.#call("EXISTS", [key])) > 0;
  }

  async expire(key: string, ttl: RedisTtl): Promise<boolean> {
    const command = ttl.unit === "PX" ? "PEXPIRE" : "EXPIRE";
    return asInteger(await this.#write(command, [key, ttl.value], "utf8")) === 1;
  }

  async pttl(key: string): Promise<number> {
    return asInteger(await this.#call("PTTL", [key]));
  }

  /**
   * `GET` and `PTTL` of every key in one pipeline; on a Cluster one pipeline per node, the
   * keys grouped by the node ioredis's slot table gives their slot, all sent at once.
   */
  readMany(keys: readonly string[]): Promise<RedisValueWithTtl[]> {
    return this.#pipelined(keys, true);
  }

  /**
   * `GET` of every key: one `MGET` on a single server (or Sentinel master); on a Cluster, where
   * `MGET` needs one slot, pipelined per node as {@link IoredisAdapter.readMany}. A key of
   * another type reads as `null` (`MGET`'s nil).
   */
  async getMany(keys: readonly string[]): Promise<(Buffer | null)[]> {
    if (keys.length === 0) return [];
    if (isIoredisCluster(this.#client))
      return (await this.#pipelined(keys, false)).map((read) => read.value);
    const reply = await withTimeout(
      this.#client.callBuffer("MGET", [...keys]),
      "MGET",
      this.#timeoutMs,
    );
    if (!Array.isArray(reply) || reply.length !== keys.length)
      throw new RedisReplyError("Unexpected MGET reply");
    return reply.map(asBuffer);
  }

  async #pipelined(keys: readonly string[], withTtl: boolean): Promise<RedisValueWithTtl[]> {
    const client = this.#client;
    const read: RedisValueWithTtl[] = new Array<RedisValueWithTtl>(keys.length);
    const groups = new Map<string, number[]>();
    const loose: number[] = [];
    const cluster = isIoredisCluster(client);
    const slotTable = cluster ? client.slots : undefined;
    const step = withTtl ? 2 : 1;
    keys.forEach((key, i) => {
      // A node with no known slot owner yet goes alone (ioredis routes a single command).
      const group = cluster ? slotTable?.[keySlot(key)]?.join(";") : "";
      if (group === undefined || client.pipeline === undefined) loose.push(i);
      else {
        const indexes = groups.get(group);
        if (indexes === undefined) groups.set(group, [i]);
        else indexes.push(i);
      }
    });
    await Promise.all([
      ...[...groups.values()].map(async (indexes) => {
        const pipeline = client.pipeline!();
        for (const i of indexes) {
          pipeline.getBuffer(keys[i]!);
          if (withTtl) pipeline.pttl(keys[i]!);
        }
        const command = withTtl ? "GET/PTTL" : "GET";
        const replies = (await withTimeout(pipeline.exec(), command, this.#timeoutMs)) ?? [];
        indexes.forEach((keyIndex, n) => {
          const [getError, value] = replies[step * n] ?? [null, null];
          const [ttlError, ms] = withTtl ? (replies[2 * n + 1] ?? [null, -2]) : [null, -2];
          if (getError !== null && !isWrongTypeError(getError)) throw getError;
          if (ttlError !== null) throw ttlError;
          read[keyIndex] = {
            value: getError === null ? asBuffer(value) : null,
            pttl: asInteger(ms),
          };
        });
      }),
      ...loose.map(async (i) => {
        const key = keys[i]!;
        const [value, ms] = await Promise.all([
          this.get(key).catch((err: unknown) => {
            if (isWrongTypeError(err)) return null;
            throw err;
          }),
          withTtl ? this.pttl(key) : -2,
        ]);
        read[i] = { value, pttl: ms };
      }),
    ]);
    return read;
  }

  async evalScript(
    script: RedisScript,
    key: string,
    args: readonly (string | number | Uint8Array)[],
  ): Promise<unknown> {
    // Bulk replies as bytes (`replyEncoding: null`), like GET. ioredis (also a Cluster) finds
    // the key of EVALSHA/EVAL from `numkeys`, so the command goes to that key's node. Scripts
    // here write, so both go the way of every write (see the module notes).
    const rest: IoredisArgument[] = [
      1,
      key,
      ...args.map((arg) =>
        arg instanceof Uint8Array ? Buffer.from(arg.buffer, arg.byteOffset, arg.length) : arg,
      ),
    ];
    try {
      return await this.#write("EVALSHA", [script.sha1, ...rest], null);
    } catch (err) {
      if (!isNoScriptError(err)) throw err;
      return this.#write("EVAL", [script.source, ...rest], null);
    }
  }

  async *scan(pattern: string, count: number): AsyncIterable<string> {
    for await (const page of this.scanPages(pattern, count)) yield* page.keys;
  }

  scanPages(pattern: string, count: number, from = ""): AsyncIterable<RedisScanPage> {
    const client = this.#client;
    const nodes = isIoredisCluster(client) ? client.nodes("master") : [client];
    const labels = nodes.map(nodeLabel);
    if (isIoredisCluster(client) && client.slots !== undefined) {
      const slots = client.slots;
      requireSlotCoverage((slot) => slots[slot]?.[0], new Set(labels.filter((l) => l !== "")));
    }
    const targets = nodes.map((node, i): RedisScanTarget => ({
      scan: (cursor, match, n) => this.#call("SCAN", [cursor, "MATCH", match, "COUNT", n], node),
      identity: async () => runIdOf(await this.#call("INFO", ["server"], node)),
      ...(labels[i] === "" ? {} : { label: labels[i]! }),
    }));
    return scanEveryMaster(targets, pattern, count, from);
  }
}

/** `host:port` of an ioredis node connection (its slot-table key), `""` when unknown. */
function nodeLabel(node: IoredisClientLike): string {
  const options = (node as { options?: { host?: unknown; port?: unknown; sentinels?: unknown } })
    .options;
  // A Sentinel-managed client keeps the default host:port in its options, not its master's.
  if (Array.isArray(options?.sentinels) && options.sentinels.length > 0) return "";
  return typeof options?.host === "string" && typeof options.port === "number"
    ? `${options.host}:${options.port}`
    : "";
}

/**
 * Wraps an ioredis `Redis` or `Cluster`. The client stays the caller's: it is never closed or
 * reconfigured here, nor connected (except that a `lazyConnect` client connects on its first
 * command, as ioredis does; see the module notes on writes).
 *
 * @throws {ConfigurationError} when the client has a `keyPrefix`.
 * @example
 * ```ts
 * const store = new DjangoCacheStore({ client: fromIoredis(new Redis(), { commandTimeoutMs: 1000 }) });
 * ```
 */
export function fromIoredis(
  client: IoredisClientLike,
  options: RedisAdapterOptions = {},
): RedisCommandClient {
  return new IoredisAdapter(client, commandTimeout(options));
}
