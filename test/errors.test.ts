// The typed errors keep their promise: each class carries its `static code` on every instance,
// the HTTP statuses are the documented ones, and the lint rule that keeps bare built-in throws
// out of src/ (eslint.config.js) fails on one, as the project's own config runs it.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ESLint, Linter } from "eslint";
import tseslint from "typescript-eslint";
import * as errors from "../src/errors.ts";
import {
  ConfigurationError,
  DuplicateKeyError,
  SessionBridgeError,
  SessionStoreError,
  httpStatusOf,
  isSessionBridgeError,
} from "../src/errors.ts";
import { SqlDuplicateKeyError } from "../src/internal/sql/database.ts";
import {
  RedisCommandTimeoutError,
  RedisNotReadyError,
  RedisReplyError,
} from "../src/internal/redis/client.ts";
import { redisStoreError } from "../src/internal/redis/errors.ts";
import { CommandFailure, UsageError } from "../src/cli/command.ts";
import {
  UnsupportedPickleGlobalError,
  UnsupportedPickleOpcodeError,
} from "../src/codecs/pickle/errors.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

type ErrorClass = (abstract new (...args: never[]) => SessionBridgeError) & { code: string };

/** One instance of every error class of the library, built as the library builds them. */
function everyError(): [ErrorClass, SessionBridgeError][] {
  return [
    [errors.BadSignatureError, new errors.BadSignatureError()],
    [errors.SignatureExpiredError, new errors.SignatureExpiredError(120, 60)],
    [errors.MalformedError, new errors.MalformedError("bad")],
    [errors.TooLargeError, new errors.TooLargeError("big")],
    [errors.UnsupportedValueError, new errors.UnsupportedValueError("no")],
    [errors.InvalidArgumentError, new errors.InvalidArgumentError("no")],
    [errors.SessionStoreError, new errors.SessionStoreError("down")],
    [errors.DuplicateKeyError, new errors.DuplicateKeyError("taken")],
    [errors.SessionExistsError, new errors.SessionExistsError()],
    [errors.SessionMissingError, new errors.SessionMissingError()],
    [errors.ConfigurationError, new errors.ConfigurationError("bad option")],
    [errors.UserExistsError, new errors.UserExistsError("alice")],
    [errors.ReadOnlySessionError, new errors.ReadOnlySessionError("set")],
    [SqlDuplicateKeyError, new SqlDuplicateKeyError("taken")],
    [RedisCommandTimeoutError, new RedisCommandTimeoutError("GET", 5)],
    [RedisNotReadyError, new RedisNotReadyError("SET", "reconnecting")],
    [RedisReplyError, new RedisReplyError("Redis reply is not a string")],
    [UnsupportedPickleGlobalError, new UnsupportedPickleGlobalError("os.system")],
    [UnsupportedPickleOpcodeError, new UnsupportedPickleOpcodeError(0x69, "INST", 3)],
    [UsageError, new UsageError("unknown option --x")],
    [CommandFailure, new CommandFailure("table django_session does not exist")],
  ];
}

