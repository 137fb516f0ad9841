import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  BadSignatureError,
  MalformedError,
  SignatureExpiredError,
  UnsupportedValueError,
} from "../../../src/errors.ts";
import {
  STARLETTE_DEFAULT_MAX_AGE,
  StarletteSessionCodec,
} from "../../../src/codecs/starlette/index.ts";
import { TimestampSigner } from "../../../src/codecs/itsdangerous/index.ts";
import { PyTuple, type PyValue, type SessionData } from "../../../src/codecs/python-values.ts";
import { ok, runPeer, sessionFromDesc, toDesc, type Desc } from "../itsdangerous/peer.ts";
import { jsonSessionArb } from "../flask/arbitraries.ts";
import {
  K,
  SHARED_CASES,
  TS,
  assertMaxAge,
  describeRoundTrip,
  session,
} from "../flask/cookie-cases.ts";

const codec = new StarletteSessionCodec({ secretKey: K });
const signPayload = (payload: string, now = TS): string => codec.signer.sign(payload, now);

describe("Starlette cookie vectors (§5.1)", () => {
  it("reproduces the padding example byte for byte", () => {
    const cookie = "eyJhIjogImJjIn0=.ZVPxAA.tcSTfi31RaO847fRTUMrGwKU6kk";
    assert.equal(codec.encode(session({ a: "bc" }), TS), cookie);
    assert.deepEqual(codec.decode(cookie, { now: TS }), session({ a: "bc" }));
  });

  it("reproduces the §7 visits cookie payload and keeps insertion order", () => {
    assert.match(codec.encode(session({ visits: 1 }), TS), /^eyJ2aXNpdHMiOiAxfQ==\.ZVPxAA\./);
    const ordered = new Map<string, PyValue>([
      ["b", 1],
      ["a", 2],
      ["10", 3],
      ["2", 4],
    ]);
    const cookie = codec.encode(ordered, TS);
    assert.equal(
      Buffer.from(cookie.split(".")[0]!, "base64").toString(),
      '{"b": 1, "a": 2, "10": 3, "2": 4}',
    );
    assert.deepEqual([...codec.decode(cookie, { now: TS }).keys()], ["b", "a", "10", "2"]);
  });

  it("uses salt itsdangerous.Signer, django-concat, SHA-1", () => {
    const signer = new TimestampSigner(K, {
      salt: "itsdangerous.Signer",
      keyDerivation: "django-concat",
      digestMethod: "sha1",
    });
    assert.equal(codec.encode(session({ a: "bc" }), TS), signer.sign("eyJhIjogImJjIn0=", TS));
  });

  it("tuples become lists; bytes and other typed values cannot be written", () => {
    const back = codec.decode(codec.encode(session({ t: new PyTuple([1, "a"]) }), TS), { now: TS });
    assert.deepEqual(back, session({ t: [1, "a"] }));
    assert.throws(() => codec.encode(session({ b: new Uint8Array(1) })), UnsupportedValueError);
  });
});

describe("Starlette cookie rejection", () => {
  const good = codec.encode(session({ user: "alice" }), TS);

  it("tampered, wrong key, wrong salt/derivation/digest, empty → BadSignatureError", () => {
    assert.throws(
      () => codec.decode(good.replace(/^eyJ1/, "eyJ2"), { now: TS }),
      BadSignatureError,
    );
    assert.throws(
      () => new StarletteSessionCodec({ secretKey: "other" }).decode(good, { now: TS }),
      BadSignatureError,
    );
    for (const other of [
      new TimestampSigner(K, { salt: "cookie-session", keyDerivation: "hmac" }),
      new TimestampSigner(K, { digestMethod: "sha256" }),
      new TimestampSigner(K, { keyDerivation: "hmac" }),
    ]) {
      assert.throws(
        () => codec.decode(other.sign("eyJhIjogImJjIn0=", TS), { now: TS }),
        BadSignatureError,
      );
    }
    assert.throws(() => codec.decode("", { now: TS }), BadSignatureError);
  });

  it("14 days by default (exactly 14 d valid), future rejected, null disables the check", () => {
    assert.equal(STARLETTE_DEFAULT_MAX_AGE, 1209600);
    const unchecked = new StarletteSessionCodec({ secretKey: K, maxAge: null });
    assertMaxAge(codec, unchecked, good, STARLETTE_DEFAULT_MAX_AGE);
  });

  it("signed-but-malformed payloads → MalformedError", () => {
    const b64 = (s: string): string => Buffer.from(s).toString("base64");
    for (const payload of [
      b64("[1, 2]"),
      b64("1"),
      b64("{bad"),
      "abc",
      b64("\xff"),
      Buffer.from([0x7b, 0xff]).toString("base64"),
    ]) {
      assert.throws(() => codec.decode(signPayload(payload), { now: TS }), MalformedError, payload);
    }
  });
});

