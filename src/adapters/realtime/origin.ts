/**
 * The Origin check of a real-time handshake: the WebSocket counterpart of CSRF protection.
 * Browsers attach cookies to a cross-site WebSocket handshake (SameSite=Lax does not stop a
 * top-level page's WebSocket to another site), so a page elsewhere could open a socket as the
 * user; the Origin header, which pages cannot forge, tells them apart.
 *
 * Rules: an allowed origin is written as Django's `CSRF_TRUSTED_ORIGINS` entries are
 * (`https://app.example.com`, `https://*.example.com`, with a port when not the default). With
 * no list, only the same origin passes (the Origin's host equals the request's `Host`). A
 * handshake without an Origin header (a server-side client, which a hostile page cannot make
 * a browser send) passes; `Origin: null` (sandboxed frames, `file:`) never does.
 *
 * @example
 * ```ts
 * const allowed = originChecker(["https://app.example.com", "https://*.example.org"]);
 * allowed(req); // true or false
 * ```
 */
import type { IncomingMessage } from "node:http";

/**
 * Which Origins may open a connection: a list of origins, or a function deciding.
 *
 * @example
 * ```ts
 * const origins: AllowedOrigins = ["https://app.example.com"];
 * ```
 */
export type AllowedOrigins =
  readonly string[] | ((origin: string, request: IncomingMessage) => boolean);

interface Pattern {
  readonly scheme: string;
  /** Exact host[:port], or the suffix after `*` (`.example.com`). */
  readonly host: string;
  readonly wildcard: boolean;
}

function parsePattern(entry: string): Pattern {
  const match = /^([a-z][a-z0-9+.-]*):\/\/(.+)$/i.exec(entry.trim());
  if (match === null) return { scheme: "", host: entry.trim().toLowerCase(), wildcard: false };
  const scheme = match[1]!.toLowerCase();
  let host = match[2]!.toLowerCase();
  while (host.endsWith("/")) host = host.slice(0, -1);
  return host.startsWith("*")
    ? { scheme, host: host.slice(1), wildcard: true }
    : { scheme, host, wildcard: false };
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The check for a list or function of allowed origins (see the module rules).
 *
 * @example
 * ```ts
 * const allowed = originChecker(undefined); // same origin only
 * if (!allowed(req)) socket.destroy();
 * ```
 */
export function originChecker(
  allowed: AllowedOrigins | undefined,
): (request: IncomingMessage) => boolean {
  const patterns = typeof allowed === "function" ? [] : (allowed ?? []).map(parsePattern);
  return (request) => {
    const origin = headerText(request.headers.origin);
    if (origin === undefined) return true;
    if (origin === "null") return false;
    if (typeof allowed === "function") return allowed(origin, request);
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    const scheme = url.protocol.slice(0, -1);
    const host = url.host.toLowerCase();
    if (allowed === undefined) {
      return host === headerText(request.headers.host)?.toLowerCase();
    }
    return patterns.some((p) =>
      p.scheme !== "" && p.scheme !== scheme
        ? false
        : p.wildcard
          ? host.endsWith(p.host) || `.${host}` === p.host
          : host === p.host,
    );
  };
}
