// Debian's nginx as a real reverse proxy for tests: a generated config in a temp prefix,
// `daemon off`, loopback only, stopped (and its files removed) by `stop()`.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../interop/django/peer.ts";

export const NGINX = "/usr/sbin/nginx";

export interface Nginx {
  url: string;
  stop(): Promise<void>;
}

/** `location` blocks proxying each path prefix to a loopback port (prefix stripped). */
export function proxyLocations(routes: Record<string, number>): string {
  return Object.entries(routes)
    .map(
      ([prefix, target]) => `
    location ${prefix} {
      proxy_pass http://127.0.0.1:${target}/;
      proxy_set_header Host $http_host;
      proxy_buffering off;
    }`,
    )
    .join("\n");
}

/** Starts nginx with `serverBody` inside its one `server { listen … }` block. */
export async function startNginx(serverBody: string): Promise<Nginx> {
  if (!existsSync(NGINX)) {
    throw new Error(
      `${NGINX} is missing: this test needs Debian's nginx (run \`apt-get install -y nginx\`; npm test installs it as root)`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "sessionbridge-nginx-"));
  for (const sub of ["body", "proxy", "fastcgi", "uwsgi", "scgi", "logs"])
    mkdirSync(join(dir, sub));
  const port = await freePort();
  const locations = serverBody;
  const conf = `daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
${locations}
  }
}
`;
  writeFileSync(join(dir, "nginx.conf"), conf);
  const child: ChildProcess = spawn(
    NGINX,
    ["-p", dir, "-e", join(dir, "error.log"), "-c", join(dir, "nginx.conf")],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (b: Buffer) => (stderr += b.toString("utf8")));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGQUIT");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    try {
      await fetch(`${url}/__nginx_probe`);
      return { url, stop };
    } catch {
      await sleep(50);
    }
  }
  const log = existsSync(join(dir, "error.log"))
    ? readFileSync(join(dir, "error.log"), "utf8")
    : "";
  await stop();
  throw new Error(`nginx did not start: ${stderr}\n${log}`);
}
