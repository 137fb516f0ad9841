// The real-time proof on Django's signed_cookies engine beside real Django 5.2 (users in
// SQLite). The cookie is the session: nothing on the server can end it, so the gate never
// re-reads sessions; what it re-checks is the expiry (one timer on the earliest: signing time
// plus SESSION_COOKIE_AGE) and the user (one batched query per interval: a password change in
// Django invalidates `_auth_user_hash`, a deactivation the login). A forged cookie costs no
// store or user read. Django's logout cannot reach a signed cookie (the old value stays valid,
// in Django too): stated in the README, not closed here.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  REVOKED_CLOSE_CODE,
  createRealtimeGate,
  djangoUsers,
  type RealtimeGate,
} from "../../../src/adapters/realtime/index.ts";
import { DjangoUserSource } from "../../../src/auth/django-user-source.ts";
import type { User } from "../../../src/auth/user.ts";
import { SignedCookieStore } from "../../../src/stores/signed-cookies/index.ts";
import { openDatabaseUrl, type SqlDatabase } from "../../../src/stores/sql/index.ts";
import { runAuthPeer, startAuthServer } from "../../auth/django-peer.ts";
import type { DjangoServer } from "../../interop/django/peer.ts";
import {
  FOREIGN_ORIGIN,
  ORIGIN,
  openHocuspocus,
  openIo,
  openWs,
  startApps,
  type RealtimeApps,
} from "./harness.ts";
import { loginThroughDjango, passwordChangeAndDeactivation, SECRET } from "./scenario.ts";

const dir = mkdtempSync(join(tmpdir(), "sessionbridge-realtime-signed-"));
const url = `sqlite:${join(dir, "db.sqlite3")}`;
const djangoEnv = {
  DJANGO_DB: url,
  SESSION_ENGINE: "django.contrib.sessions.backends.signed_cookies",
  SECRET_KEY: SECRET,
};
/** The short SESSION_COOKIE_AGE of the second gate, in seconds. */
const SHORT_AGE = 4;

describe("realtime beside Django 5.2 on signed_cookies (expiry timer, batched user re-check)", () => {
  let django: DjangoServer | undefined;
  let database: SqlDatabase | undefined;
  const gates: RealtimeGate<User>[] = [];
  const apps: RealtimeApps[] = [];
  const running = (): { django: DjangoServer; apps: RealtimeApps; short: RealtimeApps } => {
    assert.ok(django && apps[0] && apps[1], "the servers started");
    return { django, apps: apps[0], short: apps[1] };
  };
  const peer = <T>(args: string[], input?: unknown): Promise<T> =>
    runAuthPeer<T>("5.2", args, djangoEnv, input);
  const login = (username: string): Promise<string> =>
    loginThroughDjango(running().django.url, username);

  before(async () => {
    await peer(["migrate"]);
    for (const username of ["alice", "carol", "erin", "dave"]) {
      await peer(["create-user"], { username, password: `${username}-pw` });
    }
    django = await startAuthServer("5.2", djangoEnv);
    database = await openDatabaseUrl(url);
    const users = djangoUsers({
      users: new DjangoUserSource({ database }),
      secretKey: SECRET,
      djangoVersion: "5.2",
    });
    for (const cookieAge of [1_209_600, SHORT_AGE]) {
      const gate = createRealtimeGate({
        djangoVersion: "5.2",
        store: new SignedCookieStore({
          secret: SECRET,
          cookieAge,
          logger: { warn: () => undefined },
        }),
        users,
        allowedOrigins: [ORIGIN],
      });
      gates.push(gate);
      apps.push(await startApps(gate));
    }
  });
  after(async () => {
    for (const app of apps) await app.close();
    for (const gate of gates) await gate.close();
    await django?.stop();
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a Django login's signed cookie opens ws, socket.io and Hocuspocus connections; forged ones are refused", async () => {
    const cookie = await login("alice");
    assert.ok(cookie.includes(":"), "a signed value, not a key");
    const ws = await openWs(running().apps.wsUrl, cookie);
    assert.ok(ws.ok);
    assert.equal(ws.user, "alice");
    const io = await openIo(running().apps.ioUrl, cookie);
    assert.ok(io.ok);
    const hp = await openHocuspocus(running().apps.hocuspocusUrl, cookie);
    assert.ok(hp.ok);
    const forged = cookie.slice(0, -1) + (cookie.endsWith("a") ? "b" : "a");
    assert.deepEqual(await openWs(running().apps.wsUrl, forged), { ok: false, refusal: "401" });
    assert.deepEqual(await openIo(running().apps.ioUrl, forged), {
      ok: false,
      refusal: "no-session",
    });
    assert.deepEqual(await openIo(running().apps.ioUrl, cookie, FOREIGN_ORIGIN), {
      ok: false,
      refusal: "origin",
    });
    ws.client.ws.close();
    io.client.socket.close();
    hp.client.provider.destroy();
    await ws.client.closed;
  });

  it("a password change in Django closes the sockets (the cookie's _auth_user_hash no longer verifies); a deactivation closes all", async () => {
    const carol = await passwordChangeAndDeactivation(running().apps, login, peer);
    assert.deepEqual(await openWs(running().apps.wsUrl, carol), { ok: false, refusal: "401" });
  });

  it("the cookie's expiry (signing time + SESSION_COOKIE_AGE) closes the socket", async () => {
    const cookie = await login("dave");
    const ws = await openWs(running().short.wsUrl, cookie);
    assert.ok(ws.ok, "connected within the short cookie age");
    assert.deepEqual(await ws.client.closed, {
      code: REVOKED_CLOSE_CODE,
      reason: "session-expired",
    });
    assert.deepEqual(await openWs(running().short.wsUrl, cookie), { ok: false, refusal: "401" });
  });
});
