// The same small app on each Node framework, as its users write it, for the interop scenarios:
// sessions, Django's users and Django's CSRF check, with
//   GET  /api/me          the user (401 when anonymous)
//   POST /api/cart/:item  appends to the session's cart (login and CSRF token needed), 204
//   POST /login           {username, password} → Django's authenticate + login (400 when wrong)
//   POST /logout          Django's logout
import { createServer } from "node:http";
import Fastify from "fastify";
import Koa from "koa";
import Router from "@koa/router";
import { bodyParser } from "@koa/bodyparser";
import type { UserSource } from "../../../src/auth/index.ts";
import { authMiddleware, loginRequired } from "../../../src/adapters/fastify/auth.ts";
import { csrfMiddleware, sessionMiddleware } from "../../../src/adapters/fastify/index.ts";
import * as koaAuth from "../../../src/adapters/koa/auth.ts";
import * as koaSessions from "../../../src/adapters/koa/index.ts";
import type { SessionStore } from "../../../src/stores/contract.ts";
import { koaListener, listen } from "../../support/http.ts";

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

async function koaApp(config: AppConfig): Promise<RunningApp> {
  const app = new Koa<koaAuth.AuthState>();
  app.silent = true; // the wrong-password and outage paths are asserted, not logged
  app.use(bodyParser());
  app.use(koaSessions.sessionMiddleware({ store: config.store, djangoVersion: "5.2" }));
  app.use(
    koaAuth.authMiddleware({
      users: config.users,
      secretKey: config.secretKey,
      djangoVersion: "5.2",
    }),
  );
  app.use(koaSessions.csrfMiddleware({ djangoVersion: "5.2" }));
  const router = new Router<koaAuth.AuthState>();
  router.get("/api/me", koaAuth.loginRequired({ api: true }), async (ctx) => {
    const user = await ctx.state.user;
    ctx.body = { id: user.id, username: user.username };
  });
  router.post("/api/cart/:item", koaAuth.loginRequired({ api: true }), async (ctx) => {
    const cart = ((await ctx.session.get("cart")) as string[] | undefined) ?? [];
    await ctx.session.set("cart", [...cart, ctx.params["item"]!]);
    ctx.status = 204;
  });
  router.post("/login", async (ctx) => {
    const body = ctx.request.body as Credentials;
    const result = await ctx.state.auth.authenticate({ ...body, ip: ctx.ip });
    if (!result.ok) {
      ctx.status = 400;
      ctx.body = { error: result.message };
      return;
    }
    await ctx.state.auth.login(result.user);
    ctx.body = { ok: true };
  });
  router.post("/logout", async (ctx) => {
    await ctx.state.auth.logout();
    ctx.body = { ok: true };
  });
  app.use(router.routes());
  return listen(createServer(koaListener(app)));
}

/** Each framework's app, by the name the tests print. */
export const FRAMEWORK_APPS: Readonly<Record<string, (config: AppConfig) => Promise<RunningApp>>> =
  {
    "Fastify 5": fastifyApp,
    "Koa 3": koaApp,
  };
