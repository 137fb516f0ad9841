/**
 * `GET` and `PTTL` of many keys at once, for the stores' `inspectMany`: the client's own
 * pipelined batch ({@link RedisCommandClient.readMany}) where it has one, else every command sent
 * at once (still one round trip's wait, not one per key).
 *
 * @example
 * ```ts
 * const [first] = await readValuesWithTtl(client, ["sess:a", "sess:b"]);
 * ```
 */
import type { Buffer } from "node:buffer";
import { ConfigurationError } from "../../errors.ts";
import type { RedisCommandClient, RedisValueWithTtl } from "./client.ts";
import { isWrongTypeError } from "./errors.ts";

/**
 * {@link RedisCommandClient.readMany} on a client that may lack it (see the module notes).
 * @throws {ConfigurationError} for a client without `readMany` or `pttl`.
 *
 * @example
 * ```ts
 * const reads = await readValuesWithTtl(client, keys); // one entry per key, in order
 * ```
 */
export async function readValuesWithTtl(
  client: RedisCommandClient,
  keys: readonly string[],
): Promise<RedisValueWithTtl[]> {
  if (keys.length === 0) return [];
  if (client.readMany) return client.readMany(keys);
  const pttl = client.pttl?.bind(client);
  if (pttl === undefined) {
    throw new ConfigurationError("this Redis client cannot read expiries (pttl)");
  }
  return Promise.all(
    keys.map(async (key) => {
      const [value, ms] = await Promise.all([
        client.get(key).catch((err: unknown) => {
          if (isWrongTypeError(err)) return null;
          throw err;
        }),
        pttl(key),
      ]);
      return { value, pttl: ms };
    }),
  );
}

/**
 * One session as {@link inspectRedisValues} finds it: the stores' `StoredSession` shape.
 *
 * @example
 * ```ts
 * const found: InspectedValue<string> = { key: "k", data: null, expireDate: null };
 * ```
 */
export interface InspectedValue<D> {
  readonly key: string;
  /** `null` when the value is empty, not a string, or `decode` refused it. */
  readonly data: D | null;
  /** From the PTTL; `null` for a key without TTL. */
  readonly expireDate: Date | null;
}

/**
 * What the Redis stores' `inspectMany` share: the distinct session keys read in one batch
 * ({@link readValuesWithTtl}), each decoded; keys gone (PTTL -2) are missing from the map.
 *
 * @example
 * ```ts
 * const found = await inspectRedisValues(client, keys, (k) => `session:${k}`, (k, bytes) => decode(bytes));
 * ```
 */
export async function inspectRedisValues<D>(
  client: RedisCommandClient,
  sessionKeys: readonly string[],
  redisKeyOf: (sessionKey: string) => string,
  decode: (sessionKey: string, bytes: Buffer) => D | null,
): Promise<Map<string, InspectedValue<D>>> {
  const distinct = [...new Set(sessionKeys)];
  const reads = await readValuesWithTtl(client, distinct.map(redisKeyOf));
  const now = Date.now();
  const found = new Map<string, InspectedValue<D>>();
  distinct.forEach((key, i) => {
    const { value, pttl } = reads[i]!;
    if (pttl === -2) return; // expired or deleted
    found.set(key, {
      key,
      data: value === null || value.length === 0 ? null : decode(key, value),
      expireDate: pttl === -1 ? null : new Date(now + pttl),
    });
  });
  return found;
}
