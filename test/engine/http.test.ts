import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { serialize as serializeCookie } from "cookie";
import { resolveSessionSettings, type SessionSettingsInput } from "../../src/engine/config.ts";
import {
  addVaryCookie,
  commitResponseSession,
  deleteCookieHeader,
  isHeaderSession,
  openHeaderSession,
  openRequestSession,
  plainResponseHeaders,
} from "../../src/engine/http.ts";
import { djangoSessionPolicy } from "../../src/django/policy.ts";
import { Session } from "../../src/engine/session.ts";
import { MemoryStore } from "../../src/stores/memory/index.ts";
import { djangoPeerEnv } from "../interop/django/peer.ts";
import { runPython } from "../support/python.ts";

const NOW = 1_700_000_000_000;
const clock = () => NOW;

async function existing(store: MemoryStore): Promise<string> {
  const s = new Session(store, null, resolveSessionSettings());
  await s.set("user", "alice");
  await s.save();
  return s.key!;
}

function run(cookie: string | undefined, input: SessionSettingsInput = {}) {
  const settings = resolveSessionSettings(input);
  const store = new MemoryStore();
  return { settings, store, rs: openRequestSession(cookie, store, settings, clock) };
}

describe("SessionMiddleware response policy", () => {
  it("sets Django's cookie when modified: Max-Age 1209600 + Expires, Path=/, HttpOnly, SameSite=Lax", async () => {
    const { settings, rs } = run(undefined);
    await rs.session.set("a", 1);
    const h = await commitResponseSession(rs, settings, 200, clock);
    assert.equal(h.varyCookie, true);
    assert.equal(
      h.setCookie[0],
      `sessionid=${rs.session.key!}; Max-Age=1209600; Path=/; Expires=Tue, 28 Nov 2023 22:13:20 GMT; HttpOnly; SameSite=Lax`,
    );
  });

  it("sends nothing for an untouched session, only Vary for a read", async () => {
    const { settings, store, rs } = run(undefined);
    assert.deepEqual(await commitResponseSession(rs, settings, 200, clock), {
      setCookie: [],
      varyCookie: false,
    });
    const key = await existing(store);
    const read = openRequestSession(`sessionid=${key}`, store, settings, clock);
    assert.equal(await read.session.get("user"), "alice");
    assert.deepEqual(await commitResponseSession(read, settings, 200, clock), {
      setCookie: [],
      varyCookie: true,
    });
  });

  it("never saves on 5xx (4.x+), only on exactly 500 skips for 3.2", async () => {
    for (const [version, status, saved] of [
      ["5.2", 503, false],
      ["4.2", 500, false],
      ["3.2", 500, false],
      ["3.2", 503, true],
    ] as const) {
      const { settings, store, rs } = run(undefined, { djangoVersion: version });
      await rs.session.set("a", 1);
      const h = await commitResponseSession(rs, settings, status, clock);
      assert.equal(h.setCookie.length, saved ? 1 : 0, `${version} ${status}`);
      assert.equal(h.varyCookie, true);
      assert.equal(rs.session.key !== null && (await store.exists(rs.session.key)), saved);
    }
  });

  it("deletes the cookie when a session that came with a cookie ends up empty", async () => {
    const { settings, store } = run(undefined);
    const key = await existing(store);
    const rs = openRequestSession(`sessionid=${key}`, store, settings, clock);
    await rs.session.flush();
    const h = await commitResponseSession(rs, settings, 200, clock);
    assert.deepEqual(h.setCookie, [
      "sessionid=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=Lax",
    ]);
    assert.equal(h.varyCookie, true);
  });

  it("deletes a short (<8 chars) cookie even when the view never touched the session", async () => {
    const { settings, rs } = run("sessionid=abc");
    const h = await commitResponseSession(rs, settings, 200, clock);
    assert.equal(h.setCookie.length, 1);
    assert.match(h.setCookie[0]!, /^sessionid=; Max-Age=0/);
  });

  it("treats a tampered or unknown cookie as a fresh empty session, writing nothing", async () => {
    const { settings, store, rs } = run("sessionid=0000000000garbage0000000000000000");
    assert.equal(await rs.session.get("user"), undefined);
    const h = await commitResponseSession(rs, settings, 200, clock);
    // Django: the unknown key was dropped on load, the session is empty and had a cookie → delete.
    assert.match(h.setCookie[0]!, /^sessionid=; Max-Age=0/);
    assert.equal(await store.clearExpired(), 0);
  });

  // Issue 18 #9: with `sessionid=bogus; sessionid=VALID` Django is logged in (its parse_cookie
  // keeps the last), so Node must see the same session, not an anonymous one.
  it("of duplicate session cookies the last counts, as in Django", async () => {
    const settings = resolveSessionSettings();
    const store = new MemoryStore();
    const key = await existing(store);
    for (const header of [
      `sessionid=bogusbogusbogusbogusbogusbogus; sessionid=${key}`,
      `sessionid=; other=1; sessionid="${key}"`,
    ]) {
      const rs = openRequestSession(header, store, settings, clock);
      assert.equal(await rs.session.get("user"), "alice", header);
    }
    const reversed = openRequestSession(`sessionid=${key}; sessionid=bogus`, store, settings);
    assert.equal(await reversed.session.get("user"), undefined);
  });

  it("reads the same session cookie as Django's parse_cookie for odd headers", async () => {
    const [a, b, c] = ["a", "b", "c"].map((ch) => ch.repeat(32)) as [string, string, string];
    const headers = [
      `sessionid=${a}; sessionid=${b}`,
      `sessionid=${a};sessionid=${b};sessionid=${c}`,
      `sessionid="${a}"; x=1`,
      ` sessionid = ${a} ; sessionid`,
      `sessionid=${a}; sessionid2=${b}`,
      `xsessionid=${a}; sessionid=${b}; sessionidx=${c}`,
      `sessionid=${a}; sessionid=`,
      `a=1; =b; sessionid=${c}; ; c`,
      `sessionid=${a}; SESSIONID=${b}`,
      "sessionid",
      "",
    ];
    const django = JSON.parse(
      await runPython(
        "import json, sys\nfrom django.http import parse_cookie\n" +
          "print(json.dumps([parse_cookie(h).get('sessionid') for h in json.load(sys.stdin)]))",
        JSON.stringify(headers),
        djangoPeerEnv("5.2"),
      ),
    ) as (string | null)[];
    const settings = resolveSessionSettings();
    const ours = headers.map((h) => {
      const rs = openRequestSession(h, new MemoryStore(), settings);
      return rs.hadCookie ? (rs.session.key ?? "") : null;
    });
    assert.deepEqual(ours, django);
  });

  it("makes a browser-session cookie when expiring at browser close", async () => {
    const { settings, rs } = run(undefined, { expireAtBrowserClose: true });
    await rs.session.set("a", 1);
    const h = await commitResponseSession(rs, settings, 200, clock);
    assert.equal(h.setCookie[0], `sessionid=${rs.session.key!}; Path=/; HttpOnly; SameSite=Lax`);
    const { settings: s2, rs: rs2 } = run(undefined);
    await rs2.session.setExpiry(0);
    assert.doesNotMatch(
      (await commitResponseSession(rs2, s2, 200, clock)).setCookie[0]!,
      /Max-Age|Expires/,
    );
  });

  it("re-saves every request when saveEveryRequest is on, without adding Vary for an untouched session", async () => {
    const { settings, store } = run(undefined, { saveEveryRequest: true });
    const key = await existing(store);
    const rs = openRequestSession(`sessionid=${key}`, store, settings, clock);
    const h = await commitResponseSession(rs, settings, 200, clock);
    assert.equal(h.setCookie.length, 1);
    assert.equal(h.varyCookie, false);
  });

  it("honours Secure, Domain, SameSite=None and a custom cookie name", async () => {
    const { settings, rs } = run(undefined, {
      cookieName: "sid",
      cookieDomain: ".example.com",
      cookieSecure: true,
      cookieSameSite: "None",
    });
    await rs.session.set("a", 1);
    const h = await commitResponseSession(rs, settings, 200, clock);
    assert.match(
      h.setCookie[0]!,
      /^sid=[a-z0-9]{32}; Max-Age=1209600; Domain=\.example\.com; Path=\/; Expires=.*; HttpOnly; Secure; SameSite=None$/,
    );
    assert.match(deleteCookieHeader(settings), /; Secure; SameSite=None$/);
  });

  it("writes the cookie exactly as the cookie package's serialize does, for every option combination", async () => {
    const combos: SessionSettingsInput[] = [];
    for (const cookieDomain of [undefined, "example.com"])
      for (const cookieSecure of [false, true])
        for (const cookieHttpOnly of [false, true])
          for (const cookieSameSite of ["Lax", "Strict", "None", false] as const)
            for (const expireAtBrowserClose of [false, true])
              combos.push({
                cookieName: "__Host-sid",
                cookiePath: "/app",
                ...(cookieDomain === undefined ? {} : { cookieDomain }),
                cookieSecure,
                cookieHttpOnly,
                cookieSameSite,
                expireAtBrowserClose,
                cookieAge: 3600,
              });
    for (const input of combos) {
      const { settings, rs } = run(undefined, input);
      await rs.session.set("a", 1);
      const h = await commitResponseSession(rs, settings, 200, clock);
      const expected = serializeCookie(settings.cookieName, rs.session.key!, {
        ...(input.expireAtBrowserClose === true
          ? {}
          : { maxAge: 3600, expires: new Date(NOW + 3600_000) }),
        ...(input.cookieDomain === undefined ? {} : { domain: input.cookieDomain }),
        path: "/app",
        secure: input.cookieSecure!,
        httpOnly: input.cookieHttpOnly!,
        ...(input.cookieSameSite === false
          ? {}
          : { sameSite: input.cookieSameSite!.toLowerCase() as "lax" | "strict" | "none" }),
      });
      assert.equal(h.setCookie[0], expected, JSON.stringify(input));
    }
  });

  it("patches Vary like Django", () => {
    assert.equal(addVaryCookie(undefined), "Cookie");
    assert.equal(addVaryCookie("Accept-Encoding"), "Accept-Encoding, Cookie");
    assert.equal(addVaryCookie("cookie"), "cookie");
    assert.equal(addVaryCookie("*"), "*");
  });
});

