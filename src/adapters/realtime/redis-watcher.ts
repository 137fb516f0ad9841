/**
 * Revocation by Redis keyspace notifications: a session key deleted (logout, `sessions revoke`,
 * `clearsessions`), expired or evicted closes its connections at once; a key rewritten (a save
 * on the Django side) or given a new TTL is re-checked, so the gate's expiry timer knows the
 * new expiry (Redis's own `expired` event can come late: it is sent when Redis finds the key
 * expired, on access or by sampling keys with a TTL). Sessions are then never polled; users
 * still are (a password change lives in the SQL user table), one batched query per interval.
 * The same watcher feeds the per-user session index's keeper (`sessionbridge sessions index
 * --follow`).
 *
 * Redis publishes these events only when `notify-keyspace-events` holds `K` (keyspace
 * channel) and the classes `g` (DEL), `x` (expired), `e` (evicted) and `$` (SET), or `A`
 * for all classes. {@link redisKeyspaceWatcher} reads the setting at start and refuses to start
 * without them, naming the command to run:
 *
 * ```text
 * CONFIG SET notify-keyspace-events Kg$xe      (or in redis.conf: notify-keyspace-events "Kg$xe")
 * ```
 *
 * On a Redis Cluster each master publishes the events of its own keys only: pass one
 * subscriber per master (ioredis: `cluster.nodes("master").map((n) => n.duplicate())`).
 * Subscribers are put in subscriber mode and used for nothing else; `stop()` unsubscribes and
 * leaves closing them to the caller.
 *
 * @example
 * ```ts
 * import { createClient } from "redis";
 * const subscriber = client.duplicate();
 * await subscriber.connect();
 * const gate = createRealtimeGate({
 *   store,
 *   djangoVersion: "5.2",
 *   users: djangoUsers(config),
 *   watchers: [redisKeyspaceWatcher({ store, subscribers: [subscriber] })],
 * });
 * await gate.start(); // rejects with ConfigurationError when notifications are off
 * ```
 */
import { ConfigurationError } from "../../errors.ts";
import type { RealtimeGate, RevocationWatcher } from "./gate.ts";

/**
 * Who hears the events: a gate, or anything else following session writes (the CLI's
 * per-user index keeper, `sessionbridge sessions index --follow`).
 *
 * @example
 * ```ts
 * const listener: RedisKeyspaceListener = { sessionGone() {}, sessionChanged: async (key) => console.log(key) };
 * ```
 */
export type RedisKeyspaceListener = Pick<RealtimeGate<unknown>, "sessionGone" | "sessionChanged">;

/**
 * {@link redisKeyspaceWatcher}'s watcher: a gate's {@link RevocationWatcher} whose `start` also
 * takes any {@link RedisKeyspaceListener}.
 *
 * @example
 * ```ts
 * const watcher: RedisKeyspaceWatcher = redisKeyspaceWatcher({ store, subscribers: [subscriber] });
 * await watcher.start({ sessionGone() {}, sessionChanged: async () => {} });
 * ```
 */
export interface RedisKeyspaceWatcher extends RevocationWatcher {
  start(listener: RedisKeyspaceListener): Promise<void>;
}

/** What the watcher needs of a Redis session store (every sessionbridge Redis store has it). */
export interface RedisKeyspaceOf {
  /** The glob covering every session key of the layout. */
  readonly scanPattern: string;
  /** The session key under a Redis key, or `null`. */
  sessionKeyOf(redisKey: string): string | null;
}

/** A node-redis 5+ client (connected, dedicated to subscribing). */
export interface NodeRedisSubscriber {
  configGet(name: string): Promise<Record<string, string>>;
  pSubscribe(pattern: string, listener: (message: string, channel: string) => void): Promise<void>;
  pUnsubscribe(pattern: string): Promise<void>;
}

/** An ioredis 5+ client or cluster node (dedicated to subscribing). */
export interface IoredisSubscriber {
  config(op: "GET", name: string): Promise<unknown>;
  psubscribe(pattern: string): Promise<unknown>;
  punsubscribe(pattern: string): Promise<unknown>;
  on(
    event: "pmessage",
    listener: (pattern: string, channel: string, message: string) => void,
  ): unknown;
  off(
    event: "pmessage",
    listener: (pattern: string, channel: string, message: string) => void,
  ): unknown;
}