describe("SessionBridgeError subclasses", () => {
  it("carry their class's static code and name on every instance", () => {
    for (const [Class, error] of everyError()) {
      assert.equal(error.code, Class.code, Class.name);
      assert.equal(error.name, Class.name);
      assert.ok(isSessionBridgeError(error), Class.name);
      assert.ok(error instanceof Error);
    }
  });

  it("has a distinct code for every class but the subclasses that refine a family", () => {
    const codes = new Map<string, string>();
    for (const [Class] of everyError()) {
      if (Class === SqlDuplicateKeyError) continue; // the SQL spelling of DuplicateKeyError
      assert.equal(codes.get(Class.code), undefined, `${Class.name} reuses ${Class.code}`);
      codes.set(Class.code, Class.name);
    }
    assert.equal(SqlDuplicateKeyError.code, DuplicateKeyError.code);
  });

  it("answers 409 for a duplicate key, not an outage's 503", () => {
    const duplicate = new SqlDuplicateKeyError("SQL session store (sqlite) failed: UNIQUE");
    assert.equal(duplicate.code, "duplicate-key");
    assert.equal(httpStatusOf(duplicate), 409);
    assert.ok(!(duplicate instanceof SessionStoreError));
    assert.equal(httpStatusOf(new SessionStoreError("down")), 503);
    assert.equal(httpStatusOf(new errors.SessionMissingError()), 400);
    assert.equal(httpStatusOf(new ConfigurationError("x")), undefined);
  });

  it("types Redis failures, and the stores still report them as the store being unavailable", () => {
    const notReady = new RedisNotReadyError("SET", "reconnecting");
    assert.equal(notReady.code, "redis-not-ready");
    assert.equal(notReady.clientStatus, "reconnecting");
    assert.equal(httpStatusOf(notReady), 503);
    for (const cause of [
      notReady,
      new RedisCommandTimeoutError("GET", 5),
      new RedisReplyError("x"),
    ]) {
      const wrapped = redisStoreError("redis:django-cache", cause);
      assert.ok(wrapped instanceof SessionStoreError);
      assert.equal(wrapped.code, "store-unavailable");
      assert.equal(wrapped.cause, cause);
      assert.match(wrapped.message, /^Redis session store redis:django-cache failed: /);
    }
    // Any other typed error passes through as thrown.
    const malformed = new errors.MalformedError("bad");
    assert.equal(redisStoreError("redis:django-cache", malformed), malformed);
  });
});

describe("the lint rule against bare built-in throws", () => {
  const eslint = new ESLint({ cwd: ROOT });

  /** Lints `source` as if it were `path` below the repo, with the rule as the config sets it. */
  async function lint(path: string, source: string): Promise<string[]> {
    const config = (await eslint.calculateConfigForFile(join(ROOT, path))) as {
      rules?: Record<string, unknown>;
    };
    const rule = config.rules?.["no-restricted-syntax"];
    if (rule === undefined) return [];
    // The rule alone, without type information: what it matches is syntax.
    const linter = new Linter({ configType: "flat" });
    return linter
      .verify(
        source,
        [
          {
            files: ["**/*.ts"],
            languageOptions: { parser: tseslint.parser },
            rules: { "no-restricted-syntax": rule as Linter.RuleEntry },
          },
        ],
        join(ROOT, path),
      )
      .map((m) => `${m.line}: ${m.message}`);
  }

  it("fails on each kind of bare built-in throw in src/", async () => {
    const found = await lint(
      "src/codecs/probe.ts",
      [
        'export function a(): never { throw new TypeError("bad value"); }',
        'export function b(): never { throw new RangeError("out of range"); }',
        'export function c(): never { throw new Error("oops"); }',
        'export function d(): never { throw Error("oops"); }',
        'export const e = (): Promise<never> => Promise.reject(new TypeError("x"));',
      ].join("\n"),
    );
    assert.deepEqual(
      found.map((f) => f.split(":")[0]),
      ["1", "2", "3", "4", "5"],
    );
    assert.match(found[0]!, /SessionBridgeError subclass/);
  });

  it("lets typed errors and a plain Error kept as a cause through", async () => {
    const found = await lint(
      "src/stores/probe.ts",
      [
        'import { ConfigurationError, SessionStoreError } from "../errors.ts";',
        'export function a(): never { throw new ConfigurationError("bad option"); }',
        'export const b = new SessionStoreError("down", { cause: new Error("detail") });',
      ].join("\n"),
    );
    assert.deepEqual(found, []);
  });

  it("is on for all of src/ and only there", async () => {
    assert.notEqual((await lint("src/adapters/hono/probe.ts", "throw new Error('x');")).length, 0);
    assert.notEqual((await lint("src/cli/commands/probe.ts", "throw new Error('x');")).length, 0);
    assert.deepEqual(await lint("test/probe.test.ts", "throw new Error('x');"), []);
  });
});
