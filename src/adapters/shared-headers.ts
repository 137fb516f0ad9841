/**
 * Reading one request header by name out of node's `IncomingHttpHeaders` (lower-cased names,
 * repeated headers as arrays), for the session policies that take the session key from a header
 * (`djangoSessionPolicy({ sessionTokenHeader })`). Shared by the node:http-based adapters.
 */
import type { IncomingHttpHeaders } from "node:http";

/**
 * A reader of `headers`: the header's value, the first one when it was sent more than once.
 *
 * @example
 * ```ts
 * policy.open(req.headers.cookie, nodeHeaderReader(req.headers));
 * ```
 */
export function nodeHeaderReader(
  headers: IncomingHttpHeaders,
): (name: string) => string | undefined {
  return (name) => {
    const value = headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  };
}