/** Options of {@link redisKeyspaceWatcher}. */
export interface RedisKeyspaceWatcherOptions {
  /** The session store whose keys are watched (its layout and key prefix). */
  readonly store: RedisKeyspaceOf;
  /** One dedicated subscriber connection, or one per Cluster master. */
  readonly subscribers: readonly (NodeRedisSubscriber | IoredisSubscriber)[];
  /** The Redis database number the sessions live in (keyspace channels name it); default 0. */
  readonly db?: number;
}

/** The event classes the watcher needs besides `K`. */
const NEEDED_CLASSES = ["g", "$", "x", "e"] as const;

/**
 * Which of the needed flags a `notify-keyspace-events` value lacks (`""` when none).
 *
 * @example
 * ```ts
 * missingKeyspaceFlags("Ex"); // "Kg$e"
 * ```
 */
export function missingKeyspaceFlags(value: string): string {
  const all = value.includes("A");
  let missing = value.includes("K") ? "" : "K";
  for (const c of NEEDED_CLASSES) if (!all && !value.includes(c)) missing += c;
  return missing;
}

function isNodeRedis(
  client: NodeRedisSubscriber | IoredisSubscriber,
): client is NodeRedisSubscriber {
  return typeof (client as Partial<NodeRedisSubscriber>).pSubscribe === "function";
}

async function notifyFlags(client: NodeRedisSubscriber | IoredisSubscriber): Promise<string> {
  if (isNodeRedis(client)) {
    return (await client.configGet("notify-keyspace-events"))["notify-keyspace-events"] ?? "";
  }
  const reply = await client.config("GET", "notify-keyspace-events");
  return Array.isArray(reply) && typeof reply[1] === "string" ? reply[1] : "";
}

/**
 * The watcher (see the module documentation).
 * @throws {ConfigurationError} without subscribers; `start` rejects with one when
 *   `notify-keyspace-events` lacks a needed flag.
 *
 * @example
 * ```ts
 * redisKeyspaceWatcher({ store, subscribers: [subscriber], db: 0 });
 * ```
 */
export function redisKeyspaceWatcher(options: RedisKeyspaceWatcherOptions): RedisKeyspaceWatcher {
  if (options.subscribers.length === 0) {
    throw new ConfigurationError("redisKeyspaceWatcher needs at least one subscriber connection");
  }
  const db = options.db ?? 0;
  const channelHead = `__keyspace@${db}__:`;
  const pattern = `${channelHead}${options.store.scanPattern}`;
  const stops: (() => Promise<unknown>)[] = [];
  return {
    sessions: true,
    users: false,
    async start(gate: RedisKeyspaceListener) {
      for (const client of options.subscribers) {
        const flags = await notifyFlags(client);
        const missing = missingKeyspaceFlags(flags);
        if (missing !== "") {
          throw new ConfigurationError(
            `Redis keyspace notifications lack "${missing}" (notify-keyspace-events is "${flags}"): run CONFIG SET notify-keyspace-events ${flags}${missing} on every master (or set notify-keyspace-events "${flags}${missing}" in redis.conf), or drop redisKeyspaceWatcher to poll sessions instead`,
          );
        }
      }
      const onEvent = (channel: string, event: string): void => {
        if (!channel.startsWith(channelHead)) return;
        const key = options.store.sessionKeyOf(channel.slice(channelHead.length));
        if (key === null) return;
        if (event === "del" || event === "evicted") gate.sessionGone(key, "session-ended");
        else if (event === "expired") gate.sessionGone(key, "session-expired");
        else if (
          event === "set" ||
          event === "expire" ||
          event === "rename_to" ||
          event === "restore"
        )
          // A new TTL (`expire`, or a SET with PX) is re-read: the gate's own expiry timer then
          // closes the socket on time, since Redis reports `expired` only once it finds the key
          // expired (on access, or by sampling: late when many keys have a TTL).
          void gate.sessionChanged(key);
      };
      for (const client of options.subscribers) {
        if (isNodeRedis(client)) {
          await client.pSubscribe(pattern, (message, channel) => {
            onEvent(channel, message);
          });
          stops.push(() => client.pUnsubscribe(pattern));
        } else {
          const listener = (_pattern: string, channel: string, message: string): void => {
            onEvent(channel, message);
          };
          client.on("pmessage", listener);
          await client.psubscribe(pattern);
          stops.push(async () => {
            client.off("pmessage", listener);
            await client.punsubscribe(pattern);
          });
        }
      }
    },
    async stop() {
      await Promise.all(stops.splice(0).map((stop) => stop()));
    },
  };
}
