import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { spawnSync } from "node:child_process";
import {
  BadSignatureError,
  MalformedError,
  SignatureExpiredError,
  TooLargeError,
  UnsupportedValueError,
} from "../../../src/errors.ts";
import {
  FLASK_DEFAULT_MAX_AGE,
  FlaskSessionCodec,
  dumpsFlaskTaggedJson,
  httpDate,
  loadsFlaskSessionJson,
  parseHttpDate,
} from "../../../src/codecs/flask/index.ts";
import { base64Encode } from "../../../src/codecs/itsdangerous/index.ts";
import { zlibCompress } from "../../../src/codecs/zlib.ts";
import {
  PyDate,
  PyDateTime,
  PyDecimal,
  PyFloat,
  PyMarkup,
  PyTimeDelta,
  PyTuple,
  PyUUID,
  type SessionData,
} from "../../../src/codecs/python-values.ts";
import { ok, runPeer, sessionFromDesc, toDesc, type Desc } from "../itsdangerous/peer.ts";
import { flaskSessionArb } from "./arbitraries.ts";
import { K, SHARED_CASES, TS, assertMaxAge, describeRoundTrip, session } from "./cookie-cases.ts";

const codec = new FlaskSessionCodec({ secretKey: K });
/**
 * CPython's own `zlib.compress` (Node's bundled zlib emits other bytes, §6), injected through
 * the `compress` hook so compressed cookies can be compared byte for byte too.
 */
const pythonZlib = (data: Uint8Array): Uint8Array => {
  const res = spawnSync(
    "/usr/bin/python3",
    ["-c", "import sys, zlib; sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read()))"],
    { input: data },
  );
  if (res.status !== 0) throw new Error(`python zlib failed: ${String(res.stderr)}`);
  return new Uint8Array(res.stdout);
};
const pyZlibCodec = new FlaskSessionCodec({ secretKey: K, compress: pythonZlib });

/** Signs an arbitrary payload text the way the Flask serializer would (for malformed cases). */
const signPayload = (json: string, now = TS): string =>
  codec.serializer.makeSigner().sign(base64Encode(Buffer.from(json, "utf8")), now);

