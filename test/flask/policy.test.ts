// flaskSessionPolicy: every write / no-write / delete / Vary rule of Flask's
// SecureCookieSessionInterface, with byte-exact headers (vectors from the real Flask 2.2.2).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PyFloat } from "../../src/codecs/python-values.ts";
import type { SessionResponseHeaders } from "../../src/engine/http.ts";
import type { SessionPolicy } from "../../src/engine/policy.ts";
import {
  dumpWerkzeugCookie,
  flaskSessionPolicy,
  FlaskSessionCodec,
  isPermanent,
  readCookie,
  setPermanent,
  type FlaskPolicyOptions,
} from "../../src/flask/index.ts";

import { randomBytes } from "node:crypto";
import { peerEnv } from "../interop/django/peer.ts";
import { runPython } from "../support/python.ts";

const SECRET = "test-secret-key";
const T0 = 1_700_000_000;
const PLAIN =
  "eyJmbGFnIjp0cnVlLCJuIjo0Miwibm90aGluZyI6bnVsbCwidXNlciI6ImFsaWNlIn0.ZVPxAA.ps1VdF1JeGiYICU0oaieqzHbZ-Q";
const PERMANENT =
  "eyJfcGVybWFuZW50Ijp0cnVlLCJ1c2VyIjoiYWxpY2UifQ.ZVPxAA.9VgsPXt_xzAjtfvaMAL0dflJ7XM";
const DELETE = "session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Path=/";

function policyAt(seconds: number, extra: Partial<FlaskPolicyOptions> = {}): SessionPolicy {
  return flaskSessionPolicy({ secretKey: SECRET, now: () => seconds * 1000 + 250, ...extra });
}

async function finish(
  policy: SessionPolicy,
  rs: ReturnType<SessionPolicy["open"]>,
): Promise<SessionResponseHeaders> {
  return policy.plan(rs, 200) ?? (await policy.commit(rs, 200));
}

