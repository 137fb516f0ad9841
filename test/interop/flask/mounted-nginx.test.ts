// The mounted-apps scenario (flask-starlette-formats.md §7) as a feature: one origin, one cookie
// jar, a path-dispatching reverse proxy (Debian's nginx) sending /flask/ to a real Flask app and
// /node/ to our node app with flaskSessionPolicy. The sequence that logs the user out when a
// Starlette app shares the cookie must keep user, Node's writes and flashes intact throughout,
// and Node's read-only requests must send no Set-Cookie.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { flaskSessionPolicy } from "../../../src/flask/index.ts";
import { CookieJar } from "../../support/http.ts";
import { proxyLocations, startNginx, type Nginx } from "../../support/nginx.ts";
import { startNodeApp, type NodeApp } from "./node-app.ts";
import { FLASK_PEER_SCRIPT, startPythonServer, type PythonServer } from "./server.ts";

const SECRET = "mounted-secret-key";

describe("mounted apps behind nginx: Flask at /flask/, Node at /node/, one cookie", () => {
  let flask: PythonServer | undefined;
  let node: NodeApp | undefined;
  let proxy: Nginx | undefined;

  before(async () => {
    flask = await startPythonServer("flask-3.1", FLASK_PEER_SCRIPT, ["cookie"], {
      SECRET_KEY: SECRET,
    });
    node = await startNodeApp(flaskSessionPolicy({ secretKey: SECRET }));
    proxy = await startNginx(
      proxyLocations({
        "/flask/": flask.port,
        "/node/": Number(new URL(node.url).port),
      }),
    );
  });
  after(async () => {
    await Promise.all([proxy?.stop(), flask?.stop(), node?.close()]);
  });

  test("the §7 sequence keeps the user, Node's writes and the flashes", async () => {
    const jar = new CookieJar();
    const base = proxy!.url;
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- typed replies
    const step = async <T>(path: string): Promise<{ body: T; setCookie: string[] }> => {
      const { body, res } = await jar
        .fetch(`${base}${path}`)
        .then(async (r) => ({ body: (await r.json()) as T, res: r }));
      assert.equal(res.status, 200, path);
      return { body, setCookie: res.headers.getSetCookie() };
    };
    type NodeMe = { user: string | null; visits: number | null; pending_flashes: unknown[] };
    type FlaskMe = {
      user: string | null;
      data: Record<string, unknown>;
      pending_flashes: unknown[];
    };
    const welcome = [["message", "welcome"]];

    // 1. Flask logs the user in (Flask-Login) and flashes.
    const login = await step("/flask/login/42");
    assert.equal(login.setCookie.length, 1);
    assert.match(login.setCookie[0]!, /^session=[^;]+; HttpOnly; Path=\/$/);

    // 2. Node reads: same user, flash still pending, and no Set-Cookie.
    let me = await step<NodeMe>("/node/me");
    assert.deepEqual(me.body, { user: "42", visits: null, pending_flashes: welcome });
    assert.deepEqual(me.setCookie, []);

    // 3. Flask still sees the user.
    let fme = await step<FlaskMe>("/flask/me");
    assert.equal(fme.body.user, "42");
    assert.deepEqual(fme.setCookie, []);

    // 4. Node writes.
    const visit = await step<{ visits: number }>("/node/visit");
    assert.equal(visit.body.visits, 1);
    assert.equal(visit.setCookie.length, 1);
    assert.match(visit.setCookie[0]!, /^session=[^;]+; HttpOnly; Path=\/$/);

    // 5. Node reads again: no Set-Cookie.
    me = await step<NodeMe>("/node/me");
    assert.deepEqual(me.body, { user: "42", visits: 1, pending_flashes: welcome });
    assert.deepEqual(me.setCookie, []);

    // 6. Flask reads Node's write, keeps the user and the flash.
    fme = await step<FlaskMe>("/flask/me");
    assert.deepEqual(fme.body.data, { visits: 1 });
    assert.equal(fme.body.user, "42");
    assert.deepEqual(fme.body.pending_flashes, welcome);
    assert.deepEqual(fme.setCookie, []);

    // 7. Flask consumes the flash (and rewrites the cookie without it).
    const flashes = await step<{ flashes: unknown[] }>("/flask/flashes");
    assert.deepEqual(flashes.body.flashes, welcome);
    assert.equal(flashes.setCookie.length, 1);

    // 8. Node: user and visits intact, flash gone, no Set-Cookie.
    me = await step<NodeMe>("/node/me");
    assert.deepEqual(me.body, { user: "42", visits: 1, pending_flashes: [] });
    assert.deepEqual(me.setCookie, []);

    // 9. Node writes again; Flask reads it; the user is still logged in.
    assert.equal((await step<{ visits: number }>("/node/visit")).body.visits, 2);
    fme = await step<FlaskMe>("/flask/me");
    assert.equal(fme.body.user, "42");
    assert.deepEqual(fme.body.data, { visits: 2 });

    // 10. A Node route that never touches the session: nothing at all.
    const plain = await jar.fetch(`${base}/node/plain`);
    await plain.text();
    assert.deepEqual(plain.headers.getSetCookie(), []);
    assert.equal(plain.headers.get("vary"), null);

    // 11. Flask logs out; Node agrees.
    await step("/flask/logout");
    me = await step<NodeMe>("/node/me");
    assert.equal(me.body.user, null);
    assert.equal(me.body.visits, 2);
    // Flask-Login's "basic" protection on a session that is not empty but has no `_id` (left
    // by the logout) marks it not fresh, in Flask (_session_protection_failed) and so in Node.
    assert.equal(me.setCookie.length, 1);
    const value = me.setCookie[0]!.split(";")[0]!.split("=")[1]!.split(".")[0]!;
    assert.deepEqual(JSON.parse(Buffer.from(value, "base64url").toString()), {
      _fresh: false,
      visits: 2,
    });
  });
});
