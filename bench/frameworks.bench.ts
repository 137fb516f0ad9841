// Issue 15 benchmarks, the Fastify, Koa and NestJS adapters against what each framework already
// does, in one run (contenders in interleaved rounds, each reporting its median round):
//  S1: read the Django user id from a Django cache session in Redis (django-redis, pickle),
//      through each adapter, against a plain route of the same framework doing the same Redis
//      GET + JSON.parse without sessionbridge. Target: at most 10 µs added per request.
//  S2: a session counter +1, saved on every request, in Redis: the Fastify plugin (with its
//      default compare-and-set save, and with Django's blind save) against @fastify/session +
//      connect-redis (a blind save). Target: at least 1.5× its throughput.
// The adapters come from src/ (the same code as dist/): Fastify's and Koa's request types are
// augmented by declaration merging, and one type-check program cannot hold both augmentations.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { Controller, Get, Module, Req, type NestApplicationOptions } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import { ExpressAdapter } from "@nestjs/platform-express";
import { FastifyAdapter, type NestFastifyApplication } from "@nestjs/platform-fastify";
import fastifyCookie from "@fastify/cookie";
import Router from "@koa/router";
import { RedisStore } from "connect-redis";
import express from "express";
import Fastify, { type FastifyInstance, type FastifyPluginCallback } from "fastify";
import Koa from "koa";
import {
  Session,
  resolveSessionSettings,
  type Session as DjangoSession,
  type SessionShape,
} from "../src/index.ts";
import { sessionMiddleware as expressSessions } from "../src/adapters/express/index.ts";
import {
  getSession as getFastifySession,
  sessionMiddleware as fastifySessions,
} from "../src/adapters/fastify/index.ts";
import {
  getSession as getKoaSession,
  sessionMiddleware as koaSessions,
} from "../src/adapters/koa/index.ts";
import { Session as SessionParam } from "../src/adapters/nestjs/index.ts";
import { DjangoCacheStore } from "../src/stores/redis/index.ts";
import { compareLoad, redisLogin, report, startServer, type LoadContender } from "./support.ts";

const login = await redisLogin(
  `benchfw${process.pid}`,
  (client, keyPrefix) => new DjangoCacheStore({ client, keyPrefix }),
);
const { client, prefix, store, key } = login;
/** The plain routes' work: the same Redis GET + JSON.parse, the user id out. */
const plainUserId = (cookie: string | undefined): Promise<string> => login.plainUserId(cookie);

async function sessionUserId(session: DjangoSession): Promise<string> {
  const id = await session.get("_auth_user_id");
  return typeof id === "string" ? id : "";
}

interface Running {
  readonly port: number;
  close(): Promise<void>;
}

async function listenFastify(app: FastifyInstance): Promise<Running> {
  await app.listen({ port: 0, host: "127.0.0.1" });
  return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
}

async function fastifyS1(withSessions: boolean): Promise<Running> {
  const app = Fastify();
  if (withSessions) await app.register(fastifySessions({ djangoVersion: "5.2", store }));
  app.get("/", async (request, reply) => {
    const id = withSessions
      ? await sessionUserId(getFastifySession<SessionShape>(request))
      : await plainUserId(request.headers.cookie);
    return reply.type("text/plain").send(id);
  });
  return listenFastify(app);
}

async function koaS1(withSessions: boolean): Promise<Running> {
  const app = new Koa();
  if (withSessions) app.use(koaSessions({ djangoVersion: "5.2", store }));
  const router = new Router();
  router.get("/", async (ctx) => {
    ctx.type = "text/plain";
    ctx.body = withSessions
      ? await sessionUserId(getKoaSession<SessionShape>(ctx))
      : await plainUserId(ctx.get("cookie"));
  });
  app.use(router.routes());
  const handle = app.callback();
  return startServer(
    createServer((req, res) => {
      void handle(req, res);
    }),
  );
}

@Controller()
class PlainController {
  @Get()
  user(@Req() request: IncomingMessage | { raw: IncomingMessage }) {
    const raw = "raw" in request ? request.raw : request;
    return plainUserId(raw.headers.cookie);
  }
}

@Controller()
class SessionController {
  @Get()
  user(@SessionParam() session: DjangoSession) {
    return sessionUserId(session);
  }
}

// A Nest module is a decorated empty class by design.
@Module({ controllers: [PlainController] })
// eslint-disable-next-line @typescript-eslint/no-extraneous-class
class PlainModule {}
@Module({ controllers: [SessionController] })
// eslint-disable-next-line @typescript-eslint/no-extraneous-class
class SessionModule {}

// Nest declares its options as a class but reads them as a plain object.
// eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
const QUIET: NestApplicationOptions = { logger: false };

async function nestS1(platform: "express" | "fastify", withSessions: boolean): Promise<Running> {
  const module = withSessions ? SessionModule : PlainModule;
  if (platform === "express") {
    const app = await NestFactory.create(module, new ExpressAdapter(express()), QUIET);
    if (withSessions) app.use(expressSessions({ djangoVersion: "5.2", store }));
    await app.listen(0, "127.0.0.1");
    const port = (app.getHttpServer().address() as AddressInfo).port;
    return { port, close: () => app.close() };
  }
  const app = await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter(), QUIET);
  if (withSessions) await app.register(fastifySessions({ djangoVersion: "5.2", store }));
  await app.listen(0, "127.0.0.1");
  const port = (app.getHttpServer().address() as AddressInfo).port;
  return { port, close: () => app.close() };
}

