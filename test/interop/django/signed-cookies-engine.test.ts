// Interop with real Django (3.2, 4.2, 5.2) on the signed_cookies session engine: the cookie
// Django's SessionMiddleware sets is our session and ours is Django's, expired cookies are
// empty on both sides, SECRET_KEY_FALLBACKS rotation (4.2, 5.2) works both ways, and a session
// too large for a cookie fails on our side instead of being dropped by the browser.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import type { PyValue } from "../../../src/codecs/python-values.ts";
import { sessionFromTypedJson, toTypedJson } from "../../../src/codecs/typed-json.ts";
import { TooLargeError } from "../../../src/errors.ts";
import { SignedCookieStore } from "../../../src/stores/signed-cookies/index.ts";
import { CookieJar } from "../../support/http.ts";
import {
  SAMPLE,
  SESSION_COOKIE_AGE as AGE,
  djangoEngine,
  fetchSession,
  overHttp,
  sample,
  startNodeApp,
} from "./engine-scenario.ts";
import { DJANGO_VERSIONS, startDjangoServer } from "./peer.ts";

const SECRET = "interop-secret-key-for-sessionbridge-signed";
const OLD_SECRET = "interop-old-secret-key-rotated-away";
const ENGINE = "django.contrib.sessions.backends.signed_cookies";
const silent = { warn: () => undefined };