describe("Flask cookie vectors (§2.3, §6)", () => {
  it("reproduces the plain and permanent cookies byte for byte", () => {
    const plain = session({ user: "alice", n: 42, nothing: null, flag: true });
    const cookie =
      "eyJmbGFnIjp0cnVlLCJuIjo0Miwibm90aGluZyI6bnVsbCwidXNlciI6ImFsaWNlIn0.ZVPxAA.ps1VdF1JeGiYICU0oaieqzHbZ-Q";
    assert.equal(codec.encode(plain, TS), cookie);
    assert.deepEqual(codec.decode(cookie, { now: TS }), plain);
    const permanent = session({ user: "alice", _permanent: true });
    assert.equal(
      codec.encode(permanent, TS),
      "eyJfcGVybWFuZW50Ijp0cnVlLCJ1c2VyIjoiYWxpY2UifQ.ZVPxAA.9VgsPXt_xzAjtfvaMAL0dflJ7XM",
    );
  });

  it("writes the tagged payload of the spec sample", () => {
    const tagged = session({
      uuid: new PyUUID("12345678-1234-5678-1234-567812345678"),
      tuple: new PyTuple([1, "a", new PyTuple([2])]),
      markup: new PyMarkup("<b>hi</b>"),
      list_of_tuples: [new PyTuple(["message", "Hello"])],
      dt: new PyDateTime(2024, 1, 2, 3, 4, 5, 0, 0),
      bytes: Uint8Array.from(Buffer.from("\x00\xffhello", "latin1")),
    });
    const json =
      '{"bytes":{" b":"AP9oZWxsbw=="},"dt":{" d":"Tue, 02 Jan 2024 03:04:05 GMT"},"list_of_tuples":[{" t":["message","Hello"]}],"markup":{" m":"<b>hi</b>"},"tuple":{" t":[1,"a",{" t":[2]}]},"uuid":{" u":"12345678123456781234567812345678"}}';
    assert.equal(dumpsFlaskTaggedJson(tagged), json);
    assert.deepEqual(loadsFlaskSessionJson(json), tagged);
    const cookie = codec.encode(tagged, TS);
    assert.ok(cookie.startsWith("."), "compressed");
    assert.deepEqual(codec.decode(cookie, { now: TS }), tagged);
  });

  it("sorts keys by code point and escapes like Python (key_order, unicode, floats)", () => {
    assert.equal(
      dumpsFlaskTaggedJson(session({ "\u{1F600}": 1, "\uff5e": 2, b: 1, a: "é" })),
      '{"a":"\\u00e9","b":1,"\\uff5e":2,"\\ud83d\\ude00":1}',
    );
    assert.equal(
      dumpsFlaskTaggedJson(
        session({ f: [new PyFloat(1), 0.1, new PyFloat(1e16), 1e-5, new PyFloat(-0)] }),
      ),
      '{"f":[1.0,0.1,1e+16,1e-05,-0.0]}',
    );
    assert.equal(
      dumpsFlaskTaggedJson(session({ big: 12345678901234567890n })),
      '{"big":12345678901234567890}',
    );
  });

  it("escapes one-key dicts whose key is a tag, at any depth", () => {
    assert.equal(dumpsFlaskTaggedJson(session({ x: { " t": "x" } })), '{"x":{" di":{" t__":"x"}}}');
    assert.equal(dumpsFlaskTaggedJson(session({ " t": "x" })), '{" di":{" t__":"x"}}');
    assert.deepEqual(loadsFlaskSessionJson('{" di":{" t__":"x"}}'), session({ " t": "x" }));
    // An unregistered space key is an ordinary dict for Flask too.
    assert.deepEqual(loadsFlaskSessionJson('{"a":{" x":1}}'), session({ a: { " x": 1 } }));
  });

  it("writes datetimes as UTC http-dates without microseconds; dates and Decimals lossily", () => {
    const dt = new PyDateTime(2024, 1, 2, 5, 4, 5, 999999, 7200);
    assert.equal(httpDate(dt), "Tue, 02 Jan 2024 03:04:05 GMT");
    assert.equal(httpDate(new PyDateTime(2024, 1, 2, 3, 4, 5)), "Tue, 02 Jan 2024 03:04:05 GMT");
    assert.deepEqual(
      parseHttpDate("Tue, 02 Jan 2024 03:04:05 GMT"),
      new PyDateTime(2024, 1, 2, 3, 4, 5, 0, 0),
    );
    assert.equal(parseHttpDate("garbage"), null);
    assert.equal(
      dumpsFlaskTaggedJson(session({ d: new PyDate(2024, 1, 2), n: new PyDecimal("1.50") })),
      '{"d":"Tue, 02 Jan 2024 00:00:00 GMT","n":"1.50"}',
    );
    assert.throws(
      () => dumpsFlaskTaggedJson(session({ t: new PyTimeDelta(1) })),
      UnsupportedValueError,
    );
  });
});

