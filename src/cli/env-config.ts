/**
 * Configuration shared by every CLI command, read from the environment (the same variables a
 * Django deployment already has) with flags overriding them.
 *
 * | variable | meaning | default |
 * |---|---|---|
 * | `DATABASE_URL` | `sqlite:PATH`, `postgres://…`, `mysql://…` | `sqlite:./sessionbridge.sqlite3` |
 * | `SECRET_KEY` | Django's `SECRET_KEY` | generated and kept beside the database |
 * | `SECRET_KEY_FALLBACKS` | comma-separated old keys, verify only | none |
 * | `DJANGO_VERSION` | `3.2`, `4.2` or `5.2` (`5.x`); picks version-specific rules | `5.2` |
 */
import { ConfigurationError } from "../errors.ts";
import type { DjangoVersion } from "../engine/config.ts";
import { djangoPreset } from "../presets/django.ts";

/** The embedded default store. */
export const DEFAULT_DATABASE_URL = "sqlite:./sessionbridge.sqlite3";

/** What the environment says. */
export interface EnvConfig {
  readonly databaseUrl: string;
  readonly secretKey: string | undefined;
  readonly secretKeyFallbacks: readonly string[];
  readonly djangoVersion: DjangoVersion;
}

/** Reads the shared variables. @throws {ConfigurationError} for a value that cannot be used. */
export function readEnvConfig(env: Readonly<Record<string, string | undefined>>): EnvConfig {
  const secretKey =
    env.SECRET_KEY === undefined || env.SECRET_KEY === "" ? undefined : env.SECRET_KEY;
  return {
    databaseUrl: env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL,
    secretKey,
    secretKeyFallbacks: (env.SECRET_KEY_FALLBACKS ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
    djangoVersion: parseDjangoVersion(env.DJANGO_VERSION ?? "5.2"),
  };
}

/**
 * Maps a Django version to the preset whose rules apply: 3.x → 3.2, 4.x → 4.2, 5.x → 5.2.
 * @throws {ConfigurationError} for anything else.
 */
export function parseDjangoVersion(value: string): DjangoVersion {
  return djangoPreset(value).version;
}

/** Reads an integer port. @throws {ConfigurationError} */
export function parsePort(value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigurationError(
      `PORT must be a number from 0 to 65535, not "${value.slice(0, 20)}"`,
    );
  }
  return port;
}
