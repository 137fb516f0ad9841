/** Deleting every session of one user from a store (`sessions revoke --user`, `changepassword`). */
import { CommandFailure } from "../command.ts";
import type { ManageConfig } from "./config.ts";
import { startProgress } from "./progress.ts";
import { canonicalUserId, openConfiguredStore, userIdOf, type ManagedStore } from "./stores.ts";

/** Options of {@link revokeUserSessions}. */
export interface RevokeOptions {
  /**
   * The canonical form of a stored `_auth_user_id` (`DjangoUserSource.normalizeId`); default
   * {@link canonicalUserId}, for when the user model is not known.
   */
  readonly normalizeId?: (id: string) => string | null;
  readonly batchSize?: number;
  readonly stderr?: NodeJS.WritableStream;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly stop?: { readonly stopped: boolean };
}

/**
 * Walks the whole store in batches (SQL keyset pages, Redis SCAN — never KEYS — or the
 * directory), decodes each session and deletes those whose `_auth_user_id` is `userId`; for
 * `cached_db`, then the cache half too (sessions whose row is gone but whose cache entry still
 * serves them). Resolves how many were deleted.
 */
export async function revokeUserSessions(
  managed: ManagedStore,
  userId: string,
  options: RevokeOptions = {},
): Promise<number> {
  const batchSize = options.batchSize ?? 1000;
  const normalize = options.normalizeId ?? canonicalUserId;
  const target = normalize(userId) ?? userId;
  const total = managed.count ? await managed.count(false) : undefined;
  const progress = startProgress(options.stderr ?? process.stderr, "revoke", total, options.env);
  // Keys already deleted: cached_db's second pass over the cache must not count them again.
  const gone = new Set<string>();
  const sweep = async (
    scan: ManagedStore["walk"],
    onBatch: (n: number) => void,
  ): Promise<boolean> => {
    for await (const batch of scan({ batchSize, activeOnly: false })) {
      for (const record of batch.sessions) {
        const owner = userIdOf(record.data);
        if (owner !== null && normalize(owner) === target && !gone.has(record.key)) {
          await managed.store.delete(record.key);
          gone.add(record.key);
        }
      }
      onBatch(batch.sessions.length);
      if (options.stop?.stopped === true) return false;
    }
    return true;
  };
  try {
    const finished = await sweep(
      (o) => managed.walk(o),
      (n) => {
        progress.tick(n);
      },
    );
    if (finished && managed.walkCache) await sweep(managed.walkCache, () => undefined);
  } catch (error) {
    // How far it got is part of the failure: those sessions are gone, the rest may not be.
    const detail = error instanceof Error ? error.message : String(error);
    throw new CommandFailure(
      `could not revoke every session: stopped after deleting ${gone.size} session${gone.size === 1 ? "" : "s"} of user ${userId}: ${detail}`,
    );
  } finally {
    progress.done();
  }
  return gone.size;
}

/** Opens the configured store and revokes; `null` for signed cookies (nothing stored). */
export async function revokeInConfiguredStore(
  config: ManageConfig,
  secret: string,
  userId: string,
  options: RevokeOptions = {},
): Promise<{ deleted: number; description: string } | null> {
  if (config.sessionStore === "signed_cookies") return null;
  const managed = await openConfiguredStore(config, secret);
  try {
    const deleted = await revokeUserSessions(managed, userId, options);
    return { deleted, description: managed.description };
  } catch (error) {
    if (error instanceof CommandFailure) throw error;
    throw new CommandFailure(
      `could not revoke the sessions: ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    await managed.close().catch(() => {});
  }
}
