// Hashing must not block the event loop: pbkdf2/scrypt run on libuv's threadpool through async
// node:crypto, argon2/bcrypt on it through the napi-rs addons. Several hashes run concurrently
// while a 5 ms interval keeps ticking. No wall-clock bound (a loaded machine stretches every
// gap): the event loop's utilization while they run (the share of the time the main thread was
// busy, not waiting) must stay under a half. Hashing on the main thread keeps it busy the whole
// time (utilization near 1); on the threadpool the loop mostly waits, however slow the machine.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  checkPassword,
  makePassword,
  type HasherAlgorithm,
} from "../../../src/auth/hashers/index.ts";
import { requireNativeBackends } from "./support.ts";

describe("the event loop stays responsive while hashing", () => {
  it("the main thread mostly waits while argon2, bcrypt, pbkdf2 and scrypt work", async (t) => {
    await requireNativeBackends();
    const wanted: HasherAlgorithm[] = [
      "argon2",
      "bcrypt_sha256",
      "bcrypt",
      "pbkdf2_sha256",
      "scrypt",
    ];
    const algorithms = wanted;

    let ticks = 0;
    const timer = setInterval(() => {
      ticks++;
    }, 5);
    const start = performance.eventLoopUtilization();
    let busy: number;
    try {
      // One of each at once, with work factors above Django 5.2's so that any of them run
      // synchronously would keep the main thread busy for about a second (pbkdf2 2M ≈ 1.2 s,
      // argon2 t=6 ≈ 1.1 s, bcrypt 13 ≈ 1 s, scrypt N=2**15 p=5 ≈ 1.1 s on the 2-core CI box),
      // most of the time the five take together.
      const options = {
        hashers: wanted,
        params: {
          pbkdf2Iterations: 2_000_000,
          argon2: { timeCost: 6 },
          bcryptRounds: 13,
          scrypt: { n: 2 ** 15, p: 5 },
        },
      } as const;
      const hashes = await Promise.all(
        algorithms.map((algorithm) => makePassword("pw", { ...options, algorithm })),
      );
      const checks = await Promise.all(hashes.map((h) => checkPassword("pw", h, options)));
      assert.deepEqual(
        checks.map((c) => c.ok),
        hashes.map(() => true),
      );
    } finally {
      busy = performance.eventLoopUtilization(start).utilization;
      clearInterval(timer);
    }
    t.diagnostic(`${ticks} ticks, event-loop utilization ${busy.toFixed(3)}`);
    assert.ok(ticks > 0, "the interval fired while the hashes ran");
    assert.ok(busy < 0.5, `the main thread was busy ${(busy * 100).toFixed(0)}% of the time`);
  });
});
