// Flask-Login users on sockets (`flaskLoginUsers`) beside a real Flask 3.1 + Flask-Login and a
// real Flask-Session 0.8 on Redis: a user logs in through Flask's view; ws and socket.io
// connections with that cookie see the user; a tampered cookie and a cross-site Origin are
// refused; Flask's own logout_user() closes the socket (the session, re-read in one batched
// Redis pipeline per interval, no longer holds the login); a user the app's loader no longer
// loads (deactivated) is closed on the next batched re-check. Flask's cookie sessions (the
// cookie is the session): the loader's answer closes the socket; the session is never polled.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import type { SessionPolicy } from "../../../src/engine/policy.ts";
import {
  REVOKED_CLOSE_CODE,
  createRealtimeGate,
  flaskLoginUsers,
  type RealtimeGate,
} from "../../../src/adapters/realtime/index.ts";
import { flaskSessionPolicy } from "../../../src/flask/policy.ts";
import { flaskSessionServerPolicy } from "../../../src/flask/server-session-policy.ts";
import { FlaskSessionRedisStore } from "../../../src/stores/flask-session/index.ts";
import {
  FLASK_PEER_SCRIPT,
  startPythonServer,
  type PythonServer,
} from "../../interop/flask/server.ts";
import { FOREIGN_ORIGIN, ORIGIN, openIo, openWs, startApps, type RealtimeApps } from "./harness.ts";

const SECRET = "realtime-flask-login-secret";
const PREFIX = `sbh-realtime:flask:${process.pid}:`;
const COOKIE = "session";

interface AppUser {
  readonly id: string;
}

/** Flask-Login's `user_loader` as the Node side sees the same users: active ids load. */
function loaderOf(active: Set<string>): (id: string) => AppUser | null {
  return (id) => (active.has(id) ? { id } : null);
}

/** The `session` cookie Flask set on a response. */
function flaskCookie(response: Response): string {
  for (const line of response.headers.getSetCookie()) {
    const match = /^session=([^;]*)/.exec(line);
    if (match?.[1]) return match[1];
  }
  throw new Error("Flask set no session cookie");
}

async function flaskLogin(flask: PythonServer, uid: string): Promise<string> {
  const response = await fetch(`${flask.url}/login/${uid}`);
  assert.equal(response.status, 200);
  return flaskCookie(response);
}

/**
 * A Flask peer and the ws/socket.io apps behind a gate on `policy`, with Flask-Login's users
 * (`active` ids load), started in `before` and stopped in `after`.
 */
function flaskBeside(
  peer: string,
  mode: "cookie" | "flask-session",
  env: Record<string, string>,
  policy: () => SessionPolicy,
  active: Set<string>,
): () => { flask: PythonServer; apps: RealtimeApps } {
  let flask: PythonServer | undefined;
  let gate: RealtimeGate<AppUser> | undefined;
  let apps: RealtimeApps | undefined;
  before(async () => {
    flask = await startPythonServer(peer, FLASK_PEER_SCRIPT, [mode], {
      SECRET_KEY: SECRET,
      ...env,
    });
    gate = createRealtimeGate({
      policy: policy(),
      users: flaskLoginUsers(loaderOf(active)),
      allowedOrigins: [ORIGIN],
    });
    apps = await startApps(gate, (user) => user.id);
  });
  after(async () => {
    await apps?.close();
    await gate?.close();
    await flask?.stop();
  });
  return () => {
    assert.ok(flask && apps, "the servers started");
    return { flask, apps };
  };
}

