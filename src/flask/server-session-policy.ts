/**
 * Flask-Session's `save_session`/`open_session` cookie rules as a {@link SessionPolicy}
 * (real code read: Flask-Session 0.3.2 `sessions.py` RedisSessionInterface; 0.8.0 `base.py`
 * ServerSideSessionInterface + `redis/redis.py`).
 */
import { randomUUID, randomBytes } from "#runtime";
import type { Secret } from "../codecs/itsdangerous/encoding.ts";
import { flaskSessionIdSigner } from "../codecs/flask/flask-session.ts";
import type { PyValue, SessionData } from "../codecs/python-values.ts";
import { resolveSessionSettings, type ConcurrentWrites } from "../engine/config.ts";
import type { SessionResponseHeaders } from "../engine/http.ts";
import type { SessionPolicy } from "../engine/policy.ts";
import { Session, type SessionShape } from "../engine/session.ts";
import { versionOption } from "../internal/version-option.ts";
import {
  ConfigurationError,
  InvalidArgumentError,
  MalformedError,
  SessionMissingError,
  SessionStoreError,
} from "../errors.ts";
import { NOTHING, VARY_ONLY } from "../engine/cookie-session.ts";
import {
  deleteWerkzeugCookie,
  dumpWerkzeugCookie,
  pyTruthy,
  readCookie,
  type WerkzeugSameSite,
} from "../codecs/werkzeug/cookies.ts";
import type { SessionExpiry, SessionStore } from "../stores/contract.ts";

/** Which Flask-Session's rules: `"0.3"` (0.3.x–0.5.x) or `"0.8"` (0.7.x–0.8.x). */
export type FlaskSessionVersion = "0.3" | "0.8";

/** Options of {@link flaskSessionServerPolicy}, named after Flask / Flask-Session config. */
export interface FlaskSessionPolicyOptions {
  /** Where sessions live, e.g. a `FlaskSessionRedisStore`. */
  readonly store: SessionStore;
  /** Which Flask-Session to imitate, required: `"0.3"` or `"0.8"`. */
  readonly flaskSessionVersion?: FlaskSessionVersion | undefined;
  /** @deprecated The former name of `flaskSessionVersion`. */
  readonly version?: FlaskSessionVersion | undefined;
  /** `SECRET_KEY`: required with `useSigner`. */
  readonly secretKey?: Secret | undefined;
  /** `SESSION_USE_SIGNER`, default `false`. */
  readonly useSigner?: boolean | undefined;
  /** `SESSION_PERMANENT`, default `true`: new sessions hold `_permanent: True`. */
  readonly permanent?: boolean | undefined;
  /** `PERMANENT_SESSION_LIFETIME` in whole seconds (Redis TTL and cookie Expires), default 31 days. */
  readonly permanentSessionLifetime?: number | undefined;
  /** `SESSION_REFRESH_EACH_REQUEST` (0.8 only), default `true`. */
  readonly refreshEachRequest?: boolean | undefined;
  /** `SESSION_ID_LENGTH` (0.8, bytes of `token_urlsafe`), default 32. */
  readonly sidLength?: number | undefined;
  readonly cookieName?: string | undefined;
  readonly cookieDomain?: string | undefined;
  readonly cookiePath?: string | undefined;
  readonly cookieHttpOnly?: boolean | undefined;
  readonly cookieSecure?: boolean | undefined;
  /** `SESSION_COOKIE_SAMESITE` (written by 0.8 only; 0.3 never writes SameSite). */
  readonly cookieSameSite?: WerkzeugSameSite | undefined;
  /** Clock in milliseconds, for tests. */
  readonly now?: (() => number) | undefined;
  /**
   * `"merge"` (default): with a store that has `loadVersioned`/`saveIfUnchanged` (the
   * `FlaskSessionRedisStore`), a save is a compare-and-set that, when another request (Node or
   * Flask) wrote the session meanwhile, reloads it and applies only this request's own changes
   * on top, so neither side's writes to other keys are lost to ours, and a session deleted
   * meanwhile is never written back (`SessionMissingError`, 400). `"overwrite"`:
   * Flask-Session's blind `SET`. See `SessionSettings.concurrentWrites`.
   */
  readonly concurrentWrites?: ConcurrentWrites | undefined;
}

/** Conflicts one save retries before giving up (as `Session.save`: a bound, not a budget). */
const MAX_MERGE_ATTEMPTS = 200;

