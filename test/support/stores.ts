// Stores for tests: a store that is down (for 503 paths).
import { SessionStoreError } from "../../src/errors.ts";
import type { SessionData, SessionStore } from "../../src/stores/contract.ts";

/** Every operation fails the way an unreachable backend does. */
export class DownStore implements SessionStore {
  readonly name = "down";
  #fail<T>(): Promise<T> {
    return Promise.reject(new SessionStoreError("down: connection refused"));
  }
  load(): Promise<SessionData | null> {
    return this.#fail();
  }
  exists(): Promise<boolean> {
    return this.#fail();
  }
  save(): Promise<void> {
    return this.#fail();
  }
  delete(): Promise<void> {
    return this.#fail();
  }
  clearExpired(): Promise<number> {
    return this.#fail();
  }
}
