/**
 * An in-memory store, for development and tests only: data lives in this process, is lost on
 * restart and is not shared between processes. Expired entries are dropped on read and by
 * {@link MemoryStore.clearExpired}.
 *
 * @example
 * ```ts
 * import { MemoryStore } from "sessionbridge/stores/memory";
 * const store = new MemoryStore();
 * ```
 */
import { SessionExistsError, SessionMissingError } from "../../errors.ts";
import type {
  SaveOptions,
  SessionData,
  SessionExpiry,
  SessionStore,
  StoredSession,
  StoredSessionPage,
  VersionedSessionData,
  WalkOptions,
} from "../contract.ts";
import { inspectEach, sortedPages } from "../walk.ts";

interface Entry {
  readonly data: SessionData;
  expiresAt: number;
  /** Set from a store-wide write counter by every write: the compare-and-set version. */
  readonly version: number;
}

/** Dev-only store keeping sessions in a `Map`. */
export class MemoryStore implements SessionStore {
  readonly name = "memory";
  readonly #entries = new Map<string, Entry>();
  #writes = 0;
  readonly #now: () => number;

  /** @param options.now clock in milliseconds, for tests. */
  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  load(key: string): Promise<SessionData | null> {
    const entry = this.#live(key);
    // A copy, so that a session mutated and never saved does not leak into the store.
    return Promise.resolve(entry ? new Map(entry.data) : null);
  }

  exists(key: string): Promise<boolean> {
    return Promise.resolve(this.#entries.has(key));
  }

  save(key: string, data: SessionData, options: SaveOptions): Promise<void> {
    const taken = this.#entries.has(key);
    if (options.mustCreate && taken) return Promise.reject(new SessionExistsError());
    if (!options.mustCreate && !taken) return Promise.reject(new SessionMissingError());
    this.#put(key, data, options.expiry);
    return Promise.resolve();
  }

  /** `load`, with the entry's write number as the version. */
  async loadVersioned(key: string): Promise<VersionedSessionData | null> {
    const version = this.#live(key)?.version;
    // Through `load`, so a subclass that overrides it (a test double counting loads) is used.
    const data = await this.load(key);
    return data === null || version === undefined ? null : { data, version: String(version) };
  }

  /** Writes only if the entry was not written since the version `expected` (`""`: no entry). */
  saveIfUnchanged(
    key: string,
    data: SessionData,
    expiry: SessionExpiry,
    expected: string,
  ): Promise<string | null> {
    const entry = this.#live(key);
    const current = entry === undefined ? "" : String(entry.version);
    if (current !== expected) return Promise.resolve(null);
    return Promise.resolve(String(this.#put(key, data, expiry).version));
  }

  #put(key: string, data: SessionData, expiry: SessionExpiry): Entry {
    const entry = {
      data: new Map(data),
      expiresAt: expiry.date.getTime(),
      version: ++this.#writes,
    };
    this.#entries.set(key, entry);
    return entry;
  }

  delete(key: string): Promise<void> {
    this.#entries.delete(key);
    return Promise.resolve();
  }

  clearExpired(): Promise<number> {
    const now = this.#now();
    let removed = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt < now) {
        this.#entries.delete(key);
        removed++;
      }
    }
    return Promise.resolve(removed);
  }

  touch(key: string, expiry: SessionExpiry): Promise<void> {
    const entry = this.#entries.get(key);
    if (entry) entry.expiresAt = expiry.date.getTime();
    return Promise.resolve();
  }

  /** Every entry in key order, expired ones included unless `activeOnly`. */
  walk(options: WalkOptions = {}): AsyncIterable<StoredSessionPage> {
    return sortedPages([...this.#entries.keys()], options, (key) => this.inspect(key), this.#now);
  }

  inspect(key: string): Promise<StoredSession | null> {
    const entry = this.#entries.get(key);
    return Promise.resolve(
      entry === undefined
        ? null
        : { key, data: new Map(entry.data), expireDate: new Date(entry.expiresAt) },
    );
  }

  /** {@link MemoryStore.inspect} for many keys (no I/O); absent keys are missing from the map. */
  inspectMany(keys: readonly string[]): Promise<Map<string, StoredSession>> {
    return inspectEach(keys, (key) => this.inspect(key));
  }

  count(options: { readonly activeOnly?: boolean } = {}): Promise<number> {
    if (options.activeOnly !== true) return Promise.resolve(this.#entries.size);
    let n = 0;
    for (const key of this.#entries.keys()) if (this.#live(key) !== undefined) n++;
    return Promise.resolve(n);
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt <= this.#now()) return undefined;
    return entry;
  }
}
