// Real Django 5.2 and a Node app (Express, the compare-and-set save) writing the same session at
// once, on one of Django's session engines (issue 16), run by concurrent-writes*.test.ts per
// engine. Django's SessionMiddleware saves blindly and ours merges, so none of the keys Django's
// views wrote is lost to a Node write, and a Django logout racing Node writes stays a logout:
// - held: 50 Node requests load the session and wait; Django's views write 10 keys (or log
//   out); then the Node requests save. Every save meets Django's writes and must merge them
//   (or, after the logout, fail with 400): deterministic, on every engine.
// - free-running: the same with no holding, Django's writes landing among Node's loads and
//   saves wherever they fall. Not run on the file engine: Django's rename landing between our
//   read of the file and our rename is overwritten, a window no lock can close while Django
//   takes none (the README says so).
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import type { SessionStore } from "../../../src/stores/contract.ts";
import { listen } from "../../support/http.ts";
import { addInParallel, buildApp, cookieValue } from "../../engine/concurrent-writes.ts";
import { runDjango, startDjangoServer, type DjangoServer } from "./peer.ts";

const VERSION = "5.2";

/** One storage shared by Django and our store. */
export interface SharedEngine {
  /** Django's settings for the peer (SECRET_KEY, SESSION_ENGINE, DJANGO_DB, caches, paths). */
  readonly env: Record<string, string>;
  /** Our store on the same storage, with the same secret. */
  readonly store: SessionStore;
  close(): Promise<void>;
}

/** Options of {@link itKeepsDjangosWrites}. */
export interface DjangoRaceOptions {
  /** Also race Django's writes freely against Node's (not on the file engine); default true. */
  readonly freeRunning?: boolean;
}

/** Holds `/add` requests after their load until released (see `AppHooks.hold`). */
class Hold {
  #expected = 0;
  #arrived = 0;
  #allArrived: () => void = () => undefined;
  #release: () => void = () => undefined;
  #released: Promise<void> = Promise.resolve();

