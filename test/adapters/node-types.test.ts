// `req.session` and `req.auth` are typed on Node's IncomingMessage through declaration merging
// (src/adapters/node/types.ts), so node:http and Express handlers see them as express-session
// users expect. Small programs are type-checked here with the project's compiler options:
// one that uses them as documented compiles, and misuses are caught.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** Where the program "lives" (never written): beside this test, so its imports resolve. */
const PROBE = join(ROOT, "test/adapters/__types_probe__.ts");

const IMPORTS = `
import { createServer } from "node:http";
import express from "express";
import { sessionMiddleware } from "../../src/adapters/express/index.ts";
import { authMiddleware } from "../../src/adapters/express/auth.ts";
import type { Session } from "../../src/engine/session.ts";
import type { RequestAuth } from "../../src/auth/request-auth.ts";
`;

/** Type-checks `source` as the file {@link PROBE}; the diagnostics' codes and texts. */
function check(source: string): { code: number; text: string }[] {
  const { config } = ts.readConfigFile(join(ROOT, "tsconfig.json"), (path) =>
    readFileSync(path, "utf8"),
  ) as { config: unknown };
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT);
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    name === PROBE
      ? ts.createSourceFile(name, source, language)
      : getSourceFile(name, language, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === PROBE || fileExists(name);
  const program = ts.createProgram([PROBE], options, host);
  return ts.getPreEmitDiagnostics(program, program.getSourceFile(PROBE)).map((d) => ({
    code: d.code,
    text: ts.flattenDiagnosticMessageText(d.messageText, "\n"),
  }));
}

describe("req.session and req.auth through declaration merging", () => {
  it("are typed on node:http and Express requests", () => {
    const diagnostics = check(`${IMPORTS}
declare const store: Parameters<typeof sessionMiddleware>[0];
declare const auth: Parameters<typeof authMiddleware>[0];
const app = express();
app.use(sessionMiddleware(store));
app.use(authMiddleware(auth));
app.get("/", async (req, res) => {
  const session: Session | undefined = req.session;
  await req.session?.set("visits", 1);
  const requestAuth: RequestAuth | undefined = req.auth;
  const user = await req.auth?.user();
  res.json({ session: session?.key ?? null, auth: requestAuth !== undefined, user: user?.username ?? null });
});
createServer((req, res) => {
  void req.session?.get("visits").then((visits) => res.end(String(visits)));
});
`);
    assert.deepEqual(diagnostics, []);
  });

  it("catches misuse: a session that may be absent, a method it does not have", () => {
    const diagnostics = check(`${IMPORTS}
createServer(async (req) => {
  await req.session.get("visits");
  await req.session?.nope();
  const n: number | undefined = req.auth;
  void n;
});
void express;
void sessionMiddleware;
void authMiddleware;
export type Unused = [Session, RequestAuth];
`);
    // 18048: possibly undefined; 2339: no such property; 2322: not assignable.
    assert.deepEqual(
      diagnostics.map((d) => d.code),
      [18048, 2339, 2322],
      JSON.stringify(diagnostics),
    );
  });
});
