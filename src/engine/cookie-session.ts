/**
 * Shared machinery of the cookie-only policies (Flask's signed cookie, Starlette's): a store
 * whose key is the cookie value (`encodeKey`), a per-request record of the incoming cookie,
 * and the way a policy reads the final data without marking the session accessed.
 */
import type { SessionResponseHeaders } from "./http.ts";
import type { Session, SessionShape } from "./session.ts";
import type { SessionData } from "../codecs/python-values.ts";
import type { SessionStore } from "../stores/contract.ts";
import { ConfigurationError } from "../errors.ts";

/** Nothing to add. */
export const NOTHING: SessionResponseHeaders = Object.freeze({ setCookie: [], varyCookie: false });
/** Only `Vary: Cookie`. */
export const VARY_ONLY: SessionResponseHeaders = Object.freeze({ setCookie: [], varyCookie: true });

/** How a cookie policy turns a cookie value into data and back. */
export interface CookieCodecLike {
  /** The data, or `null` when the framework would start an empty session (bad signature, …). */
  decode(cookie: string): SessionData | null;
  encode(data: SessionData): string;
}

/**
 * Wraps a signed-cookie codec for the policies: a cookie that does not verify or decode (bad
 * signature, expired, future-dated, or signed but malformed — which would crash Flask and
 * Starlette with a 500) reads as "no session"; both sides use the policy's clock.
 */
export function lenientCookieCodec(
  codec: {
    decode(cookie: string, options: { now: number }): SessionData;
    encode(data: SessionData, now: number): string;
  },
  nowSeconds: () => number,
): CookieCodecLike {
  return {
    decode: (cookie) => {
      try {
        return codec.decode(cookie, { now: nowSeconds() });
      } catch {
        return null;
      }
    },
    encode: (data) => codec.encode(data, nowSeconds()),
  };
}

/** A store whose key is the signed cookie value. Never does I/O. */
export class CookieValueStore implements SessionStore {
  readonly name: string;
  readonly #codec: CookieCodecLike;

  constructor(name: string, codec: CookieCodecLike) {
    this.name = name;
    this.#codec = codec;
  }
  load(key: string): Promise<SessionData | null> {
    return Promise.resolve(this.#codec.decode(key));
  }
  exists(key: string): Promise<boolean> {
    return Promise.resolve(this.#codec.decode(key) !== null);
  }
  save(): Promise<void> {
    return Promise.reject(
      new ConfigurationError(`${this.name}: the cookie is the session; nothing to save`),
    );
  }
  delete(): Promise<void> {
    return Promise.resolve();
  }
  clearExpired(): Promise<number> {
    return Promise.resolve(0);
  }
  encodeKey(data: SessionData): string {
    return this.#codec.encode(data);
  }
}

/** What a cookie policy remembers about a request's incoming cookie. */
export interface IncomingCookie {
  /** The raw value, `undefined` when the request had no such cookie. */
  readonly raw: string | undefined;
  /** Decoded lazily: the data, or `null` when invalid. */
  decoded?: SessionData | null;
}

/** Per-request state, keyed by the session object the adapters hand back. */
export class IncomingCookies {
  readonly #states = new WeakMap<object, IncomingCookie>();
  readonly #codec: CookieCodecLike;

  constructor(codec: CookieCodecLike) {
    this.#codec = codec;
  }

  remember(session: object, raw: string | undefined): void {
    this.#states.set(session, { raw });
  }

  /** The incoming data (`null` = no cookie or an invalid one), decoded once. */
  incoming(session: object): SessionData | null {
    const state = this.#states.get(session);
    if (!state || state.raw === undefined || state.raw === "") return null;
    if (state.decoded === undefined) state.decoded = this.#codec.decode(state.raw);
    return state.decoded;
  }

  /**
   * The data as it stands now, with no access mark: the session's own copy once it was loaded
   * (a loaded session has been accessed already), else the incoming cookie's data.
   */
  async current<T extends SessionShape>(session: Session<T>): Promise<SessionData> {
    if (session.loaded) return session.toMap();
    return this.incoming(session) ?? new Map();
  }

  /** {@link current} when it is known without awaiting, else `undefined`. */
  currentSync<T extends SessionShape>(session: Session<T>): SessionData | undefined {
    if (session.loaded) return undefined;
    return this.incoming(session) ?? new Map();
  }
}
