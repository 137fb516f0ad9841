// django-allauth beside Node, against real django-allauth 65.19 on Django 5.2 and 6.1
// (apps_project.py: account, headless, usersessions), sharing django_session on SQLite:
// - headless: an app client logs in through allauth's API and calls Node with X-Session-Token;
//   Node sees the user, writes the same session, asks no CSRF token and leaves cookies alone;
// - a Node login records allauth's authentication method, so allauth's reauthentication
//   accepts it, and its UserSession row, so Django's session list shows it; ending it there
//   logs Node out.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { getAuth, getUser } from "../../../src/adapters/express/auth.ts";
import { csrfMiddleware, getSession } from "../../../src/adapters/express/index.ts";
import { authenticate } from "../../../src/auth/authenticate.ts";
import { AllauthLogins } from "../../../src/django/allauth.ts";
import type { SqlDatabase } from "../../../src/stores/sql/index.ts";
import { CookieJar } from "../../support/http.ts";
import {
  APPS_DJANGO_VERSIONS,
  APPS_USER,
  startNodeBesideApps,
  type AppsProject,
  type NodeBesideApps,
} from "./apps.ts";

const NODE_AGENT = "node-allauth-interop/1.0";

interface UserSessionRow {
  readonly key: string;
  readonly ip: string;
  readonly user_agent: string;
  readonly current: boolean;
}

/** Logs in through allauth's headless app API; resolves with the session token. */
async function allauthAppLogin(url: string): Promise<string> {
  const response = await fetch(`${url}/_allauth/app/v1/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: APPS_USER.username, password: APPS_USER.password }),
  });
  const body = (await response.json()) as {
    status: number;
    meta?: { session_token?: string; is_authenticated?: boolean };
  };
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.equal(body.meta?.is_authenticated, true);
  const token = body.meta.session_token;
  assert.ok(typeof token === "string" && token.length > 0);
  assert.equal(response.headers.getSetCookie().length, 0, "an app client gets no cookie");
  return token;
}

for (const version of APPS_DJANGO_VERSIONS) {
  describe(`django-allauth beside Node, Django ${version}`, () => {
    let beside: NodeBesideApps;
    let django: AppsProject;
    let node: { url: string; close(): Promise<void> };
    let database: SqlDatabase;

    before(async () => {
      beside = await startNodeBesideApps(
        version,
        ({ app, auth }) => {
          app.post("/login", async (req, res) => {
            const body = req.body as { username: string; password: string };
            const result = await authenticate(
              { ...body, ip: "203.0.113.7", userAgent: req.headers["user-agent"] },
              auth,
            );
            if (!result.ok) return void res.status(400).json({ error: result.message });
            await getAuth(req).login(result.user);
            // An app client (X-Session-Token) learns its new token as allauth's meta.session_token.
            res.json({ ok: true, session_token: getSession(req).key });
          });
          app.use(csrfMiddleware({ djangoVersion: version }));
          app.get("/me", async (req, res) => {
            const user = await getUser(req);
            res.json({ username: user.isAuthenticated ? user.username : null });
          });
          app.post("/note", async (req, res) => {
            await getSession(req).set("node_note", (req.body as { note: string }).note);
            res.json({ ok: true });
          });
        },
        {
          auth: (db) => ({ loginRecorders: [new AllauthLogins({ database: db })] }),
          sessionOptions: { sessionTokenHeader: "X-Session-Token" },
        },
      );
      ({ django, node, database } = beside);
    });
    after(() => beside.stop());

    it("headless: allauth's app token is Node's session, with no CSRF and no cookie", async () => {
      const token = await allauthAppLogin(django.url);
      const headers = { "X-Session-Token": token };
      const me = await fetch(`${node.url}/me`, { headers });
      assert.deepEqual(await me.json(), { username: APPS_USER.username });
      // An unsafe method with the token and no CSRF token: allauth's app views are csrf_exempt.
      const note = await fetch(`${node.url}/note`, {
        method: "POST",
        headers: { ...headers, "Content-Type": "application/json" },
        body: JSON.stringify({ note: "from node" }),
      });
      assert.equal(note.status, 200);
      assert.deepEqual(note.headers.getSetCookie(), [], "the cookie is left alone");
      // allauth reads the same session back through the token.
      const session = await fetch(`${django.url}/_allauth/app/v1/auth/session`, { headers });
      assert.equal(session.status, 200);
      const stored = await database.query(
        "SELECT COUNT(*) AS n FROM django_session WHERE session_key = ?",
        [token],
      );
      assert.equal(Number(stored[0]?.["n"]), 1, "Node saved under the token's key");
      // The same POST with a cookie session instead of the token is refused by CSRF.
      const jar = new CookieJar();
      jar.cookies.set("sessionid", token);
      const refused = await jar.fetch(`${node.url}/note`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ note: "cross-site" }),
      });
      assert.equal(refused.status, 403);
      // A token that names no session is anonymous, as allauth refuses it (410).
      const unknown = { "X-Session-Token": "x".repeat(32) };
      assert.deepEqual(await (await fetch(`${node.url}/me`, { headers: unknown })).json(), {
        username: null,
      });
      assert.equal(
        (await fetch(`${django.url}/_allauth/app/v1/auth/session`, { headers: unknown })).status,
        410,
      );
    });

    it("a Node login is listed in allauth's sessions, passes reauthentication, and ends there", async () => {
      const nodeJar = new CookieJar();
      const login = await nodeJar.fetch(`${node.url}/login`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "User-Agent": NODE_AGENT },
        body: JSON.stringify({ username: APPS_USER.username, password: APPS_USER.password }),
      });
      assert.equal(login.status, 200);
      const nodeKey = nodeJar.cookies.get("sessionid");
      assert.ok(nodeKey);

      // Django's own login, in another browser, lists Node's session beside its own (before any
      // request of Node's session reaches Django, whose UserSessionsMiddleware would update it).
      const djangoToken = await allauthAppLogin(django.url);
      const djangoJar = new CookieJar();
      djangoJar.cookies.set("sessionid", djangoToken);
      const listed = await djangoJar.fetch(`${django.url}/usersessions/`);
      const { sessions } = (await listed.json()) as { sessions: UserSessionRow[] };
      const nodeRow = sessions.find((s) => s.key === nodeKey);
      assert.deepEqual(nodeRow, {
        key: nodeKey,
        ip: "203.0.113.7",
        user_agent: NODE_AGENT,
        current: false,
      });

      // allauth's @reauthentication_required accepts the fresh Node login as a recent one.
      const sensitive = await nodeJar.fetch(`${django.url}/sensitive/`);
      assert.equal(sensitive.status, 200);
      const { methods } = (await sensitive.json()) as {
        methods: { method: string; at: number; username: string }[];
      };
      assert.equal(methods.length, 1);
      const [recorded] = methods;
      assert.ok(recorded);
      assert.equal(recorded.method, "password");
      assert.equal(recorded.username, APPS_USER.username);
      assert.ok(Math.abs(recorded.at - Date.now() / 1000) < 600);

      // Ending the other sessions there logs Node's session out.
      const ended = await djangoJar.fetch(`${django.url}/usersessions/end/`);
      assert.ok(((await ended.json()) as { ended: string[] }).ended.includes(nodeKey));
      const me = await nodeJar.fetch(`${node.url}/me`);
      assert.deepEqual(await me.json(), { username: null });
    });
  });
}
