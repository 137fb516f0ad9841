// starletteSessionPolicy: 0.x and 1.x write rules, byte-exact headers (Starlette's own format).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { SessionResponseHeaders } from "../../src/engine/http.ts";
import type { SessionPolicy } from "../../src/engine/policy.ts";
import {
  StarletteSessionCodec,
  starletteSessionPolicy,
  type StarletteVersion,
  type StarlettePolicyOptions,
} from "../../src/starlette/index.ts";

const SECRET = "test-secret-key";
const T0 = 1_700_000_000;
const AB = "eyJhIjogImJjIn0=.ZVPxAA.tcSTfi31RaO847fRTUMrGwKU6kk"; // {"a": "bc"} at T0 (vector)
const SET_AB = `session=${AB}; path=/; Max-Age=1209600; httponly; samesite=lax`;
const DELETE =
  "session=null; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly; samesite=lax";
const NONE: SessionResponseHeaders = { setCookie: [], varyCookie: false };
const VARY: SessionResponseHeaders = { setCookie: [], varyCookie: true };

const policyAt = (
  version: StarletteVersion,
  seconds = T0,
  extra: Partial<StarlettePolicyOptions> = {},
): SessionPolicy =>
  starletteSessionPolicy({
    secretKey: SECRET,
    starletteVersion: version,
    now: () => seconds * 1000,
    ...extra,
  });

async function finish(
  policy: SessionPolicy,
  rs: ReturnType<SessionPolicy["open"]>,
): Promise<SessionResponseHeaders> {
  return policy.plan(rs, 200) ?? (await policy.commit(rs, 200));
}

describe("starletteSessionPolicy", () => {
  for (const behaviour of ["0.x", "1.x"] as const) {
    test(`${behaviour}: a write gives Starlette's exact header (vector)`, async () => {
      const policy = policyAt(behaviour);
      const rs = policy.open(undefined);
      await rs.session.set("a", "bc");
      assert.deepEqual(await finish(policy, rs), {
        setCookie: [SET_AB],
        varyCookie: behaviour === "1.x",
      });
    });

    test(`${behaviour}: no cookie, untouched → nothing; clear without cookie → nothing`, async () => {
      const policy = policyAt(behaviour);
      assert.deepEqual(await finish(policy, policy.open(undefined)), NONE);
      const rs = policy.open(undefined);
      rs.session.clear();
      assert.deepEqual(await finish(policy, rs), behaviour === "1.x" ? VARY : NONE);
    });

    test(`${behaviour}: clear with a valid cookie → Starlette's delete header`, async () => {
      const policy = policyAt(behaviour, T0 + 5);
      const rs = policy.open(`session=${AB}`);
      rs.session.clear();
      assert.deepEqual(await finish(policy, rs), {
        setCookie: [DELETE],
        varyCookie: behaviour === "1.x",
      });
    });

    test(`${behaviour}: invalid cookie (tampered, expired, Flask's) → empty, nothing to delete`, async () => {
      for (const [value, at] of [
        [AB.replace("eyJh", "eyJi"), T0],
        [AB, T0 + 1_209_601],
        ["eyJ1c2VyIjoiYWxpY2UifQ.ZVPxAA.9VgsPXt_xzAjtfvaMAL0dflJ7XM", T0],
      ] as const) {
        const policy = policyAt(behaviour, at);
        const rs = policy.open(`session=${value}`);
        assert.equal(await rs.session.get("a"), undefined);
        rs.session.clear();
        assert.deepEqual((await finish(policy, rs)).setCookie, []);
      }
    });
  }

  test("0.x re-signs on every response with a non-empty session, never Vary", async () => {
    const policy = policyAt("0.x", T0 + 60);
    const rs = policy.open(`session=${AB}`);
    const headers = await finish(policy, rs);
    assert.equal(headers.varyCookie, false);
    assert.match(
      headers.setCookie[0]!,
      /^session=eyJhIjogImJjIn0=\.ZVPxPA\.[\w-]+; path=\/; Max-Age=1209600; httponly; samesite=lax$/,
    );
  });

  test("1.x: read-only → Vary only; untouched → nothing", async () => {
    const policy = policyAt("1.x", T0 + 60);
    const rs = policy.open(`session=${AB}`);
    assert.deepEqual(policy.plan(rs, 200), NONE);
    const rs2 = policy.open(`session=${AB}`);
    assert.equal(await rs2.session.get("a"), "bc");
    assert.deepEqual(await finish(policy, rs2), VARY);
  });

  test("last duplicate cookie wins, as in Starlette", async () => {
    const policy = policyAt("1.x");
    const rs = policy.open(`session=junk; session=${AB}`);
    assert.equal(await rs.session.get("a"), "bc");
  });

  test("options: name, path, max_age None/0, same_site, https_only, domain", async () => {
    const policy = policyAt("1.x", T0, {
      cookieName: "s",
      path: "/api",
      maxAge: null,
      sameSite: "strict",
      httpsOnly: true,
      domain: "example.com",
    });
    const rs = policy.open(undefined);
    await rs.session.set("a", "bc");
    const [cookie] = (await finish(policy, rs)).setCookie;
    assert.match(
      cookie!,
      /^s=eyJhIjogImJjIn0=\.ZVPxAA\.[\w-]+; path=\/api; httponly; samesite=strict; secure; domain=example\.com$/,
    );
    const zero0 = policyAt("0.x", T0, { maxAge: 0 });
    const r0 = zero0.open(undefined);
    await r0.session.set("a", "bc");
    assert.doesNotMatch((await finish(zero0, r0)).setCookie[0]!, /Max-Age/);
    const zero1 = policyAt("1.x", T0, { maxAge: 0 });
    const r1 = zero1.open(undefined);
    await r1.session.set("a", "bc");
    assert.match((await finish(zero1, r1)).setCookie[0]!, /; Max-Age=0; /);
  });

  test("the codec agrees with the policy's cookie", () => {
    const codec = new StarletteSessionCodec({ secretKey: SECRET });
    assert.equal(codec.encode(new Map([["a", "bc"]]), T0), AB);
  });
});

// Issue 18 #15: Starlette sends any size; browsers drop a cookie over ~4 KB silently and the
// write is lost. The policy still sends it, as Starlette would, and warns as Werkzeug does.
describe("starletteSessionPolicy: cookie size", () => {
  for (const behaviour of ["0.x", "1.x"] as const) {
    test(`${behaviour}: a 6 KB cookie is sent with a warning naming its size; 4 KB or less, none`, async () => {
      const warnings: string[] = [];
      const policy = policyAt(behaviour, T0, { onWarning: (m) => warnings.push(m) });
      const rs = policy.open(undefined);
      await rs.session.set("blob", "x".repeat(4500));
      const header = (await finish(policy, rs)).setCookie[0]!;
      assert.ok(header.length > 6000, String(header.length));
      assert.equal(warnings.length, 1);
      assert.match(
        warnings[0]!,
        new RegExp(
          `^The 'session' cookie is too large: .* The final size was ${String(header.length)} bytes but the limit is 4093 bytes\\. Browsers may silently ignore cookies larger than this\\.$`,
        ),
      );
      const small = policy.open(undefined);
      await small.session.set("a", "bc");
      await finish(policy, small);
      assert.equal(warnings.length, 1);
    });
  }
});
