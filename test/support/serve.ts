// Runs the built `sessionbridge serve` as a child process, as a user would.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { CLI, TEST_DJANGO } from "./cli.ts";
import type { CookieJar } from "./http.ts";

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  stderr(): string;
  stop(): Promise<void>;
}

/**
 * Starts `serve --port 0` (or `demo`, which serves the same endpoints and the demo's apps) in
 * `cwd`, and resolves once it prints its address.
 */
export function startServe(
  cwd: string,
  env: Record<string, string> = {},
  command: "serve" | "demo" = "serve",
): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, command, "--port", "0"], {
    cwd,
    env: { PATH: process.env.PATH ?? "", ...TEST_DJANGO, ...env },
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = /serving on (http:\/\/[^ ]+)/.exec(out);
      if (m)
        resolve({
          child,
          url: m[1]!,
          stderr: () => stderr,
          stop: async () => {
            if (child.exitCode === null) child.kill("SIGTERM");
            await exited;
          },
        });
    });
    child.on("exit", (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
}

/** A form POST. */
export function formPost(fields: Record<string, string>): RequestInit {
  return {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  };
}

/** The CSRF token of the first form on a page. */
export function csrfTokenIn(html: string): string {
  const token = /name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"/.exec(html)?.[1];
  if (token === undefined) throw new Error("no CSRF token on the page");
  return token;
}

/** A random IPv6 documentation address (2001:db8::/32): a per-IP login budget of its own. */
export function randomDocumentationIp(): string {
  const hex = randomBytes(8).toString("hex");
  return `2001:db8:${hex.slice(0, 4)}:${hex.slice(4, 8)}::${hex.slice(8, 12)}`;
}

/**
 * Opens the login page in `jar` (a session and CSRF token of its own), then posts the login
 * form; `headers` go on both requests (e.g. `X-Forwarded-For`).
 */
export async function submitLogin(
  jar: CookieJar,
  base: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  const page = await (await jar.fetch(`${base}/login`, { headers })).text();
  const form = formPost({ csrfmiddlewaretoken: csrfTokenIn(page), ...fields });
  return jar.fetch(`${base}/login`, {
    ...form,
    headers: { ...(form.headers as Record<string, string>), ...headers },
  });
}
