/**
 * Django's `CsrfViewMiddleware` as a Fastify plugin: the same secret, tokens and checks as
 * Django, so a token from a Django page passes here and one made here passes Django.
 *
 * The check runs in `preHandler`, after Fastify has parsed the body: a form's
 * `csrfmiddlewaretoken` is read from `request.body` (register `@fastify/formbody` for
 * `application/x-www-form-urlencoded`), and any request may carry the token in `X-CSRFToken`.
 *
 * @example
 * ```ts
 * import formbody from "@fastify/formbody";
 * import { csrfMiddleware, csrfToken } from "sessionbridge/fastify";
 * await app.register(formbody);
 * await app.register(csrfMiddleware({ djangoVersion: "5.2" }));
 * app.get("/form", async (request, reply) =>
 *   reply.type("text/html").send(`<input name="csrfmiddlewaretoken" value="${await csrfToken(request)}">`),
 * );
 * ```
 */
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import {
  CSRF_FORM_FIELD,
  DjangoCsrf,
  isSafeMethod,
  type CsrfRequestState,
  type CsrfSettings,
  type CsrfVerdict,
} from "../../django/csrf-protection.ts";
import { addVaryCookie } from "../../engine/http.ts";
import type { Session } from "../../engine/session.ts";
import { csrfFailureText, missingCsrfError, nodeCsrfCheck } from "../shared-csrf.ts";

/** Options: Django's CSRF settings, plus how this server learns it is behind HTTPS. */
export interface FastifyCsrfOptions extends CsrfSettings {
  /**
   * Django's `SECURE_PROXY_SSL_HEADER`: `["X-Forwarded-Proto", "https"]` when a proxy you
   * trust terminates TLS and sets that header (never set it otherwise: a client could).
   */
  readonly secureProxySslHeader?: readonly [name: string, value: string];
  /** Answers a rejected request; default 403 with Django's reason as plain text. */
  readonly onFailure?: (
    request: FastifyRequest,
    reply: FastifyReply,
    verdict: CsrfVerdict,
  ) => FastifyReply | Promise<FastifyReply>;
}

const STATE = new WeakMap<FastifyRequest, CsrfRequestState>();

/**
 * A masked CSRF token for this request's page or form (Django's `get_token`); the response
 * carries the secret.
 *
 * @throws {ConfigurationError} when the CSRF plugin did not run on this request.
 * @example
 * ```ts
 * const token = await csrfToken(request);
 * ```
 */
export function csrfToken(request: FastifyRequest): Promise<string> {
  const state = STATE.get(request);
  if (state === undefined) throw missingCsrfError("register");
  return state.token();
}

function formToken(request: FastifyRequest): string | undefined {
  const body: unknown = request.body;
  if (typeof body !== "object" || body === null) return undefined;
  const value = (body as Record<string, unknown>)[CSRF_FORM_FIELD];
  return typeof value === "string" ? value : undefined;
}

function reject(_request: FastifyRequest, reply: FastifyReply, verdict: CsrfVerdict): FastifyReply {
  return reply.code(403).type("text/plain; charset=utf-8").send(csrfFailureText(verdict));
}

/**
 * Creates the plugin (register it after the session plugin when `useSessions` is on);
 * unsafe methods that fail Django's checks are answered 403.
 *
 * @throws {ConfigurationError} for invalid settings.
 * @example
 * ```ts
 * await app.register(csrfMiddleware({ djangoVersion: "5.2", trustedOrigins: ["https://app.example.com"] }));
 * ```
 */
export function csrfMiddleware(options: FastifyCsrfOptions): FastifyPluginCallback {
  const csrf = new DjangoCsrf(options);
  const onFailure = options.onFailure ?? reject;
  const plugin: FastifyPluginCallback = (fastify, _opts, done) => {
    fastify.addHook("preHandler", async (request, reply) => {
      const session = (request as unknown as { session?: Session | null }).session ?? undefined;
      const state = await csrf.open(request.headers.cookie, session);
      STATE.set(request, state);
      const method = request.method;
      if (isSafeMethod(method)) return undefined;
      const token = method === "POST" ? formToken(request) : undefined;
      const verdict = state.verify(
        nodeCsrfCheck(request.raw, csrf.headerName, options.secureProxySslHeader, token),
      );
      if (!verdict.ok) return onFailure(request, reply, verdict);
      return undefined;
    });
    fastify.addHook("onSend", (request, reply, payload, next) => {
      const state = STATE.get(request);
      if (state !== undefined) {
        STATE.delete(request); // an error reply passes through onSend again
        const headers = state.responseHeaders();
        for (const cookie of headers.setCookie) reply.header("set-cookie", cookie);
        if (headers.varyCookie) {
          const vary = reply.getHeader("vary");
          reply.header("vary", addVaryCookie(vary === undefined ? undefined : String(vary)));
        }
      }
      next(null, payload);
    });
    done();
  };
  return fp(plugin, { fastify: "5.x", name: "sessionbridge-csrf" });
}
