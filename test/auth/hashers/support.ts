// Test helpers for the hashers: the optional native backends and the Django batch driver.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runProcess } from "../../support/process.ts";
import { loadArgon2Backend, loadBcryptBackend } from "../../../src/auth/hashers/backends.ts";
import type { HasherAlgorithm } from "../../../src/auth/hashers/index.ts";
import {
  djangoPeerEnv,
  djangoPython,
  PEERS_JSON,
  REPO_ROOT,
  type DjangoVersion,
} from "../../interop/django/peer.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const DRIVER = join(HERE, "django_hashers.py");

/** Which native backends load (`@node-rs/argon2`, `@node-rs/bcrypt`: optional peers, dev-installed). */
export async function nativeBackends(): Promise<{ argon2: boolean; bcrypt: boolean }> {
  const loads = async (load: () => Promise<unknown>): Promise<boolean> => {
    try {
      await load();
      return true;
    } catch {
      return false;
    }
  };
  return { argon2: await loads(loadArgon2Backend), bcrypt: await loads(loadBcryptBackend) };
}

/**
 * Fails, naming what is missing, unless both native backends load: the argon2/bcrypt cases are
 * part of the suite (dev dependencies), never dropped because a module is absent.
 */
export async function requireNativeBackends(): Promise<void> {
  const native = await nativeBackends();
  const missing = [
    ...(native.argon2 ? [] : ["@node-rs/argon2"]),
    ...(native.bcrypt ? [] : ["@node-rs/bcrypt"]),
  ];
  if (missing.length > 0) {
    throw new Error(`the hasher tests need ${missing.join(" and ")} (npm ci installs them)`);
  }
}

export type DjangoOp =
  | { op: "make"; password: string; algorithm: HasherAlgorithm }
  | { op: "check"; password: string | null; encoded: string; preferred?: HasherAlgorithm }
  | { op: "must_update"; encoded: string; preferred?: HasherAlgorithm }
  | { op: "identify"; encoded: string };

export interface DjangoOpResult {
  encoded?: string;
  ok?: boolean;
  must_update?: boolean | null;
  algorithm?: string;
  error?: string;
}

export interface DjangoBatch {
  versions: { django: string; argon2: string | null; bcrypt: string | null };
  results: DjangoOpResult[];
}

/** True when the Python peers have been fetched (`npm run peers`). */
export const peersAvailable = (): boolean => existsSync(PEERS_JSON);

/**
 * Runs django_hashers.py with Django `version` and `PASSWORD_HASHERS = hashers` (argon2-cffi and
 * bcrypt come from the Debian peers).
 */
export async function runDjangoHashers(
  version: DjangoVersion,
  hashers: readonly HasherAlgorithm[],
  ops: readonly DjangoOp[],
): Promise<DjangoBatch> {
  const peer = djangoPeerEnv(version);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    LANG: "C.UTF-8",
    ...peer,
    PYTHONIOENCODING: "utf-8",
  };
  const r = await runProcess(djangoPython(version), [DRIVER], {
    cwd: REPO_ROOT,
    env,
    input: JSON.stringify({ hashers, ops }),
    timeoutMs: 300_000,
  });
  if (r.code !== 0) {
    throw new Error(
      `django_hashers.py (Django ${version}) exited ${r.code ?? r.signal ?? "?"}: ${r.stderr}`,
    );
  }
  try {
    return JSON.parse(r.stdout) as DjangoBatch;
  } catch (e) {
    throw new Error(`django_hashers.py: bad JSON: ${r.stdout}\n${r.stderr}`, { cause: e });
  }
}
