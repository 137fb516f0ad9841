/**
 * Hocuspocus glue: {@link hocuspocusAuth} is an extension whose `onAuthenticate` checks the
 * upgrade request's cookie and Origin (the provider's token is not used) and adds
 * `{ user, sessionKey }` to the connection context; `connected` tracks the connection, whose
 * WebSocket is closed with {@link REVOKED_CLOSE_CODE} and the reason when the login ends.
 *
 * A refused handshake is Hocuspocus's "permission denied" with the refusal reason (`origin`,
 * `no-session`, `anonymous`), which the provider reports to `onAuthenticationFailed`.
 *
 * @example
 * ```ts
 * import { Server } from "@hocuspocus/server";
 * const server = new Server({ extensions: [hocuspocusAuth(gate)] });
 * ```
 */
import type { IncomingMessage } from "node:http";
import type { Handshake, RealtimeGate } from "./gate.ts";
import { REVOKED_CLOSE_CODE } from "./registry.ts";

/** What the extension needs of a Hocuspocus `Connection`. */
export interface HocuspocusConnectionLike {
  readonly webSocket: { close(code?: number, reason?: string): void };
  onClose(callback: () => void): unknown;
}

/**
 * The context the extension adds to a Hocuspocus connection.
 *
 * @example
 * ```ts
 * onChange({ context }) { const { user } = context as HocuspocusSessionContext<User>; }
 * ```
 */
export interface HocuspocusSessionContext<U> {
  readonly user: U | null;
  readonly sessionKey: string;
}

/**
 * A Hocuspocus extension (the subset of `Extension` it implements).
 *
 * @example
 * ```ts
 * const extension: HocuspocusAuthExtension<User> = hocuspocusAuth(gate);
 * ```
 */
export interface HocuspocusAuthExtension<U> {
  readonly extensionName: string;
  onAuthenticate(data: { readonly request: IncomingMessage }): Promise<HocuspocusSessionContext<U>>;
  connected(data: {
    readonly context: unknown;
    readonly connection: HocuspocusConnectionLike;
  }): Promise<void>;
}

const HANDSHAKE = Symbol("sessionbridge handshake");

/**
 * The extension (see the module documentation).
 *
 * @example
 * ```ts
 * new Server({ extensions: [hocuspocusAuth(gate)] });
 * ```
 */
export function hocuspocusAuth<U>(gate: RealtimeGate<U>): HocuspocusAuthExtension<U> {
  return {
    extensionName: "sessionbridge",
    async onAuthenticate({ request }) {
      const handshake = await gate.authenticate(request);
      // Hocuspocus merges contexts by spreading, which keeps enumerable symbol keys.
      return { user: handshake.user, sessionKey: handshake.sessionKey, [HANDSHAKE]: handshake };
    },
    connected({ context, connection }) {
      const handshake =
        typeof context === "object" && context !== null
          ? (context as { [HANDSHAKE]?: Handshake<U> })[HANDSHAKE]
          : undefined;
      if (handshake !== undefined) {
        const untrack = gate.track(handshake, (reason) => {
          connection.webSocket.close(REVOKED_CLOSE_CODE, reason);
        });
        connection.onClose(untrack);
      }
      return Promise.resolve();
    },
  };
}
