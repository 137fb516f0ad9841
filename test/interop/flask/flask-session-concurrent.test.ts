// A real Flask-Session (0.3.2 with pickle, 0.8.0 with msgpack) and a Node app (the node adapter
// with flaskSessionServerPolicy) writing the same session on real Redis at the same time (issue
// 16): Flask-Session saves blindly, ours is a compare-and-set that merges, so none of the keys
// Flask's views wrote is lost to a Node write, and a Flask clear (the session deleted) racing
// Node writes is never undone by them. Unique key prefix per run; every key removed after.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Redis as IORedis } from "ioredis";
import {
  FlaskSessionRedisStore,
  flaskSessionServerPolicy,
} from "../../../src/flask/server-session.ts";
import type { Session } from "../../../src/engine/session.ts";
import { startNodeApp, type NodeApp, type NodeReply } from "./node-app.ts";
import { FLASK_PEER_SCRIPT, startPythonServer, type PythonServer } from "./server.ts";

const SECRET = "flask-session-concurrent-secret";
const PREFIX_ROOT = `sbtest-fsc-${process.pid}-${randomBytes(4).toString("hex")}`;
const redis = new IORedis({ host: "127.0.0.1", port: 6379, lazyConnect: true });

before(() => redis.connect());
after(async () => {
  const keys = await redis.keys(`${PREFIX_ROOT}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

/** `/add?k=name`: reads the session first (as a view does), then sets one key. */
async function addRoute(session: Session, path: string): Promise<NodeReply> {
  const k = new URL(path, "http://node").searchParams.get("k") ?? "none";
  await session.get("start");
  await new Promise((resolve) => setImmediate(resolve));
  await session.set(k, k.length);
  return { status: 200, body: { ok: true } };
}

/** The sid a Flask-Session response set (unsigned sids: the cookie value is the sid). */
function sidOf(response: Response): string {
  const match = /^session=([^;]+)/.exec(response.headers.getSetCookie()[0] ?? "");
  assert.ok(match?.[1], "Flask-Session sets the session cookie");
  return match[1];
}

const configs = [
  { peer: "flask-session-0.3", version: "0.3", serializer: "pickle" },
  { peer: "flask-session-0.8", version: "0.8", serializer: "msgpack" },
] as const;

for (const cfg of configs) {
  describe(`Flask-Session ${cfg.version} and Node writing one session at once`, () => {
    const prefix = `${PREFIX_ROOT}-${cfg.version}:`;
    let flask: PythonServer;
    let node: NodeApp;
    let store: FlaskSessionRedisStore;
    before(async () => {
      flask = await startPythonServer(cfg.peer, FLASK_PEER_SCRIPT, ["flask-session"], {
        SECRET_KEY: SECRET,
        FS_PREFIX: prefix,
        FS_SIGNER: "0",
      });
      store = new FlaskSessionRedisStore({
        client: redis,
        keyPrefix: prefix,
        serializer: cfg.serializer,
      });
      const policy = flaskSessionServerPolicy({ store, flaskSessionVersion: cfg.version });
      node = await startNodeApp(policy, addRoute);
    });
    after(async () => {
      await Promise.all([flask.stop(), node.close()]);
    });

    const nodeAdds = (sid: string, name: string, count: number) =>
      Promise.all(
        Array.from({ length: count }, (_, i) =>
          fetch(`${node.url}/add?k=${name}${i}`, { headers: { cookie: `session=${sid}` } }),
        ),
      );

    it("keeps every key Flask's views write while 50 Node requests write others", async () => {
      for (let run = 0; run < 3; run++) {
        const sid = sidOf(await fetch(`${flask.url}/put/start`));
        const cookie = `session=${sid}`;
        const flaskKeys: string[] = [];
        // Flask's writes one after another (two Flask requests racing lose each other's keys:
        // Flask-Session's save is blind), all of them while the Node requests run.
        const flaskWrites = (async () => {
          for (let i = 0; i < 10; i++) {
            const name = `fl${run}_${i}`;
            const response = await fetch(`${flask.url}/put/${name}`, { headers: { cookie } });
            assert.equal(response.status, 200);
            await response.arrayBuffer();
            flaskKeys.push(name);
          }
        })();
        const [responses] = await Promise.all([nodeAdds(sid, `n${run}_`, 50), flaskWrites]);
        assert.deepEqual(
          responses.map((r) => r.status),
          Array.from({ length: 50 }, () => 200),
        );
        const data = await store.load(sid);
        assert.ok(data);
        for (const name of flaskKeys) assert.ok(data.has(name), `Flask's ${name} was lost`);
        assert.equal(data.get("start"), "start");
        // With Flask's writes done, one more Node round keeps all its keys and all of Flask's.
        const final = await nodeAdds(sid, `last${run}_`, 20);
        assert.ok(final.every((r) => r.status === 200));
        const after = await store.load(sid);
        assert.ok(after);
        for (let i = 0; i < 20; i++) assert.ok(after.has(`last${run}_${i}`));
        for (const name of flaskKeys) assert.ok(after.has(name));
      }
    });

    it("a Flask clear racing Node writes stays cleared", async () => {
      for (let run = 0; run < 3; run++) {
        const sid = sidOf(await fetch(`${flask.url}/put/start`));
        const [cleared, writes] = await Promise.all([
          new Promise<Response>((resolve, reject) => {
            setImmediate(() => {
              fetch(`${flask.url}/clear`, { headers: { cookie: `session=${sid}` } }).then(
                resolve,
                reject,
              );
            });
          }),
          nodeAdds(sid, `w${run}_`, 20),
        ]);
        assert.equal(cleared.status, 200);
        for (const response of writes) {
          // Saved before the clear, or loaded before it and refused (400), or a new session
          // after it (0.3 reuses the sid, 0.8 makes a new one).
          assert.ok([200, 400].includes(response.status), `status ${response.status}`);
        }
        // Whatever lives under the sid now was written after the clear: never the old data.
        const data = await store.load(sid);
        assert.equal(data?.has("start") ?? false, false, "the cleared session came back");
      }
    });
  });
}
