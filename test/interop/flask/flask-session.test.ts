// Flask-Session on real Redis over real HTTP, both directions: Flask-Session 0.3.2 (pickle,
// uuid4 sids) and 0.8.0 (msgspec msgpack, token_urlsafe sids), signed and unsigned sid cookies,
// node-redis and ioredis clients. Unique key prefix per run; every key is removed afterwards.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { createClient } from "redis";
import { Redis as IORedis } from "ioredis";
import {
  FlaskSessionRedisStore,
  flaskSessionServerPolicy,
} from "../../../src/flask/server-session.ts";
import { CookieJar } from "../../support/http.ts";
import { startHonoApp, startNodeApp, type NodeApp } from "./node-app.ts";
import { FLASK_PEER_SCRIPT, getJson, startPythonServer, type PythonServer } from "./server.ts";

const SECRET = "flask-session-secret";
const PREFIX_ROOT = `sbtest-fs-${process.pid}-${randomBytes(4).toString("hex")}`;
const SCENARIOS = ["plain", "unicode", "nested", "typed", "large", "permanent"];
const COOKIE =
  /^session=([^;]+); Expires=[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT; HttpOnly; Path=\/$/;

const nodeRedis = createClient({ url: "redis://127.0.0.1:6379" });
const ioredis = new IORedis({ host: "127.0.0.1", port: 6379, lazyConnect: true });

before(async () => {
  await nodeRedis.connect();
  await ioredis.connect();
});
after(async () => {
  for await (const keys of nodeRedis.scanIterator({ MATCH: `${PREFIX_ROOT}*`, COUNT: 500 })) {
    if (keys.length > 0) await nodeRedis.del(keys);
  }
  await nodeRedis.quit();
  ioredis.disconnect();
});

const configs = [
  {
    peer: "flask-session-0.3",
    version: "0.3",
    serializer: "pickle",
    signer: false,
    client: "node-redis",
  },
  {
    peer: "flask-session-0.3",
    version: "0.3",
    serializer: "pickle",
    signer: true,
    client: "ioredis",
  },
  {
    peer: "flask-session-0.8",
    version: "0.8",
    serializer: "msgpack",
    signer: false,
    client: "ioredis",
  },
  {
    peer: "flask-session-0.8",
    version: "0.8",
    serializer: "msgpack",
    signer: true,
    client: "node-redis",
  },
] as const;

for (const cfg of configs) {
  const label = `Flask-Session ${cfg.version} (${cfg.serializer}, ${cfg.signer ? "signed" : "raw"} sid, ${cfg.client})`;
  describe(label, () => {
    const prefix = `${PREFIX_ROOT}-${cfg.version}-${cfg.signer ? "s" : "r"}:`;
    let flask: PythonServer;
    let node: NodeApp;
    let hono: NodeApp;

    before(async () => {
      flask = await startPythonServer(cfg.peer, FLASK_PEER_SCRIPT, ["flask-session"], {
        SECRET_KEY: SECRET,
        FS_PREFIX: prefix,
        FS_SIGNER: cfg.signer ? "1" : "0",
      });
      const store = new FlaskSessionRedisStore({
        client: cfg.client === "ioredis" ? ioredis : nodeRedis,
        keyPrefix: prefix,
        serializer: cfg.serializer,
      });
      const policy = flaskSessionServerPolicy({
        store,
        flaskSessionVersion: cfg.version,
        useSigner: cfg.signer,
        secretKey: SECRET,
      });
      node = await startNodeApp(policy);
      hono = await startHonoApp(policy);
    });
    after(async () => {
      await Promise.all([flask.stop(), node.close(), hono.close()]);
    });

    const sidOf = (cookie: string): string => {
      const value = COOKIE.exec(cookie)?.[1];
      assert.ok(value, `cookie format: ${cookie}`);
      const sid = cfg.signer ? value.slice(0, value.lastIndexOf(".")) : value;
      if (cfg.version === "0.3")
        assert.match(sid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      else assert.match(sid, /^[\w-]{43}$/);
      return sid;
    };

    for (const name of SCENARIOS) {
      test(`Flask writes "${name}", Node (node + Hono) reads it`, async () => {
        const jar = new CookieJar();
        const { res } = await getJson(jar, `${flask.url}/set/${name}`);
        sidOf(res.headers.getSetCookie()[0] ?? "");
        const py = (await getJson<{ canonical: string }>(jar, `${flask.url}/dump`)).body.canonical;
        if (cfg.serializer === "pickle") {
          // pickle keeps every type: the stored session is exactly the scenario (+ _permanent).
          const expected = (
            await getJson<{ canonical: string }>(jar, `${flask.url}/expected/permanent`)
          ).body;
          if (name === "permanent") assert.equal(py, expected.canonical);
        }
        for (const app of [node, hono]) {
          const { body } = await getJson<{ canonical: string }>(jar, `${app.url}/dump`);
          assert.equal(body.canonical, py);
        }
      });

      test(`Node writes "${name}", Flask reads it; Redis holds Flask-Session's format`, async () => {
        const jar = new CookieJar();
        const { res } = await getJson(jar, `${node.url}/set/${name}`);
        const sid = sidOf(res.headers.getSetCookie()[0] ?? "");
        const raw = (await nodeRedis.sendCommand(["GET", prefix + sid], {
          typeMapping: { 36: Buffer },
        })) as unknown as Buffer;
        if (cfg.serializer === "pickle") assert.deepEqual([...raw.subarray(0, 2)], [0x80, 4]);
        else assert.equal(raw[0]! & 0xf0, 0x80, "a msgpack fixmap");
        const ttl = await nodeRedis.ttl(prefix + sid);
        assert.ok(ttl > 2_678_300 && ttl <= 2_678_400, `TTL ${ttl}`);
        const nodeView = (await getJson<{ canonical: string }>(jar, `${node.url}/dump`)).body
          .canonical;
        const py = (await getJson<{ canonical: string }>(jar, `${flask.url}/dump`)).body.canonical;
        assert.equal(py, nodeView);
        if (cfg.serializer === "pickle" || !["typed"].includes(name)) {
          const expected = (
            await getJson<{ canonical: string }>(jar, `${node.url}/canonical/${name}`)
          ).body.canonical;
          const withPermanent = JSON.parse(expected) as Record<string, unknown>;
          withPermanent._permanent = true;
          assert.deepEqual(JSON.parse(py), withPermanent);
        }
      });
    }

    test("Flask-Login across both sides", async () => {
      const jar = new CookieJar();
      await getJson(jar, `${flask.url}/login/42`);
      assert.equal((await getJson<{ user: string }>(jar, `${node.url}/me`)).body.user, "42");
      const jar2 = new CookieJar();
      await getJson(jar2, `${hono.url}/login/alice`);
      assert.equal((await getJson<{ user: string }>(jar2, `${flask.url}/me`)).body.user, "alice");
    });

    test("cookie rules match Flask-Session's on untouched requests, unknown sids and clear", async () => {
      const pyFresh = await fetch(`${flask.url}/plain`);
      const nodeFresh = await fetch(`${node.url}/plain`);
      assert.equal(nodeFresh.headers.getSetCookie().length, pyFresh.headers.getSetCookie().length);
      // (No Vary comparison here: Flask ≥ 3.1.3 — and Debian's 3.1.1 — marks the session
      // accessed whenever the `session` proxy is touched, which Flask-Login's after-request
      // hook does on every request; our Node route never touches the session.)
      assert.equal(nodeFresh.headers.get("vary"), null);

      const jar = new CookieJar();
      await getJson(jar, `${flask.url}/set/plain`);
      const py = await jar.fetch(`${flask.url}/plain`);
      const nd = await jar.fetch(`${node.url}/plain`);
      assert.equal(nd.headers.getSetCookie().length, py.headers.getSetCookie().length);
      if (cfg.version === "0.8") assert.equal(nd.headers.get("vary"), "Cookie");

      // An unknown sid: 0.3 keeps it, 0.8 makes a new one.
      const unknown =
        cfg.version === "0.3" ? "00000000-0000-4000-8000-000000000000" : "A".repeat(43);
      const {
        default: { flaskSessionIdSigner },
      } = { default: await import("../../../src/codecs/flask/flask-session.ts") };
      const value = cfg.signer ? flaskSessionIdSigner(SECRET).sign(unknown) : unknown;
      const pyVisit = await fetch(`${flask.url}/set/nested`, {
        headers: { Cookie: `session=${value}` },
      });
      const ndVisit = await fetch(`${node.url}/set/nested`, {
        headers: { Cookie: `session=${value}` },
      });
      const pySid = sidOf(pyVisit.headers.getSetCookie()[0] ?? "");
      const ndSid = sidOf(ndVisit.headers.getSetCookie()[0] ?? "");
      assert.equal(pySid === unknown, cfg.version === "0.3");
      assert.equal(ndSid === unknown, cfg.version === "0.3");

      const cleared = await jar.fetch(`${node.url}/clear`);
      assert.deepEqual(cleared.headers.getSetCookie(), [
        "session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/",
      ]);
      const jar2 = new CookieJar();
      await getJson(jar2, `${node.url}/set/plain`);
      const pyCleared = await jar2.fetch(`${flask.url}/clear`);
      assert.deepEqual(pyCleared.headers.getSetCookie(), cleared.headers.getSetCookie());
    });
  });
}
