// Django's messages framework both ways against real Django 5.2 and 6.1 (apps_project.py: Django's
// own SessionStorage, CookieStorage and FallbackStorage), sharing Django's django_session table
// on SQLite: a message added by a Django view is shown by Node, one added by Node is shown by
// Django, and showing it consumes it on either side.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { getSession } from "../../../src/adapters/express/index.ts";
import {
  DjangoMessages,
  MESSAGE_LEVELS,
  messageTags,
  type MessageStorageName,
} from "../../../src/django/messages.ts";
import { CookieJar } from "../../support/http.ts";
import {
  APPS_DJANGO_VERSIONS,
  APPS_SECRET,
  startNodeBesideApps,
  type AppsProject,
  type NodeBesideApps,
} from "./apps.ts";

const STORAGES: readonly MessageStorageName[] = ["session", "cookie", "fallback"];

interface Shown {
  messages: { level: number; message: string; tags: string }[];
}

for (const version of APPS_DJANGO_VERSIONS) {
  describe(`Django ${version} messages, every storage, both ways`, () => {
    let beside: NodeBesideApps;
    let django: AppsProject;
    let node: { url: string; close(): Promise<void> };

    before(async () => {
      beside = await startNodeBesideApps(version, ({ app }) => {
        const flash = Object.fromEntries(
          STORAGES.map((storage) => [
            storage,
            new DjangoMessages({ storage, cookie: { secret: APPS_SECRET } }),
          ]),
        );
        app.get("/add", async (req, res) => {
          const box = flash[req.query.storage as string]!.open({
            session: getSession(req),
            cookieHeader: req.headers.cookie,
          });
          box.add(
            Number(req.query.level),
            req.query.text as string,
            (req.query.tags as string | undefined) ?? "",
          );
          for (const header of await box.commit()) res.append("Set-Cookie", header);
          res.json({ ok: true });
        });
        app.get("/show", async (req, res) => {
          const box = flash[req.query.storage as string]!.open({
            session: getSession(req),
            cookieHeader: req.headers.cookie,
          });
          const messages = (await box.list()).map((m) => ({
            level: m.level,
            message: m.message,
            tags: messageTags(m),
          }));
          for (const header of await box.commit()) res.append("Set-Cookie", header);
          res.json({ messages });
        });
      });
      ({ django, node } = beside);
    });
    after(() => beside.stop());

    const show = async (jar: CookieJar, base: string, storage: string): Promise<Shown> => {
      const path = base === node.url ? "/show" : "/messages/show/";
      const res = await jar.fetch(`${base}${path}?storage=${storage}`);
      assert.equal(res.status, 200);
      return (await res.json()) as Shown;
    };

    for (const storage of STORAGES) {
      it(`${storage}: a message Django adds is shown by Node, once`, async () => {
        const jar = new CookieJar();
        const added = await jar.fetch(
          `${django.url}/messages/add/?storage=${storage}&level=25&text=${encodeURIComponent("Saved — ok")}&tags=big`,
        );
        assert.equal(added.status, 200);
        assert.deepEqual((await show(jar, node.url, storage)).messages, [
          { level: 25, message: "Saved — ok", tags: "big success" },
        ]);
        // Shown, so gone on both sides.
        assert.deepEqual((await show(jar, node.url, storage)).messages, []);
        assert.deepEqual((await show(jar, django.url, storage)).messages, []);
      });

      it(`${storage}: messages Node adds are shown by Django, once`, async () => {
        const jar = new CookieJar();
        // A session first, for the session storage (Django's SessionStorage needs one too).
        await jar.fetch(`${django.url}/messages/add/?storage=${storage}&level=20&text=first`);
        await jar.fetch(
          `${node.url}/add?storage=${storage}&level=${MESSAGE_LEVELS.WARNING}&text=careful`,
        );
        await jar.fetch(
          `${node.url}/add?storage=${storage}&level=${MESSAGE_LEVELS.DEBUG}&text=dropped`,
        );
        assert.deepEqual((await show(jar, django.url, storage)).messages, [
          { level: 20, message: "first", tags: "info" },
          { level: 30, message: "careful", tags: "warning" },
        ]);
        assert.deepEqual((await show(jar, django.url, storage)).messages, []);
        assert.deepEqual((await show(jar, node.url, storage)).messages, []);
      });
    }

    it("fallback: what overflows the 2048-byte cookie goes on to the session, both ways", async () => {
      const jar = new CookieJar();
      const long = (i: number): string => `message ${i} ${"x".repeat(300)}`;
      for (let i = 0; i < 4; i++) {
        await jar.fetch(`${django.url}/messages/add/?storage=fallback&level=20&text=${long(i)}`);
      }
      for (let i = 4; i < 12; i++)
        await jar.fetch(`${node.url}/add?storage=fallback&level=20&text=${long(i)}`);
      const shown = await show(jar, django.url, "fallback");
      assert.deepEqual(
        shown.messages.map((m) => m.message),
        Array.from({ length: 12 }, (_, i) => long(i)),
      );
      for (let i = 0; i < 12; i++)
        await jar.fetch(`${django.url}/messages/add/?storage=fallback&level=40&text=${long(i)}`);
      const onNode = await show(jar, node.url, "fallback");
      assert.equal(onNode.messages.length, 12);
      assert.deepEqual(onNode.messages[11], { level: 40, message: long(11), tags: "error" });
      assert.deepEqual((await show(jar, django.url, "fallback")).messages, []);
    });
  });
}