  /** Starts holding: resolves once `count` requests arrived; `release()` lets them go. */
  expect(count: number): Promise<void> {
    this.#expected = count;
    this.#arrived = 0;
    this.#released = new Promise((resolve) => {
      this.#release = resolve;
    });
    return new Promise((resolve) => {
      this.#allArrived = resolve;
    });
  }

  /** What `/add` awaits. */
  readonly wait = (): Promise<void> => {
    if (this.#expected === 0) return Promise.resolve();
    if (++this.#arrived === this.#expected) this.#allArrived();
    return this.#released;
  };

  release(): void {
    this.#expected = 0;
    this.#release();
  }
}

/** The Django-and-Node races on one engine; `open` makes fresh storage for it. */
export function itKeepsDjangosWrites(
  label: string,
  open: () => Promise<SharedEngine>,
  options: DjangoRaceOptions = {},
): void {
  describe(`Django ${VERSION} and Node writing one session at once (${label})`, () => {
    let engine: SharedEngine;
    let django: DjangoServer;
    let node: { url: string; close: () => Promise<void> };
    const hold = new Hold();
    const reported: unknown[] = [];
    before(async () => {
      engine = await open();
      await runDjango(VERSION, ["migrate"], { env: engine.env });
      django = await startDjangoServer(VERSION, engine.env);
      node = await listen(
        createServer(buildApp(engine.store, "merge", reported, { hold: hold.wait })),
      );
    });
    after(async () => {
      await node.close();
      await django.stop();
      await engine.close();
    });

    /** A session Node created (through `/login`), and its cookie header. */
    async function loggedIn(): Promise<{ key: string; cookie: string }> {
      const response = await fetch(`${node.url}/login`);
      const key = cookieValue(response);
      assert.ok(key);
      return { key, cookie: `sessionid=${key}` };
    }

    /** Django's `/set` of `names`, one request after another (two at once lose each other's). */
    async function djangoSets(key: string, cookie: string, names: readonly string[]) {
      for (const name of names) {
        const response = await fetch(`${django.url}/set?${name}=${name}`, { headers: { cookie } });
        assert.equal(response.status, 200);
        const body = (await response.json()) as { key: string };
        assert.equal(body.key, key, "Django updated the same session");
      }
    }

    const statuses = (responses: readonly Response[]) => responses.map((r) => r.status);

    it("Django's views write while 50 Node requests hold their loads: every key of both kept", async () => {
      for (let run = 0; run < 3; run++) {
        const { key, cookie } = await loggedIn();
        const loaded = hold.expect(50);
        const writes = addInParallel(node.url, key, `n${run}_`, 50);
        await loaded;
        const djangoKeys = Array.from({ length: 10 }, (_, i) => `dj${run}_${i}`);
        await djangoSets(key, cookie, djangoKeys);
        hold.release();
        const responses = await writes;
        assert.deepEqual(statuses(responses), Array<number>(50).fill(200));
        const data = await engine.store.load(key);
        assert.ok(data);
        for (const name of djangoKeys) assert.ok(data.has(name), `Django's ${name} was lost`);
        for (let i = 0; i < 50; i++) assert.ok(data.has(`n${run}_${i}`), `n${run}_${i} was lost`);
        assert.equal(data.get("user"), "alice");
      }
      assert.deepEqual(reported, []);
    });

    it("a Django logout while 20 Node requests hold their loads: every save refused, no cookie, the session stays deleted", async () => {
      for (let run = 0; run < 3; run++) {
        const { key, cookie } = await loggedIn();
        const loaded = hold.expect(20);
        const writes = addInParallel(node.url, key, `w${run}_`, 20);
        await loaded;
        const logout = await fetch(`${django.url}/flush`, { headers: { cookie } });
        assert.equal(logout.status, 200);
        hold.release();
        const responses = await writes;
        assert.deepEqual(statuses(responses), Array<number>(20).fill(400));
        assert.deepEqual(responses.map(cookieValue), Array<undefined>(20).fill(undefined));
        assert.equal(await engine.store.exists(key), false, "the flushed session stays deleted");
        assert.equal(reported.length, 20);
        reported.length = 0;
      }
    });

    if (options.freeRunning === false) return;

    it("keeps every key Django's views write while 50 Node requests write others", async () => {
      for (let run = 0; run < 3; run++) {
        const { key, cookie } = await loggedIn();
        const djangoKeys = Array.from({ length: 10 }, (_, i) => `fr${run}_${i}`);
        const [nodeResponses] = await Promise.all([
          addInParallel(node.url, key, `m${run}_`, 50),
          djangoSets(key, cookie, djangoKeys),
        ]);
        assert.deepEqual(statuses(nodeResponses), Array<number>(50).fill(200));
        const data = await engine.store.load(key);
        assert.ok(data);
        for (const name of djangoKeys) assert.ok(data.has(name), `Django's ${name} was lost`);
        assert.equal(data.get("user"), "alice");
        // What Django can still take from us (its blind save of a copy loaded before our write)
        // is documented; with Django's writes done, one more Node round keeps all its keys.
        const final = await addInParallel(node.url, key, `last${run}_`, 20);
        assert.deepEqual(statuses(final), Array<number>(20).fill(200));
        const after = await engine.store.load(key);
        assert.ok(after);
        for (let i = 0; i < 20; i++) assert.ok(after.has(`last${run}_${i}`));
        for (const name of djangoKeys) assert.ok(after.has(name));
      }
      assert.deepEqual(reported, []);
    });

    it("a Django logout racing Node writes stays a logout", async () => {
      for (let run = 0; run < 3; run++) {
        const { key, cookie } = await loggedIn();
        const [logout, writes] = await Promise.all([
          new Promise<Response>((resolve, reject) => {
            setImmediate(() => {
              fetch(`${django.url}/flush`, { headers: { cookie } }).then(resolve, reject);
            });
          }),
          addInParallel(node.url, key, `r${run}_`, 20),
        ]);
        assert.equal(logout.status, 200);
        assert.equal(await engine.store.exists(key), false, "the flushed session stays deleted");
        for (const response of writes) {
          assert.ok([200, 400].includes(response.status), `status ${response.status}`);
          const value = cookieValue(response);
          if (value !== undefined && value !== key) {
            const fresh = await engine.store.load(value);
            assert.ok(fresh);
            assert.equal(fresh.has("user"), false, "a new session is anonymous");
          }
        }
        reported.length = 0;
      }
    });
  });
}
