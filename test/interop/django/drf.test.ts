// Django REST framework's SessionAuthentication beside Node, against real DRF 3.18 on Django 5.2
// and 6.1 (apps_project.py), sharing django_session on SQLite: a session Node's login made is
// DRF's user, DRF's CSRF rule refuses an unsafe method without the token and accepts Node's
// token, and the other way round a Django login reaches Node, also when a DRF view calls Node.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { getAuth, getUser } from "../../../src/adapters/express/auth.ts";
import { csrfMiddleware, csrfToken } from "../../../src/adapters/express/index.ts";
import { authenticate } from "../../../src/auth/authenticate.ts";
import { CookieJar } from "../../support/http.ts";
import { djangoAdminLogin } from "./project.ts";
import {
  APPS_DJANGO_VERSIONS,
  APPS_USER,
  startNodeBesideApps,
  type AppsProject,
  type NodeBesideApps,
} from "./apps.ts";

for (const version of APPS_DJANGO_VERSIONS) {
  describe(`Django REST framework SessionAuthentication with Django ${version}`, () => {
    let beside: NodeBesideApps;
    let django: AppsProject;
    let node: { url: string; close(): Promise<void> };

    before(async () => {
      beside = await startNodeBesideApps(version, ({ app, auth }) => {
        app.post("/login", async (req, res) => {
          const body = req.body as { username: string; password: string };
          const result = await authenticate(body, auth);
          if (!result.ok) return void res.status(400).json({ error: result.message });
          await getAuth(req).login(result.user);
          res.json({ ok: true });
        });
        app.use(csrfMiddleware({ djangoVersion: version }));
        app.get("/token", async (req, res) => {
          res.json({ token: await csrfToken(req) });
        });
        app.get("/me", async (req, res) => {
          const user = await getUser(req);
          res.json({ username: user.isAuthenticated ? user.username : null });
        });
      });
      ({ django, node } = beside);
    });
    after(() => beside.stop());

    it("a session Node's login made is DRF's user; DRF's CSRF rule holds for it", async () => {
      const jar = new CookieJar();
      const login = await jar.fetch(`${node.url}/login`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: APPS_USER.username, password: APPS_USER.password }),
      });
      assert.equal(login.status, 200);
      const me = await jar.fetch(`${django.url}/api/me/`);
      assert.equal(me.status, 200);
      assert.deepEqual(await me.json(), { username: "alice", auth: "SessionAuthentication" });
      const post = (headers: Record<string, string>): Promise<Response> =>
        jar.fetch(`${django.url}/api/echo/`, {
          method: "POST",
          headers: { "Content-Type": "application/json", ...headers },
          body: JSON.stringify({ n: 1 }),
        });
      const refused = await post({});
      assert.equal(refused.status, 403);
      assert.match(((await refused.json()) as { detail: string }).detail, /CSRF Failed/);
      // Node's masked token and the csrftoken cookie Node set pass DRF's CSRFCheck.
      const { token } = (await (await jar.fetch(`${node.url}/token`)).json()) as { token: string };
      const accepted = await post({ "X-CSRFToken": token });
      assert.equal(accepted.status, 200);
      assert.deepEqual(await accepted.json(), { username: "alice", data: { n: 1 } });
      assert.equal(
        (await post({ "X-CSRFToken": token.replace(/^./, (c) => (c === "a" ? "b" : "a")) })).status,
        403,
      );
    });

    it("anonymous: DRF refuses, as Node does", async () => {
      assert.equal((await fetch(`${django.url}/api/me/`)).status, 403);
      assert.deepEqual(await (await fetch(`${node.url}/me`)).json(), { username: null });
    });

    it("the reverse: a Django login reaches Node, also when a DRF view calls Node as the user", async () => {
      const sessionid = await djangoAdminLogin(django.url, APPS_USER.username, APPS_USER.password);
      const cookie = { Cookie: `sessionid=${sessionid}` };
      assert.deepEqual(await (await fetch(`${node.url}/me`, { headers: cookie })).json(), {
        username: "alice",
      });
      const viaDrf = await fetch(
        `${django.url}/api/node/?url=${encodeURIComponent(`${node.url}/me`)}`,
        {
          headers: cookie,
        },
      );
      assert.equal(viaDrf.status, 200);
      assert.deepEqual(await viaDrf.json(), { node: { username: "alice" } });
    });
  });
}
