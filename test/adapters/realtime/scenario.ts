// The real-time proof, shared by the per-store files: users log in through Django's login view
// over HTTP; ws, socket.io and Hocuspocus clients connect with that cookie; refusals; and each
// way a login ends (Django logout, `sessionbridge sessions revoke --user`, a password change
// in Django, a deactivation, expiry, `sessions revoke KEY`, a logout through the Express
// adapter in Node) closes the sockets with the reason.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, it } from "node:test";
import express from "express";
import { sessionMiddleware } from "../../../src/adapters/express/index.ts";
import { authMiddleware, getAuth } from "../../../src/adapters/express/auth.ts";
import type { UserSource } from "../../../src/auth/user-source.ts";
import type { SessionStore } from "../../../src/stores/contract.ts";
import { listen } from "../../support/http.ts";
import type { RealtimeGate } from "../../../src/adapters/realtime/index.ts";
import { REVOKED_CLOSE_CODE } from "../../../src/adapters/realtime/index.ts";
import type { User } from "../../../src/auth/user.ts";
import { runCli } from "../../support/cli.ts";
import { runAuthPeer, sessionCookie, startAuthServer } from "../../auth/django-peer.ts";
import type { DjangoServer, DjangoVersion } from "../../interop/django/peer.ts";
import {
  FOREIGN_ORIGIN,
  openHocuspocus,
  openIo,
  openWs,
  startApps,
  type RealtimeApps,
} from "./harness.ts";

export const SECRET = "realtime-interop-secret-key-for-sessionbridge";

export interface StoreUnderTest {
  readonly version: DjangoVersion;
  /** The Django peer's environment (DJANGO_DB, SESSION_ENGINE, DJANGO_CACHE…). */
  readonly djangoEnv: Record<string, string>;
  /** The CLI's environment for `sessions revoke`. */
  readonly cliEnv: Record<string, string>;
  /** Makes the gate (after Django migrated). */
  gate(): Promise<RealtimeGate<User>>;
  /** The session store and the users the gate reads (once `gate()` ran), for a Node app. */
  node(): { readonly store: SessionStore; readonly users: UserSource };
  /** Moves a session's expiry to `at` (in the past: expired now). */
  expire(key: string, at: Date): Promise<void>;
  /** Releases what `gate()` opened. */
  close(): Promise<void>;
}

export const USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"] as const;

