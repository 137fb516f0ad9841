// The interop scenario every Django session engine test shares (db, file, cached_db,
// signed_cookies): typed peer.py calls, the engine under test (our store plus Django's settings
// for one Django version), a node:http app on our store next to Django's real SessionMiddleware,
// and the tests that read the same on every engine. Each *-engine.test.ts builds its store and
// its Django settings and states only what differs.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import { getSession, withSessions } from "../../../src/adapters/node/index.ts";
import type { PyValue, SessionData } from "../../../src/codecs/python-values.ts";
import { sessionFromTypedJson, toTypedJson } from "../../../src/codecs/typed-json.ts";
import { resolveSessionSettings, type SessionSettings } from "../../../src/engine/config.ts";
import { Session } from "../../../src/engine/session.ts";
import type { SessionStore } from "../../../src/stores/contract.ts";
import { CookieJar, listen } from "../../support/http.ts";
import { runDjango, startDjangoServer, type DjangoServer, type DjangoVersion } from "./peer.ts";

/** Django's default SESSION_COOKIE_AGE (two weeks), in seconds. */
export const SESSION_COOKIE_AGE = 1_209_600;

/** What `peer.py create` prints. */
export interface CreateResult {
  readonly key: string;
  readonly expiry_age: number;
  readonly expire_date: string;
}

/** What `peer.py load` prints. */
export interface LoadResult {
  readonly exists: boolean;
  readonly data: Record<string, unknown>;
  readonly key_after_load: string | null;
  readonly expiry_age: number;
  readonly expire_date: string;
  readonly expire_at_browser_close: boolean;
}

/** The session both sides write, unless an engine brings its own. */
export const SAMPLE = {
  user: "zoë 😀",
  n: 42,
  nested: { list: [1, "two", null, true] },
} satisfies Record<string, PyValue>;

/** `entries` (default {@link SAMPLE}) as session data, in their insertion order. */
export function sample(entries: Record<string, PyValue> = SAMPLE): SessionData {
  return new Map(Object.entries(entries));
}

/** One engine under test: built in `before`, released in `after`. */
export interface EngineSetup<S extends SessionStore> {
  /** The peer's Django settings (SECRET_KEY, SESSION_ENGINE, DJANGO_DB, …) as its environment. */
  readonly env: Record<string, string>;
  readonly store: S;
  /** Releases what the setup made. */
  readonly close?: () => Promise<void> | void;
}

export interface CreateOptions {
  /** `set_expiry(expiry)` before saving. */
  readonly expiry?: number;
  /** Other Django settings than the engine's. */
  readonly env?: Record<string, string>;
}

/** Our store and Django's settings for one Django version, with typed peer.py calls. */
export interface DjangoEngine<S extends SessionStore> {
  readonly version: DjangoVersion;
  readonly settings: SessionSettings;
  readonly env: Record<string, string>;
  readonly store: S;
  /** Our session on the engine's store (`now` is its clock). */
  session(key?: string | null, now?: () => number): Session;
  /** Django's `create`: a new session holding the JSON object `input`. */
  create(input: string, options?: CreateOptions): Promise<CreateResult>;
  /** Django's `load` of `key` (with the engine's settings unless `env` is given). */
  load(key: string, env?: Record<string, string>): Promise<LoadResult>;
}

/** Registers `before`/`after` hooks in the current suite that build and release the engine. */
export function djangoEngine<S extends SessionStore>(
  version: DjangoVersion,
  setup: () => EngineSetup<S> | Promise<EngineSetup<S>>,
): DjangoEngine<S> {
  const settings = resolveSessionSettings({ djangoVersion: version });
  let current: EngineSetup<S> | undefined;
  const ready = (): EngineSetup<S> => {
    if (current === undefined) throw new Error("the engine is only set up once before() ran");
    return current;
  };
  before(async () => {
    current = await setup();
  });
  after(async () => {
    await current?.close?.();
  });
  return {
    version,
    settings,
    get env() {
      return ready().env;
    },
    get store() {
      return ready().store;
    },
    session: (key = null, now) => new Session(ready().store, key, settings, now),
    create: async (input, options = {}) => {
      const args = options.expiry === undefined ? [] : ["--expiry", String(options.expiry)];
      const env = options.env ?? ready().env;
      return (await runDjango(version, ["create", ...args], { env, input })) as CreateResult;
    },
    load: async (key, env = ready().env) =>
      (await runDjango(version, ["load", key], { env })) as LoadResult,
  };
}

