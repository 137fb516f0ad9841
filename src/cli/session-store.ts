/**
 * Builds the session store the CLI commands and `serve` work on, from the environment, the
 * way Django's `SESSION_ENGINE` picks one. Here: the database (`db`) engine on `DATABASE_URL`.
 */
import { dirname, join, resolve } from "node:path";
import { DjangoSessionCodec } from "../codecs/django/session-encoding.ts";
import { djangoCodecOptions, djangoPreset } from "../presets/django.ts";
import { createSqlStore, openDatabaseUrl, parseDatabaseUrl } from "../stores/sql/index.ts";
import type { SessionStore } from "../stores/contract.ts";
import type { EnvConfig } from "./env-config.ts";
import { loadOrCreateSecretFile } from "./secret-key.ts";

/** A store ready for use, and how to describe and close it. */
export interface OpenedStore {
  readonly store: SessionStore;
  readonly description: string;
  close(): Promise<void>;
}

/** Where an unset `SECRET_KEY` is kept: beside an SQLite file, else in the working directory. */
export function secretFilePath(databaseUrl: string): string {
  const target = parseDatabaseUrl(databaseUrl);
  if (target.dialect === "sqlite" && target.path !== ":memory:") {
    const path = resolve(target.path);
    return join(dirname(path), `${path.split("/").pop() ?? "db"}.secret-key`);
  }
  return resolve(".sessionbridge-secret");
}

/**
 * The secret key: `SECRET_KEY`, else the one kept beside the database (made on first run).
 * `warn` is called when a key had to be made.
 */
export function resolveSecretKey(config: EnvConfig, warn: (message: string) => void): string {
  if (config.secretKey !== undefined) return config.secretKey;
  const path = secretFilePath(config.databaseUrl);
  const { secret, created } = loadOrCreateSecretFile(path);
  if (created) warn(`SECRET_KEY is not set: generated one and saved it to ${path}`);
  else warn(`SECRET_KEY is not set: using the key saved in ${path}`);
  return secret;
}

/**
 * Opens the `django_session` store on `DATABASE_URL`, creating the table when asked.
 * @throws {ConfigurationError} for a bad URL; {SessionStoreError} for an unreachable database.
 */
export async function openSessionStore(
  config: EnvConfig,
  secret: string,
  options: { createTables: boolean },
): Promise<OpenedStore> {
  const database = await openDatabaseUrl(config.databaseUrl);
  const store = createSqlStore({
    database,
    codec: new DjangoSessionCodec(
      djangoCodecOptions(djangoPreset(config.djangoVersion), secret, config.secretKeyFallbacks),
    ),
  });
  try {
    if (options.createTables) await store.ensureSessionTable();
  } catch (err) {
    await store.close();
    throw err;
  }
  const target = parseDatabaseUrl(config.databaseUrl);
  return {
    store,
    description:
      target.dialect === "sqlite"
        ? `SQLite ${target.path}`
        : target.dialect === "postgres"
          ? "PostgreSQL"
          : "MySQL/MariaDB",
    close: () => store.close(),
  };
}
