// The per-username lockout holds for every spelling the user lookup treats as the same name
// (issue 18, finding 3), through the real `sessionbridge serve` over HTTP on real MariaDB,
// PostgreSQL and SQLite. MariaDB's default collation (utf8mb4_general_ci, as Django's tables get
// it) finds `alice` for `ÁLICE`, `alicé`, `alice ` and more, so those spellings log in as alice,
// as they do in Django; once `alice` is locked, none of them may (before the fix each had a
// fresh budget and logged in). PostgreSQL and SQLite compare exactly: there the spellings are
// other names and never log in as alice.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli } from "../support/cli.ts";
import { createTempDatabases, type TempDatabases } from "../support/databases.ts";
import { CookieJar } from "../support/http.ts";
import {
  randomDocumentationIp,
  startServe,
  submitLogin,
  type ServeProcess,
} from "../support/serve.ts";

const PASSWORD = "correct horse battery staple";
const DIALECTS = ["mysql", "postgres", "sqlite"] as const;

/** Spellings of `alice` that MariaDB's utf8mb4_general_ci compares equal to it. */
const SPELLINGS = ["Alice", "ÁLICE", "alicé", "àlice", "ålice", "ALİCE", "alice ", "alice  "];

/** A login with a CSRF token of its own; the response status and who is logged in after it. */
async function attempt(
  base: string,
  username: string,
  password: string,
): Promise<{ status: number; who: string | null }> {
  const jar = new CookieJar();
  const response = await submitLogin(
    jar,
    base,
    { username, password },
    { "X-Forwarded-For": randomDocumentationIp() },
  );
  await response.arrayBuffer();
  const whoami = (await (await jar.fetch(`${base}/whoami`)).json()) as { username: string | null };
  return { status: response.status, who: whoami.username };
}

describe("serve: the username lockout covers every spelling of the name", () => {
  let databases: TempDatabases;
  before(async () => {
    databases = await createTempDatabases("login_spellings");
  });
  after(async () => {
    await databases.drop();
  });

  for (const dialect of DIALECTS) {
    describe(dialect, () => {
      const dir = mkdtempSync(join(tmpdir(), "sb-login-spellings-"));
      let serve: ServeProcess;
      let env: Record<string, string>;

      before(async () => {
        env = {
          DATABASE_URL: databases.url(dialect),
          SECRET_KEY: "login-spellings-secret",
          LOGIN_RATE_LIMIT: "2/300",
          TRUST_PROXY: "1",
        };
        serve = await startServe(dir, env);
        const created = await runCli(["createuser", "--no-input", "--username", "alice"], {
          cwd: dir,
          env: { ...env, SESSIONBRIDGE_PASSWORD: PASSWORD },
        });
        assert.equal(created.code, 0, created.stderr);
      });
      after(async () => {
        await serve.stop();
        rmSync(dir, { recursive: true, force: true });
      });

      if (dialect === "mysql") {
        it("each spelling logs in as alice, as in Django (the collation finds her)", async () => {
          for (const spelling of SPELLINGS) {
            const r = await attempt(serve.url, spelling, PASSWORD);
            assert.deepEqual(r, { status: 302, who: "alice" }, JSON.stringify(spelling));
          }
        });
      }

      it("once alice is locked, no spelling logs in, whatever the password", async () => {
        for (let i = 0; i < 2; i++) {
          assert.equal((await attempt(serve.url, "alice", "wrong")).status, 200);
        }
        assert.deepEqual(await attempt(serve.url, "alice", PASSWORD), { status: 429, who: null });
        for (const spelling of SPELLINGS) {
          const r = await attempt(serve.url, spelling, PASSWORD);
          assert.equal(r.who, null, `${JSON.stringify(spelling)} logged in`);
          if (dialect === "mysql") {
            assert.equal(r.status, 429, `${JSON.stringify(spelling)} shares alice's budget`);
          } else {
            // Another name here (only case variants share alice's budget, by case-folding).
            assert.equal(r.status, spelling === "Alice" ? 429 : 200, JSON.stringify(spelling));
          }
        }
      });
    });
  }
});