describe("flaskLoginUsers beside Flask 3.1 + Flask-Login + Flask-Session 0.8 (Redis)", () => {
  const redis = new Redis({ host: "127.0.0.1", port: 6379, db: 0, lazyConnect: true });
  const active = new Set(["42", "7"]);
  before(() => redis.connect());
  after(async () => {
    const keys = await redis.keys(`${PREFIX}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });
  const running = flaskBeside(
    "flask-session-0.8",
    "flask-session",
    { FS_PREFIX: PREFIX },
    () =>
      flaskSessionServerPolicy({
        store: new FlaskSessionRedisStore({
          client: redis,
          keyPrefix: PREFIX,
          serializer: "msgpack",
        }),
        flaskSessionVersion: "0.8",
        secretKey: SECRET,
      }),
    active,
  );

  it("a Flask-Login login's cookie opens sockets that see the user; bad cookies and Origins are refused", async () => {
    const sid = await flaskLogin(running().flask, "42");
    const me = (await (
      await fetch(`${running().flask.url}/me`, { headers: { Cookie: `${COOKIE}=${sid}` } })
    ).json()) as { user: string | null };
    assert.equal(me.user, "42", "Flask sees the login too");
    const ws = await openWs(running().apps.wsUrl, sid, ORIGIN, COOKIE);
    assert.ok(ws.ok);
    assert.equal(ws.user, "42");
    const io = await openIo(running().apps.ioUrl, sid, ORIGIN, COOKIE);
    assert.ok(io.ok);
    assert.equal(io.user, "42");
    const tampered = sid.slice(0, -1) + (sid.endsWith("a") ? "b" : "a");
    assert.deepEqual(await openWs(running().apps.wsUrl, tampered, ORIGIN, COOKIE), {
      ok: false,
      refusal: "401",
    });
    assert.deepEqual(await openIo(running().apps.ioUrl, sid, FOREIGN_ORIGIN, COOKIE), {
      ok: false,
      refusal: "origin",
    });
    ws.client.ws.close();
    io.client.socket.close();
    await ws.client.closed;
  });

  it("Flask's logout_user() closes the socket: the session no longer holds the login", async () => {
    const sid = await flaskLogin(running().flask, "42");
    const ws = await openWs(running().apps.wsUrl, sid, ORIGIN, COOKIE);
    const io = await openIo(running().apps.ioUrl, sid, ORIGIN, COOKIE);
    assert.ok(ws.ok && io.ok);
    const out = await fetch(`${running().flask.url}/logout`, {
      headers: { Cookie: `${COOKIE}=${sid}` },
    });
    assert.equal(out.status, 200);
    assert.deepEqual(await ws.client.closed, { code: REVOKED_CLOSE_CODE, reason: "logged-out" });
    assert.equal((await io.client.revoked).reason, "logged-out");
  });

  it("a user the loader no longer loads (deactivated) is closed on the next re-check", async () => {
    const sid = await flaskLogin(running().flask, "7");
    const ws = await openWs(running().apps.wsUrl, sid, ORIGIN, COOKIE);
    assert.ok(ws.ok);
    assert.equal(ws.user, "7");
    active.delete("7");
    assert.deepEqual(await ws.client.closed, { code: REVOKED_CLOSE_CODE, reason: "user-inactive" });
    assert.deepEqual(await openWs(running().apps.wsUrl, sid, ORIGIN, COOKIE), {
      ok: false,
      refusal: "401",
    });
  });
});

describe("flaskLoginUsers beside Flask 3.1 + Flask-Login on cookie sessions", () => {
  const active = new Set(["42", "alice"]);
  const running = flaskBeside(
    "flask-3.1",
    "cookie",
    {},
    () => flaskSessionPolicy({ secretKey: SECRET, flaskVersion: "3.1" }),
    active,
  );

  it("sees Flask's login; a deactivated user is closed; a forged cookie never reaches the loader", async () => {
    const cookie = await flaskLogin(running().flask, "alice");
    const io = await openIo(running().apps.ioUrl, cookie, ORIGIN, COOKIE);
    assert.ok(io.ok);
    assert.equal(io.user, "alice");
    const forged = cookie.slice(0, -2) + (cookie.endsWith("AA") ? "BB" : "AA");
    assert.deepEqual(await openIo(running().apps.ioUrl, forged, ORIGIN, COOKIE), {
      ok: false,
      refusal: "no-session",
    });
    active.delete("alice");
    assert.deepEqual(await io.client.revoked, {
      reason: "user-inactive",
      disconnect: "io server disconnect",
    });
  });
});
