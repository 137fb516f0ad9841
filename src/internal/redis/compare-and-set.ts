/**
 * Compare-and-set of one Redis value, for the session stores' `saveIfUnchanged`: the version
 * of a stored value is the SHA-1 of its bytes (no extra key, so the Python side's layout is
 * untouched), and the write is one Lua script on the one key, so it is atomic and runs on a
 * Cluster too (routed to that key's slot).
 *
 * @example
 * ```ts
 * const version = valueVersion((await client.get(key)) ?? Buffer.alloc(0)); // ../value-version.ts
 * const next = await setIfUnchanged(client, "redis:django-cache", key, value, ttl, version);
 * if (next === null) console.log("changed or deleted meanwhile");
 * ```
 */
import { ConfigurationError } from "../../errors.ts";
import { valueVersion } from "../value-version.ts";
import { redisScript, type RedisCommandClient, type RedisTtl } from "./client.ts";

/**
 * KEYS[1]: the key; ARGV: expected SHA-1 (hex, or `""` for no value), new value, `PX`/`EX` or
 * `DEL`, TTL. Replies 1 when it wrote (or deleted, for an expiry already past), 0 when the value
 * differs from the expected one (is gone, is there when none was expected).
 */
const COMPARE_AND_SET = redisScript(
  `local current = redis.call('GET', KEYS[1])
if current then
  if redis.sha1hex(current) ~= ARGV[1] then return 0 end
elseif ARGV[1] ~= '' then
  return 0
end
if ARGV[3] == 'DEL' then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], ARGV[2], ARGV[3], ARGV[4])
end
return 1`,
  // A replay writes only if the value is still the one this request loaded.
  { replaySafe: true },
);

/** The version a deleted value has: no digest is empty, so it never matches a stored value. */
const GONE = "";

/**
 * Writes `value` under `key` with `ttl` (`null`: delete it, the expiry is past) only if the
 * stored bytes still have the SHA-1 `expected` (`""`: only if there is no value, a creation).
 * Resolves the new version, or `null` when the value changed or is gone. Driver errors are the
 * caller's to wrap.
 *
 * @throws {ConfigurationError} for a caller's client without `evalScript`.
 * @example
 * ```ts
 * await setIfUnchanged(client, store.name, key, value, { unit: "PX", value: 1000 }, version);
 * ```
 */
export async function setIfUnchanged(
  client: RedisCommandClient,
  store: string,
  key: string,
  value: Uint8Array,
  ttl: RedisTtl | null,
  expected: string,
): Promise<string | null> {
  if (!client.evalScript) {
    throw new ConfigurationError(
      `${store}: the Redis client cannot run scripts (evalScript), which compare-and-set saves need; pass concurrentWrites: "overwrite" to save blindly`,
    );
  }
  const args = ttl === null ? [expected, "", "DEL", 0] : [expected, value, ttl.unit, ttl.value];
  const reply = await client.evalScript(COMPARE_AND_SET, key, args);
  if (reply !== 1 && reply !== 1n) return null;
  return ttl === null ? GONE : valueVersion(value);
}