interface RequestState {
  sid: string;
  /** No stored session behind `sid` (new, or unknown and regenerated/reused). */
  fresh: boolean;
  /** The store's answer, once asked. */
  loaded?: SessionData;
  /** The stored version `loaded` came from (compare-and-set stores, when merging). */
  version?: string;
  /**
   * The sid names a stored value that cannot be decoded here (a pickled application class, a
   * foreign format): the request sees an empty session and nothing is ever written over it.
   */
  undecodable?: boolean;
}

/**
 * Flask-Session (server-side, Redis) for the node, Express and Hono adapters.
 *
 * Session ids: `session.key` is the sid the request came with; the policy writes under the sid
 * Flask-Session would use (a new one for unknown sids in 0.8). `session.cycleKey()` moves the
 * data to a new sid (Flask-Session 0.8 `regenerate`).
 *
 * @example
 * ```ts
 * const policy = flaskSessionServerPolicy({
 *   store,
 *   flaskSessionVersion: "0.3",
 *   useSigner: true,
 *   secretKey,
 * });
 * ```
 */
export function flaskSessionServerPolicy<T extends SessionShape = SessionShape>(
  options: FlaskSessionPolicyOptions,
): SessionPolicy<T> {
  const { store } = options;
  const version = versionOption<FlaskSessionVersion>({
    name: "flaskSessionVersion",
    value: options.flaskSessionVersion,
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the alias is read here, once
    alias: { name: "version", value: options.version },
    allowed: ["0.3", "0.8"],
  });
  const v08 = version === "0.8";
  const useSigner = options.useSigner ?? false;
  if (useSigner && (options.secretKey === undefined || options.secretKey.length === 0)) {
    throw new ConfigurationError("SECRET_KEY must be set when SESSION_USE_SIGNER=True");
  }
  const signer = useSigner ? flaskSessionIdSigner(options.secretKey!) : undefined;
  const permanentDefault = options.permanent ?? true;
  const lifetime = options.permanentSessionLifetime ?? 2_678_400;
  if (!Number.isInteger(lifetime) || lifetime <= 0) {
    throw new ConfigurationError(
      "permanentSessionLifetime must be a positive whole number of seconds",
    );
  }
  const refresh = options.refreshEachRequest ?? true;
  const sidLength = options.sidLength ?? 32;
  const now = options.now ?? Date.now;
  const name = options.cookieName ?? "session";
  const attributes = {
    domain: options.cookieDomain,
    path: options.cookiePath ?? "/",
  };
  const settings = resolveSessionSettings({
    cookieName: name,
    cookieAge: lifetime,
    ...(options.concurrentWrites === undefined
      ? {}
      : { concurrentWrites: options.concurrentWrites }),
  });
  const merges =
    settings.concurrentWrites === "merge" &&
    store.loadVersioned !== undefined &&
    store.saveIfUnchanged !== undefined;
  const newSid = (): string => (v08 ? randomBytes(sidLength).toString("base64url") : randomUUID());
  const initial = (): SessionData =>
    permanentDefault
      ? new Map<string, PyValue>([["_permanent", true]])
      : new Map<string, PyValue>();
  const states = new WeakMap<object, RequestState>();

  const loadState = async (state: RequestState): Promise<SessionData> => {
    if (state.loaded) return state.loaded;
    let data: SessionData | null = null;
    if (!state.fresh && merges) {
      const loaded = await store.loadVersioned!(state.sid);
      data = loaded?.data ?? null;
      if (loaded) state.version = loaded.version;
    } else if (!state.fresh) {
      data = await store.load(state.sid);
    }
    if (data === null && !state.fresh && (await store.exists(state.sid))) {
      // Present but undecodable (the store reported why): Flask still reads it, so saving the
      // fresh `{_permanent: True}` under this sid, or deleting it, would log the user out of
      // Flask and lose their data. Read as empty and never write (issue 18 #13). Empty, not
      // `{_permanent: True}`: nothing of it is known here, and a key that is not there would
      // make Flask-Login's session protection (no `_id` to compare) mark it not fresh, a write.
      state.undecodable = true;
      state.loaded = new Map();
      return state.loaded;
    }
    if (data === null) {
      // 0.8: an unknown sid is replaced (no fixation); 0.3 keeps using it.
      if (v08 && !state.fresh) state.sid = newSid();
      state.fresh = true;
      data = initial();
    }
    state.loaded = data;
    return data;
  };

  /** 0.8's clear() keeps `_permanent`, and new sessions start with it. */
  const withPermanent = (data: SessionData): SessionData =>
    v08 && permanentDefault && !data.has("_permanent") && data.size > 0
      ? new Map([["_permanent", true], ...data])
      : data;

  /**
   * Compare-and-set of `data` against `version`; on a conflict, `merge` applied to the fresh
   * data is written instead (retried, bounded). Resolves what was written.
   * @throws {SessionMissingError} when the session was deleted meanwhile (never written back).
   */
  const saveMerging = async (
    sid: string,
    data: SessionData,
    expiry: SessionExpiry,
    version: string,
    merge: (fresh: SessionData) => SessionData,
  ): Promise<SessionData> => {
    for (let attempt = 0; attempt < MAX_MERGE_ATTEMPTS; attempt++) {
      if ((await store.saveIfUnchanged!(sid, data, expiry, version)) !== null) return data;
      const fresh = await store.loadVersioned!(sid, true);
      if (fresh === null) throw new SessionMissingError();
      data = merge(fresh.data);
      version = fresh.version;
    }
    throw new SessionStoreError(
      `${store.name}: the session kept changing; ${MAX_MERGE_ATTEMPTS} saves in a row conflicted`,
    );
  };

  const isEmpty = (data: SessionData): boolean =>
    data.size === 0 || (v08 && data.size === 1 && data.has("_permanent"));

  return {
    store,
    open(cookieHeader) {
      const raw = readCookie(cookieHeader, name, "first");
      let sid: string | undefined = raw === "" ? undefined : raw;
      if (sid !== undefined && signer) {
        try {
          sid = signer.unsign(sid);
        } catch {
          sid = undefined;
        }
      }
      const state: RequestState = { sid: sid ?? newSid(), fresh: sid === undefined };
      const perRequest: SessionStore = {
        name: store.name,
        load: () => loadState(state),
        exists: (key) => store.exists(key),
        save: (key, data, saveOptions) => store.save(key, data, saveOptions),
        delete: (key) => store.delete(key),
        clearExpired: () => store.clearExpired(),
        // Called by `session.save()`/`cycleKey()`: the data moves to a new sid.
        encodeKey: () => {
          state.sid = newSid();
          state.fresh = true;
          return state.sid;
        },
      };
      const session = new Session<T>(perRequest, state.sid, settings, now);
      states.set(session, state);
      return { session, hadCookie: raw !== undefined };
    },

    plan({ session }) {
      const state = states.get(session);
      if (!state || session.loaded || session.modified || !state.fresh) return undefined;
      // A new, untouched session: 0.8 treats `{_permanent}` as empty; 0.3 saves it.
      if (v08 || !permanentDefault) return session.accessed ? VARY_ONLY : NOTHING;
      return undefined;
    },

    async commit({ session }) {
      const state = states.get(session);
      if (!state) throw new InvalidArgumentError("flaskSessionServerPolicy: unknown session");
      let data = session.loaded ? await session.toMap() : await loadState(state);
      const { accessed, modified } = session;
      if (state.undecodable) {
        if (!modified) return v08 && accessed ? VARY_ONLY : NOTHING;
        throw new MalformedError(
          "the stored Flask-Session value cannot be decoded here; it is left as it is instead of being overwritten",
        );
      }
      data = withPermanent(data);
      const vary = v08 && accessed;
      const none = vary ? VARY_ONLY : NOTHING;
      if (isEmpty(data)) {
        if (!modified) return none;
        await store.delete(state.sid);
        const cookie = deleteWerkzeugCookie(name, attributes);
        return { setCookie: [cookie], varyCookie: v08 };
      }
      if (v08 && !(modified || refresh)) return none;
      const nowMs = now();
      const expiry = { age: lifetime, date: new Date(nowMs + lifetime * 1000) };
      if (state.version !== undefined && !state.fresh) {
        data = await saveMerging(state.sid, data, expiry, state.version, (fresh) =>
          withPermanent(session.applyChangesTo(fresh)),
        );
      } else {
        await store.save(state.sid, data, { mustCreate: false, expiry });
      }
      const permanent = pyTruthy(data.get("_permanent"));
      if (v08 && !(modified || (permanent && refresh))) return none;
      const value = signer ? signer.sign(state.sid) : state.sid;
      const cookie = dumpWerkzeugCookie(name, value, {
        ...attributes,
        expires: permanent ? Math.floor(nowMs / 1000) + lifetime : undefined,
        httpOnly: options.cookieHttpOnly ?? true,
        secure: options.cookieSecure ?? false,
        sameSite: v08 ? (options.cookieSameSite ?? null) : null,
      });
      const headers: SessionResponseHeaders = { setCookie: [cookie], varyCookie: v08 };
      return headers;
    },
  };
}
