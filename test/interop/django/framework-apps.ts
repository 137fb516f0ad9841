// The same small app on each Node framework, as its users write it, for the interop scenarios:
// sessions, Django's users and Django's CSRF check, with
//   GET  /api/me          the user (401 when anonymous)
//   POST /api/cart/:item  appends to the session's cart (login and CSRF token needed), 204
//   POST /login           {username, password} → Django's authenticate + login (400 when wrong)
//   POST /logout          Django's logout
import Fastify from "fastify";
import type { UserSource } from "../../../src/auth/index.ts";
import { authMiddleware, loginRequired } from "../../../src/adapters/fastify/auth.ts";
import { csrfMiddleware, sessionMiddleware } from "../../../src/adapters/fastify/index.ts";
import type { SessionStore } from "../../../src/stores/contract.ts";

export interface AppConfig {
  readonly store: SessionStore;
  readonly users: UserSource;
  readonly secretKey: string;
}

export interface RunningApp {
  readonly url: string;
  close(): Promise<void>;
}

interface Credentials {
  username: string;
  password: string;
}

async function fastifyApp(config: AppConfig): Promise<RunningApp> {
  const app = Fastify();
  await app.register(sessionMiddleware({ store: config.store, djangoVersion: "5.2" }));
  await app.register(
    authMiddleware({ users: config.users, secretKey: config.secretKey, djangoVersion: "5.2" }),
  );
  await app.register(csrfMiddleware({ djangoVersion: "5.2" }));
  app.get("/api/me", { preHandler: loginRequired({ api: true }) }, async (request) => {
    const user = await request.user;
    return { id: user.id, username: user.username };
  });
  app.post<{ Params: { item: string } }>(
    "/api/cart/:item",
    { preHandler: loginRequired({ api: true }) },
    async (request, reply) => {
      const cart = ((await request.session.get("cart")) as string[] | undefined) ?? [];
      await request.session.set("cart", [...cart, request.params.item]);
      return reply.code(204).send();
    },
  );
  app.post<{ Body: Credentials }>("/login", async (request, reply) => {
    const result = await request.auth.authenticate({ ...request.body, ip: request.ip });
    if (!result.ok) return reply.code(400).send({ error: result.message });
    await request.auth.login(result.user);
    return { ok: true };
  });
  app.post("/logout", async (request) => {
    await request.auth.logout();
    return { ok: true };
  });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  return { url, close: () => app.close() };
}

/** Each framework's app, by the name the tests print. */
export const FRAMEWORK_APPS: Readonly<Record<string, (config: AppConfig) => Promise<RunningApp>>> =
  {
    "Fastify 5": fastifyApp,
  };