describe("Flask cookie rejection", () => {
  const good = codec.encode(session({ user: "alice" }), TS);

  it("tampered, wrong key, wrong salt, wrong digest → BadSignatureError", () => {
    const tampered = `${good.slice(0, 3)}${good[3] === "A" ? "B" : "A"}${good.slice(4)}`;
    assert.throws(() => codec.decode(tampered, { now: TS }), BadSignatureError);
    assert.throws(
      () => new FlaskSessionCodec({ secretKey: "other" }).decode(good, { now: TS }),
      BadSignatureError,
    );
    assert.throws(
      () => new FlaskSessionCodec({ secretKey: K, salt: "other" }).decode(good, { now: TS }),
      BadSignatureError,
    );
    assert.throws(
      () =>
        new FlaskSessionCodec({ secretKey: K, digestMethod: "sha256" }).decode(good, { now: TS }),
      BadSignatureError,
    );
    assert.throws(
      () =>
        new FlaskSessionCodec({ secretKey: K, keyDerivation: "django-concat" }).decode(good, {
          now: TS,
        }),
      BadSignatureError,
    );
    assert.throws(() => codec.decode("garbage", { now: TS }), BadSignatureError);
    assert.throws(
      () => codec.decode(good.split(".").slice(0, 2).join("."), { now: TS }),
      BadSignatureError,
    );
  });

  it("deeply nested tags (5,600 levels) → MalformedError, not a RangeError from the untagging", () => {
    const json = `{"a":${'{" t":['.repeat(5600)}${"]}".repeat(5600)}}`;
    const malformed = (err: unknown): boolean =>
      err instanceof MalformedError && /nested deeper/.test(err.message);
    assert.throws(() => loadsFlaskSessionJson(json), malformed);
    assert.throws(() => codec.decode(signPayload(json), { now: TS }), malformed);
  });

  it("expired after PERMANENT_SESSION_LIFETIME (31 d, exactly 31 d still valid) and future → expired", () => {
    assert.equal(FLASK_DEFAULT_MAX_AGE, 2678400);
    const unchecked = new FlaskSessionCodec({ secretKey: K, maxAge: null });
    assertMaxAge(codec, unchecked, good, FLASK_DEFAULT_MAX_AGE);
    const short = new FlaskSessionCodec({ secretKey: K, maxAge: 60 });
    assert.throws(() => short.decode(good, { now: TS + 61 }), SignatureExpiredError);
  });

  it("an empty cookie is a new empty session", () => {
    assert.deepEqual(codec.decode(""), new Map());
  });

  it("signed-but-malformed payloads → MalformedError", () => {
    for (const json of [
      "[1,2]",
      '"str"',
      "{bad json",
      '{"a":{" u":"zz"}}',
      '{"a":{" b":"!!"}}',
      '{"a":{" b":"AP9"}}',
      '{"a":{" t":"abc"}}',
      '{"a":{" d":"garbage"}}',
      '{"a":{" m":1}}',
      '{"a":{" di":{"x":1,"y":2}}}',
      '{" t":[1]}',
    ]) {
      assert.throws(() => codec.decode(signPayload(json), { now: TS }), MalformedError, json);
    }
    const notUtf8 = codec.serializer
      .makeSigner()
      .sign(base64Encode(Uint8Array.of(0x7b, 0xff, 0x7d)), TS);
    assert.throws(() => codec.decode(notUtf8, { now: TS }), MalformedError);
  });

  it("a zlib bomb → TooLargeError", () => {
    const bomb = zlibCompress(Buffer.from(`{"a":"${"a".repeat(2_000_000)}"}`));
    const cookie = codec.serializer.makeSigner().sign(`.${base64Encode(bomb)}`, TS);
    assert.throws(() => codec.decode(cookie, { now: TS }), TooLargeError);
    const small = new FlaskSessionCodec({ secretKey: K, maxDecompressedBytes: 100 });
    assert.throws(
      () => small.decode(codec.encode(session({ a: "b".repeat(500) }), TS), { now: TS }),
      TooLargeError,
    );
  });

  it("signs with SECRET_KEY and verifies SECRET_KEY_FALLBACKS (Flask 3.1.1+)", () => {
    const rotated = new FlaskSessionCodec({
      secretKey: "new-key",
      secretKeyFallbacks: ["older", "old-key"],
    });
    const data = session({ k: 1 });
    assert.equal(
      rotated.encode(data, TS),
      new FlaskSessionCodec({ secretKey: "new-key" }).encode(data, TS),
    );
    const oldCookie = new FlaskSessionCodec({ secretKey: "old-key" }).encode(data, TS);
    assert.deepEqual(rotated.decode(oldCookie, { now: TS }), data);
    assert.throws(
      () => new FlaskSessionCodec({ secretKey: "new-key" }).decode(oldCookie, { now: TS }),
      BadSignatureError,
    );
  });
});

describeRoundTrip(
  "Flask property: random sessions round-trip",
  "decode(encode(x)) equals x for every tagged type",
  codec,
  flaskSessionArb,
);

// ------------------------------------------------------------------------------------------
// Against the real Flask 2.2.2 and 3.1.3.