/** Logs `username` in (password `<username>-pw`) through Django's login view; the session key. */
export async function loginThroughDjango(djangoUrl: string, username: string): Promise<string> {
  const response = await fetch(`${djangoUrl}/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ username, password: `${username}-pw` }).toString(),
  });
  assert.equal(response.status, 200, await response.clone().text());
  const key = sessionCookie(response);
  assert.ok(key, "Django set the session cookie");
  return key;
}

/**
 * A password change in Django closes carol's Hocuspocus and socket.io connections
 * (`password-changed`); a deactivation closes both of erin's ws connections (`user-inactive`).
 * Resolves carol's session cookie.
 */
export async function passwordChangeAndDeactivation(
  apps: RealtimeApps,
  login: (username: string) => Promise<string>,
  peer: (args: string[], input?: unknown) => Promise<unknown>,
): Promise<string> {
  const key = await login("carol");
  const hp = await openHocuspocus(apps.hocuspocusUrl, key);
  const io = await openIo(apps.ioUrl, key);
  assert.ok(hp.ok && io.ok);
  await peer(["set-password"], { username: "carol", password: "carol-new-pw" });
  assert.deepEqual(await hp.client.closed, {
    code: REVOKED_CLOSE_CODE,
    reason: "password-changed",
  });
  assert.equal((await io.client.revoked).reason, "password-changed");

  const erin = await login("erin");
  const sockets = await Promise.all([openWs(apps.wsUrl, erin), openWs(apps.wsUrl, erin)]);
  await peer(["set-active"], { username: "erin", active: false });
  for (const s of sockets) {
    assert.ok(s.ok);
    assert.deepEqual(await s.client.closed, {
      code: REVOKED_CLOSE_CODE,
      reason: "user-inactive",
    });
  }
  return key;
}

export function realtimeScenario(store: StoreUnderTest): void {
  let django: DjangoServer | undefined;
  let gate: RealtimeGate<User> | undefined;
  let apps: RealtimeApps | undefined;
  const ids = new Map<string, number>();
  const peer = <T>(args: string[], input?: unknown): Promise<T> =>
    runAuthPeer<T>(store.version, args, { ...store.djangoEnv, SECRET_KEY: SECRET }, input);

  const running = (): { django: DjangoServer; apps: RealtimeApps } => {
    assert.ok(django && apps, "the servers started");
    return { django, apps };
  };

  const login = (username: string): Promise<string> =>
    loginThroughDjango(running().django.url, username);

  before(async () => {
    await peer(["migrate"]);
    for (const username of USERS) {
      const { id } = await peer<{ id: number }>(["create-user"], {
        username,
        password: `${username}-pw`,
      });
      ids.set(username, id);
    }
    django = await startAuthServer(store.version, { ...store.djangoEnv, SECRET_KEY: SECRET });
    gate = await store.gate();
    apps = await startApps(gate);
  });
  after(async () => {
    await apps?.close();
    await gate?.close();
    await django?.stop();
    await store.close();
  });

  it("a Django login's cookie opens ws, socket.io and Hocuspocus connections that see the user", async () => {
    const key = await login("alice");
    const ws = await openWs(running().apps.wsUrl, key);
    assert.ok(ws.ok);
    assert.equal(ws.user, "alice");
    const io = await openIo(running().apps.ioUrl, key);
    assert.ok(io.ok);
    assert.equal(io.user, "alice");
    const hp = await openHocuspocus(running().apps.hocuspocusUrl, key);
    assert.ok(hp.ok);
    ws.client.ws.close();
    io.client.socket.close();
    hp.client.provider.destroy();
    await ws.client.closed;
  });

  it("refuses a tampered or foreign cookie, an anonymous session, an expired session and a cross-site Origin", async () => {
    const key = await login("alice");
    const tampered = key.slice(0, -1) + (key.endsWith("a") ? "b" : "a");
    const foreign = "z".repeat(32);
    const malformed = "not a key!";
    for (const bad of [tampered, foreign, malformed]) {
      assert.deepEqual(await openWs(running().apps.wsUrl, bad), { ok: false, refusal: "401" }, bad);
      assert.deepEqual(await openIo(running().apps.ioUrl, bad), {
        ok: false,
        refusal: "no-session",
      });
      assert.deepEqual(await openHocuspocus(running().apps.hocuspocusUrl, bad), {
        ok: false,
        refusal: "no-session",
      });
    }
    assert.deepEqual(await openWs(running().apps.wsUrl, null), { ok: false, refusal: "401" });
    assert.deepEqual(await openWs(running().apps.wsUrl, key, FOREIGN_ORIGIN), {
      ok: false,
      refusal: "403",
    });
    assert.deepEqual(await openIo(running().apps.ioUrl, key, FOREIGN_ORIGIN), {
      ok: false,
      refusal: "origin",
    });
    assert.deepEqual(await openHocuspocus(running().apps.hocuspocusUrl, key, FOREIGN_ORIGIN), {
      ok: false,
      refusal: "origin",
    });
    assert.deepEqual(await openWs(running().apps.wsUrl, key, "null"), {
      ok: false,
      refusal: "403",
    });

    // An anonymous Django session (logged out, then given data by the peer's session view).
    const anonymous = await fetch(`${running().django.url}/set?k=v`);
    const anonymousKey = sessionCookie(anonymous);
    assert.ok(anonymousKey);
    assert.deepEqual(await openIo(running().apps.ioUrl, anonymousKey), {
      ok: false,
      refusal: "anonymous",
    });

    const expired = await login("alice");
    await store.expire(expired, new Date(Date.now() - 60_000));
    assert.deepEqual(await openWs(running().apps.wsUrl, expired), { ok: false, refusal: "401" });
    assert.deepEqual(await openIo(running().apps.ioUrl, expired), {
      ok: false,
      refusal: "no-session",
    });
  });

  it("Django's logout closes the socket with the reason", async () => {
    const key = await login("alice");
    const ws = await openWs(running().apps.wsUrl, key);
    assert.ok(ws.ok);
    const response = await fetch(`${running().django.url}/auth/logout`, {
      method: "POST",
      headers: { Cookie: `sessionid=${key}` },
    });
    assert.equal(response.status, 200);
    assert.deepEqual(await ws.client.closed, { code: REVOKED_CLOSE_CODE, reason: "session-ended" });
  });

  it("`sessionbridge sessions revoke --user` closes every socket of that user", async () => {
    const first = await login("bob");
    const second = await login("bob");
    const io = await openIo(running().apps.ioUrl, first);
    const ws = await openWs(running().apps.wsUrl, second);
    assert.ok(io.ok && ws.ok);
    const result = await runCli(["sessions", "revoke", "--user", String(ids.get("bob"))], {
      env: { ...store.cliEnv, SECRET_KEY: SECRET },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await io.client.revoked, {
      reason: "session-ended",
      disconnect: "io server disconnect",
    });
    assert.deepEqual(await ws.client.closed, { code: REVOKED_CLOSE_CODE, reason: "session-ended" });
  });

  it("`sessionbridge sessions revoke KEY` closes that session's sockets and no other", async () => {
    const revoked = await login("heidi");
    const kept = await login("heidi");
    const ws = await openWs(running().apps.wsUrl, revoked);
    const io = await openIo(running().apps.ioUrl, revoked);
    const other = await openWs(running().apps.wsUrl, kept);
    assert.ok(ws.ok && io.ok && other.ok);
    const result = await runCli(["sessions", "revoke", revoked], {
      env: { ...store.cliEnv, SECRET_KEY: SECRET },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await ws.client.closed, { code: REVOKED_CLOSE_CODE, reason: "session-ended" });
    assert.deepEqual(await io.client.revoked, {
      reason: "session-ended",
      disconnect: "io server disconnect",
    });
    // The other session's socket is still open: a message still goes through.
    assert.equal(other.client.ws.readyState, other.client.ws.OPEN);
    other.client.ws.close();
    await other.client.closed;
  });

  it("a logout on the Node side (Express adapter, getAuth(req).logout()) closes the socket", async () => {
    const { store: sessions, users } = store.node();
    const app = express();
    app.use(sessionMiddleware({ djangoVersion: store.version, store: sessions }));
    app.use(authMiddleware({ users, secretKey: SECRET, djangoVersion: store.version }));
    app.post("/logout", async (req, res) => {
      await getAuth(req).logout();
      res.json({ ok: true });
    });
    const node = await listen(createServer(app));
    try {
      const key = await login("alice");
      const io = await openIo(running().apps.ioUrl, key);
      const ws = await openWs(running().apps.wsUrl, key);
      assert.ok(io.ok && ws.ok);
      const response = await fetch(`${node.url}/logout`, {
        method: "POST",
        headers: { Cookie: `sessionid=${key}` },
      });
      assert.equal(response.status, 200);
      assert.deepEqual(await ws.client.closed, {
        code: REVOKED_CLOSE_CODE,
        reason: "session-ended",
      });
      assert.equal((await io.client.revoked).reason, "session-ended");
    } finally {
      await node.close();
    }
  });

  it("a password change in Django closes the user's other sockets; deactivation closes all", async () => {
    await passwordChangeAndDeactivation(running().apps, login, peer);
  });

  it("expiry closes the socket", async () => {
    const key = await login("dave");
    const ws = await openWs(running().apps.wsUrl, key);
    assert.ok(ws.ok);
    await store.expire(key, new Date(Date.now() + 1500));
    assert.deepEqual(await ws.client.closed, {
      code: REVOKED_CLOSE_CODE,
      reason: "session-expired",
    });
  });

  it("a session that expires and that Django's or our clearsessions then removes closes its socket", async () => {
    const viaDjango = await login("frank");
    const viaUs = await login("grace");
    const sockets = await Promise.all([
      openWs(running().apps.wsUrl, viaDjango),
      openIo(running().apps.ioUrl, viaUs),
    ]);
    const [ws, io] = sockets;
    assert.ok(ws.ok && io.ok);
    const ended = ["session-expired", "session-ended"];
    await store.expire(viaDjango, new Date(Date.now() - 1000));
    await peer(["clearsessions"]);
    const wsClosed = await ws.client.closed;
    assert.equal(wsClosed.code, REVOKED_CLOSE_CODE);
    assert.ok(ended.includes(wsClosed.reason), wsClosed.reason);

    await store.expire(viaUs, new Date(Date.now() - 1000));
    const cleared = await runCli(["clearsessions"], {
      env: { ...store.cliEnv, SECRET_KEY: SECRET },
    });
    assert.equal(cleared.code, 0, cleared.stderr);
    const revoked = await io.client.revoked;
    assert.ok(ended.includes(revoked.reason), revoked.reason);
    assert.equal(revoked.disconnect, "io server disconnect");
  });
}
