/**
 * Listing the sessions of a Redis store, for maintenance commands ("sessions list", "revoke
 * every session of a user"): `SCAN 0 MATCH <layout pattern> COUNT n` until the cursor comes
 * back to 0, on every master of a cluster. Never `KEYS`, which blocks Redis.
 *
 * @example
 * ```ts
 * import { scanSessionKeys } from "sessionbridge/stores/redis";
 * for await (const key of scanSessionKeys(store)) {
 *   const data = await store.load(key);
 *   if (data?.get("_auth_user_id") === "42") await store.delete(key);
 * }
 * ```
 */
import type { RedisSessionKeyspace } from "./base.ts";
import { redisStoreError } from "../../internal/redis/errors.ts";
import { ConfigurationError } from "../../errors.ts";

/** Options of {@link scanSessionKeys}. */
export interface ScanSessionKeysOptions {
  /** SCAN's `COUNT` hint: keys examined per round trip; default 1000. */
  readonly count?: number;
}

/**
 * Yields the session keys (not the Redis keys) a store holds, as `store.load`/`delete` take
 * them. Only keys shaped like Django's (lowercase letters and digits, at least 8) are yielded.
 * As with SCAN itself, a key created or deleted during the listing may or may not appear, and a
 * key may rarely appear twice (while Redis rehashes or a cluster reshards). A failing SCAN
 * rejects with `SessionStoreError`.
 *
 * @example
 * ```ts
 * let n = 0;
 * for await (const _ of scanSessionKeys(store, { count: 500 })) n++;
 * ```
 */
export async function* scanSessionKeys(
  store: RedisSessionKeyspace,
  options: ScanSessionKeysOptions = {},
): AsyncIterable<string> {
  const count = options.count ?? 1000;
  if (!Number.isSafeInteger(count) || count < 1) throw new ConfigurationError("count must be ≥ 1");
  const iterator = store.client.scan(store.scanPattern, count)[Symbol.asyncIterator]();
  for (;;) {
    let step: IteratorResult<string>;
    try {
      step = await iterator.next();
    } catch (err) {
      throw redisStoreError(store.name, err);
    }
    if (step.done === true) return;
    const key = store.sessionKeyOf(step.value);
    if (key !== null) yield key;
  }
}
