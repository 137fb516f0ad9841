// What the Flask and Starlette cookie-codec tests share: the key and clock, the session values
// every JSON-based cookie must carry through the real Python peers unchanged, and the
// round-trip property over random sessions.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { PyFloat, type PyValue, type SessionData } from "../../../src/codecs/python-values.ts";
import { SignatureExpiredError } from "../../../src/errors.ts";

export const K = "test-secret-key";
/** The signing clock of every vector: 2023-11-14T22:13:20Z. */
export const TS = 1700000000;

/** `entries` as session data, in their insertion order. */
export const session = (entries: Record<string, PyValue>): SessionData =>
  new Map(Object.entries(entries));

/** Values both peers' JSON must carry unchanged (session entries, by case). */
export const SHARED_CASES = {
  plain: { user: "alice", n: 42, nothing: null, flag: true },
  /** Whole, tiny and huge floats, negative zero and the non-finite ones. */
  floats: {
    a: new PyFloat(1),
    b: 0.1,
    c: new PyFloat(1e16),
    d: 1e-5,
    e: new PyFloat(-0),
    f: NaN,
    g: Infinity,
    h: -Infinity,
  },
  bigints: { big: 12345678901234567890n, neg: -(2n ** 70n) },
  unicode: {
    é: "ü",
    "\u{1F389}": "🎉 party",
    "\uff5e": '\u2028\u007f\u0000\t\n"\\/',
    mixed: "naïve ☃ 𝄞",
  },
  nested: { a: { b: [1, { c: [true, false, null] }], d: {} }, e: [[], [[]]] },
} satisfies Record<string, Record<string, PyValue>>;

/** A signed-cookie session codec (Flask's, Starlette's). */
export interface CookieCodec {
  encode(data: SessionData, now?: number): string;
  decode(cookie: string, options?: { now?: number }): SessionData;
}

/** The suite `name`: `codec` decodes what it encodes, for 400 random sessions from `arb`. */
export function describeRoundTrip(
  name: string,
  test: string,
  codec: CookieCodec,
  arb: fc.Arbitrary<SessionData>,
): void {
  describe(name, () => {
    it(test, () => {
      fc.assert(
        fc.property(arb, (data) => {
          assert.deepEqual(codec.decode(codec.encode(data, TS), { now: TS }), data);
        }),
        { numRuns: 400 },
      );
    });
  });
}

/** A SignatureExpiredError, with its code. */
const expired = (err: unknown): boolean =>
  err instanceof SignatureExpiredError && err.code === "expired";

/**
 * `good`, signed at {@link TS} and holding {user: "alice"}, decodes for exactly `maxAge`
 * seconds and not a second before TS (a future timestamp); `unchecked` (maxAge null) still
 * decodes it 10^9 s later.
 */
export function assertMaxAge(
  codec: CookieCodec,
  unchecked: CookieCodec,
  good: string,
  maxAge: number,
): void {
  const alice = session({ user: "alice" });
  assert.deepEqual(codec.decode(good, { now: TS + maxAge }), alice);
  assert.throws(() => codec.decode(good, { now: TS + maxAge + 1 }), expired);
  assert.throws(() => codec.decode(good, { now: TS - 1 }), expired);
  assert.deepEqual(unchecked.decode(good, { now: TS + 10 ** 9 }), alice);
}