describe("flaskSessionPolicy", () => {
  test("writes Flask's exact cookie for a modified session (vector)", async () => {
    const policy = policyAt(T0);
    const rs = policy.open(undefined);
    await rs.session.update({ flag: true, n: 42, nothing: null, user: "alice" });
    assert.deepEqual(await finish(policy, rs), {
      setCookie: [`session=${PLAIN}; HttpOnly; Path=/`],
      varyCookie: true,
    });
  });

  test("permanent: Expires = now + lifetime, never Max-Age (vector)", async () => {
    const policy = policyAt(T0);
    const rs = policy.open(undefined);
    await setPermanent(rs.session, true);
    await rs.session.set("user", "alice");
    assert.deepEqual((await finish(policy, rs)).setCookie, [
      `session=${PERMANENT}; Expires=Fri, 15 Dec 2023 22:13:20 GMT; HttpOnly; Path=/`,
    ]);
  });

  test("reads Flask's cookie; read-only → Vary only, no Set-Cookie", async () => {
    const policy = policyAt(T0 + 10);
    const rs = policy.open(`other=1; session=${PLAIN}`);
    assert.equal(rs.hadCookie, true);
    assert.equal(await rs.session.get("user"), "alice");
    assert.deepEqual(await finish(policy, rs), { setCookie: [], varyCookie: true });
  });

  test("untouched non-permanent session → nothing at all (the mounted-apps rule)", () => {
    const policy = policyAt(T0 + 10);
    const rs = policy.open(`session=${PLAIN}`);
    assert.deepEqual(policy.plan(rs, 200), { setCookie: [], varyCookie: false });
  });

  test("untouched permanent session is re-signed with a fresh timestamp and Expires", async () => {
    const policy = policyAt(T0 + 60);
    const rs = policy.open(`session=${PERMANENT}`);
    const headers = await finish(policy, rs);
    assert.equal(headers.varyCookie, true);
    assert.match(
      headers.setCookie[0]!,
      /^session=eyJfcGVybWFuZW50Ijp0cnVlLCJ1c2VyIjoiYWxpY2UifQ\.ZVPxPA\.[\w-]+; Expires=Fri, 15 Dec 2023 22:14:20 GMT; HttpOnly; Path=\/$/,
    );
  });

  test("refreshEachRequest: false → untouched permanent session sends nothing", async () => {
    const policy = policyAt(T0 + 60, { refreshEachRequest: false });
    const rs = policy.open(`session=${PERMANENT}`);
    assert.deepEqual(await finish(policy, rs), { setCookie: [], varyCookie: false });
    assert.equal(await isPermanent(rs.session), true);
  });

  test("clear → delete header; also when no cookie was sent (as Flask)", async () => {
    for (const header of [`session=${PLAIN}`, undefined]) {
      const policy = policyAt(T0);
      const rs = policy.open(header);
      rs.session.clear();
      assert.deepEqual(await finish(policy, rs), { setCookie: [DELETE], varyCookie: true });
    }
  });

  test("empty and unmodified → nothing; empty accessed → Vary only", async () => {
    const policy = policyAt(T0);
    const rs = policy.open(undefined);
    assert.deepEqual(await finish(policy, rs), { setCookie: [], varyCookie: false });
    const rs2 = policy.open(undefined);
    assert.equal(await rs2.session.get("x"), undefined);
    assert.deepEqual(await finish(policy, rs2), { setCookie: [], varyCookie: true });
    const rs3 = policy.open(undefined);
    assert.equal(await rs3.session.delete("x"), false);
    assert.deepEqual(await finish(policy, rs3), { setCookie: [], varyCookie: true });
  });

  test("bad cookies → empty session, no Set-Cookie (tampered, expired, future, other key)", async () => {
    const expired = policyAt(T0 + 2_678_401);
    const atLimit = policyAt(T0 + 2_678_400);
    const future = policyAt(T0 - 1);
    const otherKey = flaskSessionPolicy({ secretKey: "nope", now: () => T0 * 1000 });
    const tampered = policyAt(T0);
    const cases: [SessionPolicy, string][] = [
      [expired, PLAIN],
      [future, PLAIN],
      [otherKey, PLAIN],
      [tampered, PLAIN.replace("eyJm", "eyJn")],
      [tampered, "garbage"],
    ];
    for (const [policy, value] of cases) {
      const rs = policy.open(`session=${value}`);
      assert.equal(await rs.session.get("user"), undefined);
      assert.deepEqual(await finish(policy, rs), { setCookie: [], varyCookie: true });
    }
    const ok = atLimit.open(`session=${PLAIN}`);
    assert.equal(await ok.session.get("user"), "alice", "age == max_age is still valid");
  });

  test("Werkzeug keeps the first of duplicate cookies", () => {
    assert.equal(readCookie("session=a; session=b", "session", "first"), "a");
    assert.equal(readCookie('session="a\\054b"', "session", "first"), "a,b");
  });

  test("secret key fallbacks verify, the current key signs", async () => {
    const old = new FlaskSessionCodec({ secretKey: "old-key" }).encode(new Map([["k", 1]]), T0);
    const policy = policyAt(T0, { secretKey: "new-key", secretKeyFallbacks: ["old-key"] });
    const rs = policy.open(`session=${old}`);
    await rs.session.set("j", 2);
    const [cookie] = (await finish(policy, rs)).setCookie;
    const value = cookie!.slice("session=".length).split(";")[0]!;
    assert.deepEqual(
      new FlaskSessionCodec({ secretKey: "new-key" }).decode(value, { now: T0 }),
      new Map<string, unknown>([
        ["k", 1],
        ["j", 2],
      ]),
    );
    assert.throws(() =>
      flaskSessionPolicy({ secretKey: "k", secretKeyFallbacks: ["o"], flaskVersion: "2.2" }),
    );
  });

  test("cookie attributes in Werkzeug's order and spelling", async () => {
    const policy = policyAt(T0, {
      cookieName: "sid",
      cookieDomain: "example.com",
      cookiePath: "/app",
      cookieSecure: true,
      cookieSameSite: "lax",
      cookiePartitioned: true,
      cookieHttpOnly: false,
    });
    const rs = policy.open(undefined);
    await setPermanent(rs.session, true);
    const [cookie] = (await finish(policy, rs)).setCookie;
    assert.match(
      cookie!,
      /^sid=[^;]+; Domain=example\.com; Expires=Fri, 15 Dec 2023 22:13:20 GMT; Secure; Path=\/app; SameSite=Lax; Partitioned$/,
    );
    const rs2 = policy.open(`sid=${cookie!.slice(4).split(";")[0]!}`);
    rs2.session.clear();
    assert.deepEqual((await finish(policy, rs2)).setCookie, [
      "sid=; Domain=example.com; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Secure; Path=/app; SameSite=Lax; Partitioned",
    ]);
  });

  test("nested in-place change needs modified = true, as in Flask", async () => {
    const policy = policyAt(T0);
    const seed = new FlaskSessionCodec({ secretKey: SECRET }).encode(new Map([["cart", [1]]]), T0);
    const rs = policy.open(`session=${seed}`);
    const cart = (await rs.session.get("cart")) as number[];
    cart.push(2);
    assert.deepEqual((await finish(policy, rs)).setCookie, []);
    const rs2 = policy.open(`session=${seed}`);
    ((await rs2.session.get("cart")) as number[]).push(2);
    rs2.session.modified = true;
    assert.equal((await finish(policy, rs2)).setCookie.length, 1);
  });

  test("typed values survive a round trip through the policy", async () => {
    const policy = policyAt(T0);
    const rs = policy.open(undefined);
    await rs.session.set("one", new PyFloat(1));
    const [cookie] = (await finish(policy, rs)).setCookie;
    const rs2 = policy.open(cookie!.split(";")[0]);
    assert.deepEqual(await rs2.session.get("one"), new PyFloat(1));
  });

  test("dumpWerkzeugCookie quotes values outside the safe set", () => {
    assert.equal(dumpWerkzeugCookie("a", "x,y;z", { path: "/" }), 'a="x\\054y\\073z"; Path=/');
  });
});

