// Starlette sessions over real HTTP, both directions: a real Starlette (0.26 and 1.x, uvicorn)
// and our node and Hono adapters with starletteSessionPolicy, including header byte-equality.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { dumpsPythonJson } from "../../../src/codecs/python-json.ts";
import { PyFloat, type PyValue, type SessionData } from "../../../src/codecs/python-values.ts";
import type { Session } from "../../../src/engine/session.ts";
import { starletteSessionPolicy } from "../../../src/starlette/index.ts";
import { CookieJar } from "../../support/http.ts";
import { startHonoApp, startNodeApp, type NodeApp, type NodeReply } from "../flask/node-app.ts";
import {
  getJson,
  STARLETTE_PEER_SCRIPT,
  startPythonServer,
  type PythonServer,
} from "../flask/server.ts";

const SECRET = "starlette-interop-secret";
const SCENARIOS = ["plain", "unicode", "nested", "large"];

function scenario(name: string): SessionData {
  const m = (o: Record<string, PyValue>): SessionData => new Map(Object.entries(o));
  switch (name) {
    case "plain":
      return m({
        user: "alice",
        n: 42,
        flag: true,
        nothing: null,
        f: 1.5,
        one: new PyFloat(1),
        big: 12345678901234567890n,
      });
    case "unicode":
      return m({ name: "Zo\u00eb \u{1f389}", "k\u00e9y": "\u2603" });
    case "nested":
      return m({ cart: { items: [{ sku: "a", qty: 2 }], total: 12.5 }, list: [1, [2, [3]]] });
    case "large":
      return m({ blob: "lorem ipsum dolor ".repeat(100) });
    default:
      throw new Error(name);
  }
}

async function routes(session: Session, path: string): Promise<NodeReply> {
  const [, first = "", arg = ""] = path.split("/");
  switch (first) {
    case "set":
      for (const [k, v] of scenario(arg)) await session.set(k, v);
      return { status: 200, body: { ok: true } };
    case "dump":
      return { status: 200, body: { canonical: dumpsPythonJson(await session.toMap()) } };
    case "visit": {
      const visits = ((await session.get("visits")) as number | undefined) ?? 0;
      await session.set("visits", visits + 1);
      return { status: 200, body: { visits: visits + 1 } };
    }
    case "clear":
      session.clear();
      return { status: 200, body: { ok: true } };
    default:
      return { status: 200, body: { ok: true } };
  }
}

const valueless = (header: string): string => header.replace(/^session=[^;]+/, "session=<v>");

for (const [peer, behaviour] of [
  ["starlette-0.26", "0.x"],
  ["starlette-1", "1.x"],
] as const) {
  describe(`Starlette ${peer} ⇄ sessionbridge (${behaviour})`, () => {
    let py: PythonServer;
    const apps: Record<string, NodeApp> = {};
    before(async () => {
      py = await startPythonServer(peer, STARLETTE_PEER_SCRIPT, [], { SECRET_KEY: SECRET });
      const policy = starletteSessionPolicy({ secretKey: SECRET, starletteVersion: behaviour });
      apps.node = await startNodeApp(policy, routes);
      apps.hono = await startHonoApp(policy, routes);
    });
    after(async () => {
      await Promise.all([py.stop(), ...Object.values(apps).map((a) => a.close())]);
    });

    for (const adapter of ["node", "hono"]) {
      for (const name of SCENARIOS) {
        test(`${adapter}: Starlette writes "${name}", Node reads it`, async () => {
          const jar = new CookieJar();
          const { res } = await getJson(jar, `${py.url}/set/${name}`);
          const [pyCookie] = res.headers.getSetCookie();
          assert.equal(
            valueless(pyCookie ?? ""),
            "session=<v>; path=/; Max-Age=1209600; httponly; samesite=lax",
          );
          const expected = (await getJson<{ canonical: string }>(jar, `${py.url}/expected/${name}`))
            .body;
          const { body, res: nodeRes } = await getJson<{ canonical: string }>(
            jar,
            `${apps[adapter]!.url}/dump`,
          );
          assert.equal(body.canonical, expected.canonical);
          if (behaviour === "0.x") {
            assert.deepEqual(nodeRes.headers.getSetCookie().map(valueless), [valueless(pyCookie!)]);
            assert.equal(nodeRes.headers.get("vary"), null);
          } else {
            assert.deepEqual(nodeRes.headers.getSetCookie(), []);
            assert.equal(nodeRes.headers.get("vary"), "Cookie");
          }
        });

        test(`${adapter}: Node writes "${name}", Starlette reads it`, async () => {
          const jar = new CookieJar();
          const { res } = await getJson(jar, `${apps[adapter]!.url}/set/${name}`);
          assert.deepEqual(res.headers.getSetCookie().map(valueless), [
            "session=<v>; path=/; Max-Age=1209600; httponly; samesite=lax",
          ]);
          const expected = (await getJson<{ canonical: string }>(jar, `${py.url}/expected/${name}`))
            .body;
          const { body } = await getJson<{ canonical: string }>(jar, `${py.url}/dump`);
          assert.equal(body.canonical, expected.canonical);
        });
      }

      test(`${adapter}: same answers as Starlette on untouched routes and on clear`, async () => {
        const jar = new CookieJar();
        await getJson(jar, `${py.url}/visit`);
        const pyPlain = await jar.fetch(`${py.url}/plain`);
        const nodePlain = await jar.fetch(`${apps[adapter]!.url}/plain`);
        assert.deepEqual(
          nodePlain.headers.getSetCookie().map(valueless),
          pyPlain.headers.getSetCookie().map(valueless),
        );
        assert.equal(nodePlain.headers.get("vary"), pyPlain.headers.get("vary"));
        assert.equal(
          (await getJson<{ visits: number }>(jar, `${apps[adapter]!.url}/visit`)).body.visits,
          2,
        );
        assert.equal((await getJson<{ visits: number }>(jar, `${py.url}/visit`)).body.visits, 3);
        const cookieHeader = jar.header();
        const pyClear = await fetch(`${py.url}/clear`, { headers: { Cookie: cookieHeader } });
        const nodeClear = await fetch(`${apps[adapter]!.url}/clear`, {
          headers: { Cookie: cookieHeader },
        });
        assert.deepEqual(nodeClear.headers.getSetCookie(), pyClear.headers.getSetCookie());
        assert.deepEqual(nodeClear.headers.getSetCookie(), [
          "session=null; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly; samesite=lax",
        ]);
        // Without a cookie, clearing sends nothing in either.
        const pyClear2 = await fetch(`${py.url}/clear`);
        const nodeClear2 = await fetch(`${apps[adapter]!.url}/clear`);
        assert.deepEqual(nodeClear2.headers.getSetCookie(), pyClear2.headers.getSetCookie());
        assert.deepEqual(nodeClear2.headers.getSetCookie(), []);
      });
    }
  });
}
