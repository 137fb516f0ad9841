// Issue 18 #13: a Flask-Session value holding anything outside the pickle allow-list (an
// application object, complex, a ZoneInfo datetime) made load return null; the policy then saved
// a fresh {_permanent: True} under the same sid, logging the user out of Flask and losing the
// data. Now such a value is read as an empty session and never written over nor deleted.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import { MalformedError } from "../../src/errors.ts";
import { flaskSessionServerPolicy } from "../../src/flask/server-session-policy.ts";
import { FlaskSessionRedisStore } from "../../src/stores/flask-session/index.ts";
import { runPython } from "../support/python.ts";

describe("flaskSessionServerPolicy: a stored value it cannot decode", () => {
  const client = new Redis({ host: "127.0.0.1", port: 6379, db: 0, lazyConnect: true });
  const prefix = `sbtest-harden-fs-${randomBytes(4).toString("hex")}:`;
  let pickled: Buffer;
  before(async () => {
    await client.connect();
    // Real CPython pickles, with what a Flask app keeps: complex and a ZoneInfo datetime.
    pickled = Buffer.from(
      await runPython(
        "import pickle, base64, datetime, zoneinfo, sys\n" +
          "d = {'_permanent': True, '_user_id': '7', 'cart': [1, 2], 'z': complex(1, 2),\n" +
          "     'at': datetime.datetime(2026, 1, 2, tzinfo=zoneinfo.ZoneInfo('Europe/Paris'))}\n" +
          "sys.stdout.write(base64.b64encode(pickle.dumps(d, protocol=4)).decode())",
      ),
      "base64",
    );
  });
  after(async () => {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  });

  for (const version of ["0.3", "0.8"] as const) {
    test(`${version}: a GET leaves it byte-equal, a write is refused with MalformedError`, async () => {
      const sid = randomUUID();
      await client.set(`${prefix}${sid}`, pickled, "EX", 600);
      const store = new FlaskSessionRedisStore({
        client,
        keyPrefix: prefix,
        serializer: version === "0.3" ? "pickle" : "msgpack",
        logger: { warn: () => undefined },
      });
      const policy = flaskSessionServerPolicy({ store, flaskSessionVersion: version });
      const read = policy.open(`session=${sid}`);
      assert.equal(await read.session.get("_user_id"), undefined, "read as an empty session");
      const headers = read.session.loaded
        ? await policy.commit(read, 200)
        : (policy.plan(read, 200) ?? (await policy.commit(read, 200)));
      assert.deepEqual(headers.setCookie, []);
      assert.deepEqual(await client.getBuffer(`${prefix}${sid}`), pickled);

      const write = policy.open(`session=${sid}`);
      await write.session.set("cart", [3]);
      await assert.rejects(policy.commit(write, 200), MalformedError);
      assert.deepEqual(await client.getBuffer(`${prefix}${sid}`), pickled);
      assert.ok((await client.ttl(`${prefix}${sid}`)) > 500, "its expiry is untouched too");
    });
  }
});
