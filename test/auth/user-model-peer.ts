// Drives test/auth/user_model_peer.py: real Django auth on Django's auth.User or on a custom
// user model with a UUID key (test/auth/django_apps/uuidaccounts), with the system Python and
// a Django from .cache/python-peers.
import { join } from "node:path";
import {
  REPO_ROOT,
  djangoPeerEnv,
  djangoPython,
  type DjangoVersion,
} from "../interop/django/peer.ts";
import { runPythonJson } from "../support/python.ts";

const SCRIPT = join(REPO_ROOT, "test", "auth", "user_model_peer.py");

/** The user models the peer knows. */
export type PeerUserModel = "auth.User" | "uuidaccounts.Member";

/** A user as Django reads it: `str(pk)`, and dates as `isoformat()` (aware, UTC). */
export interface PeerUser {
  readonly id: string;
  readonly username: string;
  readonly email: string;
  readonly last_login: string | null;
  readonly date_joined: string | null;
  readonly password_ok?: boolean;
}

/** Where and as what the peer runs. */
export interface PeerTarget {
  readonly version: DjangoVersion;
  /** `DJANGO_DB`: `sqlite:/path`, `postgres://…` or `mysql://…`. */
  readonly db: string;
  readonly userModel?: PeerUserModel;
  readonly secretKey?: string;
}

/** Runs `user_model_peer.py <args>` with `input` as JSON on stdin; resolves its JSON output. */
export function runUserModelPeer<T = unknown>(
  target: PeerTarget,
  args: readonly string[],
  input?: unknown,
): Promise<T> {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ["PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"]) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  Object.assign(env, djangoPeerEnv(target.version), {
    DJANGO_DB: target.db,
    USER_MODEL: target.userModel ?? "auth.User",
    SECRET_KEY: target.secretKey ?? "sessionbridge-test-secret",
  });
  return runPythonJson<T>(`user_model_peer.py ${args.join(" ")}`, [SCRIPT, ...args], {
    cwd: REPO_ROOT,
    env,
    input,
    python: djangoPython(target.version),
  });
}

/** A Django `isoformat()` as the instant it names (microseconds truncated to milliseconds). */
export function djangoInstant(iso: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(iso);
  if (m === null) throw new Error(`not an aware isoformat: ${iso}`);
  const ms = (m[2] ?? "").padEnd(3, "0").slice(0, 3);
  return new Date(`${m[1] ?? ""}.${ms}${m[3] ?? ""}`).toISOString();
}
