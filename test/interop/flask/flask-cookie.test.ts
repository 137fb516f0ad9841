// Flask cookie sessions over real HTTP, both directions: a real Flask (2.2 and 3.1, Werkzeug's
// threaded server) and our node and Hono adapters with flaskSessionPolicy, one cookie jar each.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { flaskSessionPolicy } from "../../../src/flask/index.ts";
import { CookieJar } from "../../support/http.ts";
import { startHonoApp, startNodeApp, type NodeApp } from "./node-app.ts";
import { FLASK_PEER_SCRIPT, getJson, startPythonServer, type PythonServer } from "./server.ts";

const SECRET = "interop-secret-key";
const SCENARIOS = ["plain", "unicode", "nested", "tagged", "large", "permanent"];

for (const [peer, flaskVersion] of [
  ["flask-2.2", "2.2"],
  ["flask-3.1", "3.1"],
] as const) {
  describe(`Flask ${flaskVersion} cookie sessions ⇄ sessionbridge`, () => {
    let flask: PythonServer;
    const apps: Record<string, NodeApp> = {};

    before(async () => {
      flask = await startPythonServer(peer, FLASK_PEER_SCRIPT, ["cookie"], { SECRET_KEY: SECRET });
      const policy = flaskSessionPolicy({ secretKey: SECRET, flaskVersion });
      apps.node = await startNodeApp(policy);
      apps.hono = await startHonoApp(policy);
    });
    after(async () => {
      await Promise.all([flask.stop(), ...Object.values(apps).map((a) => a.close())]);
    });

    for (const adapter of ["node", "hono"]) {
      for (const name of SCENARIOS) {
        test(`${adapter}: Flask writes "${name}", Node reads it`, async () => {
          const jar = new CookieJar();
          const { res } = await getJson(jar, `${flask.url}/set/${name}`);
          assertSessionCookie(res, name, "Flask");
          const expected = (
            await getJson<{ canonical: string }>(jar, `${flask.url}/expected/${name}`)
          ).body;
          const { body, res: nodeRes } = await getJson<{ canonical: string }>(
            jar,
            `${apps[adapter]!.url}/dump`,
          );
          assert.equal(body.canonical, expected.canonical);
          // Reading is no reason to write (except a permanent session's refresh).
          const nodeCookies = nodeRes.headers.getSetCookie();
          if (name === "permanent") assert.equal(nodeCookies.length, 1);
          else assert.deepEqual(nodeCookies, []);
          assert.equal(nodeRes.headers.get("vary"), "Cookie");
        });

        test(`${adapter}: Node writes "${name}", Flask reads it`, async () => {
          const jar = new CookieJar();
          const { res } = await getJson(jar, `${apps[adapter]!.url}/set/${name}`);
          assertSessionCookie(res, name, "Node");
          const expected = (
            await getJson<{ canonical: string }>(jar, `${flask.url}/expected/${name}`)
          ).body;
          const { body } = await getJson<{ canonical: string }>(jar, `${flask.url}/dump`);
          assert.equal(body.canonical, expected.canonical);
        });
      }

      test(`${adapter}: a user logged in by Flask-Login is recognised by Node`, async () => {
        const jar = new CookieJar();
        await getJson(jar, `${flask.url}/login/42`);
        const { body, res } = await getJson<{ user: string | null; pending_flashes: unknown[] }>(
          jar,
          `${apps[adapter]!.url}/me`,
        );
        assert.equal(body.user, "42");
        assert.deepEqual(body.pending_flashes, [["message", "welcome"]]);
        assert.deepEqual(res.headers.getSetCookie(), []);
      });

      test(`${adapter}: a user logged in by Node is Flask's current_user`, async () => {
        const jar = new CookieJar();
        await getJson(jar, `${apps[adapter]!.url}/login/alice`);
        const { body } = await getJson<{ user: string | null; fresh: boolean }>(
          jar,
          `${flask.url}/me`,
        );
        assert.equal(body.user, "alice");
        // Node logs out; Flask agrees.
        await getJson(jar, `${apps[adapter]!.url}/logout`);
        const after = await getJson<{ user: string | null }>(jar, `${flask.url}/me`);
        assert.equal(after.body.user, null);
      });

      test(`${adapter}: a permanent session on a route that never reads it: Set-Cookie and Vary as Flask (${flaskVersion})`, async () => {
        const jar = new CookieJar();
        await getJson(jar, `${flask.url}/permanent`);
        const py = await jar.fetch(`${flask.url}/plain`);
        const nd = await jar.fetch(`${apps[adapter]!.url}/plain`);
        // Re-signed on every request (SESSION_REFRESH_EACH_REQUEST), Expires included...
        assert.equal(py.headers.getSetCookie().length, 1);
        assert.equal(nd.headers.getSetCookie().length, 1);
        assert.match(nd.headers.getSetCookie()[0]!, /^session=[^;]+; Expires=/);
        // ...with Vary: Cookie, as this Flask app (Flask-Login's hooks read the session) sends.
        assert.equal(nd.headers.get("vary"), py.headers.get("vary"));
        assert.equal(nd.headers.get("vary"), "Cookie");
      });

      test(`${adapter}: Node's clear deletes the cookie with Werkzeug's header`, async () => {
        const jar = new CookieJar();
        await getJson(jar, `${flask.url}/set/plain`);
        const { res } = await getJson(jar, `${apps[adapter]!.url}/clear`);
        assert.deepEqual(res.headers.getSetCookie(), [
          "session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Path=/",
        ]);
        const flaskClear = await new CookieJar().fetch(`${flask.url}/clear`);
        assert.deepEqual(flaskClear.headers.getSetCookie(), res.headers.getSetCookie());
      });
    }
  });
}

/**
 * The `Set-Cookie` Flask's `SecureCookieSessionInterface` sends for scenario `name`: a
 * compressed (`.`-prefixed) payload for "large", an `Expires` only for a permanent session, and
 * `HttpOnly; Path=/` as Flask's defaults.
 */
function assertSessionCookie(res: Response, name: string, writer: string): void {
  const [setCookie] = res.headers.getSetCookie();
  assert.ok(setCookie, `${writer} set a cookie`);
  if (name === "large") assert.match(setCookie, /^session=\./, "compressed payload");
  if (name === "permanent") {
    assert.match(
      setCookie,
      /^session=[^;]+; Expires=[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT; HttpOnly; Path=\/$/,
    );
  } else {
    assert.match(setCookie, /^session=[^;]+; HttpOnly; Path=\/$/);
  }
}
