/**
 * The base64 flavours the Python side uses, one function each so that no caller picks the
 * wrong one (django-formats.md §9.2, flask-starlette-formats.md §8):
 * signed payloads and signatures are URL-safe without padding (RFC 4648 §5, `=` stripped),
 * legacy Django session blobs, PBKDF2 hashes, Flask's `" b"` tag and Starlette payloads are
 * the standard alphabet with padding (RFC 4648 §4).
 */
import { Buffer } from "#runtime";
import { MalformedError } from "../errors.ts";

/** RFC 4648 §5 alphabet, padding stripped (Python `urlsafe_b64encode(b).rstrip(b"=")`). */
export function base64UrlEncode(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Decodes URL-safe base64 with or without padding.
 * @throws {MalformedError} on characters outside the alphabet or an impossible length.
 */
export function base64UrlDecode(text: string): Buffer {
  // Signed payloads carry no padding: only strip (and copy) when there is some.
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x3d /* = */) end--;
  const body = end === text.length ? text : text.slice(0, end);
  if (!BASE64URL.test(body) || body.length % 4 === 1) throw new MalformedError("Invalid base64");
  return Buffer.from(body, "base64url");
}

/** RFC 4648 §4 alphabet with padding (Python `base64.b64encode`). */
export function base64Encode(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes standard padded base64 strictly (Python `b64decode(s, validate=True)`).
 * @throws {MalformedError} when the text is not canonical base64.
 */
export function base64Decode(text: string): Buffer {
  if (!BASE64.test(text)) throw new MalformedError("Invalid base64");
  return Buffer.from(text, "base64");
}
