import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BadSignatureError, ConfigurationError } from "../../../src/errors.ts";
import {
  decodeRememberCookie,
  encodeRememberCookie,
  flaskLoginIdentifier,
  flaskLoginIdentifierBase,
  flaskSessionStoreKey,
  newFlaskSessionId,
  pythonBytesRepr,
  signFlaskSessionId,
  unsignFlaskSessionId,
  type FlaskLoginRequestInfo,
} from "../../../src/codecs/flask/index.ts";
import { ok, runPeer } from "../itsdangerous/peer.ts";

const K = "test-secret-key";
const SID = "0f0e0d0c-0b0a-4908-8706-050403020100";

describe("Flask-Session signed session ids (§4)", () => {
  it("reproduces the spec cookie value", () => {
    const signed = `${SID}.h7kYeN5Q_reCYzJBFAPcJruJUiA`;
    assert.equal(signFlaskSessionId(SID, K), signed);
    assert.equal(unsignFlaskSessionId(signed, K), SID);
    assert.throws(
      () => unsignFlaskSessionId(`${SID}.h7kYeN5Q_reCYzJBFAPcJruJUjA`, K),
      BadSignatureError,
    );
    assert.throws(() => unsignFlaskSessionId(signed, "other"), BadSignatureError);
    assert.equal(flaskSessionStoreKey(SID), `session:${SID}`);
    assert.match(newFlaskSessionId(), /^[A-Za-z0-9_-]{43}$/);
    assert.match(
      newFlaskSessionId("uuid4"),
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  for (const peer of ["flask-session-0.3", "flask-session-0.8"]) {
    it(`matches the real Flask-Session signer (${peer})`, () => {
      const token = newFlaskSessionId();
      const r = runPeer(peer, [
        { op: "flask_session_sign", sid: SID, cookie: signFlaskSessionId(token, K) },
        {
          op: "flask_session_sign",
          sid: token,
          secret: "other-key",
          cookie: signFlaskSessionId(token, K),
        },
      ]);
      const first = ok(r[0]) as { signed: string; unsigned: string };
      assert.equal(first.signed, signFlaskSessionId(SID, K));
      assert.equal(first.unsigned, token);
      const second = ok(r[1]) as { signed: string; unsigned_error: string };
      assert.equal(second.signed, signFlaskSessionId(token, "other-key"));
      assert.equal(second.unsigned_error, "BadSignature");
    });
  }
});

describe("Flask-Login formulas (§3)", () => {
  it("builds the 0.6 identifier from Python bytes reprs", () => {
    assert.equal(
      flaskLoginIdentifierBase(
        { remoteAddr: "203.0.113.7", userAgent: "Mozilla/5.0 (vectors)" },
        "0.6",
      ),
      "b'203.0.113.7'|b'Mozilla/5.0 (vectors)'",
    );
    assert.equal(
      flaskLoginIdentifierBase({ remoteAddr: "203.0.113.7" }, "0.6"),
      "b'203.0.113.7'|None",
    );
    assert.equal(
      flaskLoginIdentifierBase(
        { remoteAddr: "10.0.0.9", forwardedFor: "198.51.100.1, 10.0.0.1", userAgent: "x" },
        "0.6",
      ),
      "b'198.51.100.1'|b'x'",
    );
    assert.equal(flaskLoginIdentifierBase({ remoteAddr: "1.2.3.4" }, "0.7"), "1.2.3.4|");
    assert.equal(pythonBytesRepr(Buffer.from("it's")), `b"it's"`);
    assert.equal(pythonBytesRepr(Buffer.from(`'"\\\t\x7f\u00e9`)), `b'\\'"\\\\\\t\\x7f\\xc3\\xa9'`);
  });

  it("remember_token is user_id|hmac-sha512-hex with a latin-1 key", () => {
    const token = encodeRememberCookie("42", K);
    assert.match(token, /^42\|4e79f093[0-9a-f]{116}cf5a$/);
    assert.equal(decodeRememberCookie(token, K), "42");
    assert.equal(decodeRememberCookie(encodeRememberCookie("a|b", K), K), "a|b");
    assert.throws(() => decodeRememberCookie(`${token.slice(0, -1)}0`, K), BadSignatureError);
    assert.throws(() => decodeRememberCookie("42", K), BadSignatureError);
    // latin-1, not UTF-8: "é" is one key byte.
    assert.equal(encodeRememberCookie("1", "é"), encodeRememberCookie("1", Uint8Array.of(0xe9)));
    assert.throws(() => encodeRememberCookie("1", "€"), ConfigurationError);
  });

  const requests: FlaskLoginRequestInfo[] = [
    { remoteAddr: "203.0.113.7", userAgent: "Mozilla/5.0 (vectors)" },
    { remoteAddr: "203.0.113.7" },
    { remoteAddr: "10.0.0.9", forwardedFor: "198.51.100.1, 10.0.0.1", userAgent: "curl/8.0" },
    {
      remoteAddr: "10.0.0.9",
      forwardedFor: " \t2001:db8::1 ,x",
      userAgent: 'it\'s "quoted" \\ \u00e9\u00ff',
    },
    { remoteAddr: null, userAgent: "no-addr" },
  ];
  for (const peer of ["flask-login-0.6.2", "flask-login-0.6.3"]) {
    it(`matches the real _create_identifier and encode_cookie (${peer})`, () => {
      const r = runPeer(
        peer,
        requests.map((q, i) => ({
          op: "flask_login",
          remote_addr: q.remoteAddr ?? null,
          forwarded_for: q.forwardedFor ?? null,
          user_agent: q.userAgent ?? null,
          user_id: `user-${i}-é`,
          secret: i === 4 ? "clé" : K,
        })),
      );
      requests.forEach((q, i) => {
        const py = ok(r[i]) as { identifier: string; remember: string; decoded: string };
        assert.equal(flaskLoginIdentifier(q, "0.6"), py.identifier, JSON.stringify(q));
        const secret = i === 4 ? "clé" : K;
        assert.equal(encodeRememberCookie(`user-${i}-é`, secret), py.remember);
        assert.equal(decodeRememberCookie(py.remember, secret), py.decoded);
      });
    });
  }
});
