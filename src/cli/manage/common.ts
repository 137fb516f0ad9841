/** Small pieces shared by the management commands. */
import type { HasherDjangoVersion } from "../../auth/hashers/types.ts";
import { isSessionBridgeError } from "../../errors.ts";
import { parseCommandArgs } from "../args.ts";
import { CommandFailure, UsageError } from "../command.ts";
import { CONFIG_OPTIONS, resolveManageConfig, type ManageConfig } from "./config.ts";
import { openManagedDatabase, type ManagedDatabase, type OpenManagedOptions } from "./db.ts";
import { requireDjangoVersion } from "../env-config.ts";

type Options = Parameters<typeof parseCommandArgs>[1];

/** Parses `args` with the configuration flags plus `options`, and resolves the configuration. */
export function parseManageArgs<T extends Options>(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  options: T,
): ReturnType<typeof parseCommandArgs<T & typeof CONFIG_OPTIONS>> & { config: ManageConfig } {
  const parsed = parseCommandArgs(args, { ...CONFIG_OPTIONS, ...options });
  const config = resolveManageConfig(parsed.values, env);
  return { ...parsed, config };
}

/**
 * Opens `DATABASE_URL`, runs `action`, closes it; typed errors become one-line failures.
 * A SQLite file that does not exist is a failure unless `options.create` is set.
 */
export async function withDatabase<T>(
  config: ManageConfig,
  action: (database: ManagedDatabase) => Promise<T>,
  options: OpenManagedOptions = {},
): Promise<T> {
  const database = await openManagedDatabase(config.databaseUrl, options);
  try {
    return await action(database);
  } catch (error) {
    throw asFailure(error);
  } finally {
    await database.close().catch(() => {});
  }
}

/** A typed sessionbridge error as a one-line failure; a usage error and anything else unchanged. */
export function asFailure(error: unknown): unknown {
  if (error instanceof CommandFailure || error instanceof UsageError) return error;
  if (isSessionBridgeError(error)) return new CommandFailure(error.message);
  return error;
}

/** The hasher defaults of the configured Django. */
export function hasherVersion(config: ManageConfig): HasherDjangoVersion {
  return requireDjangoVersion(config, "the password hash (its algorithm's work factor)");
}

/** Writes one JSON document and a newline. */
export function writeJson(stream: NodeJS.WritableStream, value: unknown): void {
  stream.write(`${JSON.stringify(value)}\n`);
}

/** Resolves once `signal` fires, flagging `state.stopped`. */
export function watchStop(signal: Promise<void>): { readonly stopped: boolean } {
  const state = { stopped: false };
  void signal.then(() => {
    state.stopped = true;
  });
  return state;
}