describe("a session named by a header (allauth's X-Session-Token)", () => {
  it("is the session of that key, saved when modified, and never touches the cookie", async () => {
    const settings = resolveSessionSettings();
    const store = new MemoryStore();
    const key = await existing(store);
    const rs = openHeaderSession(key, store, settings);
    assert.ok(isHeaderSession(rs.session));
    assert.equal(await rs.session.get("user"), "alice");
    assert.deepEqual(plainResponseHeaders(rs, settings, 200), { setCookie: [], varyCookie: false });
    await rs.session.set("n", 1);
    assert.deepEqual(await commitResponseSession(rs, settings, 200), {
      setCookie: [],
      varyCookie: false,
    });
    assert.equal(await new Session(store, key, settings).get("n"), 1);
    // Emptied (a logout): nothing to delete, no cookie to expire.
    await rs.session.flush();
    assert.deepEqual(plainResponseHeaders(rs, settings, 200), { setCookie: [], varyCookie: false });
    // An unknown key is an empty session.
    const unknown = openHeaderSession("x".repeat(32), store, settings);
    assert.equal(await unknown.session.get("user"), undefined);
  });

  it("djangoSessionPolicy reads it only when sessionTokenHeader names it", async () => {
    const store = new MemoryStore();
    const key = await existing(store);
    const headers = new Headers({ "x-session-token": key });
    const read = (name: string) => headers.get(name);
    const withToken = djangoSessionPolicy({
      store,
      djangoVersion: "5.2",
      sessionTokenHeader: "X-Session-Token",
    });
    assert.equal(await withToken.open(undefined, read).session.get("user"), "alice");
    assert.equal(withToken.open(`sessionid=${key}`, () => undefined).fromHeader, undefined);
    const cookieOnly = djangoSessionPolicy({ store, djangoVersion: "5.2" });
    const rs = cookieOnly.open(undefined, read);
    assert.equal(isHeaderSession(rs.session), false);
    assert.equal(await rs.session.get("user"), undefined);
  });
});