export type NodeApp = Awaited<ReturnType<typeof listen>>;

/** A node:http app on `store`: /read, /bump (count + 1), /cycle, /flush; answers {data, key}. */
export function startNodeApp(store: SessionStore, version: DjangoVersion): Promise<NodeApp> {
  return listen(
    createServer(
      withSessions({ store, djangoVersion: version }, async (req, res) => {
        const session = getSession(req);
        if (req.url?.startsWith("/bump")) {
          const count = Number((await session.get("count")) ?? 0) + 1;
          await session.set("count", String(count));
        } else if (req.url?.startsWith("/cycle")) {
          await session.cycleKey();
        } else if (req.url?.startsWith("/flush")) {
          await session.flush();
        }
        res.setHeader("Content-Type", "application/json");
        res.end(JSON.stringify({ data: toTypedJson(await session.toMap()), key: session.key }));
      }),
    ),
  );
}

/** The body both apps answer with: the session's data (typed JSON) and its key. */
export interface SessionDoc {
  readonly data: Record<string, unknown>;
  readonly key: string | null;
}

/** GETs `url` with `jar`'s cookies and parses the session it answers with. */
export async function fetchSession(jar: CookieJar, url: string): Promise<SessionDoc> {
  return (await (await jar.fetch(url)).json()) as SessionDoc;
}

/** Django's server and our app, both on the engine's sessions. */
export interface HttpPeers<S extends SessionStore> {
  readonly engine: DjangoEngine<S>;
  readonly django: DjangoServer;
  readonly node: NodeApp;
}

/**
 * The suite "through Django's real SessionMiddleware over HTTP": Django's server and our app
 * on `engine` run while `body`'s tests do.
 */
export function overHttp<S extends SessionStore>(
  engine: DjangoEngine<S>,
  body: (peers: HttpPeers<S>) => void,
): void {
  describe("through Django's real SessionMiddleware over HTTP", () => {
    let servers: { django: DjangoServer; node: NodeApp } | undefined;
    const running = (): { django: DjangoServer; node: NodeApp } => {
      if (servers === undefined) throw new Error("the servers only run once before() ran");
      return servers;
    };
    before(async () => {
      const django = await startDjangoServer(engine.version, engine.env);
      servers = { django, node: await startNodeApp(engine.store, engine.version) };
    });
    after(async () => {
      await servers?.django.stop();
      await servers?.node.close();
    });
    body({
      engine,
      get django() {
        return running().django;
      },
      get node() {
        return running().node;
      },
    });
  });
}

/** How an engine's data is compared (default: typed JSON, so 1.0 and 1 differ). */
type Normalise = (data: SessionData) => unknown;

export interface ReadWriteOptions {
  /** What the session is called in the test name ("session file"). */
  readonly noun?: string;
  readonly entries?: Record<string, PyValue>;
  readonly normalise?: Normalise;
}

/** Django creates a session; we load the same data with the same expiry age. */
export function itReadsWhatDjangoCreated<S extends SessionStore>(
  engine: DjangoEngine<S>,
  options: ReadWriteOptions & {
    /** The engine's own checks of what Django created. */
    /**
     * `startedAt` is `Date.now()` taken before Django created the session, so a time Django or
     * we computed since lies between it and a `Date.now()` taken after.
     */
    readonly verify?: (
      created: CreateResult,
      data: SessionData,
      ours: Session,
      startedAt: number,
    ) => Promise<void> | void;
  } = {},
): void {
  const { noun = "session", entries = SAMPLE, normalise = toTypedJson, verify } = options;
  it(`reads a ${noun} Django created, with the same expiry`, async () => {
    const startedAt = Date.now();
    const created = await engine.create(JSON.stringify(toTypedJson(sample(entries))));
    const data = await engine.store.load(created.key);
    assert.ok(data, "session not found");
    assert.deepEqual(normalise(data), normalise(sample(entries)));
    const ours = engine.session(created.key);
    assert.equal(await ours.getExpiryAge(), created.expiry_age);
    await verify?.(created, data, ours, startedAt);
  });
}