for (const version of DJANGO_VERSIONS) {
  describe(`Django ${version} signed_cookies engine`, () => {
    const env = { SECRET_KEY: SECRET, SESSION_ENGINE: ENGINE };
    const store = new SignedCookieStore({ secret: SECRET, djangoVersion: version, logger: silent });
    const engine = djangoEngine(version, () => ({ env, store }));

    it("reads the value Django's signed_cookies store makes", async () => {
      const created = await engine.create(JSON.stringify(toTypedJson(sample())));
      const data = await store.load(created.key);
      assert.ok(data, "not accepted");
      assert.deepEqual(toTypedJson(data), toTypedJson(sample()));
    });

    it("makes a value Django loads", async () => {
      const value = store.encodeKey(sample());
      const loaded = await engine.load(value);
      assert.equal(loaded.exists, false, "Django: exists() is always False");
      assert.deepEqual(toTypedJson(sessionFromTypedJson(loaded.data)), toTypedJson(sample()));
    });

    it("expired (older than SESSION_COOKIE_AGE) is empty on both sides", async () => {
      // Ours, signed as if AGE + 60 s ago: Django refuses it.
      const old = new SignedCookieStore({
        secret: SECRET,
        now: () => Date.now() - (AGE + 60) * 1000,
      }).encodeKey(sample());
      const theirs = await engine.load(old);
      assert.deepEqual(theirs.data, {});
      assert.equal(await store.load(old), null);
      // Theirs, checked by us with the clock AGE + 60 s ahead (and by Django with a 1 s age).
      const created = await engine.create('{"a": 1}');
      const later = new SignedCookieStore({
        secret: SECRET,
        logger: silent,
        now: () => Date.now() + (AGE + 60) * 1000,
      });
      assert.equal(await later.load(created.key), null);
      assert.deepEqual(await store.load(created.key), new Map([["a", 1]]));
      // Just inside the age: still valid for both.
      const recent = new SignedCookieStore({
        secret: SECRET,
        now: () => Date.now() - (AGE - 60) * 1000,
      }).encodeKey(sample());
      const ok = await engine.load(recent);
      assert.deepEqual(Object.keys(ok.data).sort(), ["n", "nested", "user"]);
      assert.ok(await store.load(recent));
    });

    it("a short SESSION_COOKIE_AGE is enforced by both", async () => {
      const short = { ...env, SESSION_COOKIE_AGE: "2" };
      const shortStore = new SignedCookieStore({ secret: SECRET, cookieAge: 2, logger: silent });
      const ours = shortStore.encodeKey(new Map([["a", 1]]));
      const created = await engine.create('{"a": 1}', { env: short });
      await new Promise((r) => setTimeout(r, 3100));
      assert.equal(await shortStore.load(created.key), null);
      const theirs = await engine.load(ours, short);
      assert.deepEqual(theirs.data, {});
    });

    it("a session too large for a cookie: Django signs it anyway, we refuse it", async () => {
      const big = new Map<string, PyValue>([["blob", randomBytes(4000).toString("base64")]]);
      const created = await engine.create(JSON.stringify(toTypedJson(big)));
      assert.ok(`sessionid=${created.key}`.length > 4093, "browsers would drop Django's cookie");
      assert.throws(() => store.encodeKey(big), TooLargeError);
    });

    if (version === "3.2") {
      it("accepts 3.2's SHA-1 signatures (DEFAULT_HASHING_ALGORITHM = sha1)", async () => {
        const created = await engine.create('{"a": 1}', {
          env: { ...env, DEFAULT_HASHING_ALGORITHM: "sha1" },
        });
        assert.deepEqual(await store.load(created.key), new Map([["a", 1]]));
        const strict = new SignedCookieStore({ secret: SECRET, logger: silent });
        assert.equal(await strict.load(created.key), null, "4.0+ rules refuse SHA-1");
      });
    } else {
      it("SECRET_KEY_FALLBACKS: old-key cookies accepted by both, re-signed with the new key", async () => {
        const rotatedEnv = { ...env, SECRET_KEY_FALLBACKS: OLD_SECRET };
        const rotated = new SignedCookieStore({
          secret: SECRET,
          fallbackSecrets: [OLD_SECRET],
          logger: silent,
        });
        const newOnly = store;
        // A cookie signed with the old key, by us and by Django.
        const oursOld = new SignedCookieStore({ secret: OLD_SECRET }).encodeKey(sample());
        const theirsOld = (
          await engine.create(JSON.stringify(toTypedJson(sample())), {
            env: { ...env, SECRET_KEY: OLD_SECRET },
          })
        ).key;
        for (const value of [oursOld, theirsOld]) {
          assert.ok(await rotated.load(value), "we accept the fallback");
          assert.equal(await newOnly.load(value), null, "not without it");
          const loaded = await engine.load(value, rotatedEnv);
          assert.deepEqual(Object.keys(loaded.data).sort(), ["n", "nested", "user"]);
          const without = await engine.load(value);
          assert.deepEqual(without.data, {});
        }

        // Over HTTP: Django (rotated) re-signs our old-key cookie with the new key, and our
        // app (rotated) re-signs Django's old-key cookie with the new key.
        const django = await startDjangoServer(version, rotatedEnv);
        const node = await startNodeApp(rotated, version);
        try {
          const jar = new CookieJar();
          jar.cookies.set("sessionid", oursOld);
          await jar.fetch(`${django.url}/set?count=1`);
          const resignedByDjango = jar.cookies.get("sessionid")!;
          assert.notEqual(resignedByDjango, oursOld);
          assert.equal((await newOnly.load(resignedByDjango))?.get("count"), "1");

          const jar2 = new CookieJar();
          jar2.cookies.set("sessionid", theirsOld);
          const bumped = await fetchSession(jar2, `${node.url}/bump`);
          assert.equal(bumped.data["count"], "1");
          assert.equal(bumped.data["user"], SAMPLE.user);
          const resignedByUs = jar2.cookies.get("sessionid")!;
          const loaded = await engine.load(resignedByUs);
          assert.equal(loaded.data["count"], "1", "Django without fallbacks accepts it");
        } finally {
          await django.stop();
          await node.close();
        }
      });
    }

    overHttp(engine, (peers) => {
      it("shares one cookie: Django sets, Node reads and re-signs, Django reads it", async () => {
        const jar = new CookieJar();
        assert.equal((await jar.fetch(`${peers.django.url}/set?user=alice&count=1`)).status, 200);
        const fromDjango = jar.cookies.get("sessionid")!;
        assert.ok(fromDjango.includes(":"), "a signed value");
        const read = await fetchSession(jar, `${peers.node.url}/read`);
        assert.deepEqual(read.data, { user: "alice", count: "1" });
        assert.equal(jar.cookies.get("sessionid"), fromDjango, "a read sets no cookie");
        const bumped = await fetchSession(jar, `${peers.node.url}/bump`);
        assert.deepEqual(bumped.data, { user: "alice", count: "2" });
        assert.notEqual(jar.cookies.get("sessionid"), fromDjango);
        const back = await fetchSession(jar, `${peers.django.url}/get`);
        assert.deepEqual(back.data, { user: "alice", count: "2" });
      });

      it("Node starts the session, Django cycles it, Node flushes it", async () => {
        const jar = new CookieJar();
        await jar.fetch(`${peers.node.url}/bump`);
        const first = jar.cookies.get("sessionid")!;
        await new Promise((r) => setTimeout(r, 1100)); // a new signing timestamp
        const cycled = await fetchSession(jar, `${peers.django.url}/cycle`);
        assert.deepEqual(cycled.data, { count: "1" });
        assert.notEqual(jar.cookies.get("sessionid"), first, "cycle_key re-signs");
        const read = await fetchSession(jar, `${peers.node.url}/read`);
        assert.deepEqual(read.data, { count: "1" });
        await jar.fetch(`${peers.node.url}/flush`);
        assert.equal(jar.cookies.has("sessionid"), false);
      });

      it("Django's flush deletes the cookie; a forged cookie is empty for both", async () => {
        const jar = new CookieJar();
        await jar.fetch(`${peers.node.url}/bump`);
        await jar.fetch(`${peers.django.url}/flush`);
        assert.equal(jar.cookies.has("sessionid"), false);
        const forged = new SignedCookieStore({ secret: "attacker" }).encodeKey(
          new Map([["count", "99"]]),
        );
        for (const url of [`${peers.django.url}/get`, `${peers.node.url}/read`]) {
          const j = new CookieJar();
          j.cookies.set("sessionid", forged);
          const body = await fetchSession(j, url);
          assert.deepEqual(body.data, {}, url);
        }
      });
    });
  });
}
