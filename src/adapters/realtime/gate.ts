/**
 * The real-time gate: authenticates WebSocket / socket.io / Hocuspocus handshakes with the
 * session cookie under the same rules as an HTTP request, and closes live connections when
 * their login ends. The library glue (`ws.ts`, `socketio.ts`, `hocuspocus.ts`) only moves
 * requests and sockets between a library and a gate.
 *
 * Handshake, in order, each step refusing with {@link HandshakeRefusedError}:
 * 1. Origin against the allow-list (no I/O);
 * 2. the session cookie: absent, or a key Django could not have made (Django's store:
 *    `sessionKeyPattern`), or a value that fails its signature (signed cookies, Flask) is
 *    refused with no store round trip;
 * 3. one store read (with the expiry, where the store has `inspect`): missing or expired → refused;
 * 4. the user under the framework's rules ({@link UserRule}): one user read.
 *
 * Read-only by default: the session a handshake opens never writes (Django's `get_user` would
 * flush a session with a stale hash; here the connection is refused and the row left alone).
 *
 * Revocation: each tracked connection is in the shared {@link ConnectionRegistry}. A gate
 * re-checks, every `recheckInterval` (1 s by default), every connected session in one batched
 * store read (`inspectMany`: one SQL query for 10,000 sessions, one pipeline of `GET`/`PTTL`
 * per Redis master) and every connected user in one batched user read (`getUsers`); watchers
 * (Redis keyspace notifications, PostgreSQL LISTEN/NOTIFY) replace the polling half they cover
 * and make closing immediate. A session whose cookie is its data (signed cookies, Flask's
 * cookie session) is never re-read: nothing on the server can change it; its expiry (a timer)
 * and its user (the batched user read) are what end it.
 *
 * @example
 * ```ts
 * const gate = createRealtimeGate({ store, djangoVersion: "5.2", users: djangoUsers({ users, secretKey, djangoVersion: "5.2" }) });
 * const handshake = await gate.authenticate(req); // throws HandshakeRefusedError
 * const untrack = gate.track(handshake, (reason) => ws.close(REVOKED_CLOSE_CODE, reason));
 * ws.on("close", untrack);
 * ```
 */
import type { IncomingMessage } from "node:http";
import { readCookie } from "../../codecs/werkzeug/cookies.ts";
import { HandshakeRefusedError } from "../../errors.ts";
import type { SessionData, SessionStore, StoredSession } from "../../stores/contract.ts";
import {
  resolveSessionSettings,
  type SessionSettings,
  type SessionSettingsInput,
} from "../../engine/config.ts";
import type { SessionPolicy } from "../../engine/policy.ts";
import { Session } from "../../engine/session.ts";
import { requireDjangoVersion, type DjangoPolicyOptions } from "../../django/policy.ts";
import { originChecker, type AllowedOrigins } from "./origin.ts";
import {
  liveConnections,
  type ConnectionRegistry,
  type LiveConnection,
  type RevocationReason,
} from "./registry.ts";
import type { SessionLogin, UserRule } from "./users.ts";
import { nodeHeaderReader } from "../shared-headers.ts";

/**
 * A source of revocation events that makes part of the polling unnecessary (see
 * `redisKeyspaceWatcher`, `postgresWatcher`).
 *
 * @example
 * ```ts
 * const watcher: RevocationWatcher = {
 *   sessions: true,
 *   users: false,
 *   async start(gate) { bus.on("logout", (key: string) => void gate.sessionChanged(key)); },
 *   async stop() {},
 * };
 * ```
 */
export interface RevocationWatcher {
  /** Whether it reports every session change (the gate then stops polling sessions). */
  readonly sessions: boolean;
  /** Whether it reports every user change (the gate then stops polling users). */
  readonly users: boolean;
  /** Subscribes; resolves once events flow. */
  start(gate: RealtimeGate<unknown>): Promise<void>;
  /** Unsubscribes and releases what it opened. */
  stop(): Promise<void>;
}