// Issue 18 #15: Node sent a 6,548-byte session cookie without a word; browsers drop it and the
// write is lost. Werkzeug warns above MAX_COOKIE_SIZE (4093): so do we, with its message.
describe("flaskSessionPolicy: cookie size (MAX_COOKIE_SIZE)", () => {
  test("a 6 KB session cookie is sent with Werkzeug's exact warning, a small one without", async () => {
    const warnings: string[] = [];
    const policy = policyAt(T0, { onWarning: (m) => warnings.push(m) });
    const rs = policy.open(undefined);
    await rs.session.set("blob", randomBytes(4500).toString("base64"));
    const { setCookie } = await finish(policy, rs);
    const header = setCookie[0]!;
    const value = header.slice("session=".length, header.indexOf(";"));
    assert.ok(header.length > 6000, String(header.length));
    const werkzeug = JSON.parse(
      await runPython(
        "import json, sys, warnings\nfrom werkzeug.http import dump_cookie\n" +
          "with warnings.catch_warnings(record=True) as w:\n" +
          "    warnings.simplefilter('always')\n" +
          "    h = dump_cookie('session', sys.stdin.read(), httponly=True, path='/')\n" +
          "print(json.dumps({'header': h, 'warnings': [str(x.message) for x in w]}))",
        value,
        peerEnv("flask-2.2"),
      ),
    ) as { header: string; warnings: string[] };
    assert.equal(header, werkzeug.header);
    assert.deepEqual(warnings, werkzeug.warnings);
    assert.equal(warnings.length, 1);

    const small = policyAt(T0, { onWarning: (m) => warnings.push(m) });
    const ok = small.open(undefined);
    await ok.session.set("user", "alice");
    assert.equal((await finish(small, ok)).setCookie.length, 1);
    const off = policyAt(T0, { onWarning: (m) => warnings.push(m), maxCookieSize: 0 });
    const big = off.open(undefined);
    await big.session.set("blob", randomBytes(4500).toString("base64"));
    await finish(off, big);
    assert.equal(warnings.length, 1, "no warning under the limit, none with maxCookieSize 0");
  });
});