describeRoundTrip(
  "Starlette property: random sessions round-trip",
  "decode(encode(x)) equals x",
  codec,
  jsonSessionArb,
);

// ------------------------------------------------------------------------------------------
// Against the real SessionMiddleware of Starlette 0.26.1 and 1.x.

const CASES: Record<string, SessionData> = {
  padding: session({ a: "bc" }),
  plain: session(SHARED_CASES.plain),
  floats: session(SHARED_CASES.floats),
  bigints: session(SHARED_CASES.bigints),
  unicode: session(SHARED_CASES.unicode),
  order: new Map<string, PyValue>([
    ["z", 1],
    ["a", 2],
    ["\u{1F600}", 3],
    ["\uff5e", 4],
    ["10", 5],
    ["9", 6],
  ]),
  nested: session(SHARED_CASES.nested),
  flask_like: session({ _flashes: [{ " t": ["message", "hi"] }], _fresh: true }),
  large: session({ data: "x".repeat(3000) }),
};

for (const peer of ["starlette-0.26", "starlette-1"]) {
  describe(`Starlette codec against Python (${peer})`, () => {
    const names = Object.keys(CASES);

    it("our cookies are byte-identical to SessionMiddleware's", () => {
      const r = runPeer(
        peer,
        names.map((n) => ({ op: "starlette_dumps", session: toDesc(CASES[n]!), now: TS })),
      );
      names.forEach((name, i) => {
        const py = ok(r[i]) as { cookie: string; set_cookie: string };
        assert.equal(codec.encode(CASES[name]!, TS), py.cookie, name);
        assert.equal(
          py.set_cookie,
          `session=${py.cookie}; path=/; Max-Age=1209600; httponly; samesite=lax`,
        );
        assert.deepEqual(codec.decode(py.cookie, { now: TS }), CASES[name], name);
      });
    });

    it("SessionMiddleware reads our cookies to equal values", () => {
      const r = runPeer(
        peer,
        names.map((n) => ({
          op: "starlette_loads",
          cookie: codec.encode(CASES[n]!, TS),
          now: TS + 60,
        })),
      );
      names.forEach((name, i) => {
        assert.deepEqual(
          sessionFromDesc(ok(r[i]) as Desc),
          sessionFromDesc(toDesc(CASES[name]!)),
          name,
        );
      });
    });

    it("agrees on rejection (tampered, expired, future → {} in Starlette; typed errors here)", () => {
      const good = codec.encode(CASES.plain!, TS);
      const tampered = good.replace(/^eyJ1/, "eyJ2");
      const r = runPeer(peer, [
        { op: "starlette_loads", cookie: tampered, now: TS },
        { op: "starlette_loads", cookie: good, now: TS + STARLETTE_DEFAULT_MAX_AGE + 1 },
        { op: "starlette_loads", cookie: good, now: TS - 1 },
        { op: "starlette_loads", cookie: good, now: TS + STARLETTE_DEFAULT_MAX_AGE },
        { op: "starlette_unsign", cookie: good, now: TS - 1 },
        { op: "starlette_unsign", cookie: tampered, now: TS },
      ]);
      assert.deepEqual(ok(r[0]), { dict: [] });
      assert.deepEqual(ok(r[1]), { dict: [] });
      assert.deepEqual(ok(r[2]), { dict: [] });
      assert.deepEqual(sessionFromDesc(ok(r[3]) as Desc), sessionFromDesc(toDesc(CASES.plain!)));
      assert.equal((r[4] as { error: string }).error, "SignatureExpired");
      assert.equal((r[5] as { error: string }).error, "BadTimeSignature");
      assert.throws(() => codec.decode(tampered, { now: TS }), BadSignatureError);
      assert.throws(() => codec.decode(good, { now: TS - 1 }), SignatureExpiredError);
    });

    it("random sessions: SessionMiddleware reads what we write, and we read what it writes", () => {
      const samples = fc.sample(jsonSessionArb, { numRuns: 120, seed: 11 });
      const r = runPeer(peer, [
        ...samples.map((s) => ({ op: "starlette_loads", cookie: codec.encode(s, TS), now: TS })),
        ...samples.map((s) => ({ op: "starlette_dumps", session: toDesc(s), now: TS })),
      ]);
      samples.forEach((s, i) => {
        const py = ok(r[i]) as Desc;
        // Empty sessions are not written by Starlette; compare only what it holds.
        assert.deepEqual(sessionFromDesc(py), sessionFromDesc(toDesc(s)));
        if (s.size > 0) {
          const written = ok(r[samples.length + i]) as { cookie: string };
          assert.equal(codec.encode(s, TS), written.cookie);
        }
      });
    });
  });
}
