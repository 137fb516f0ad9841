// Issue 18 #13 and #14 beside real Flask 2.2 + Flask-Login + Flask-Session 0.3.2 (pickle) and
// Flask 3.1 + Flask-Session 0.8.0 (msgpack, reading the pickles 0.3 left): a session holding a
// set, a frozenset and an OrderedDict keeps those types through any number of Node requests that
// write it (Flask code calling session["tags"].add() still works), and one that also holds an
// application object and a ZoneInfo datetime, which only Python can read, stays byte-equal
// through Node requests that read it while a Node write is refused instead of replacing it.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { Redis as IORedis } from "ioredis";
import {
  FlaskSessionRedisStore,
  flaskSessionServerPolicy,
} from "../../../src/flask/server-session.ts";
import type { FlaskSessionSerializer } from "../../../src/stores/flask-session/index.ts";
import { CookieJar } from "../../support/http.ts";
import { startNodeApp, type NodeApp } from "./node-app.ts";
import { FLASK_PEER_SCRIPT, getJson, startPythonServer, type PythonServer } from "./server.ts";

const SECRET = "flask-session-types-secret";
const PREFIX = `sbh-harden:fst-${process.pid}-${randomBytes(4).toString("hex")}:`;
const redis = new IORedis({ host: "127.0.0.1", port: 6379, lazyConnect: true });

interface Types {
  types: Record<string, string>;
  tags?: number[];
  roles?: string[];
  steps?: [string, string][];
  cart?: string[];
  at?: [string, string];
  user: string | null;
}

const KEPT = { tags: "set", roles: "frozenset", steps: "OrderedDict" };
const LOGIN = { _fresh: "bool", _id: "str", _user_id: "str", _permanent: "bool" };

let flask03: PythonServer;
let flask08: PythonServer;

