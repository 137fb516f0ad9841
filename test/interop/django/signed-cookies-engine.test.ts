// Interop with real Django (3.2, 4.2, 5.2) on the signed_cookies session engine: the cookie
// Django's SessionMiddleware sets is our session and ours is Django's, expired cookies are
// empty on both sides, SECRET_KEY_FALLBACKS rotation (4.2, 5.2) works both ways, and a session
// too large for a cookie fails on our side instead of being dropped by the browser.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import { getSession, withSessions } from "../../../src/adapters/node/index.ts";
import type { PyValue } from "../../../src/codecs/python-values.ts";
import { sessionFromTypedJson, toTypedJson } from "../../../src/codecs/typed-json.ts";
import { TooLargeError } from "../../../src/errors.ts";
import { SignedCookieStore } from "../../../src/stores/signed-cookies/index.ts";
import { CookieJar, listen } from "../../support/http.ts";
import { DJANGO_VERSIONS, runDjango, startDjangoServer, type DjangoServer } from "./peer.ts";

const SECRET = "interop-secret-key-for-sessionbridge-signed";
const OLD_SECRET = "interop-old-secret-key-rotated-away";
const AGE = 1_209_600;
const ENGINE = "django.contrib.sessions.backends.signed_cookies";
const silent = { warn: () => undefined };

interface CreateResult {
  key: string;
}
interface LoadResult {
  exists: boolean;
  data: Record<string, unknown>;
}

const SAMPLE = { user: "zoë 😀", n: 42, nested: { list: [1, "two", null, true] } } satisfies Record<
  string,
  PyValue
>;
const sample = (): Map<string, PyValue> => new Map(Object.entries(SAMPLE));

/** A node:http app on `store`: /read, /bump, /flush. */
async function nodeApp(
  store: SignedCookieStore,
  version: string,
): Promise<Awaited<ReturnType<typeof listen>>> {
  return listen(
    createServer(
      withSessions({ store, djangoVersion: version as "3.2" | "4.2" | "5.2" }, async (req, res) => {
        const session = getSession(req);
        if (req.url?.startsWith("/bump")) {
          const count = Number((await session.get("count")) ?? 0) + 1;
          await session.set("count", String(count));
        } else if (req.url?.startsWith("/flush")) {
          await session.flush();
        }
        res.setHeader("Content-Type", "application/json");
        res.end(JSON.stringify({ data: toTypedJson(await session.toMap()) }));
      }),
    ),
  );
}

