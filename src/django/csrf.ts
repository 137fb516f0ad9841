/**
 * CSRF protection compatible with Django's `CsrfViewMiddleware` in `CSRF_USE_SESSIONS` mode:
 * a 32-character secret kept in the session under `_csrftoken`, and per-form tokens that mask
 * it (64 characters: a random mask, then the secret shifted by the mask, as Django's
 * `_mask_cipher_secret`), so a token in a page never repeats and BREACH cannot read the secret.
 * A token from Django's own `{% csrf_token %}` (same session) is accepted here and vice versa.
 *
 * Checks, in Django's order for unsafe methods: the `Origin` header, when sent, must be the
 * request's own origin; then the token (form field `csrfmiddlewaretoken` or header
 * `X-CSRFToken`) must unmask to the session's secret (constant-time).
 *
 * @example
 * ```ts
 * const token = await csrfToken(session);              // put it in the form
 * const result = await verifyCsrf(session, { token: form.csrfmiddlewaretoken, origin, requestOrigin });
 * if (!result.ok) return new Response("Forbidden", { status: 403 });
 * ```
 */
import { Buffer, timingSafeEqual } from "#runtime";
import type { Session, SessionShape } from "../engine/session.ts";
import {
  CSRF_FORM_FIELD,
  CSRF_HEADER,
  CSRF_SESSION_KEY,
  isSafeMethod,
  maskSecret as mask,
  randomString,
  unmaskToken as unmask,
} from "./csrf-protection.ts";

export { CSRF_FORM_FIELD, CSRF_HEADER, CSRF_SESSION_KEY, isSafeMethod };

const SECRET_LENGTH = 32;
const TOKEN_LENGTH = 64;
const VALID = /^[a-zA-Z0-9]+$/;

async function secretOf<T extends SessionShape>(
  session: Session<T>,
  create: boolean,
): Promise<string | undefined> {
  const s = session as unknown as Session;
  const stored = await s.get(CSRF_SESSION_KEY);
  if (typeof stored === "string" && stored.length === SECRET_LENGTH && VALID.test(stored))
    return stored;
  if (!create) return undefined;
  const secret = randomString(SECRET_LENGTH);
  await s.set(CSRF_SESSION_KEY, secret);
  return secret;
}

/** A fresh masked token for a form, creating the session's secret if needed (Django `get_token`). */
export async function csrfToken<T extends SessionShape>(session: Session<T>): Promise<string> {
  return mask((await secretOf(session, true))!);
}

/** Replaces the secret (Django `rotate_token`): call it on login so pre-login tokens stop working. */
export async function rotateCsrfToken<T extends SessionShape>(session: Session<T>): Promise<void> {
  await (session as unknown as Session).set(CSRF_SESSION_KEY, randomString(SECRET_LENGTH));
}

/** What {@link verifyCsrf} needs from the request. */
export interface CsrfRequest {
  /** The submitted token (form field or header), if any. */
  readonly token: string | null | undefined;
  /** The `Origin` header, if sent. */
  readonly origin: string | null | undefined;
  /** This server's own origin as the browser sees it, e.g. `https://app.example.com`. */
  readonly requestOrigin: string;
}

/** The outcome, with Django's reasons. */
export type CsrfResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly reason: "origin-mismatch" | "no-secret" | "missing-token" | "bad-token";
    };

/** Checks an unsafe request (POST, …) as Django's `CsrfViewMiddleware` does. */
export async function verifyCsrf<T extends SessionShape>(
  session: Session<T>,
  request: CsrfRequest,
): Promise<CsrfResult> {
  if (request.origin && request.origin !== "null" && request.origin !== request.requestOrigin) {
    return { ok: false, reason: "origin-mismatch" };
  }
  if (request.origin === "null") return { ok: false, reason: "origin-mismatch" };
  const secret = await secretOf(session, false);
  if (secret === undefined) return { ok: false, reason: "no-secret" };
  const token = request.token ?? "";
  if (token === "") return { ok: false, reason: "missing-token" };
  if (!VALID.test(token) || (token.length !== TOKEN_LENGTH && token.length !== SECRET_LENGTH)) {
    return { ok: false, reason: "bad-token" };
  }
  const candidate = token.length === TOKEN_LENGTH ? unmask(token) : token;
  const ok = timingSafeEqual(Buffer.from(candidate), Buffer.from(secret));
  return ok ? { ok: true } : { ok: false, reason: "bad-token" };
}
