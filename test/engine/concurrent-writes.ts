// The concurrent-requests scenarios of issue 16, run on each store by concurrent-writes*.test.ts:
// through the Express adapter over real HTTP, on real stores, 50 parallel requests each adding a different key keep all 50 writes (the
// compare-and-set save and its merge), repeated; a logout racing 20 writes leaves the session
// deleted, never written back; a login racing a logout ends as one of them after the other
// would (one authenticated key, the one the login answered with, or none; no other session
// holds the user); concurrent logins (key cycles) on one session leave one key carrying it,
// and a cycle racing a logout or another cycle fails rather than copying the session. Then the same merge on two sessions in one process, step by
// step: both sides' keys kept, a key both changed ends with the later saver's value, a value
// changed in place and marked modified re-applied, and the blind save
// (`concurrentWrites: "overwrite"`) still there, losing the first write.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, describe, it } from "node:test";
import express, { type Request, type RequestHandler, type Response } from "express";
import {
  getSession,
  sessionErrorHandler,
  sessionMiddleware,
} from "../../src/adapters/express/index.ts";
import { resolveSessionSettings, type ConcurrentWrites } from "../../src/engine/config.ts";
import { Session } from "../../src/engine/session.ts";
import { SessionMissingError } from "../../src/errors.ts";
import type { SessionStore } from "../../src/stores/contract.ts";
import { listen } from "../support/http.ts";

/** A store under test and how to dispose of it. */
export interface OpenedStore {
  readonly store: SessionStore;
  /** Every stored session key, for a store without `walk` (Flask-Session's layout). */
  readonly keys?: () => Promise<string[]>;
  close(): Promise<void>;
}

/** Every session key `opened` holds (its `walk`, else its `keys`). */
async function storedKeys(opened: OpenedStore): Promise<string[]> {
  if (opened.store.walk === undefined) {
    assert.ok(opened.keys, `${opened.store.name} can neither walk nor list its sessions`);
    return opened.keys();
  }
  const keys: string[] = [];
  for await (const page of opened.store.walk()) keys.push(...page.sessions.map((s) => s.key));
  return keys;
}

/** What a test can make the app's `/add` route wait for. */
export interface AppHooks {
  /**
   * Awaited by `/add` after it loaded the session and before it sets its key: a test holds
   * every request there, lets another writer (a real Django) write, then lets them all save.
   */
  readonly hold?: () => Promise<void>;
}

/** The app: `/login` starts an authenticated session, `/add?k=` sets one key, `/logout` flushes. */
export function buildApp(
  store: SessionStore,
  concurrentWrites: ConcurrentWrites,
  reported: unknown[],
  hooks: AppHooks = {},
): express.Express {
  const app = express();
  const route =
    (handler: (req: Request, res: Response) => Promise<void>): RequestHandler =>
    (req, res, next) => {
      handler(req, res).catch(next);
    };
  app.use(sessionMiddleware({ djangoVersion: "5.2", store, concurrentWrites }));
  app.get(
    "/login",
    route(async (req, res) => {
      const session = getSession(req);
      await session.set("user", "alice");
      res.json({});
    }),
  );
  app.get(
    "/add",
    route(async (req, res) => {
      const session = getSession(req);
      const k = typeof req.query["k"] === "string" ? req.query["k"] : "none";
      // Read first, as a view does: the load happens before the other requests' saves land.
      await session.get("user");
      await new Promise((resolve) => setImmediate(resolve));
      await hooks.hold?.();
      await session.set(k, k.length);
      res.json({});
    }),
  );
  app.get(
    "/visit",
    route(async (req, res) => {
      await getSession(req).set("cart", "anonymous");
      res.json({});
    }),
  );
  app.get(
    "/signin",
    route(async (req, res) => {
      // What `login()` does to an anonymous session: a new key for its data, then the user.
      const session = getSession(req);
      await session.get("cart");
      await new Promise((resolve) => setImmediate(resolve));
      await session.cycleKey();
      await session.set("user", "bob");
      res.json({});
    }),
  );
  app.get(
    "/logout",
    route(async (req, res) => {
      await getSession(req).flush();
      res.json({});
    }),
  );
  app.use(sessionErrorHandler({ onError: (error) => reported.push(error) }));
  return app;
}

