// CSRF tokens cross between real Django (3.2, 4.2, 5.2: CsrfViewMiddleware in a real project)
// and our csrfMiddleware, both ways, in cookie mode and with CSRF_USE_SESSIONS (the session
// shared through Django's own django_session table on SQLite).
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import express from "express";
import {
  csrfMiddleware,
  csrfToken,
  sessionMiddleware,
} from "../../../src/adapters/express/index.ts";
import { DjangoSessionCodec } from "../../../src/codecs/django/session-encoding.ts";
import {
  createSqlStore,
  openDatabaseUrl,
  type SqlDatabase,
} from "../../../src/stores/sql/index.ts";
import { listen } from "../../support/http.ts";
import type { PythonServer } from "../flask/server.ts";
import { DJANGO_VERSIONS } from "./peer.ts";
import { djangoProject, startDjangoProject } from "./project.ts";

const SECRET = "csrf-interop-secret-key-for-sessionbridge-0123456789";

function cookieFrom(response: Response, name: string): string {
  const value = new RegExp(`(?:^|\\n)${name}=([^;]*)`).exec(
    response.headers.getSetCookie().join("\n"),
  )?.[1];
  assert.ok(value, `${name} in ${response.headers.getSetCookie().join(" | ")}`);
  return value;
}

function form(
  fields: Record<string, string>,
  cookie: string,
  headers: Record<string, string> = {},
): RequestInit {
  return {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: cookie, ...headers },
    body: new URLSearchParams(fields),
  };
}

for (const version of DJANGO_VERSIONS) {
  describe(`CSRF with real Django ${version}`, () => {
    const peer = `django-${version}`;
    const dir = mkdtempSync(join(tmpdir(), "sb-csrf-"));
    const databaseUrl = `sqlite:${join(dir, "db.sqlite3")}`;
    const env = { DJANGO_DB: databaseUrl, SECRET_KEY: SECRET };
    let database: SqlDatabase;
    const servers: {
      django: Record<string, PythonServer>;
      node: Record<string, { url: string; close(): Promise<void> }>;
    } = { django: {}, node: {} };

    before(async () => {
      await djangoProject(peer, ["migrate"], env);
      database = await openDatabaseUrl(databaseUrl);
      for (const mode of ["cookie", "session"] as const) {
        const useSessions = mode === "session";
        servers.django[mode] = await startDjangoProject(peer, {
          ...env,
          ...(useSessions ? { CSRF_USE_SESSIONS: "1" } : {}),
        });
        const app = express();
        app.use(express.urlencoded({ extended: false }));
        app.use(
          sessionMiddleware({
            store: createSqlStore({ database, codec: new DjangoSessionCodec({ secret: SECRET }) }),
            djangoVersion: version,
          }),
        );
        app.use(csrfMiddleware({ djangoVersion: version, useSessions }));
        app.get("/token", async (req, res) => {
          res.json({ token: await csrfToken(req) });
        });
        app.post("/submit", (_req, res) => {
          res.json({ ok: true });
        });
        servers.node[mode] = await listen(createServer(app));
      }
    });
    after(async () => {
      for (const server of Object.values(servers.django)) await server.stop();
      for (const server of Object.values(servers.node)) await server.close();
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("cookie mode: Django's token and cookie pass our middleware (form field and header)", async () => {
      const page = await fetch(`${servers.django.cookie!.url}/csrf/`);
      const { token } = (await page.json()) as { token: string };
      const cookie = `csrftoken=${cookieFrom(page, "csrftoken")}`;
      const node = servers.node.cookie!.url;
      assert.equal(
        (await fetch(`${node}/submit`, form({ csrfmiddlewaretoken: token }, cookie))).status,
        200,
      );
      // JavaScript sends the cookie's value in X-CSRFToken.
      const viaHeader = await fetch(
        `${node}/submit`,
        form({}, cookie, { "X-CSRFToken": cookieFrom(page, "csrftoken") }),
      );
      assert.equal(viaHeader.status, 200);
      const tampered = token.slice(0, -1) + (token.endsWith("a") ? "b" : "a");
      const rejected = await fetch(
        `${node}/submit`,
        form({ csrfmiddlewaretoken: tampered }, cookie),
      );
      assert.equal(rejected.status, 403);
      assert.equal((await fetch(`${node}/submit`, form({}, cookie))).status, 403);
    });

    it("cookie mode: our token and cookie pass Django's CsrfViewMiddleware", async () => {
      const page = await fetch(`${servers.node.cookie!.url}/token`);
      const { token } = (await page.json()) as { token: string };
      const value = cookieFrom(page, "csrftoken");
      assert.equal(value.length, version === "3.2" ? 64 : 32, "the cookie format of this Django");
      const django = servers.django.cookie!.url;
      const accepted = await fetch(
        `${django}/csrf/`,
        form({ csrfmiddlewaretoken: token }, `csrftoken=${value}`),
      );
      assert.equal(accepted.status, 200, await accepted.clone().text());
      assert.deepEqual(await accepted.json(), { ok: true });
      const refused = await fetch(
        `${django}/csrf/`,
        form({ csrfmiddlewaretoken: "x".repeat(64) }, `csrftoken=${value}`),
      );
      assert.equal(refused.status, 403);
    });

    it("CSRF_USE_SESSIONS: Django's session-kept secret passes here, and ours passes Django", async () => {
      const djangoPage = await fetch(`${servers.django.session!.url}/csrf/`);
      const { token: djangoToken } = (await djangoPage.json()) as { token: string };
      const djangoSession = `sessionid=${cookieFrom(djangoPage, "sessionid")}`;
      const node = servers.node.session!.url;
      assert.equal(
        (await fetch(`${node}/submit`, form({ csrfmiddlewaretoken: djangoToken }, djangoSession)))
          .status,
        200,
      );
      assert.equal((await fetch(`${node}/submit`, form({}, djangoSession))).status, 403);

      const nodePage = await fetch(`${node}/token`);
      const { token } = (await nodePage.json()) as { token: string };
      const nodeSession = `sessionid=${cookieFrom(nodePage, "sessionid")}`;
      assert.equal(
        nodePage.headers.getSetCookie().some((c) => c.startsWith("csrftoken=")),
        false,
      );
      const accepted = await fetch(
        `${servers.django.session!.url}/csrf/`,
        form({ csrfmiddlewaretoken: token }, nodeSession),
      );
      assert.equal(accepted.status, 200, await accepted.clone().text());
    });
  });
}