/** What a gate needs besides the session side (store or policy). */
export interface RealtimeOptions<U> {
  /** Whose login counts and how: {@link djangoUsers} or {@link flaskLoginUsers}. */
  readonly users: UserRule<U>;
  /** Origins allowed to connect; default the same origin only (see `origin.ts`). */
  readonly allowedOrigins?: AllowedOrigins;
  /** Let anonymous sessions (no user) connect; default `false`. A session is still required. */
  readonly allowAnonymous?: boolean;
  /**
   * Give the handshake a session that writes to the store (`handshake.session.save()`);
   * default `false`: it never writes.
   */
  readonly writable?: boolean;
  /** The registry; default the process's shared {@link liveConnections}. */
  readonly registry?: ConnectionRegistry;
  /** Milliseconds between batched re-checks, default 1000; `0` turns polling off. */
  readonly recheckInterval?: number;
  /**
   * Keys a Django store can hold, checked before any store read; default `/^[a-z0-9]{8,40}$/`
   * (Django makes 32 characters of `[a-z0-9]`; its column holds 40). Not applied to stores
   * whose key is the data (signed cookies) nor with `policy`.
   */
  readonly sessionKeyPattern?: RegExp;
  /** Re-check and watcher failures (store outage); default one line on stderr. */
  readonly onError?: (error: unknown) => void;
  /** Watchers started with the gate: `redisKeyspaceWatcher`, `postgresWatcher`. */
  readonly watchers?: readonly RevocationWatcher[];
}

/**
 * Options of {@link createRealtimeGate}: Django's store and session settings (`cookieName`…),
 * or `{ policy }` for Flask's or Starlette's cookie, plus {@link RealtimeOptions}.
 *
 * @example
 * ```ts
 * const options: RealtimeGateOptions<User> = { store, users: djangoUsers(config) };
 * ```
 */
export type RealtimeGateOptions<U> = (DjangoPolicyOptions | { readonly policy: SessionPolicy }) &
  RealtimeOptions<U>;

/**
 * An authenticated handshake.
 *
 * @example
 * ```ts
 * const { user, sessionKey } = await gate.authenticate(req);
 * ```
 */
export interface Handshake<U> {
  /** The session key the cookie carried. */
  readonly sessionKey: string;
  /** The session, read-only unless the gate is `writable`. */
  readonly session: Session;
  /** The user, or `null` for an anonymous session (with `allowAnonymous`). */
  readonly user: U | null;
  /** The login as the session data records it (`null`: anonymous). */
  readonly login: SessionLogin | null;
  /** When the session expires, where the store tells (`inspect`). */
  readonly expireDate: Date | null;
}

/** Gate options that are not Django session settings. */
const NOT_SETTINGS = new Set([
  "store",
  "now",
  "users",
  "allowedOrigins",
  "allowAnonymous",
  "writable",
  "registry",
  "recheckInterval",
  "sessionKeyPattern",
  "onError",
  "watchers",
]);

const DEFAULT_KEY_PATTERN = /^[a-z0-9]{8,40}$/;
/** Keys read in parallel per round when the store has no `inspectMany`. */
const PARALLEL_READS = 64;
/** Longest timer Node accepts (about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

interface Tracked extends LiveConnection {
  proof: string | null;
}

/**
 * See the module documentation.
 *
 * @typeParam U - the user object of the {@link UserRule}.
 * @example
 * ```ts
 * const gate = new RealtimeGate({ store, users: djangoUsers(config) });
 * ```
 */
export class RealtimeGate<U> {
  readonly #rule: UserRule<U>;
  readonly #registry: ConnectionRegistry;
  readonly #origin: (request: IncomingMessage) => boolean;
  readonly #allowAnonymous: boolean;
  readonly #writable: boolean;
  readonly #interval: number;
  readonly #keyPattern: RegExp | undefined;
  readonly #onError: (error: unknown) => void;
  readonly #policy: SessionPolicy | undefined;
  readonly #settings: SessionSettings | undefined;
  readonly #now: () => number;
  readonly #watchers: RevocationWatcher[] = [];
  #store: SessionStore | undefined;
  #count = 0;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #started: Promise<void> | undefined;
  readonly #expiries = new Map<string, number>();
  #expiryTimer: NodeJS.Timeout | undefined;
  #expiryAt = Infinity;
  #closed = false;