for (const version of DJANGO_VERSIONS) {
  describe(`Django ${version} signed_cookies engine`, () => {
    const env = { SECRET_KEY: SECRET, SESSION_ENGINE: ENGINE };
    const store = new SignedCookieStore({ secret: SECRET, djangoVersion: version, logger: silent });

    it("reads the value Django's signed_cookies store makes", async () => {
      const created = (await runDjango(version, ["create"], {
        env,
        input: JSON.stringify(toTypedJson(sample())),
      })) as CreateResult;
      const data = await store.load(created.key);
      assert.ok(data, "not accepted");
      assert.deepEqual(toTypedJson(data), toTypedJson(sample()));
    });

    it("makes a value Django loads", async () => {
      const value = store.encodeKey(sample());
      const loaded = (await runDjango(version, ["load", value], { env })) as LoadResult;
      assert.equal(loaded.exists, false, "Django: exists() is always False");
      assert.deepEqual(toTypedJson(sessionFromTypedJson(loaded.data)), toTypedJson(sample()));
    });

    it("expired (older than SESSION_COOKIE_AGE) is empty on both sides", async () => {
      // Ours, signed as if AGE + 60 s ago: Django refuses it.
      const old = new SignedCookieStore({
        secret: SECRET,
        now: () => Date.now() - (AGE + 60) * 1000,
      }).encodeKey(sample());
      const theirs = (await runDjango(version, ["load", old], { env })) as LoadResult;
      assert.deepEqual(theirs.data, {});
      assert.equal(await store.load(old), null);
      // Theirs, checked by us with the clock AGE + 60 s ahead (and by Django with a 1 s age).
      const created = (await runDjango(version, ["create"], {
        env,
        input: '{"a": 1}',
      })) as CreateResult;
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
      const ok = (await runDjango(version, ["load", recent], { env })) as LoadResult;
      assert.deepEqual(Object.keys(ok.data).sort(), ["n", "nested", "user"]);
      assert.ok(await store.load(recent));
    });

    it("a short SESSION_COOKIE_AGE is enforced by both", async () => {
      const short = { ...env, SESSION_COOKIE_AGE: "2" };
      const shortStore = new SignedCookieStore({ secret: SECRET, cookieAge: 2, logger: silent });
      const ours = shortStore.encodeKey(new Map([["a", 1]]));
      const created = (await runDjango(version, ["create"], {
        env: short,
        input: '{"a": 1}',
      })) as CreateResult;
      await new Promise((r) => setTimeout(r, 3100));
      assert.equal(await shortStore.load(created.key), null);
      const theirs = (await runDjango(version, ["load", ours], { env: short })) as LoadResult;
      assert.deepEqual(theirs.data, {});
    });

    it("a session too large for a cookie: Django signs it anyway, we refuse it", async () => {
      const big = new Map<string, PyValue>([["blob", randomBytes(4000).toString("base64")]]);
      const created = (await runDjango(version, ["create"], {
        env,
        input: JSON.stringify(toTypedJson(big)),
      })) as CreateResult;
      assert.ok(`sessionid=${created.key}`.length > 4093, "browsers would drop Django's cookie");
      assert.throws(() => store.encodeKey(big), TooLargeError);
    });

    if (version === "3.2") {
      it("accepts 3.2's SHA-1 signatures (DEFAULT_HASHING_ALGORITHM = sha1)", async () => {
        const created = (await runDjango(version, ["create"], {
          env: { ...env, DEFAULT_HASHING_ALGORITHM: "sha1" },
          input: '{"a": 1}',
        })) as CreateResult;
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
          (await runDjango(version, ["create"], {
            env: { ...env, SECRET_KEY: OLD_SECRET },
            input: JSON.stringify(toTypedJson(sample())),
          })) as CreateResult
        ).key;
        for (const value of [oursOld, theirsOld]) {
          assert.ok(await rotated.load(value), "we accept the fallback");
          assert.equal(await newOnly.load(value), null, "not without it");
          const loaded = (await runDjango(version, ["load", value], {
            env: rotatedEnv,
          })) as LoadResult;
          assert.deepEqual(Object.keys(loaded.data).sort(), ["n", "nested", "user"]);
          const without = (await runDjango(version, ["load", value], { env })) as LoadResult;
          assert.deepEqual(without.data, {});
        }

        // Over HTTP: Django (rotated) re-signs our old-key cookie with the new key, and our
        // app (rotated) re-signs Django's old-key cookie with the new key.
        const django = await startDjangoServer(version, rotatedEnv);
        const node = await nodeApp(rotated, version);
        try {
          const jar = new CookieJar();
          jar.cookies.set("sessionid", oursOld);
          await jar.fetch(`${django.url}/set?count=1`);
          const resignedByDjango = jar.cookies.get("sessionid")!;
          assert.notEqual(resignedByDjango, oursOld);
          assert.equal((await newOnly.load(resignedByDjango))?.get("count"), "1");

          const jar2 = new CookieJar();
          jar2.cookies.set("sessionid", theirsOld);
          const bumped = (await (await jar2.fetch(`${node.url}/bump`)).json()) as {
            data: Record<string, unknown>;
          };
          assert.equal(bumped.data["count"], "1");
          assert.equal(bumped.data["user"], SAMPLE.user);
          const resignedByUs = jar2.cookies.get("sessionid")!;
          const loaded = (await runDjango(version, ["load", resignedByUs], { env })) as LoadResult;
          assert.equal(loaded.data["count"], "1", "Django without fallbacks accepts it");
        } finally {
          await django.stop();
          await node.close();
        }
      });
    }

    describe("through Django's real SessionMiddleware over HTTP", () => {
      let django: DjangoServer;
      let node: Awaited<ReturnType<typeof listen>>;
      before(async () => {
        django = await startDjangoServer(version, env);
        node = await nodeApp(store, version);
      });
      after(async () => {
        await django.stop();
        await node.close();
      });

      it("shares one cookie: Django sets, Node reads and re-signs, Django reads it", async () => {
        const jar = new CookieJar();
        assert.equal((await jar.fetch(`${django.url}/set?user=alice&count=1`)).status, 200);
        const fromDjango = jar.cookies.get("sessionid")!;
        assert.ok(fromDjango.includes(":"), "a signed value");
        const read = (await (await jar.fetch(`${node.url}/read`)).json()) as { data: unknown };
        assert.deepEqual(read.data, { user: "alice", count: "1" });
        assert.equal(jar.cookies.get("sessionid"), fromDjango, "a read sets no cookie");
        const bumped = (await (await jar.fetch(`${node.url}/bump`)).json()) as { data: unknown };
        assert.deepEqual(bumped.data, { user: "alice", count: "2" });
        assert.notEqual(jar.cookies.get("sessionid"), fromDjango);
        const back = (await (await jar.fetch(`${django.url}/get`)).json()) as { data: unknown };
        assert.deepEqual(back.data, { user: "alice", count: "2" });
      });

      it("Node starts the session, Django cycles it, Node flushes it", async () => {
        const jar = new CookieJar();
        await jar.fetch(`${node.url}/bump`);
        const first = jar.cookies.get("sessionid")!;
        await new Promise((r) => setTimeout(r, 1100)); // a new signing timestamp
        const cycled = (await (await jar.fetch(`${django.url}/cycle`)).json()) as {
          data: unknown;
        };
        assert.deepEqual(cycled.data, { count: "1" });
        assert.notEqual(jar.cookies.get("sessionid"), first, "cycle_key re-signs");
        const read = (await (await jar.fetch(`${node.url}/read`)).json()) as { data: unknown };
        assert.deepEqual(read.data, { count: "1" });
        await jar.fetch(`${node.url}/flush`);
        assert.equal(jar.cookies.has("sessionid"), false);
      });

      it("Django's flush deletes the cookie; a forged cookie is empty for both", async () => {
        const jar = new CookieJar();
        await jar.fetch(`${node.url}/bump`);
        await jar.fetch(`${django.url}/flush`);
        assert.equal(jar.cookies.has("sessionid"), false);
        const forged = new SignedCookieStore({ secret: "attacker" }).encodeKey(
          new Map([["count", "99"]]),
        );
        for (const url of [`${django.url}/get`, `${node.url}/read`]) {
          const j = new CookieJar();
          j.cookies.set("sessionid", forged);
          const body = (await (await j.fetch(url)).json()) as { data: unknown };
          assert.deepEqual(body.data, {}, url);
        }
      });
    });
  });
}
