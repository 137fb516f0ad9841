import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  BadSignatureError,
  ConfigurationError,
  MalformedError,
  SignatureExpiredError,
  TooLargeError,
} from "../../../src/errors.ts";
import {
  Serializer,
  Signer,
  TimedSerializer,
  TimestampSigner,
  URLSafeSerializer,
  URLSafeTimedSerializer,
  base64Decode,
  base64Encode,
  bytesToInt,
  deriveKey,
  intToBytes,
  pythonA2bBase64,
  type DigestMethod,
  type KeyDerivation,
  type TextSerializer,
} from "../../../src/codecs/itsdangerous/index.ts";
import { zlibCompress } from "../../../src/codecs/zlib.ts";
import { fromDesc, ok, runPeer, toDesc, type Desc } from "./peer.ts";

const K = "test-secret-key";
const TS = 1700000000;

describe("itsdangerous encoding (§1.1)", () => {
  it("int_to_bytes / base64_encode give ZVPxAA for 1700000000", () => {
    assert.equal(base64Encode(intToBytes(TS)), "ZVPxAA");
    assert.equal(intToBytes(0).length, 0);
    assert.equal(bytesToInt(base64Decode("ZVPxAA")!), TS);
    assert.equal(bytesToInt(Buffer.alloc(0)), 0);
    assert.equal(bytesToInt(Buffer.alloc(9)), null);
  });

  it("decodes leniently like Python: +/ for -_, stray = and junk ignored, non-ASCII dropped", () => {
    const want = Buffer.from("fbff", "hex").toString("hex");
    for (const text of ["-_8", "+/8", "-_8=", "-_8==", "-_8!!", "-_é8", "-_8=junk"]) {
      assert.equal(base64Decode(text)?.toString("hex"), want, text);
    }
    assert.equal(base64Decode("a"), null); // one data char past a quad: binascii.Error
  });
});

describe("Signer (§1.2)", () => {
  it("rejects separators from the base64 alphabet and empty key lists", () => {
    assert.throws(() => new Signer(K, { sep: "a" }), ConfigurationError);
    assert.throws(() => new Signer(K, { sep: "-" }), ConfigurationError);
    assert.throws(() => new Signer(K, { sep: "" }), ConfigurationError);
    assert.throws(() => new Signer([]), ConfigurationError);
    assert.doesNotThrow(() => new Signer(K, { sep: ":" }));
  });

  it("splits at the last separator, so values may contain it", () => {
    const s = new Signer(K);
    assert.equal(s.unsign(s.sign("a.b.c")), "a.b.c");
    assert.throws(() => s.unsign("no-separator"), BadSignatureError);
  });

  it("accepts every last character that decodes to the same bytes, like compare_digest on bytes", () => {
    const s = new Signer(K);
    const token = s.sign("v");
    const sig = token.slice(2);
    // 27 chars for 20 bytes: the last char carries 2 unused bits, so 4 chars decode alike.
    const base = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = base.indexOf(sig.at(-1)!);
    const accepted = [...base].filter((c) => s.validate(`v.${sig.slice(0, -1)}${c}`));
    assert.deepEqual(
      accepted,
      [0, 1, 2, 3].map((i) => base[(last & ~3) + i]),
    );
    assert.ok(s.validate(`v.${sig}==`));
    assert.ok(!s.validate(`v.${sig.slice(0, -2)}`));
  });

  it("rotates keys: the newest signs, every key verifies", () => {
    const rotated = new Signer(["old-key", "new-key"]);
    assert.equal(rotated.sign("v"), new Signer("new-key").sign("v"));
    const oldToken = new Signer("old-key").sign("v");
    assert.equal(rotated.unsign(oldToken), "v");
    assert.throws(() => new Signer("new-key").unsign(oldToken), BadSignatureError);
  });

  it("NoneAlgorithm signs with an empty signature", () => {
    const s = new Signer(K, { algorithm: "none" });
    assert.equal(s.sign("v"), "v.");
    assert.equal(s.unsign("v."), "v");
  });
});

