// NestJS over real HTTP on both platforms, @nestjs/platform-express and @nestjs/platform-fastify,
// each with its own sessionbridge adapter underneath: @Session(), @User() and @Auth() in
// controllers, loginRequired/permissionRequired guards, login with key cycling and logout, and
// SessionErrorFilter answering a store outage 503 through Nest's exception handling.
import assert from "node:assert/strict";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpException,
  Module,
  type NestApplicationOptions,
  Post,
  UseGuards,
  type INestApplication,
} from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import { ExpressAdapter } from "@nestjs/platform-express";
import { FastifyAdapter, type NestFastifyApplication } from "@nestjs/platform-fastify";
import express from "express";
import * as expressAuth from "../../src/adapters/express/auth.ts";
import * as expressSessions from "../../src/adapters/express/index.ts";
import * as fastifyAuth from "../../src/adapters/fastify/auth.ts";
import * as fastifySessions from "../../src/adapters/fastify/index.ts";
import {
  Auth,
  Session,
  SessionErrorFilter,
  User,
  loginRequired,
  permissionRequired,
} from "../../src/adapters/nestjs/index.ts";
import type { AnyUser, RequestAuth } from "../../src/auth/index.ts";
import type { Session as DjangoSession } from "../../src/engine/session.ts";
import type { SessionStore } from "../../src/stores/contract.ts";
import type { Fixture } from "../auth/support.ts";
import { authFixture, sharedAuthBehaviour } from "./shared-behaviour.ts";
import { downStore } from "../support/stores.ts";
import { CookieJar } from "../support/http.ts";

interface Credentials {
  username: string;
  password: string;
}

@Controller()
class AccountController {
  @Get("count")
  async count(@Session() session: DjangoSession<{ visits: number }>) {
    const visits = ((await session.get("visits")) ?? 0) + 1;
    await session.set("visits", visits);
    return { visits };
  }

  @Post("login")
  @HttpCode(200)
  async login(@Auth() auth: RequestAuth, @Body() body: Credentials) {
    const result = await auth.authenticate(body);
    if (!result.ok) throw new HttpException({ error: result.message }, 400);
    await auth.login(result.user);
    return { ok: true };
  }

  @Post("logout")
  @HttpCode(200)
  async logout(@Auth() auth: RequestAuth) {
    await auth.logout();
    return { ok: true };
  }

  @Get("me")
  @UseGuards(loginRequired({ api: true }))
  me(@User() user: AnyUser) {
    return { username: user.username };
  }

  @Get("page")
  @UseGuards(loginRequired())
  page() {
    return "page";
  }

  @Get("polls")
  @UseGuards(permissionRequired("polls.change_poll", { raise403: true }))
  polls() {
    return "editing";
  }
}

// A Nest module is a decorated empty class by design.
@Module({ controllers: [AccountController] })
// eslint-disable-next-line @typescript-eslint/no-extraneous-class
class AppModule {}

type Platform = "express" | "fastify";

/** Nest's own logger off: the refusals and the outage are asserted, not printed. */
// Nest declares its options as a class but reads them as a plain object (its own docs pass one).
// eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
const QUIET: NestApplicationOptions = { logger: false };

async function startNest(platform: Platform, store: SessionStore, f: Fixture) {
  let app: INestApplication;
  if (platform === "express") {
    app = await NestFactory.create(AppModule, new ExpressAdapter(express()), QUIET);
    app.use(expressSessions.sessionMiddleware({ djangoVersion: "5.2", store }));
    app.use(expressAuth.authMiddleware(f.config));
  } else {
    const fastifyApp = await NestFactory.create<NestFastifyApplication>(
      AppModule,
      new FastifyAdapter(),
      QUIET,
    );
    await fastifyApp.register(fastifySessions.sessionMiddleware({ djangoVersion: "5.2", store }));
    await fastifyApp.register(fastifyAuth.authMiddleware(f.config));
    app = fastifyApp;
  }
  app.useGlobalFilters(new SessionErrorFilter(app.getHttpAdapter()));
  await app.listen(0, "127.0.0.1");
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

for (const platform of ["express", "fastify"] as const) {
  describe(`NestJS on the ${platform} platform`, () => {
    let f: Fixture;
    let server: { url: string; close(): Promise<void> };
    let down: { url: string; close(): Promise<void> };
    before(async () => {
      f = await authFixture();
      server = await startNest(platform, f.store, f);
      down = await startNest(platform, await downStore(), f);
    });
    after(async () => {
      await server.close();
      await down.close();
    });

    it("@Session(): counts visits, with Django's cookie", async () => {
      const jar = new CookieJar();
      const first = await jar.fetch(`${server.url}/count`);
      assert.deepEqual(await first.json(), { visits: 1 });
      assert.match(
        first.headers.getSetCookie()[0] ?? "",
        /^sessionid=[a-z0-9]{32}; Max-Age=1209600;/,
      );
      assert.match(first.headers.get("vary") ?? "", /Cookie/);
      assert.deepEqual(await (await jar.fetch(`${server.url}/count`)).json(), { visits: 2 });
    });

    sharedAuthBehaviour(
      () => server.url,
      () => f,
      { untouched: false, user: "@User()" },
    );

    it("SessionErrorFilter: a store outage is Nest's 503, with no secret in it", async () => {
      const jar = new CookieJar();
      jar.cookies.set("sessionid", "abcdefghijklmnopqrstuvwxyz012345");
      const outage = await jar.fetch(`${down.url}/count`);
      assert.equal(outage.status, 503);
      assert.deepEqual(await outage.json(), { statusCode: 503, message: "Service Unavailable" });
    });
  });
}