const S1_FRAMEWORKS = [
  ["Fastify 5", (s: boolean) => fastifyS1(s)],
  ["Koa 3", (s: boolean) => koaS1(s)],
  ["NestJS (Express)", (s: boolean) => nestS1("express", s)],
  ["NestJS (Fastify)", (s: boolean) => nestS1("fastify", s)],
] as const;

// S2: our Fastify plugin's counter on the Django session, and @fastify/session's.
// One counter session per connection: each connection is one user whose requests come in
// sequence, as a browser's do; parallel writes to one session are concurrent-writes.bench.ts's
// subject. (A key not in the store would be replaced by a new one on every save, Django's rule,
// so the cookies carry the keys the seeds were saved under.)
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const counterCookies: string[] = [];
for (let i = 0; i < concurrency; i++) {
  const counterSeed = new Session(store, null, resolveSessionSettings());
  await counterSeed.set("count", 0);
  await counterSeed.save();
  counterCookies.push(`sessionid=${counterSeed.key!}`);
}

/** The counter through our plugin; `overwrite`: Django's blind save instead of compare-and-set. */
async function counterApp(concurrentWrites: "merge" | "overwrite"): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(fastifySessions({ djangoVersion: "5.2", store, concurrentWrites }));
  app.get("/", async (request, reply) => {
    const count = (((await request.session.get("count")) as number | undefined) ?? 0) + 1;
    await request.session.set("count", count);
    return reply.type("text/plain").send(String(count));
  });
  return app;
}
const oursS2 = await counterApp("merge");
const blindS2 = await counterApp("overwrite");

// Loaded by a computed name, untyped: @fastify/session types `request.session` as its own by
// declaration merging, which would clash with sessionbridge's in this type-check program.
const FASTIFY_SESSION = "@fastify/session";
const fastifySession = (
  (await import(FASTIFY_SESSION)) as {
    default: FastifyPluginCallback<Record<string, unknown>>;
  }
).default;
const SECRET = "bench-secret-bench-secret-bench-secret-0123";
const theirsS2 = Fastify();
await theirsS2.register(fastifyCookie);
await theirsS2.register(fastifySession, {
  secret: SECRET,
  store: new RedisStore({ client, prefix: `${prefix}:sess:` }),
  cookieName: "sessionid",
  cookie: { secure: false, maxAge: 1_209_600_000 },
  saveUninitialized: false,
});
theirsS2.get("/", async (request, reply) => {
  const session = request.session as unknown as { count?: number };
  session.count = (session.count ?? 0) + 1;
  return reply.type("text/plain").send(String(session.count));
});

const running: Running[] = [];
const contenders: LoadContender[] = [];
const cookie = `sessionid=${key}`;
for (const [name, start] of S1_FRAMEWORKS) {
  for (const withSessions of [false, true]) {
    const server = await start(withSessions);
    running.push(server);
    contenders.push({
      name: `${name} ${withSessions ? "sessionbridge" : "plain route (GET + parse)"}`,
      port: server.port,
      path: "/",
      cookie,
    });
  }
}
const ours = await listenFastify(oursS2);
const blind = await listenFastify(blindS2);
const theirs = await listenFastify(theirsS2);
running.push(ours, blind, theirs);
// @fastify/session's own cookies, one per connection, from its first answers.
const theirsCookies: string[] = [];
for (let i = 0; i < concurrency; i++) {
  const first = await fetch(`http://127.0.0.1:${theirs.port}/`);
  const theirsCookie = /^sessionid=[^;]+/.exec(first.headers.getSetCookie()[0] ?? "")?.[0];
  if (theirsCookie === undefined) throw new Error("@fastify/session set no cookie");
  theirsCookies.push(theirsCookie);
}
contenders.push(
  {
    name: "S2 Fastify sessionbridge counter",
    port: ours.port,
    path: "/",
    cookie: counterCookies,
  },
  {
    name: "S2 Fastify sessionbridge counter, blind save",
    port: blind.port,
    path: "/",
    cookie: counterCookies,
  },
  {
    name: "S2 @fastify/session + connect-redis",
    port: theirs.port,
    path: "/",
    cookie: theirsCookies,
  },
);

const total = Number(process.env.BENCH_REQUESTS ?? 5_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const results = await compareLoad(contenders, { total, rounds, concurrency });
const s1 = results.slice(0, S1_FRAMEWORKS.length * 2);
report(
  `S1: read the Django user from a Redis session (keep-alive, ${concurrency} in flight; median of ${rounds} interleaved rounds)`,
  s1,
  s1[0]!,
);
for (const [i, [name]] of S1_FRAMEWORKS.entries()) {
  const plain = s1[2 * i]!;
  const adapter = s1[2 * i + 1]!;
  console.log(
    `  ${name}: sessionbridge adds ${(adapter.microsPerOp - plain.microsPerOp).toFixed(1)} µs per request above the plain route (${(adapter.opsPerSecond / plain.opsPerSecond).toFixed(2)}×; target ≤ 10 µs)`,
  );
}
const [oursRun, blindRun, theirsRun] = results.slice(S1_FRAMEWORKS.length * 2);
report(
  "S2: session counter +1 saved on every request, Redis, Fastify (one session per connection)",
  [oursRun!, blindRun!, theirsRun!],
  theirsRun!,
);
console.log(
  `  Fastify plugin vs @fastify/session + connect-redis: ${(oursRun!.opsPerSecond / theirsRun!.opsPerSecond).toFixed(2)}× with compare-and-set saves (the default), ${(blindRun!.opsPerSecond / theirsRun!.opsPerSecond).toFixed(2)}× with blind saves (target ≥ 1.5×)`,
);

await Promise.all(running.map((r) => r.close()));
await login.close();