before(async () => {
  await redis.connect();
  const env = { SECRET_KEY: SECRET, FS_PREFIX: PREFIX, FS_SIGNER: "0" };
  [flask03, flask08] = await Promise.all([
    startPythonServer("flask-session-0.3", FLASK_PEER_SCRIPT, ["flask-session"], env),
    startPythonServer("flask-session-0.8", FLASK_PEER_SCRIPT, ["flask-session"], env),
  ]);
});
after(async () => {
  await Promise.all([flask03.stop(), flask08.stop()]);
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

async function nodeApp(version: "0.3" | "0.8", serializer: FlaskSessionSerializer) {
  const store = new FlaskSessionRedisStore({
    client: redis,
    keyPrefix: PREFIX,
    serializer,
    logger: { warn: () => undefined },
  });
  return startNodeApp(
    flaskSessionServerPolicy({ store, flaskSessionVersion: version, secretKey: SECRET }),
  );
}

const stored = async (jar: CookieJar): Promise<Buffer | null> =>
  redis.getBuffer(PREFIX + (jar.cookies.get("session") ?? ""));

async function status(jar: CookieJar, url: string): Promise<number> {
  const res = await jar.fetch(url);
  await res.text();
  return res.status;
}

/** Node requests that only read: the stored bytes stay exactly what Flask wrote. */
async function readOnlyRounds(jar: CookieJar, node: NodeApp, rounds: number): Promise<void> {
  const bytes = await stored(jar);
  assert.ok(bytes !== null);
  for (let i = 0; i < rounds; i++) {
    for (const path of ["/plain", "/me", "/dump"]) {
      assert.equal(await status(jar, `${node.url}${path}`), 200, path);
    }
    assert.deepEqual(await stored(jar), bytes, `round ${i + 1}: Node changed the stored value`);
  }
  // A write is refused (500) and leaves it as it is.
  assert.equal(await status(jar, `${node.url}/visit`), 500);
  assert.deepEqual(await stored(jar), bytes);
}

describe("Flask-Session 0.3 (pickle) beside Flask 2.2 and Flask-Login", () => {
  let node: NodeApp;
  before(async () => {
    node = await nodeApp("0.3", "pickle");
  });
  after(() => node.close());

  test("set, frozenset and OrderedDict keep their types through Node requests that write", async () => {
    const jar = new CookieJar();
    await getJson(jar, `${flask03.url}/keep/types`);
    const first = (await getJson<Types>(jar, `${flask03.url}/types`)).body;
    assert.deepEqual(first.types, { ...KEPT, ...LOGIN });
    const written = await stored(jar);
    for (let i = 1; i <= 5; i++) {
      assert.deepEqual((await getJson(jar, `${node.url}/visit`)).body, { visits: i });
      assert.equal(await status(jar, `${node.url}/plain`), 200); // 0.3 re-saves on every request
      assert.equal((await getJson<{ user: string }>(jar, `${node.url}/me`)).body.user, "7");
    }
    assert.notDeepEqual(await stored(jar), written, "Node wrote the session");
    const back = (await getJson<Types>(jar, `${flask03.url}/types`)).body;
    assert.deepEqual(back, { ...first, types: { ...first.types, visits: "int" } });
    // Flask code using the set as a set, after Node's writes; then Node and Flask again.
    assert.deepEqual((await getJson(jar, `${flask03.url}/add-tag/4`)).body, { tags: [1, 2, 3, 4] });
    await getJson(jar, `${node.url}/visit`);
    const last = (await getJson<Types>(jar, `${flask03.url}/types`)).body;
    assert.deepEqual(last.tags, [1, 2, 3, 4]);
    assert.equal(last.types["tags"], "set");
  });

  test("a session holding an application object and a ZoneInfo datetime stays byte-equal", async () => {
    const jar = new CookieJar();
    await getJson(jar, `${flask03.url}/keep/python-only`);
    await readOnlyRounds(jar, node, 5);
    const py = (await getJson<Types>(jar, `${flask03.url}/types`)).body;
    assert.deepEqual(py.types, { ...KEPT, cart: "Cart", at: "datetime", ...LOGIN });
    assert.deepEqual(py.cart, ["apple"]);
    assert.deepEqual(py.at, ["2026-01-02T03:04:00+01:00", "Europe/Paris"]);
    assert.equal(py.user, "7");
  });
});

describe("Flask-Session 0.8 (msgpack) beside Flask 3.1, reading the pickles 0.3 left", () => {
  let node: NodeApp;
  before(async () => {
    node = await nodeApp("0.8", "msgpack");
  });
  after(() => node.close());

  test("Node treats a migrated session as Flask-Session 0.8 does, request after request", async () => {
    // Two equal sessions written by 0.3: one goes on with Flask 0.8, the other with Node.
    const viaFlask = new CookieJar();
    const viaNode = new CookieJar();
    await getJson(viaFlask, `${flask03.url}/keep/types`);
    await getJson(viaNode, `${flask03.url}/keep/types`);
    assert.deepEqual(await stored(viaFlask), await stored(viaNode));
    for (let i = 0; i < 3; i++) {
      assert.equal(await status(viaFlask, `${flask08.url}/plain`), 200);
      assert.equal(await status(viaNode, `${node.url}/plain`), 200);
      assert.deepEqual(await stored(viaNode), await stored(viaFlask), `round ${i + 1}`);
    }
    const flaskView = (await getJson<Types>(viaFlask, `${flask08.url}/types`)).body;
    const nodeView = (await getJson<Types>(viaNode, `${flask08.url}/types`)).body;
    assert.deepEqual(nodeView, flaskView);
    assert.equal(nodeView.user, "7");
  });

  test("a session holding an application object and a ZoneInfo datetime stays byte-equal", async () => {
    const jar = new CookieJar();
    await getJson(jar, `${flask03.url}/keep/python-only`);
    await readOnlyRounds(jar, node, 5);
    const py = (await getJson<Types>(jar, `${flask03.url}/types`)).body;
    assert.deepEqual(py.cart, ["apple"]);
    assert.equal(py.types["steps"], "OrderedDict");
  });
});
