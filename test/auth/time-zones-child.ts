// Child of django-user-source-time-zones.test.ts, run with a non-UTC TZ: DjangoUserSource on
// pools the caller made with the drivers' own defaults, over auth_user as real Django made it.
// Asserts here; reports the users it wrote, for the parent to read with Django.
import assert from "node:assert/strict";
import { DjangoUserSource } from "../../src/auth/django-user-source.ts";
import type { User } from "../../src/auth/user.ts";
import { callerPools } from "../stores/sql/caller-pools.ts";
import { childInput, childResult } from "../support/time-zone-child.ts";

export interface UserChildInput {
  readonly dialect: "sqlite" | "postgres" | "mysql";
  /** A database URL, or the SQLite file. */
  readonly url: string;
  /** A user Django created, with its dates as Django reads them (ISO, ms). */
  readonly django: {
    readonly username: string;
    readonly lastLogin: string;
    readonly dateJoined: string;
  };
  /** Prefix of the usernames this child creates. */
  readonly prefix: string;
}

/** A user this child wrote, and the dates it wrote. */
export interface WrittenUser {
  readonly variant: string;
  readonly username: string;
  readonly lastLogin: string;
  readonly dateJoined: string;
}

export interface UserChildResult {
  readonly variants: readonly string[];
  readonly written: readonly WrittenUser[];
}

const input = childInput() as UserChildInput;
const iso = (user: User | null | undefined) => [
  user?.lastLogin?.toISOString(),
  user?.dateJoined?.toISOString(),
];
const written: WrittenUser[] = [];
const pools = callerPools(input.dialect, input.url);
let n = 0;
for (const [variant, open] of Object.entries(pools)) {
  const opened = await open();
  try {
    const users = new DjangoUserSource({ database: opened.database });
    const expected = [input.django.lastLogin, input.django.dateJoined];

    // Django's dates, read by username, by key and in a listing.
    const theirs = await users.getUserByUsername(input.django.username);
    assert.ok(theirs !== null);
    assert.deepEqual(iso(theirs), expected, variant);
    assert.deepEqual(iso(await users.getUser(String(theirs.id))), expected, variant);
    const listed: User[] = [];
    for await (const user of users.listUsers({ batchSize: 2 })) listed.push(user);
    assert.deepEqual(iso(listed.find((u) => u.id === theirs.id)), expected, variant);

    // Ours: given dates (winter and summer time) come back exactly …
    const joined = new Date(Date.UTC(2024, 0, 31, 23, 30, 15, 250));
    const seen = new Date(Date.UTC(2024, 6, 1, 2, 3, 4, 5));
    const made = await users.createUser({
      username: `${input.prefix}-${++n}`,
      password: "!",
      dateJoined: joined,
      lastLogin: seen,
    });
    assert.deepEqual(iso(made), [seen.toISOString(), joined.toISOString()], variant);
    // … updateLastLogin too …
    const login = new Date(Date.UTC(2024, 2, 10, 6, 59, 59, 999));
    await users.updateLastLogin(made, login);
    const again = await users.getUser(String(made.id));
    assert.deepEqual(iso(again), [login.toISOString(), joined.toISOString()], variant);
    written.push({
      variant,
      username: made.username,
      lastLogin: login.toISOString(),
      dateJoined: joined.toISOString(),
    });
    // … and date_joined defaults to now, not now shifted by the zone's offset.
    const before = Date.now();
    const fresh = await users.createUser({ username: `${input.prefix}-${++n}`, password: "!" });
    const after = Date.now();
    const at = fresh.dateJoined?.getTime() ?? Number.NaN;
    assert.ok(at >= before - 1 && at <= after, `${variant}: date_joined is now`);
    assert.equal(fresh.lastLogin, null);
    written.push({
      variant,
      username: fresh.username,
      lastLogin: "",
      dateJoined: new Date(at).toISOString(),
    });
  } finally {
    await opened.close();
  }
}
childResult({ variants: Object.keys(pools), written } satisfies UserChildResult);
