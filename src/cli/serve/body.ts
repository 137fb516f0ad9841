/** Reads an `application/x-www-form-urlencoded` request body, bounded. */
import type { IncomingMessage } from "node:http";

/** Form bodies larger than this are refused (a login form is a few hundred bytes). */
export const MAX_FORM_BYTES = 16 * 1024;

/** The parsed form, or `null` when the body is too large or not a form. */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams | null> {
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") return null;
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) return null;
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}