/** We write a session with a 300 s expiry; Django loads the same data and expiry. */
export function itWritesWhatDjangoReads<S extends SessionStore>(
  engine: DjangoEngine<S>,
  options: ReadWriteOptions & {
    /**
     * The engine's own checks of what we wrote; `startedAt` is `Date.now()` taken before the
     * session was made, so a time the save wrote lies between it and a `Date.now()` taken after.
     */
    readonly verify?: (ours: Session, startedAt: number) => Promise<void> | void;
  } = {},
): void {
  const { noun = "session", entries = SAMPLE, normalise = toTypedJson, verify } = options;
  it(`writes a ${noun} Django reads, with a custom expiry it agrees with`, async () => {
    const startedAt = Date.now();
    const ours = engine.session();
    await ours.update(entries);
    await ours.setExpiry(300);
    await ours.save();
    const loaded = await engine.load(ours.key!);
    assert.equal(loaded.exists, true);
    assert.equal(loaded.key_after_load, ours.key);
    assert.deepEqual(normalise(sessionFromTypedJson(loaded.data)), normalise(await ours.toMap()));
    assert.equal(loaded.expiry_age, 300);
    assert.equal(loaded.expire_at_browser_close, false);
    await verify?.(ours, startedAt);
  });
}

/** set_expiry(0) on either side is a browser-close session for the other. */
export function itAgreesOnBrowserClose<S extends SessionStore>(engine: DjangoEngine<S>): void {
  it("agrees on browser-close sessions (set_expiry(0)) both ways", async () => {
    const created = await engine.create('{"a": 1}', { expiry: 0 });
    const theirs = engine.session(created.key);
    assert.equal(await theirs.getExpireAtBrowserClose(), true);
    assert.equal(await theirs.get("a"), 1);
    const ours = engine.session();
    await ours.set("a", 1);
    await ours.setExpiry(0);
    await ours.save();
    const loaded = await engine.load(ours.key!);
    assert.equal(loaded.key_after_load, ours.key);
    assert.equal(loaded.expire_at_browser_close, true);
    assert.equal(loaded.expiry_age, SESSION_COOKIE_AGE);
  });
}

/**
 * Django's SessionMiddleware sets the cookie, our app reads and updates the session under the
 * same key, and Django sees the update; `verify` checks the engine's storage under that key.
 */
export function itSharesOneCookie<S extends SessionStore>(
  peers: HttpPeers<S>,
  verify?: (key: string) => Promise<void> | void,
): void {
  it("shares one cookie: Django sets, Node reads and writes, Django sees it", async () => {
    const jar = new CookieJar();
    assert.equal((await jar.fetch(`${peers.django.url}/set?user=alice&count=1`)).status, 200);
    const key = jar.cookies.get("sessionid");
    assert.match(key ?? "", /^[a-z0-9]{32}$/);
    const read = await fetchSession(jar, `${peers.node.url}/read`);
    assert.deepEqual(read.data, { user: "alice", count: "1" });
    assert.equal(read.key, key);
    const bumped = await fetchSession(jar, `${peers.node.url}/bump`);
    assert.deepEqual(bumped.data, { user: "alice", count: "2" });
    assert.equal(jar.cookies.get("sessionid"), key, "same key kept on update");
    const back = await fetchSession(jar, `${peers.django.url}/get`);
    assert.deepEqual(back.data, { user: "alice", count: "2" });
    await verify?.(key!);
  });
}

/**
 * Our app creates a session and cycles its key, Django follows the new key, and Django's flush
 * removes it: `flushes` says what that removes, `assertGone` checks it is gone from storage.
 */
export function itFollowsCycleAndFlush<S extends SessionStore>(
  peers: HttpPeers<S>,
  flushes: string,
  assertGone: (key: string, what: string) => Promise<void> | void,
): void {
  it(`Node creates and cycles, Django follows; Django's flush ${flushes}`, async () => {
    const jar = new CookieJar();
    await jar.fetch(`${peers.node.url}/bump`);
    const first = jar.cookies.get("sessionid")!;
    await jar.fetch(`${peers.node.url}/cycle`);
    const second = jar.cookies.get("sessionid")!;
    assert.notEqual(second, first);
    await assertGone(first, "the old key, after cycle_key");
    const seen = await fetchSession(jar, `${peers.django.url}/get`);
    assert.deepEqual(seen.data, { count: "1" });
    assert.equal(seen.key, second);
    await jar.fetch(`${peers.django.url}/flush`);
    await assertGone(second, "the new key, after Django's flush");
    assert.equal(jar.cookies.has("sessionid"), false);
    assert.equal(await peers.engine.store.load(second), null);
  });
}
