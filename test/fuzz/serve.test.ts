// Issue 18: mutated session cookies against the built `sessionbridge serve` over raw HTTP, as an
// outsider sends them (any byte, duplicates, the valid cookie first and a forged one last):
// none is accepted as a login and none gets a 5xx, on the database store (the cookie is a key)
// and on signed_cookies (the cookie is the signed, maybe compressed, session). A fixed seed, so
// a failure replays; the valid cookie still works afterwards and serve still answers.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { prng } from "../codecs/inflate/support.ts";
import { runCli } from "../support/cli.ts";
import { CookieJar } from "../support/http.ts";
import { startServe, submitLogin, type ServeProcess } from "../support/serve.ts";

const SECRET = "fuzz-serve-secret-key";
const PASSWORD = "fuzz correct horse battery";
const COOKIES_PER_STORE = 3000;

/** One GET over a fresh TCP connection, the Cookie header as raw Latin-1 bytes. */
function rawGet(base: string, path: string, cookie: string): Promise<{ status: number }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on("data", (d: Buffer) => chunks.push(d));
    socket.on("error", reject);
    socket.on("close", () => {
      const head = Buffer.concat(chunks).toString("latin1");
      const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (m === null) reject(new Error(`no HTTP answer to ${JSON.stringify(cookie.slice(0, 80))}`));
      else resolve({ status: Number(m[1]) });
    });
    socket.end(
      Buffer.concat([
        Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\nCookie: `),
        Buffer.from(cookie, "latin1"),
        Buffer.from("\r\n\r\n"),
      ]),
    );
  });
}

/** Mutations of the valid value that change what any cookie parser reads (seeded). */
function mutations(valid: string, count: number, seed: number): string[] {
  const rand = prng(seed);
  const int = (n: number): number => Math.floor(rand() * n);
  const printable = (): string => String.fromCharCode(0x21 + int(0x5e));
  const anyByte = (): string => String.fromCharCode(1 + int(0xff));
  const out: string[] = [];
  while (out.length < count) {
    let value = valid;
    const edits = 1 + int(3);
    for (let e = 0; e < edits; e++) {
      const at = int(value.length);
      switch (int(8)) {
        case 0: // replace one character by another printable one
          value = value.slice(0, at) + printable() + value.slice(at + 1);
          break;
        case 1: // cut
          value = value.slice(0, at);
          break;
        case 2: // insert any byte inside
          value = value.slice(0, at) + anyByte() + value.slice(at);
          break;
        case 3: // flip the case of a letter
          value = value.slice(0, at) + swapCase(value[at] ?? "") + value.slice(at + 1);
          break;
        case 4: // percent-encode one character
          value =
            value.slice(0, at) +
            `%${(value.charCodeAt(at) || 0x41).toString(16).padStart(2, "0")}` +
            value.slice(at + 1);
          break;
        case 5: // append printable bytes
          value += Array.from({ length: 1 + int(40) }, printable).join("");
          break;
        case 6: // random bytes of any length
          value = Array.from({ length: int(3000) }, anyByte).join("");
          break;
        default: // a run of one character (long values, repeated separators)
          value = value.slice(0, at) + printable().repeat(1 + int(5000)) + value.slice(at);
      }
    }
    const shape = int(4);
    let cookie: string;
    if (shape === 0) cookie = `sessionid=${value}`;
    else if (shape === 1)
      cookie = `sessionid=${valid}; sessionid=${value}`; // the last counts
    else if (shape === 2) cookie = `other=1; sessionid=${value}; csrftoken=${value}`;
    else cookie = `sessionid="${value}"`;
    // What Django reads as the valid session (another spelling of it) is not a forgery: skip.
    if (djangoSessionId(cookie) !== valid) out.push(cookie);
  }
  return out;
}

/**
 * The session key Django reads from a Cookie header (`django.http.cookie.parse_cookie`: split on
 * `;`, the part before the first `=` is the name, both stripped, `http.cookies._unquote`, the last
 * of a name wins): the oracle for "accepted". A cookie Django reads as the valid session is no
 * forgery (a `;` cut after the valid value, a quoted value); any other accepted one is.
 */
function djangoSessionId(header: string): string | undefined {
  let found: string | undefined;
  for (const chunk of header.split(";")) {
    const eq = chunk.indexOf("=");
    const key = pyStrip(eq < 0 ? "" : chunk.slice(0, eq));
    const value = pyStrip(eq < 0 ? chunk : chunk.slice(eq + 1));
    if (key === "sessionid") found = pythonUnquote(value);
  }
  return found;
}

/** Python's `str.strip()` over Latin-1 text (its whitespace, which is not JS's `trim`'s). */
function pyStrip(s: string): string {
  const space = (c: number): boolean =>
    (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c === 0x85 || c === 0xa0;
  let start = 0;
  let end = s.length;
  while (start < end && space(s.charCodeAt(start))) start++;
  while (end > start && space(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}

function pythonUnquote(s: string): string {
  if (s.length < 2 || !s.startsWith('"') || !s.endsWith('"')) return s;
  return s
    .slice(1, -1)
    .replace(/\\(?:([0-3][0-7]{2})|(.))/gsu, (_m, octal: string | undefined, c: string) =>
      octal === undefined ? c : String.fromCharCode(parseInt(octal, 8)),
    );
}

function swapCase(c: string): string {
  const lower = c.toLowerCase();
  return c === lower ? c.toUpperCase() : lower;
}

for (const [store, seed] of [
  ["db", 18_001],
  ["signed_cookies", 18_002],
] as const) {
  describe(`fuzz: mutated session cookies against serve (SESSION_STORE=${store})`, () => {
    const dir = mkdtempSync(join(tmpdir(), "sb-fuzz-serve-"));
    const env = { SECRET_KEY: SECRET, SESSION_STORE: store, LOGIN_RATE_LIMIT: "off" };
    let serve: ServeProcess;
    let valid: string;
    before(async () => {
      assert.equal((await runCli(["migrate"], { cwd: dir, env })).code, 0);
      const created = await runCli(["createsuperuser", "--no-input", "--username", "alice"], {
        cwd: dir,
        env: { ...env, SESSIONBRIDGE_PASSWORD: PASSWORD },
      });
      assert.equal(created.code, 0, created.stderr);
      serve = await startServe(dir, env);
      const jar = new CookieJar();
      const login = await submitLogin(jar, serve.url, { username: "alice", password: PASSWORD });
      await login.text();
      assert.equal(login.status, 302);
      valid = jar.cookies.get("sessionid") ?? "";
      assert.ok(valid.length > 0);
    });
    after(async () => {
      await serve.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it(`${COOKIES_PER_STORE} mutated cookies: 0 accepted, 0 5xx`, async (t) => {
      assert.equal((await rawGet(serve.url, "/auth/verify", `sessionid=${valid}`)).status, 200);
      const statuses = new Map<number, number>();
      const accepted: string[] = [];
      const cookies = mutations(valid, COOKIES_PER_STORE, seed);
      for (let i = 0; i < cookies.length; i += 4) {
        const batch = cookies.slice(i, i + 4);
        const results = await Promise.all(
          batch.flatMap((cookie) => [
            rawGet(serve.url, "/auth/verify", cookie).then((r) => ({ ...r, cookie, verify: true })),
            rawGet(serve.url, "/whoami", cookie).then((r) => ({ ...r, cookie, verify: false })),
          ]),
        );
        for (const r of results) {
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          if (r.verify && r.status === 200) accepted.push(r.cookie);
        }
      }
      t.diagnostic(`statuses: ${JSON.stringify([...statuses].sort((a, b) => a[0] - b[0]))}`);
      const fivexx = [...statuses].filter(([s]) => s >= 500);
      assert.deepEqual(fivexx, [], `statuses: ${JSON.stringify([...statuses])}`);
      assert.deepEqual(
        accepted.map((c) => c.slice(0, 120)),
        [],
      );
      // Every request got an answer, most of them the anonymous one.
      const answered = [...statuses.values()].reduce((a, b) => a + b, 0);
      assert.equal(answered, cookies.length * 2);
      assert.ok((statuses.get(401) ?? 0) > cookies.length / 2, JSON.stringify([...statuses]));
      // And the real login still works.
      assert.equal((await rawGet(serve.url, "/auth/verify", `sessionid=${valid}`)).status, 200);
      assert.doesNotMatch(serve.stderr(), /TypeError|RangeError|at .*\.js:\d+/);
    });
  });
}
