/**
 * The three Redis commands Flask-Session's Redis layout needs (`GET`, `SET … EX`, `DEL`), over
 * the client the caller already has: node-redis 5/6, ioredis 5/6, or any object with
 * `get`/`set`/`del` in the shape of `RedisCommandClient` (`src/stores/redis/client.ts`).
 * Binary-safe: pickles and msgpack are bytes. Never connects or closes the client.
 *
 * @internal (a private twin of the Django Redis stores' client adapter)
 */
import { Buffer } from "node:buffer";

/** What the Flask-Session store calls. */
export interface FlaskSessionRedis {
  readonly kind: string;
  get(key: string): Promise<Buffer | null>;
  /** `SET key value EX seconds`. */
  setEx(key: string, value: Uint8Array, seconds: number): Promise<void>;
  del(key: string): Promise<void>;
}

type Fn = (...args: unknown[]) => Promise<unknown>;
const fn = (client: unknown, name: string): Fn | undefined => {
  const f = (client as Record<string, unknown> | null)?.[name];
  return typeof f === "function" ? (f as Fn).bind(client) : undefined;
};

function asBuffer(reply: unknown): Buffer | null {
  if (reply === null || reply === undefined) return null;
  if (Buffer.isBuffer(reply)) return reply;
  if (reply instanceof Uint8Array) return Buffer.from(reply.buffer, reply.byteOffset, reply.length);
  if (typeof reply === "string") return Buffer.from(reply, "latin1");
  throw new TypeError("Redis reply is not a string");
}

/** RESP3 blob string type id (`RESP_TYPES.BLOB_STRING` in node-redis 5+). */
const BLOB_STRING = 36;

/**
 * Wraps a node-redis or ioredis client (recognised by shape) or a `RedisCommandClient`.
 *
 * @throws {TypeError} for anything else.
 * @example
 * ```ts
 * const redis = toFlaskSessionRedis(await createClient().connect());
 * ```
 */
export function toFlaskSessionRedis(client: unknown): FlaskSessionRedis {
  const getBuffer = fn(client, "getBuffer");
  const sendCommand = fn(client, "sendCommand");
  const kind = (client as { kind?: unknown } | null)?.kind;
  if (typeof kind === "string" && fn(client, "get") && fn(client, "set") && fn(client, "del")) {
    // A RedisCommandClient: get → Buffer, set(key, value, { ttl: { unit, value } }).
    const c = client as {
      get(key: string): Promise<Buffer | null>;
      set(
        key: string,
        value: Uint8Array,
        o: { ttl: { unit: "EX"; value: number } },
      ): Promise<boolean>;
      del(key: string): Promise<number>;
    };
    return {
      kind,
      get: (key) => c.get(key),
      setEx: async (key, value, seconds) => {
        await c.set(key, value, { ttl: { unit: "EX", value: seconds } });
      },
      del: async (key) => {
        await c.del(key);
      },
    };
  }
  if (getBuffer) {
    const set = fn(client, "set")!;
    const del = fn(client, "del")!;
    return {
      kind: "ioredis",
      get: async (key) => asBuffer(await getBuffer(key)),
      setEx: async (key, value, seconds) => {
        await set(key, Buffer.from(value.buffer, value.byteOffset, value.length), "EX", seconds);
      },
      del: async (key) => {
        await del(key);
      },
    };
  }
  if (sendCommand) {
    return {
      kind: "node-redis",
      get: async (key) =>
        asBuffer(await sendCommand(["GET", key], { typeMapping: { [BLOB_STRING]: Buffer } })),
      setEx: async (key, value, seconds) => {
        const bytes = Buffer.from(value.buffer, value.byteOffset, value.length);
        await sendCommand(["SET", key, bytes, "EX", String(seconds)]);
      },
      del: async (key) => {
        await sendCommand(["DEL", key]);
      },
    };
  }
  throw new TypeError("Pass a node-redis or ioredis client");
}
