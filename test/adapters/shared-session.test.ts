// getSession() on a request its session middleware did not run on: every adapter throws the one
// shared error (adapters/shared-session.ts), with its own fix.
import assert from "node:assert/strict";
import { IncomingMessage } from "node:http";
import { Socket } from "node:net";
import { test } from "node:test";
import type { FastifyRequest } from "fastify";
import type { Context } from "koa";
import { getSession as fastifySession } from "../../src/adapters/fastify/index.ts";
import { getSession as koaSession } from "../../src/adapters/koa/index.ts";
import { getSession as nodeSession } from "../../src/adapters/node/index.ts";
import { missingSessionError } from "../../src/adapters/shared-session.ts";
import { getSession as webSession } from "../../src/adapters/web/index.ts";
import { ConfigurationError } from "../../src/errors.ts";

test("missingSessionError: a ConfigurationError naming the fix", () => {
  const error = missingSessionError();
  assert.ok(error instanceof ConfigurationError);
  assert.equal(error.message, "No session on this request: add sessionMiddleware() first");
});

test("each adapter's getSession throws it, in its own words", () => {
  const added = { name: "ConfigurationError", message: missingSessionError().message };
  assert.throws(() => nodeSession(new IncomingMessage(new Socket())), added);
  assert.throws(() => koaSession({} as Context), added);
  assert.throws(() => fastifySession({} as FastifyRequest), {
    name: "ConfigurationError",
    message: "No session on this request: register sessionMiddleware() first",
  });
  assert.throws(() => webSession(new Request("http://localhost/")), {
    name: "ConfigurationError",
    message:
      "No session on this request: open it with createSessions(options).open(request) or withSessions()",
  });
});