const COOKIE = "sessionid";

export function cookieValue(response: globalThis.Response): string | undefined {
  for (const line of response.headers.getSetCookie()) {
    const match = /^sessionid=([^;]*)/.exec(line);
    if (match) return match[1];
  }
  return undefined;
}

async function login(url: string): Promise<string> {
  const response = await fetch(`${url}/login`);
  assert.equal(response.status, 200);
  const key = cookieValue(response);
  assert.ok(key, "login sets the session cookie");
  return key;
}

/** `count` parallel `/add` requests with `key`'s cookie; returns their responses. */
export function addInParallel(url: string, key: string, prefix: string, count: number) {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      fetch(`${url}/add?k=${prefix}${i}`, { headers: { cookie: `${COOKIE}=${key}` } }),
    ),
  );
}

/**
 * The scenarios on one store. `open` makes a fresh store (its own table, prefix or directory).
 */
export function itKeepsConcurrentWrites(name: string, open: () => Promise<OpenedStore>): void {
  describe(name, () => {
    const toClose: (() => Promise<void>)[] = [];
    after(async () => {
      for (const close of toClose.reverse()) await close();
    });
    const start = async () => {
      const opened = await open();
      toClose.push(() => opened.close());
      const reported: unknown[] = [];
      const server = await listen(createServer(buildApp(opened.store, "merge", reported)));
      toClose.push(server.close);
      return { ...opened, url: server.url, reported };
    };

    it("keeps all 50 writes of 50 parallel requests, three times in a row", async () => {
      const { store, url, reported } = await start();
      const key = await login(url);
      for (const round of [0, 1, 2]) {
        const responses = await addInParallel(url, key, `r${round}k`, 50);
        assert.deepEqual(
          responses.map((r) => r.status),
          Array.from({ length: 50 }, () => 200),
        );
        // Every response carries the same key: the session was updated, never re-created.
        assert.deepEqual(new Set(responses.map(cookieValue)), new Set([key]));
        const data = await store.load(key);
        assert.ok(data);
        for (let r = 0; r <= round; r++) {
          for (let i = 0; i < 50; i++) assert.ok(data.has(`r${r}k${i}`), `r${r}k${i} was lost`);
        }
        assert.equal(data.get("user"), "alice");
        assert.equal(data.size, 1 + 50 * (round + 1));
      }
      assert.deepEqual(reported, []);
    });

    it("never writes back a session a concurrent logout deleted", async () => {
      const { store, url, reported } = await start();
      for (let run = 0; run < 3; run++) {
        const key = await login(url);
        const headers = { cookie: `${COOKIE}=${key}` };
        const [logout, ...writes] = await Promise.all([
          // Starts among the writes: some load before it deletes, some after.
          new Promise<globalThis.Response>((resolve, reject) => {
            setImmediate(() => {
              fetch(`${url}/logout`, { headers }).then(resolve, reject);
            });
          }),
          ...Array.from({ length: 20 }, (_, i) => fetch(`${url}/add?k=w${i}`, { headers })),
        ]);
        assert.equal(logout.status, 200);
        assert.equal(cookieValue(logout), "", "the logout deletes the cookie");
        assert.equal(await store.load(key), null, "the logged-out session stays deleted");
        assert.equal(await store.exists(key), false);
        for (const response of writes) {
          // Before the logout: saved under the old key. Loaded before it, saved after it: 400
          // (Django's SessionInterrupted), no cookie. After it: a fresh anonymous session.
          assert.ok([200, 400].includes(response.status), `status ${response.status}`);
          const value = cookieValue(response);
          if (response.status === 400) assert.equal(value, undefined);
          else assert.equal(response.status, 200);
          if (value !== undefined && value !== key) {
            const fresh = await store.load(value);
            assert.ok(fresh);
            assert.equal(fresh.has("user"), false, "a new session is anonymous");
          }
        }
        const refused = writes.filter((r) => r.status === 400).length;
        assert.equal(reported.length, refused);
        assert.ok(reported.every((error) => error instanceof SessionMissingError));
        reported.length = 0;
      }
    });

    it("a login racing a logout: one authenticated key or none, never an orphaned one", async () => {
      const opened = await start();
      const { store, url, reported } = opened;
      const handedOut: string[] = [];
      for (let run = 0; run < 6; run++) {
        const visit = await fetch(`${url}/visit`);
        const key = cookieValue(visit);
        assert.ok(key);
        const headers = { cookie: `${COOKIE}=${key}` };
        // Either request may start first; each run swaps which one waits a turn.
        const later = (path: string) =>
          new Promise<globalThis.Response>((resolve, reject) => {
            setImmediate(() => {
              fetch(`${url}${path}`, { headers }).then(resolve, reject);
            });
          });
        const [signin, logout] = await Promise.all(
          run % 2 === 0
            ? [fetch(`${url}/signin`, { headers }), later("/logout")]
            : [later("/signin"), fetch(`${url}/logout`, { headers })],
        );
        assert.equal(logout.status, 200);
        assert.equal(cookieValue(logout), "", "the logout deletes the cookie");
        assert.equal(await store.exists(key), false, "the anonymous key is gone");
        const value = cookieValue(signin);
        if (signin.status === 400) {
          // Loaded before the logout deleted it, cycled after: refused, no key made.
          assert.equal(value, undefined);
          assert.ok(reported.pop() instanceof SessionMissingError);
        } else {
          // Before the logout (then it owns the session under a new key) or after it (then a
          // fresh session): as one of the two requests running after the other would end.
          assert.equal(signin.status, 200);
          assert.ok(value !== undefined && value !== key, "a login answers with a new key");
          const data = await store.load(value);
          assert.equal(data?.get("user"), "bob");
          handedOut.push(value);
        }
        assert.deepEqual(reported, []);
      }
      // No session holds a user but the ones the logins answered with.
      const authenticated: string[] = [];
      for (const stored of await storedKeys(opened)) {
        if ((await store.load(stored))?.get("user") === "bob") authenticated.push(stored);
      }
      assert.deepEqual(authenticated.sort(), handedOut.sort());
    });

    it("concurrent logins on one session: one of them moves it to a new key, the others fail", async () => {
      const { store, url, reported } = await start();
      for (let run = 0; run < 3; run++) {
        const visit = await fetch(`${url}/visit`);
        const key = cookieValue(visit);
        assert.ok(key);
        const headers = { cookie: `${COOKIE}=${key}` };
        const responses = await Promise.all(
          Array.from({ length: 10 }, () => fetch(`${url}/signin`, { headers })),
        );
        assert.equal(await store.exists(key), false, "the anonymous key is gone");
        const carried: string[] = [];
        for (const response of responses) {
          const value = cookieValue(response);
          if (response.status === 400) {
            // Loaded the session before another login moved it: Django's SessionInterrupted.
            assert.equal(value, undefined);
            continue;
          }
          assert.equal(response.status, 200);
          assert.ok(value !== undefined && value !== key, "a login answers with a new key");
          const data = await store.load(value);
          assert.ok(data, "the new key is stored");
          assert.equal(data.get("user"), "bob");
          if (data.has("cart")) carried.push(value);
        }
        // Only one login took the anonymous session over: no second authenticated copy of it.
        assert.equal(carried.length, 1, `${carried.length} keys carry the anonymous session`);
        assert.ok(reported.every((error) => error instanceof SessionMissingError));
        reported.length = 0;
      }
    });

    it("a key cycle racing a logout or another cycle leaves one key or none, never a copy", async () => {
      const { store } = await start();
      const settings = resolveSessionSettings();
      const created = async (): Promise<string> => {
        const session = new Session(store, null, settings);
        await session.set("cart", 1);
        await session.save();
        return session.key!;
      };
      // Logout first: the login that loaded the session before it fails and makes no key.
      const key = await created();
      const login = new Session(store, key, settings);
      await login.get("cart");
      await new Session(store, key, settings).flush();
      await assert.rejects(login.cycleKey(), SessionMissingError);
      assert.equal(login.key, key, "no new key was made");
      assert.equal(await store.exists(key), false);
      // Two logins from one load: the first moves the session, the second fails.
      const shared = await created();
      const first = new Session(store, shared, settings);
      const second = new Session(store, shared, settings);
      await first.get("cart");
      await second.get("cart");
      await first.cycleKey();
      await assert.rejects(second.cycleKey(), SessionMissingError);
      assert.equal(second.key, shared);
      assert.notEqual(first.key, shared);
      assert.equal(await store.exists(shared), false);
      assert.equal((await store.load(first.key!))?.get("cart"), 1);
      // A write saved before the cycle moves with it; one saved after fails, never lands.
      const moved = await created();
      const cycling = new Session(store, moved, settings);
      const early = new Session(store, moved, settings);
      const late = new Session(store, moved, settings);
      await cycling.get("cart");
      await late.set("late", 1);
      await early.set("early", 1);
      await early.save();
      await cycling.cycleKey();
      await assert.rejects(late.save(), SessionMissingError);
      assert.deepEqual(Object.fromEntries((await store.load(cycling.key!))!), {
        cart: 1,
        early: 1,
      });
      assert.equal(await store.exists(moved), false);
    });

    it("merges two sessions saved from the same load; overwrite loses the first", async () => {
      const { store } = await start();
      const settings = resolveSessionSettings();
      const first = new Session(store, null, settings);
      await first.set("both", "first");
      await first.set("gone", 1);
      await first.set("kept", 1);
      await first.save();
      const key = first.key!;
      const a = new Session(store, key, settings);
      const b = new Session(store, key, settings);
      const nested = (await a.get("kept")) as unknown;
      assert.equal(nested, 1);
      await b.get("both");
      await a.set("a", 1);
      await a.set("both", "a");
      await b.set("b", 2);
      await b.set("both", "b");
      await b.delete("gone");
      await a.save();
      await b.save();
      // b saved last: its own changes on top of a's, a's kept.
      assert.deepEqual(Object.fromEntries((await store.load(key))!), {
        both: "b",
        kept: 1,
        a: 1,
        b: 2,
      });
      // The same race with the blind save: b's save drops a's key.
      const blind = resolveSessionSettings({ concurrentWrites: "overwrite" });
      const c = new Session(store, key, blind);
      const d = new Session(store, key, blind);
      await c.get("a");
      await d.get("a");
      await c.set("c", 3);
      await d.set("d", 4);
      await c.save();
      await d.save();
      const after = (await store.load(key))!;
      assert.equal(after.has("d"), true);
      assert.equal(after.has("c"), false);
    });

    it("re-applies a value changed in place and marked modified", async () => {
      const { store } = await start();
      const settings = resolveSessionSettings();
      const first = new Session(store, null, settings);
      await first.set("cart", ["apple"]);
      await first.save();
      const key = first.key!;
      const a = new Session(store, key, settings);
      const b = new Session(store, key, settings);
      const cart = (await a.get("cart")) as string[];
      await b.set("other", 1);
      await b.save();
      cart.push("pear");
      a.modified = true;
      await a.save();
      assert.deepEqual(Object.fromEntries((await store.load(key))!), {
        cart: ["apple", "pear"],
        other: 1,
      });
    });

    it("a save of a session deleted meanwhile throws SessionMissingError and writes nothing", async () => {
      const { store } = await start();
      const settings = resolveSessionSettings();
      const first = new Session(store, null, settings);
      await first.set("user", "alice");
      await first.save();
      const key = first.key!;
      const stale = new Session(store, key, settings);
      await stale.set("late", 1);
      await new Session(store, key, settings).flush();
      await assert.rejects(stale.save(), SessionMissingError);
      assert.equal(await store.exists(key), false);
    });
  });
}