  constructor(options: RealtimeGateOptions<U>) {
    this.#rule = options.users;
    this.#registry = options.registry ?? liveConnections;
    this.#origin = originChecker(options.allowedOrigins);
    this.#allowAnonymous = options.allowAnonymous ?? false;
    this.#writable = options.writable ?? false;
    this.#interval = options.recheckInterval ?? 1000;
    this.#onError =
      options.onError ??
      ((error: unknown) => {
        console.error(
          `sessionbridge realtime: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
    if ("policy" in options) {
      this.#policy = options.policy;
      // Flask-Session's store; a cookie session's own store is taken from the first handshake.
      this.#store = options.policy.store;
      this.#settings = undefined;
      this.#keyPattern = options.sessionKeyPattern;
      this.#now = Date.now;
    } else {
      const { store, now, sessionKeyPattern } = options;
      const settings = Object.fromEntries(
        Object.entries(options).filter(([name]) => !NOT_SETTINGS.has(name)),
      ) as SessionSettingsInput;
      requireDjangoVersion(options.djangoVersion);
      this.#store = store;
      this.#settings = resolveSessionSettings(settings);
      this.#keyPattern =
        store.encodeKey === undefined ? (sessionKeyPattern ?? DEFAULT_KEY_PATTERN) : undefined;
      this.#now = now ?? Date.now;
    }
    for (const watcher of options.watchers ?? []) this.#watchers.push(watcher);
  }

  /** The registry this gate tracks connections in. */
  get registry(): ConnectionRegistry {
    return this.#registry;
  }

  /** How many connections this gate tracks. */
  get size(): number {
    return this.#count;
  }

  /**
   * Starts the watchers (once; later calls return the same promise). `track` starts them too;
   * call it at startup to learn early about a misconfiguration (Redis notifications off).
   */
  start(): Promise<void> {
    this.#started ??= Promise.all(this.#watchers.map((w) => w.start(this))).then(() => undefined);
    return this.#started;
  }

  /**
   * Authenticates an upgrade (or socket.io handshake) request.
   * @throws {HandshakeRefusedError} `origin`, `no-session` or `anonymous`.
   * @throws {SessionStoreError} when the store cannot answer.
   */
  async authenticate(request: IncomingMessage): Promise<Handshake<U>> {
    if (!this.#origin(request)) throw new HandshakeRefusedError("origin");
    const cookieHeader = request.headers.cookie;
    let session: Session;
    let key: string;
    let expireDate: Date | null = null;
    let data: SessionData;
    if (this.#policy !== undefined) {
      session = this.#policy.open(cookieHeader, nodeHeaderReader(request.headers)).session;
      const k = session.key;
      if (k === null || (this.#keyPattern !== undefined && !this.#keyPattern.test(k))) {
        throw new HandshakeRefusedError("no-session");
      }
      key = k;
      this.#store ??= session.store;
      data = await session.toMap();
      if (session.key === null) throw new HandshakeRefusedError("no-session");
    } else {
      const store = this.#store!;
      const settings = this.#settings!;
      const k = readCookie(cookieHeader, settings.cookieName, "last");
      if (k === undefined || k.length < 8 || (this.#keyPattern && !this.#keyPattern.test(k))) {
        throw new HandshakeRefusedError("no-session");
      }
      key = k;
      const record = await readSession(store, key);
      if (
        record === null ||
        record.data === null ||
        (record.expireDate !== null && record.expireDate.getTime() <= this.#now())
      ) {
        throw new HandshakeRefusedError("no-session");
      }
      data = record.data;
      expireDate = record.expireDate;
      session = this.#writable
        ? new Session(store, key, settings, this.#now)
        : new Session(readOnlyStore(store, key, data), key, settings, this.#now);
    }
    const user = await this.#rule.identify(session, request);
    if (user === null && !this.#allowAnonymous) throw new HandshakeRefusedError("anonymous");
    return {
      sessionKey: key,
      session,
      user,
      login: user === null ? null : this.#rule.loginOf(data),
      expireDate,
    };
  }

  /**
   * Registers a connection: `close` is called once with the reason when its login ends. Returns
   * the function to call when the socket closes (removes it; nothing is kept after).
   */
  track(handshake: Handshake<U>, close: (reason: RevocationReason) => void): () => void {
    const connection: Tracked = {
      sessionKey: handshake.sessionKey,
      userId: handshake.login?.userId ?? null,
      proof: handshake.login?.proof ?? null,
      owner: this,
      close: (reason) => {
        this.#forget();
        close(reason);
      },
    };
    this.#registry.add(connection);
    this.#count++;
    if (handshake.expireDate !== null) {
      this.#expireAt(handshake.sessionKey, handshake.expireDate.getTime());
    }
    if (this.#timer === undefined && this.#interval > 0 && !this.#closed) {
      this.#timer = setInterval(() => void this.recheck(), this.#interval);
      this.#timer.unref();
    }
    this.start().catch(this.#onError);
    return () => {
      if (this.#registry.remove(connection)) this.#forget();
    };
  }

  #forget(): void {
    this.#count--;
    if (this.#count === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      clearTimeout(this.#expiryTimer);
      this.#expiryTimer = undefined;
      this.#expiryAt = Infinity;
      this.#expiries.clear();
    }
  }

  #mine(connections: LiveConnection[]): Tracked[] {
    return connections.filter((c): c is Tracked => c.owner === this);
  }

  /**
   * One batched re-check of what no watcher covers: every connected session (one store read)
   * and every connected user (one user read). Runs by itself every `recheckInterval`; a call
   * while one is running waits for it.
   */
  recheck(): Promise<void> {
    this.#running ??= this.#recheck().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #recheck(): Promise<void> {
    // A session whose cookie is its data (signed cookies, Flask's cookie session) never changes
    // on the server: only its expiry (the expiry timer) and its user (below) can end it.
    const immutable = this.#store?.encodeKey !== undefined;
    const pollSessions = !immutable && !this.#watchers.some((w) => w.sessions);
    const pollUsers = !this.#watchers.some((w) => w.users);
    try {
      if (pollSessions) await this.checkSessions(this.#registry.sessionKeys(this));
      if (pollUsers) await this.checkUsers(this.#registry.userIds(this));
    } catch (error) {
      this.#onError(error);
    }
  }

  /**
   * Re-reads these sessions (one batch) and closes the connections whose login ended; the
   * users of sessions whose login proof changed are re-checked too. Watchers call it.
   */
  checkSessions(keys: readonly string[]): Promise<void> {
    return this.#checkSessions(keys, undefined);
  }

  /** `due`: keys whose known expiry has passed (a missing session then ended by expiring). */
  async #checkSessions(
    keys: readonly string[],
    due: ReadonlySet<string> | undefined,
  ): Promise<void> {
    const store = this.#store;
    if (keys.length === 0 || store === undefined) return;
    const records = await readSessions(store, keys);
    const now = this.#now();
    const users = new Set<string>();
    for (const key of keys) {
      const connections = this.#mine(this.#registry.ofSession(key));
      if (connections.length === 0) continue;
      const record = records.get(key) ?? null;
      let reason: RevocationReason | null = null;
      let login: SessionLogin | null = null;
      if (record === null || record.data === null)
        reason = due?.has(key) === true ? "session-expired" : "session-ended";
      else if (record.expireDate !== null && record.expireDate.getTime() <= now)
        reason = "session-expired";
      else {
        login = this.#rule.loginOf(record.data);
        if (record.expireDate !== null) this.#expireAt(key, record.expireDate.getTime());
      }
      for (const c of connections) {
        if (reason !== null) this.#registry.close(c, reason);
        else if (c.userId !== null && login?.userId !== c.userId)
          this.#registry.close(c, "logged-out");
        else if (c.userId !== null && login !== null && login.proof !== c.proof) {
          // Django's update_session_auth_hash on this session: the new proof is what counts.
          c.proof = login.proof;
          users.add(c.userId);
        }
      }
    }
    if (users.size > 0) await this.checkUsers([...users]);
  }

  /** Re-reads these users (one batch) and closes the connections whose login no longer holds. */
  async checkUsers(userIds: readonly string[]): Promise<void> {
    if (userIds.length === 0) return;
    const check = await this.#rule.recheck(userIds);
    for (const id of userIds) {
      for (const c of this.#mine(this.#registry.ofUser(id))) {
        const reason = await check(id, c.proof);
        if (reason !== null) this.#registry.close(c, reason);
      }
    }
  }

  /** A watcher saw a session change: re-check it. */
  sessionChanged(key: string): Promise<void> {
    // Most writes are to sessions with no socket here: they cost no read.
    if (this.#mine(this.#registry.ofSession(key)).length === 0) return Promise.resolve();
    return this.checkSessions([key]).catch(this.#onError);
  }

  /** A watcher saw a session vanish (deleted, expired): close its connections at once. */
  sessionGone(key: string, reason: RevocationReason): void {
    for (const c of this.#mine(this.#registry.ofSession(key))) this.#registry.close(c, reason);
  }

  /** A watcher saw a user change (password, activity): re-check that user's connections. */
  userChanged(userId: string): Promise<void> {
    if (this.#mine(this.#registry.ofUser(userId)).length === 0) return Promise.resolve();
    return this.checkUsers([userId]).catch(this.#onError);
  }

  /** Remembers a session's expiry and keeps one timer on the earliest. */
  #expireAt(key: string, at: number): void {
    this.#expiries.set(key, at);
    this.#schedule(at);
  }

  #schedule(at: number): void {
    if (at >= this.#expiryAt || this.#closed) return;
    this.#expiryAt = at;
    clearTimeout(this.#expiryTimer);
    this.#expiryTimer = setTimeout(
      () => {
        this.#expiryTimer = undefined;
        this.#expiryAt = Infinity;
        void this.#expire();
      },
      Math.min(Math.max(0, at - this.#now()) + 5, MAX_TIMER_MS),
    );
    this.#expiryTimer.unref();
  }

  async #expire(): Promise<void> {
    const now = this.#now();
    const due: string[] = [];
    let next = Infinity;
    for (const [key, at] of this.#expiries) {
      if (this.#registry.ofSession(key).length === 0) this.#expiries.delete(key);
      else if (at <= now) {
        due.push(key);
        this.#expiries.delete(key);
      } else next = Math.min(next, at);
    }
    if (next !== Infinity) this.#schedule(next);
    // Re-read rather than close: the session may have been extended meanwhile.
    if (due.length > 0) await this.#checkSessions(due, new Set(due)).catch(this.#onError);
  }

  /**
   * Stops polling and the watchers. Tracked connections stay open and tracked (close them
   * with the registry if the server is going down).
   */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    clearTimeout(this.#expiryTimer);
    this.#expiryTimer = undefined;
    await Promise.all(this.#watchers.map((w) => w.stop()));
  }
}

/**
 * Creates a {@link RealtimeGate}.
 *
 * @example
 * ```ts
 * import { createRealtimeGate, djangoUsers } from "sessionbridge/realtime";
 * const gate = createRealtimeGate({
 *   store,
 *   djangoVersion: "5.2",
 *   users: djangoUsers({ users, secretKey, djangoVersion: "5.2" }),
 *   allowedOrigins: ["https://app.example.com"],
 * });
 * ```
 */
export function createRealtimeGate<U>(options: RealtimeGateOptions<U>): RealtimeGate<U> {
  return new RealtimeGate(options);
}

async function readSession(store: SessionStore, key: string): Promise<StoredSession | null> {
  if (store.inspect) return store.inspect(key);
  const data = await store.load(key);
  return data === null ? null : { key, data, expireDate: null };
}

async function readSessions(
  store: SessionStore,
  keys: readonly string[],
): Promise<Map<string, StoredSession | null>> {
  if (store.inspectMany) return store.inspectMany(keys);
  const found = new Map<string, StoredSession | null>();
  for (let start = 0; start < keys.length; start += PARALLEL_READS) {
    await Promise.all(
      keys.slice(start, start + PARALLEL_READS).map(async (key) => {
        found.set(key, await readSession(store, key));
      }),
    );
  }
  return found;
}

/** The store as a handshake's session sees it: `key` already read, and no writes. */
function readOnlyStore(store: SessionStore, key: string, data: SessionData): SessionStore {
  return {
    name: store.name,
    load: (k) => (k === key ? Promise.resolve(new Map(data)) : store.load(k)),
    exists: (k) => store.exists(k),
    save: () => Promise.resolve(),
    delete: () => Promise.resolve(),
    clearExpired: () => Promise.resolve(0),
  };
}
