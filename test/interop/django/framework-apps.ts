// The same small app on each Node framework, as its users write it, for the interop scenarios:
// sessions, Django's users and Django's CSRF check, with
//   GET  /api/me          the user (401 when anonymous)
//   POST /api/cart/:item  appends to the session's cart (login and CSRF token needed), 204
//   POST /login           {username, password} → Django's authenticate + login (400 when wrong)
//   POST /logout          Django's logout
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpException,
  Ip,
  Module,
  Param,
  Post,
  UseGuards,
  type INestApplication,
  type NestApplicationOptions,
} from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import { ExpressAdapter } from "@nestjs/platform-express";
import { FastifyAdapter, type NestFastifyApplication } from "@nestjs/platform-fastify";
import express from "express";
import Fastify from "fastify";
import Koa from "koa";
import Router from "@koa/router";
import { bodyParser } from "@koa/bodyparser";
import type { AnyUser, RequestAuth, UserSource } from "../../../src/auth/index.ts";
import type { DjangoVersion } from "../../../src/codecs/django/version.ts";
import type { Session } from "../../../src/engine/session.ts";
import * as expressAuth from "../../../src/adapters/express/auth.ts";
import * as expressSessions from "../../../src/adapters/express/index.ts";
import * as nest from "../../../src/adapters/nestjs/index.ts";
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
  readonly djangoVersion: DjangoVersion;
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
  await app.register(
    sessionMiddleware({ store: config.store, djangoVersion: config.djangoVersion }),
  );
  await app.register(
    authMiddleware({
      users: config.users,
      secretKey: config.secretKey,
      djangoVersion: config.djangoVersion,
    }),
  );
  await app.register(csrfMiddleware({ djangoVersion: config.djangoVersion }));
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
  app.use(
    koaSessions.sessionMiddleware({ store: config.store, djangoVersion: config.djangoVersion }),
  );
  app.use(
    koaAuth.authMiddleware({
      users: config.users,
      secretKey: config.secretKey,
      djangoVersion: config.djangoVersion,
    }),
  );
  app.use(koaSessions.csrfMiddleware({ djangoVersion: config.djangoVersion }));
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

@Controller()
class InteropController {
  @Get("api/me")
  @UseGuards(nest.loginRequired({ api: true }))
  me(@nest.User() user: AnyUser) {
    return { id: user.id, username: user.username };
  }

  @Post("api/cart/:item")
  @HttpCode(204)
  @UseGuards(nest.loginRequired({ api: true }))
  async cart(@nest.Session() session: Session<{ cart: string[] }>, @Param("item") item: string) {
    const cart = (await session.get("cart")) ?? [];
    await session.set("cart", [...cart, item]);
  }

  @Post("login")
  @HttpCode(200)
  async login(@nest.Auth() auth: RequestAuth, @Body() body: Credentials, @Ip() ip: string) {
    const result = await auth.authenticate({ ...body, ip });
    if (!result.ok) throw new HttpException({ error: result.message }, 400);
    await auth.login(result.user);
    return { ok: true };
  }

  @Post("logout")
  @HttpCode(200)
  async logout(@nest.Auth() auth: RequestAuth) {
    await auth.logout();
    return { ok: true };
  }
}

// A Nest module is a decorated empty class by design.
@Module({ controllers: [InteropController] })
// eslint-disable-next-line @typescript-eslint/no-extraneous-class
class InteropModule {}

// Nest declares its options as a class but reads them as a plain object (its own docs pass one).
// eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
const QUIET: NestApplicationOptions = { logger: false };

async function nestApp(app: INestApplication): Promise<RunningApp> {
  app.useGlobalFilters(new nest.SessionErrorFilter(app.getHttpAdapter()));
  await app.listen(0, "127.0.0.1");
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

async function nestExpressApp(config: AppConfig): Promise<RunningApp> {
  const app = await NestFactory.create(InteropModule, new ExpressAdapter(express()), QUIET);
  const { djangoVersion } = config;
  app.use(expressSessions.sessionMiddleware({ store: config.store, djangoVersion }));
  app.use(
    expressAuth.authMiddleware({ users: config.users, secretKey: config.secretKey, djangoVersion }),
  );
  app.use(expressSessions.csrfMiddleware({ djangoVersion }));
  return nestApp(app);
}

async function nestFastifyApp(config: AppConfig): Promise<RunningApp> {
  const app = await NestFactory.create<NestFastifyApplication>(
    InteropModule,
    new FastifyAdapter(),
    QUIET,
  );
  const { djangoVersion } = config;
  await app.register(sessionMiddleware({ store: config.store, djangoVersion }));
  await app.register(
    authMiddleware({ users: config.users, secretKey: config.secretKey, djangoVersion }),
  );
  await app.register(csrfMiddleware({ djangoVersion }));
  return nestApp(app);
}

/** Each framework's app, by the name the tests print. */
export const FRAMEWORK_APPS: Readonly<Record<string, (config: AppConfig) => Promise<RunningApp>>> =
  {
    "Fastify 5": fastifyApp,
    "Koa 3": koaApp,
    "NestJS on Express": nestExpressApp,
    "NestJS on Fastify": nestFastifyApp,
  };