const CASES: Record<string, SessionData> = {
  plain: session(SHARED_CASES.plain),
  permanent: session({ _permanent: true, user: "alice" }),
  floats: session({ ...SHARED_CASES.floats, i: new PyFloat(1.5e300) }),
  bigints: session({ ...SHARED_CASES.bigints, safe: Number.MAX_SAFE_INTEGER }),
  unicode: session(SHARED_CASES.unicode),
  key_order: session({ "\u{1F600}": 1, "\uff5e": 2, B: 3, a: 4, "": 5, "10": 6, "9": 7 }),
  nested: session(SHARED_CASES.nested),
  tagged: session({
    tuple: new PyTuple([1, "a", new PyTuple([2, new PyTuple([])])]),
    bytes: Uint8Array.from([0, 255, 104, 105, 250]),
    empty_bytes: new Uint8Array(0),
    markup: new PyMarkup("<b>hi &amp; bye</b>"),
    uuid: new PyUUID("12345678-1234-5678-1234-567812345678"),
    dt: new PyDateTime(2024, 1, 2, 3, 4, 5, 0, 0),
    old: new PyDateTime(1970, 1, 1, 0, 0, 0, 0, 0),
    _flashes: [new PyTuple(["message", "Hello"]), new PyTuple(["error", "Bad"])],
  }),
  dict_escape: session({ x: { " t": "x" }, y: { " di": { " b": 1 } }, z: { " t": [1], other: 2 } }),
  top_level_escape: session({ " m": "not markup" }),
  compressed: session({
    data: "hello world ".repeat(40),
    list: Array.from({ length: 30 }, (_, i) => i),
  }),
  compressed_unicode: session({ text: "é🎉".repeat(100) }),
};