describe("TimestampSigner (§1.3)", () => {
  const s = new TimestampSigner(K);
  const token = s.sign("v", TS);

  it("signs value.ts with the timestamp inside the signature", () => {
    assert.match(token, /^v\.ZVPxAA\.[A-Za-z0-9_-]{27}$/);
    assert.equal(new Signer(K).unsign(token), "v.ZVPxAA");
  });

  it("applies max_age: age == max_age passes, older is expired, future is expired", () => {
    assert.equal(s.unsign(token, { maxAge: 60, now: TS + 60 }), "v");
    assert.throws(() => s.unsign(token, { maxAge: 60, now: TS + 61 }), SignatureExpiredError);
    const future = s.sign("v", TS + 1);
    assert.throws(
      () => s.unsign(future, { maxAge: 60, now: TS }),
      (err: unknown) => err instanceof SignatureExpiredError && err.age === -1,
    );
    // Without max_age any age is fine, even the future.
    assert.equal(s.unsign(future, { now: TS }), "v");
  });

  it("distinguishes expired from bad signatures by class and code", () => {
    const expired = (() => {
      try {
        s.unsign(token, { maxAge: 0, now: TS + 5 });
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    assert.ok(expired instanceof SignatureExpiredError);
    assert.equal(expired.code, "expired");
    assert.ok(!(expired instanceof BadSignatureError));
    assert.throws(() => s.unsign(`${token}x`), { code: "bad-signature" });
  });

  it("a valid signature over a value without a timestamp, or a bad one, is a bad signature", () => {
    const plain = new Signer(K);
    assert.throws(() => s.unsign(plain.sign("novalue")), { message: /Timestamp missing/ });
    assert.throws(() => s.unsign(plain.sign("v.AAAAAAAAAAAA")), { message: /Malformed/ });
  });
});

describe("Serializers (§1.4)", () => {
  it('reproduces the Serializer vector {"x": 1}.AYFife65wfOL7iBJznkDPGqhF2o', () => {
    const s = new Serializer(K);
    assert.equal(s.dumps({ x: 1 }), '{"x": 1}.AYFife65wfOL7iBJznkDPGqhF2o');
    assert.deepEqual(s.loads('{"x": 1}.AYFife65wfOL7iBJznkDPGqhF2o'), { x: 1 });
  });

  it("URL-safe: compact non-ASCII JSON, compression only when it saves ≥ 2 bytes", () => {
    const s = new URLSafeTimedSerializer(K);
    const small = s.dumps({ a: "é" }, { now: TS });
    assert.equal(small.split(".")[0], Buffer.from('{"a":"é"}').toString("base64url"));
    const big = s.dumps({ a: "x".repeat(200) }, { now: TS });
    assert.ok(big.startsWith("."));
    assert.equal(big.split(".").length, 4);
    assert.deepEqual(s.loads(big), { a: "x".repeat(200) });
  });

  it("refuses a zlib bomb with TooLargeError and bad payloads with MalformedError", () => {
    const s = new URLSafeSerializer(K, { maxDecompressedBytes: 1000 });
    const bomb = `.${base64Encode(zlibCompress(Buffer.from(`"${"a".repeat(100_000)}"`)))}`;
    assert.throws(() => s.loads(s.makeSigner().sign(bomb)), TooLargeError);
    assert.throws(() => s.loads(s.makeSigner().sign(".AAAA")), MalformedError);
    assert.throws(() => s.loads(s.makeSigner().sign("e30x")), MalformedError);
    assert.throws(
      () => s.loads(s.makeSigner().sign(base64Encode(Buffer.from([0xff])))),
      MalformedError,
    );
  });

  it("tries fallback signers, but never past an expired token", () => {
    const old = new URLSafeTimedSerializer(K, { signerOptions: { digestMethod: "sha512" } });
    const s = new URLSafeTimedSerializer(K, { fallbackSigners: [{ digestMethod: "sha512" }] });
    const token = old.dumps({ a: 1 }, { now: TS });
    assert.deepEqual(s.loads(token), { a: 1 });
    assert.throws(() => new URLSafeTimedSerializer(K).loads(token), BadSignatureError);
    const expired = s.dumps({ a: 1 }, { now: TS - 100 });
    assert.throws(() => s.loads(expired, { maxAge: 10, now: TS }), SignatureExpiredError);
    assert.equal(s.iterUnsigners().length, 2);
    assert.equal(
      new Serializer(["a", "b"], { fallbackSigners: [TimestampSigner] }).iterUnsigners().length,
      3,
    );
  });

  it("uses the given salt, and a pluggable serializer", () => {
    const upper: TextSerializer<string> = {
      dumps: (v) => v.toUpperCase(),
      loads: (t) => t.toLowerCase(),
    };
    const s = new Serializer<string>(K, { salt: "x", serializer: upper });
    const token = s.dumps("abc");
    assert.match(token, /^ABC\./);
    assert.equal(s.loads(token), "abc");
    assert.throws(
      () => new Serializer<string>(K, { serializer: upper }).loads(token),
      BadSignatureError,
    );
    assert.equal(s.loads(s.dumps("q", { salt: "y" }), { salt: "y" }), "q");
  });
});

// ------------------------------------------------------------------------------------------
// Against the real itsdangerous 2.1.2 (flask-2.2 peer) and 2.2.0 (flask-3.1 peer).

const DERIVATIONS: readonly KeyDerivation[] = ["concat", "django-concat", "hmac", "none"];
const DIGESTS: readonly DigestMethod[] = ["sha1", "sha256", "sha512"];
const hex = (r: unknown): string => (r as { bytes_hex: string }).bytes_hex;
const text = (r: unknown): string => Buffer.from(hex(r), "hex").toString("utf8");

for (const peer of ["flask-2.2", "flask-3.1"]) {
  describe(`itsdangerous against Python (${peer})`, () => {
    it("Signer: 4 derivations × 3 digests, salts, seps, binary and non-ASCII keys", () => {
      const cases: {
        key: string | Uint8Array | readonly string[];
        kwargs: Record<string, unknown>;
        value: string;
      }[] = [];
      for (const kd of DERIVATIONS) {
        for (const dg of DIGESTS) {
          cases.push({ key: K, kwargs: { key_derivation: kd, digest_method: dg }, value: "hello" });
        }
      }
      cases.push({ key: K, kwargs: { salt: "custom-salt", sep: ":" }, value: "a:b" });
      cases.push({ key: Uint8Array.of(0, 255, 128, 7), kwargs: {}, value: "v" });
      cases.push({ key: "clé-ü-🎉", kwargs: { key_derivation: "hmac" }, value: "v.with.dots" });
      cases.push({ key: ["old", "new"], kwargs: {}, value: "rotation" });
      const pyKey = (k: string | Uint8Array | readonly string[]): unknown =>
        k instanceof Uint8Array ? { hex: Buffer.from(k).toString("hex") } : k;
      const results = runPeer(
        peer,
        cases.flatMap((c) => [
          {
            op: "itsdangerous",
            cls: "Signer",
            key: pyKey(c.key),
            kwargs: c.kwargs,
            method: "sign",
            args: [c.value],
          },
          {
            op: "itsdangerous",
            cls: "Signer",
            key: pyKey(c.key),
            kwargs: c.kwargs,
            method: "derive_key",
          },
        ]),
      );
      cases.forEach((c, i) => {
        const kw = c.kwargs as {
          key_derivation?: KeyDerivation;
          digest_method?: DigestMethod;
          salt?: string;
          sep?: string;
        };
        const signer = new Signer(c.key, {
          keyDerivation: kw.key_derivation,
          digestMethod: kw.digest_method,
          salt: kw.salt,
          sep: kw.sep,
        });
        assert.equal(signer.sign(c.value), text(ok(results[2 * i])), JSON.stringify(c.kwargs));
        assert.equal(signer.deriveKey().toString("hex"), hex(ok(results[2 * i + 1])));
        const single =
          typeof c.key === "string" || c.key instanceof Uint8Array ? c.key : c.key.at(-1)!;
        assert.equal(
          deriveKey(
            single,
            kw.salt ?? "itsdangerous.Signer",
            kw.key_derivation ?? "django-concat",
            kw.digest_method ?? "sha1",
          ).toString("hex"),
          hex(ok(results[2 * i + 1])),
        );
      });
    });

    it("TimestampSigner, Serializer, URLSafe(Timed)Serializer tokens are byte-identical", () => {
      const session: Desc = {
        dict: [
          ["user", "alice"],
          ["n", { int: "42" }],
          ["u", "é🎉"],
        ],
      };
      const big: Desc = { dict: [["data", "abc".repeat(100)]] };
      const reqs = [
        {
          op: "itsdangerous",
          cls: "TimestampSigner",
          key: K,
          method: "sign",
          args: ["value"],
          now: TS,
        },
        { op: "itsdangerous", cls: "Serializer", key: K, method: "dumps", args: [session] },
        { op: "itsdangerous", cls: "URLSafeSerializer", key: K, method: "dumps", args: [session] },
        {
          op: "itsdangerous",
          cls: "URLSafeTimedSerializer",
          key: K,
          method: "dumps",
          args: [session],
          now: TS,
        },
        {
          op: "itsdangerous",
          cls: "URLSafeTimedSerializer",
          key: K,
          kwargs: { signer_kwargs: { key_derivation: "hmac" } },
          method: "dumps",
          args: [session],
          now: TS,
        },
        {
          op: "itsdangerous",
          cls: "TimedSerializer",
          key: K,
          kwargs: { salt: "s" },
          method: "dumps",
          args: [session],
          now: TS,
        },
        {
          op: "itsdangerous",
          cls: "URLSafeTimedSerializer",
          key: K,
          method: "dumps",
          args: [big],
          now: TS,
        },
      ];
      const r = runPeer(peer, reqs);
      const value = fromDesc(session);
      assert.equal(new TimestampSigner(K).sign("value", TS), text(ok(r[0])));
      assert.equal(new Serializer(K).dumps(value), ok(r[1]));
      assert.equal(new URLSafeSerializer(K).dumps(value), ok(r[2]));
      assert.equal(new URLSafeTimedSerializer(K).dumps(value, { now: TS }), ok(r[3]));
      assert.equal(
        new URLSafeTimedSerializer(K, { signerOptions: { keyDerivation: "hmac" } }).dumps(value, {
          now: TS,
        }),
        ok(r[4]),
      );
      assert.equal(new TimedSerializer(K, { salt: "s" }).dumps(value, { now: TS }), ok(r[5]));
      // Compressed: zlib bytes depend on the zlib build (§6), so compare by decoding.
      const pyBig = ok(r[6]) as string;
      assert.ok(pyBig.startsWith("."));
      assert.deepEqual(toDesc(new URLSafeTimedSerializer(K).loads(pyBig) as never), big);
    });

    it("Python loads what we dump, and agrees on errors", () => {
      const ours = new URLSafeTimedSerializer(K);
      const big = { data: "xyz".repeat(300), n: 1.5 };
      const good = ours.dumps(big, { now: TS });
      const sha512 = new URLSafeTimedSerializer(K, {
        signerOptions: { digestMethod: "sha512" },
      }).dumps(big, { now: TS });
      const loads = (cookie: string, now: number, kwargs: object = {}) => ({
        op: "itsdangerous",
        cls: "URLSafeTimedSerializer",
        key: K,
        kwargs,
        method: "loads",
        args: [cookie],
        call_kwargs: { max_age: 60 },
        now,
      });
      const r = runPeer(peer, [
        loads(good, TS),
        loads(good, TS + 60),
        loads(good, TS + 61),
        loads(good, TS - 1),
        loads(
          good.replace(/.$/, (c) => (c === "A" ? "B" : "A")),
          TS,
        ),
        loads(sha512, TS, { fallback_signers: [{ digest_method: "sha512" }] }),
        loads(sha512, TS),
      ]);
      assert.deepEqual(ok(r[0]), toDesc(new Map(Object.entries(big))));
      assert.deepEqual(ok(r[1]), toDesc(new Map(Object.entries(big))));
      assert.equal((r[2] as { error: string }).error, "SignatureExpired");
      assert.equal((r[3] as { error: string }).error, "SignatureExpired");
      assert.equal((r[4] as { error: string }).error, "BadTimeSignature");
      assert.ok("ok" in r[5]!);
      assert.equal((r[6] as { error: string }).error, "BadTimeSignature");
      assert.throws(() => ours.loads(good, { maxAge: 60, now: TS + 61 }), SignatureExpiredError);
      assert.throws(() => ours.loads(good, { maxAge: 60, now: TS - 1 }), SignatureExpiredError);
      assert.deepEqual(ours.loads(good, { maxAge: 60, now: TS + 60 }), big);
    });

    it("base64 decoding matches Python on arbitrary junk (signature and payload paths)", () => {
      const alphabet = "AZaz09-_+/=.!é ";
      const samples = fc.sample(
        fc.array(fc.constantFrom(...alphabet), { maxLength: 12 }).map((cs) => cs.join("")),
        { numRuns: 150, seed: 42 },
      );
      const r = runPeer(peer, [
        ...samples.map((t) => ({ op: "b64decode", text: t, urlsafe: true })),
        ...samples.map((t) => ({ op: "b64decode", text: t, urlsafe: false })),
      ]);
      samples.forEach((t, i) => {
        const py = r[i]!;
        assert.equal(
          base64Decode(t)?.toString("hex") ?? null,
          "ok" in py ? py.ok : null,
          `urlsafe ${JSON.stringify(t)}`,
        );
        const std = r[samples.length + i]!;
        assert.equal(
          pythonA2bBase64(t, false)?.toString("hex") ?? null,
          "ok" in std ? std.ok : null,
          `std ${JSON.stringify(t)}`,
        );
      });
    });
  });
}
