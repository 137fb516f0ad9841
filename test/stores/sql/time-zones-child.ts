// Child of time-zones.test.ts, run with a non-UTC TZ: the SQL session store on pools and
// connections the caller made with the drivers' own defaults (mysql2's `timezone: "local"`,
// `dateStrings`, another offset; PostgreSQL sessions in other time zones), over the
// django_session table real Django wrote. Asserts here; reports what the parent checks with
// Django.
import assert from "node:assert/strict";
import { createSqlStore } from "../../../src/stores/sql/index.ts";
import { childInput, childResult } from "../../support/time-zone-child.ts";
import { callerPools } from "./caller-pools.ts";
import { codec, newKey } from "./helpers.ts";
import { expiryAt } from "./suite.ts";

export interface StoreChildInput {
  readonly dialect: "sqlite" | "postgres" | "mysql";
  /** A database URL, or the SQLite file. */
  readonly url: string;
  /** A session Django wrote, live, and its expire_date as Django reads it (ISO, ms). */
  readonly live: { readonly key: string; readonly expire: string };
  /** Sessions Django wrote that expired an hour or six ago … */
  readonly expired: readonly string[];
  /** … and that expire in an hour or six. */
  readonly alive: readonly string[];
}

/** A session this child wrote, for the parent to read with Django. */
export interface WrittenSession {
  readonly variant: string;
  readonly key: string;
  readonly expire: string;
  readonly data: Record<string, string>;
}

export interface StoreChildResult {
  readonly variants: readonly string[];
  readonly written: readonly WrittenSession[];
  readonly cleared: number;
}

const input = childInput() as StoreChildInput;
const written: WrittenSession[] = [];
let cleared = -1;
const live = Date.parse(input.live.expire);
for (const [variant, open] of Object.entries(callerPools(input.dialect, input.url))) {
  const opened = await open();
  try {
    const { database } = opened;
    const store = createSqlStore({ database, codec });
    const at = (now: number) => createSqlStore({ database, codec, now: () => now });

    // Django's row: its expiry exactly, and live until that very millisecond.
    assert.equal((await store.expiryOf(input.live.key))?.toISOString(), input.live.expire, variant);
    assert.equal((await at(live - 1).load(input.live.key))?.get("who"), "django", variant);
    assert.equal(await at(live + 1).load(input.live.key), null, variant);

    // Ours, in winter and in summer time: read back exactly, live up to the millisecond, and
    // left for Django to read.
    for (const expire of [
      Date.UTC(2031, 0, 15, 10, 20, 30, 456),
      Date.UTC(2031, 6, 15, 23, 5, 7),
    ]) {
      const key = newKey();
      const data = { zone: String(process.env["TZ"]), variant };
      await store.save(key, new Map(Object.entries(data)), {
        mustCreate: true,
        expiry: expiryAt(expire),
      });
      assert.equal((await store.expiryOf(key))?.getTime(), expire, variant);
      assert.deepEqual(await at(expire - 1).load(key), new Map(Object.entries(data)));
      assert.equal(await at(expire).load(key), null, "expire_date > now, strictly");
      written.push({ variant, key, expire: new Date(expire).toISOString(), data });
    }
    // touch writes expire_date alone, in the same form.
    const touched = written[written.length - 1]!;
    const later = Date.parse(touched.expire) + 3_600_123;
    await store.touch(touched.key, expiryAt(later));
    assert.equal((await store.expiryOf(touched.key))?.getTime(), later);
    written[written.length - 1] = { ...touched, expire: new Date(later).toISOString() };

    if (cleared === -1) {
      // clearExpired on the real clock: exactly the rows Django wrote in the past go.
      cleared = await store.clearExpired();
      for (const key of input.expired) assert.equal(await store.exists(key), false, key);
      for (const key of [...input.alive, ...written.map((w) => w.key)]) {
        assert.equal(await store.exists(key), true, key);
      }
    }
  } finally {
    await opened.close();
  }
}
childResult({
  variants: Object.keys(callerPools(input.dialect, input.url)),
  written,
  cleared,
} satisfies StoreChildResult);