for (const peer of ["flask-2.2", "flask-3.1"]) {
  describe(`Flask codec against Python (${peer})`, () => {
    const names = Object.keys(CASES);
    const descs = names.map((n) => toDesc(CASES[n]!));

    it("our cookies are byte-identical to Flask's (with CPython's zlib for compressed ones)", () => {
      const r = runPeer(
        peer,
        descs.map((d) => ({ op: "flask_dumps", session: d, now: TS })),
      );
      names.forEach((name, i) => {
        const py = ok(r[i]) as { cookie: string; json: string };
        const data = CASES[name]!;
        assert.equal(dumpsFlaskTaggedJson(data), py.json, `${name}: tagged JSON`);
        if (py.cookie.startsWith(".")) {
          assert.equal(pyZlibCodec.encode(data, TS), py.cookie, `${name}: compressed cookie`);
          assert.deepEqual(
            toDesc(codec.decode(codec.encode(data, TS), { now: TS })),
            toDesc(codec.decode(py.cookie, { now: TS })),
          );
        } else {
          assert.equal(codec.encode(data, TS), py.cookie, `${name}: cookie`);
        }
      });
    });

    it("we decode Flask's cookies to equal values", () => {
      const r = runPeer(
        peer,
        descs.map((d) => ({ op: "flask_dumps", session: d, now: TS })),
      );
      names.forEach((name, i) => {
        const py = ok(r[i]) as { cookie: string };
        const decoded = codec.decode(py.cookie, { now: TS + 3600 });
        // Flask's JSON is sorted, so compare as sets of entries; values must match exactly.
        assert.deepEqual(decoded, CASES[name], name);
      });
    });

    it("Flask decodes our cookies (loads and the full open_session path) to equal values", () => {
      const cookies = names.map((n) => codec.encode(CASES[n]!, TS));
      const r = runPeer(peer, [
        ...cookies.map((cookie) => ({ op: "flask_loads", cookie, now: TS + 60 })),
        ...cookies.map((cookie) => ({ op: "flask_open_session", cookie, now: TS + 60 })),
      ]);
      names.forEach((name, i) => {
        const want = sessionFromDesc(toDesc(CASES[name]!));
        assert.deepEqual(sessionFromDesc(ok(r[i]) as Desc), want, `${name}: loads`);
        assert.deepEqual(
          sessionFromDesc(ok(r[names.length + i]) as Desc),
          want,
          `${name}: open_session`,
        );
      });
    });

    it("save_session's Set-Cookie carries exactly our cookie value", () => {
      const r = runPeer(peer, [
        { op: "flask_save_session", session: toDesc(CASES.plain!), now: TS },
      ]);
      const [header] = ok(r[0]) as string[];
      assert.equal(header, `session=${codec.encode(CASES.plain!, TS)}; HttpOnly; Path=/`);
    });

    it("agrees on rejection: tampered / expired / future → empty session in Flask, typed error here", () => {
      const good = codec.encode(CASES.plain!, TS);
      const tampered = good.replace(/^eyJm/, "eyJn");
      const cases = [
        { cookie: tampered, now: TS, err: BadSignatureError, py: "BadTimeSignature" },
        {
          cookie: good,
          now: TS + FLASK_DEFAULT_MAX_AGE + 1,
          err: SignatureExpiredError,
          py: "SignatureExpired",
        },
        { cookie: good, now: TS - 1, err: SignatureExpiredError, py: "SignatureExpired" },
        {
          cookie: signPayload('{"a":{" u":"zz"}}'),
          now: TS,
          err: MalformedError,
          py: "BadPayload",
        },
        { cookie: signPayload("[1]"), now: TS, err: MalformedError, py: null },
      ];
      const r = runPeer(peer, [
        ...cases.map((c) => ({ op: "flask_loads", cookie: c.cookie, now: c.now })),
        { op: "flask_open_session", cookie: tampered, now: TS },
        { op: "flask_loads", cookie: good, now: TS + FLASK_DEFAULT_MAX_AGE },
      ]);
      cases.forEach((c, i) => {
        assert.throws(() => codec.decode(c.cookie, { now: c.now }), c.err);
        if (c.py !== null) assert.equal((r[i] as { error: string }).error, c.py);
      });
      assert.deepEqual(ok(r[cases.length]), { dict: [] });
      assert.ok("ok" in r[cases.length + 1]!, "age == max_age is valid in Flask too");
    });

    it("drops microseconds and maps years < 100 like Werkzeug (bug-compatible)", () => {
      const data = session({
        us: new PyDateTime(2024, 1, 2, 3, 4, 5, 123456, 0),
        y50: new PyDateTime(50, 1, 1, 0, 0, 0, 0, 0),
      });
      const r = runPeer(peer, [{ op: "flask_dumps", session: toDesc(data), now: TS }]);
      const py = ok(r[0]) as { cookie: string };
      assert.equal(pyZlibCodec.encode(data, TS), py.cookie);
      const back = codec.decode(py.cookie, { now: TS });
      assert.deepEqual(back.get("us"), new PyDateTime(2024, 1, 2, 3, 4, 5, 0, 0));
      assert.deepEqual(back.get("y50"), new PyDateTime(2050, 1, 1, 0, 0, 0, 0, 0));
    });

    it("random sessions: Flask reads what we write", () => {
      const samples = fc.sample(flaskSessionArb, { numRuns: 150, seed: 7 });
      const r = runPeer(
        peer,
        samples.map((s) => ({ op: "flask_loads", cookie: codec.encode(s, TS), now: TS })),
      );
      samples.forEach((s, i) => {
        assert.deepEqual(sessionFromDesc(ok(r[i]) as Desc), sessionFromDesc(toDesc(s)));
      });
    });
  });
}

describe("Flask 3.1 SECRET_KEY_FALLBACKS against Python", () => {
  it("Flask and we sign with SECRET_KEY and accept a fallback-signed cookie", () => {
    const data = session({ k: 1 });
    const oldCookie = new FlaskSessionCodec({ secretKey: "old-key" }).encode(data, TS);
    const rotated = new FlaskSessionCodec({
      secretKey: "new-key",
      secretKeyFallbacks: ["old-key"],
    });
    const r = runPeer("flask-3.1", [
      {
        op: "flask_dumps",
        secret: "new-key",
        fallbacks: ["old-key"],
        session: toDesc(data),
        now: TS,
      },
      { op: "flask_loads", secret: "new-key", fallbacks: ["old-key"], cookie: oldCookie, now: TS },
    ]);
    assert.equal((ok(r[0]) as { cookie: string }).cookie, rotated.encode(data, TS));
    assert.deepEqual(ok(r[1]), toDesc(data));
    assert.deepEqual(rotated.decode(oldCookie, { now: TS }), data);
  });
});
