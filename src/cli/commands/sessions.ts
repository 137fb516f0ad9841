/** `sessionbridge sessions list|show|revoke|migrate`: the sessions of a store. */
import { resolve } from "node:path";
import { toTypedJson } from "../../codecs/typed-json.ts";
import type { Command } from "../command.ts";
import { CommandFailure, UsageError } from "../command.ts";
import { intOption } from "../args.ts";
import { didYouMean } from "../suggest.ts";
import { CONFIG_HELP, requireSecretKey, type ManageConfig } from "../manage/config.ts";
import { asFailure, parseManageArgs, watchStop, writeJson } from "../manage/common.ts";
import {
  copySessions,
  defaultCheckpointPath,
  migrationId,
  readCheckpoint,
} from "../manage/copy.ts";
import { streamRows, type OutputRow } from "../manage/output.ts";
import { formatVerifyReport, verifyCopy, verifyFailureLine } from "../manage/verify.ts";
import { revokeUserSessions } from "../manage/revoke.ts";
import { describeLookup, indexedPages, runIndex } from "../manage/index-command.ts";
import { userLookup } from "../manage/user-index.ts";
import {
  openConfiguredStore,
  openStoreUrl,
  SIGNED_COOKIES_NOTE,
  canonicalUserId,
  userIdOf,
  type ManagedStore,
} from "../manage/stores.ts";

const DEFAULT_BATCH = 1000;
const DEFAULT_SAMPLE = 1000;
const SUBCOMMANDS = ["list", "show", "revoke", "index", "migrate"];

export const sessionsCommand: Command = {
  name: "sessions",
  summary: "List, show, revoke sessions; migrate them between stores",
  help: `Usage:
  sessionbridge sessions list [--user ID] [--active] [--json] [options]
  sessionbridge sessions show KEY [--json] [options]
  sessionbridge sessions revoke KEY [options]
  sessionbridge sessions revoke --user ID [options]
  sessionbridge sessions index [--backfill | --follow] [--json] [options]
  sessionbridge sessions migrate --from STORE_URL --to STORE_URL [--dry-run] [--verify] [--checkpoint FILE] [--restart] [--batch-size N] [--json]

Works on the configured store (SESSION_STORE: db, cache, cached_db, file, redis-sessions;
signed_cookies stores nothing server-side). Decoding session data needs SECRET_KEY (and
SECRET_KEY_FALLBACKS for data signed with an older key).

  list      every session: key, user id (_auth_user_id, "-" if anonymous, "?" if undecodable)
            and expiry; --user ID keeps that user's (through the user index when it is
            complete, saying on stderr which way), --active drops expired ones. Walks the
            store in batches (SQL pages in key order, Redis SCAN on every Cluster master, the
            directory), never all at once, and waits for a slow reader. If the walk fails midway,
            the output written so far stays valid (the JSON array is closed) and the command
            exits 1 saying the output is incomplete and how many rows it holds.
  show      one session's decoded data (typed JSON) with its expiry
  revoke    deletes one session, or with --user ID every session of that user. Through the
            user index when it is complete (below), else by walking every session (Redis:
            SCAN on every master, never KEYS, one GET per key, pages in flight; SQL pages; the
            directory). Says which it used. On cached_db both halves are swept: the table and
            the cache, which Django keeps serving a session from after its row is gone
  index     the per-user session index of a Redis store (cache, redis-sessions): one Redis
            set per user. Without options: whether it is complete and why. --follow runs the
            indexer: it subscribes to the keyspace notifications of every master (needs
            notify-keyspace-events with K, g, $, x, e: e.g. CONFIG SET notify-keyspace-events
            Kg$xe), then backfills, and while it runs every session write (Django's too) is
            indexed and the index is complete; stopped or disconnected, it is not (its lease
            lapses within 15 s). --backfill alone indexes what exists but is complete only if
            an indexer ran throughout. list --user, revoke --user and changepassword use the
            index only when complete, and check each indexed session's user before acting.
            SESSION_USER_INDEX=on makes sessionbridge's own saves (serve's logins, migrate
            into Redis) add to the index too
  migrate   copies every live session from one store to another with its remaining lifetime
            (expire_date or TTL). Resumable: after each batch the position is written to a
            checkpoint file; re-running the same command skips what is done. Ctrl-C finishes
            the current batch, writes the checkpoint and exits 1, both stores consistent.
            A Redis position names the servers' run_ids: after a restart or failover the
            resumed walk starts over (upserts, counts from zero: nothing duplicated or
            counted twice). SQL targets get multi-row upserts, one transaction per batch.
            --dry-run only counts what would be copied. --verify then compares the target
            with the source (also on its own, once the checkpoint says the copy is complete):
            live sessions per user (_auth_user_id) on both sides, and a sample of sessions
            read back from the target, decoded and compared with their expiry; any difference
            is reported and the command exits 1. Verify once the source has stopped taking
            writes (a session created since is a difference).

Store URLs (migrate):
  sql+sqlite:PATH, sql+postgres://user:pw@host/db, sql+mysql://user:pw@host/db
                            django_session (backends.db; also the truth of cached_db)
  redis://host:6379/0?layout=django-redis&prefix=P&version=1&serializer=pickle|json&compressor=identity|zlib
                            backends.cache on django-redis (layout=django: Django's RedisCache;
                            &engine=cached_db: the cache half of cached_db)
  redis://host:6379/0?layout=redis-sessions&prefix=P   (or redis-sessions-fork)
  file:/path/to/dir[?cookie_name=sessionid&cookie_age=1209600]
                            backends.file (expiry is Django's: _session_expiry or mtime + age)
  rediss:// for TLS. A session without TTL gets SESSION_COOKIE_AGE (1209600 s) in the target.

Options:
  --user ID             a user id (auth_user.id; a UUID in any form Python's uuid.UUID reads)
  --active              only sessions that have not expired
  --from URL, --to URL  source and target store (migrate)
  --dry-run             report what would be copied, write nothing
  --checkpoint FILE     the checkpoint file (default .sessionbridge-migrate-<hash>.json here)
  --restart             ignore an existing checkpoint
  --batch-size N        sessions per batch (default ${DEFAULT_BATCH})
  --verify              compare the target with the source after the copy (exit 1 on a difference)
  --verify-sample N     sessions read back from the target by --verify (default ${DEFAULT_SAMPLE})
  --backfill            index: index every session now
  --follow              index: run the indexer until Ctrl-C
  --json                JSON output
  -h, --help            show this help

${CONFIG_HELP}
Examples:
  sessionbridge sessions list --user 42 --active
  sessionbridge sessions show k5u2y0zq3n7b0x1c9d8e7f6g5h4j3k2l
  SESSION_STORE=cache REDIS_URL=redis://cache:6379/1 sessionbridge sessions revoke --user 42
  SESSION_STORE=cache REDIS_URL=redis://cache:6379/1 sessionbridge sessions index --follow
  sessionbridge sessions migrate --from sql+postgres://app@db/app --to 'redis://cache:6379/1?layout=django-redis'
`,
  async run({ args, env, stdout, stderr, stopSignal }) {
    const { values, positionals, config } = parseManageArgs(args, env, {
      user: { type: "string" },
      active: { type: "boolean" },
      json: { type: "boolean" },
      from: { type: "string" },
      to: { type: "string" },
      "dry-run": { type: "boolean" },
      checkpoint: { type: "string" },
      restart: { type: "boolean" },
      "batch-size": { type: "string" },
      verify: { type: "boolean" },
      "verify-sample": { type: "string" },
      backfill: { type: "boolean" },
      follow: { type: "boolean" },
    });
    const [sub, ...rest] = positionals;
    const batchSize = intOption(values["batch-size"], "--batch-size") ?? DEFAULT_BATCH;
    if (batchSize < 1) throw new UsageError("--batch-size must be at least 1");
    const stop = watchStop(stopSignal);
    const json = values.json === true;
    switch (sub) {
      case "list": {
        if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
        // Django keeps `str(pk)`: a UUID typed without hyphens or an id with a leading zero
        // still finds its sessions.
        const wantedUser = values.user === undefined ? undefined : canonicalUserId(values.user);
        await withStore(config, async (managed) => {
          const now = Date.now();
          const redis = managed.redis;
          const lookup =
            wantedUser === undefined || redis === undefined ? undefined : await userLookup(redis);
          if (lookup !== undefined)
            stderr.write(`sessions list --user: ${describeLookup(lookup.via, lookup.reason)}\n`);
          const pages =
            lookup?.via === "index" && redis !== undefined && wantedUser !== undefined
              ? indexedPages(redis, values.user!, wantedUser)
              : managed.walk({ batchSize, activeOnly: values.active === true });
          async function* rows(): AsyncIterable<OutputRow> {
            for await (const batch of pages) {
              for (const record of batch.sessions) {
                const user = record.data === null ? "?" : (userIdOf(record.data) ?? "-");
                if (wantedUser !== undefined && canonicalUserId(user) !== wantedUser) continue;
                const expired = record.expireDate !== null && record.expireDate.getTime() <= now;
                if (values.active === true && expired) continue;
                yield {
                  json: {
                    session_key: record.key,
                    user_id: record.data === null ? null : userIdOf(record.data),
                    decodable: record.data !== null,
                    expire_date: record.expireDate?.toISOString() ?? null,
                    expired,
                  },
                  text: `${record.key}\t${user}\t${record.expireDate?.toISOString() ?? "never"}${expired ? " (expired)" : ""}`,
                };
              }
              if (stop.stopped && batch.position !== "") throw new CommandFailure("interrupted");
            }
          }
          await streamRows(stdout, rows(), {
            json,
            header: "SESSION KEY\tUSER\tEXPIRES",
            noun: "sessions",
          });
        });
        return;
      }
      case "show": {
        if (rest.length !== 1) throw new UsageError("give exactly one session KEY");
        const key = rest[0]!;
        await withStore(config, async (managed) => {
          const record = await managed.inspect(key);
          if (record === null)
            throw new CommandFailure(`no session ${key} in ${managed.description}`);
          if (record.data === null) {
            throw new CommandFailure(
              `session ${key} cannot be decoded (bad signature or corrupt data; check SECRET_KEY / SECRET_KEY_FALLBACKS)`,
            );
          }
          const doc = {
            session_key: key,
            expire_date: record.expireDate?.toISOString() ?? null,
            expired: record.expireDate !== null && record.expireDate.getTime() <= Date.now(),
            user_id: userIdOf(record.data),
            data: toTypedJson(record.data),
          };
          stdout.write(`${JSON.stringify(doc, null, json ? undefined : 2)}\n`);
        });
        return;
      }
      case "revoke": {
        if (values.user !== undefined) {
          if (rest.length > 0)
            throw new UsageError("give either a session KEY or --user ID, not both");
          const userId = values.user;
          await withStore(config, async (managed) => {
            const { deleted, via, reason } = await revokeUserSessions(managed, userId, {
              batchSize,
              stderr,
              env,
              stop,
            });
            if (json) writeJson(stdout, { user_id: userId, deleted, via, via_reason: reason });
            else
              stdout.write(
                `Deleted ${deleted} session${deleted === 1 ? "" : "s"} of user ${userId} from ${managed.description} (${describeLookup(via, reason)})\n`,
              );
            if (stop.stopped)
              throw new CommandFailure(
                `interrupted after deleting ${deleted} sessions; run again to finish`,
              );
          });
          return;
        }
        if (rest.length !== 1) throw new UsageError("give a session KEY or --user ID");
        const key = rest[0]!;
        await withStore(config, async (managed) => {
          if (managed.kind === "signed_cookies") throw new CommandFailure(SIGNED_COOKIES_NOTE);
          const existed = (await managed.inspect(key)) !== null;
          await managed.store.delete(key);
          if (json) writeJson(stdout, { session_key: key, deleted: existed ? 1 : 0 });
          else
            stdout.write(
              existed ? `Deleted session ${key}\n` : `No session ${key} (nothing deleted)\n`,
            );
        });
        return;
      }
      case "index": {
        if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
        await runIndex(config, {
          backfill: values.backfill === true,
          follow: values.follow === true,
          json,
          batchSize,
          stdout,
          stderr,
          env,
          stop,
          stopSignal,
        });
        return;
      }
      case "migrate": {
        if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
        if (values.from === undefined || values.to === undefined)
          throw new UsageError("migrate needs --from STORE_URL and --to STORE_URL");
        const from = values.from;
        const to = values.to;
        if (from === to) throw new UsageError("--from and --to are the same store");
        const secret = requireSecretKey(config);
        const dryRun = values["dry-run"] === true;
        const migration = migrationId(from, to);
        const checkpointPath = resolve(values.checkpoint ?? defaultCheckpointPath(from, to));
        const verify = values.verify === true;
        const sample = intOption(values["verify-sample"], "--verify-sample") ?? DEFAULT_SAMPLE;
        if (sample < 0) throw new UsageError("--verify-sample must be 0 or more");
        const resumeFrom =
          values.restart === true || dryRun ? null : readCheckpoint(checkpointPath, migration);
        const complete = resumeFrom?.done === true;
        const doneNote = `already complete (${resumeFrom?.copied ?? 0} sessions copied): ${checkpointPath} says so; pass --restart to copy again`;
        if (complete && !verify) {
          if (json) writeJson(stdout, { copied: 0, skipped: 0, complete: true, note: doneNote });
          else stdout.write(`Nothing to do: ${doneNote}\n`);
          return;
        }
        const source = await openStoreUrl(from, config, secret);
        let target: ManagedStore | undefined;
        try {
          target = await openStoreUrl(to, config, secret);
          const into = target;
          /** Verifies the copy, prints the report (with `summary` in JSON), fails on a mismatch. */
          const verifyAndReport = async (summary: Record<string, unknown>): Promise<void> => {
            const report = await verifyCopy(source, into, { batchSize, sample, stop, stderr, env });
            if (json) writeJson(stdout, { ...summary, verify: report });
            else stdout.write(formatVerifyReport(report));
            if (!report.ok) throw new CommandFailure(verifyFailureLine(report));
          };
          if (complete) {
            // Only the verify: the copy is done.
            if (!json) stdout.write(`Nothing to copy: ${doneNote}\n`);
            await verifyAndReport({ copied: 0, skipped: 0, complete: true, note: doneNote });
            return;
          }
          if (resumeFrom !== null && !json)
            stdout.write(
              `Resuming from ${checkpointPath} (${resumeFrom.copied} sessions already copied)\n`,
            );
          const result = await copySessions(source, target, {
            batchSize,
            dryRun,
            checkpointPath: dryRun ? undefined : checkpointPath,
            migration,
            resumeFrom,
            stop,
            stderr,
            env,
          });
          const summary = {
            dry_run: dryRun,
            copied: result.copied,
            skipped: result.skipped,
            undecodable: result.undecodable,
            expired: result.expired,
            complete: !result.interrupted,
            restarted: result.restarted,
            checkpoint: dryRun ? null : checkpointPath,
          };
          if (!json) {
            const verb = dryRun ? "Would copy" : "Copied";
            stdout.write(
              `${verb} ${result.copied} session${result.copied === 1 ? "" : "s"} from ${source.description} to ${target.description}` +
                (result.skipped > 0
                  ? ` (skipped ${result.undecodable} undecodable, ${result.expired} expired)`
                  : "") +
                "\n",
            );
          }
          if (result.interrupted) {
            if (json) writeJson(stdout, summary);
            throw new CommandFailure(
              `interrupted after a complete batch; run the same command again to resume (checkpoint ${checkpointPath})`,
            );
          }
          if (verify) await verifyAndReport(summary);
          else if (json) writeJson(stdout, summary);
        } catch (error) {
          throw asFailure(error);
        } finally {
          await target?.close().catch(() => {});
          await source.close().catch(() => {});
        }
        return;
      }
      case undefined:
        throw new UsageError("missing subcommand (list, show, revoke, index, migrate)");
      default:
        throw new UsageError(
          `unknown subcommand "${sub}"${didYouMean(sub, SUBCOMMANDS) || ` (${SUBCOMMANDS.join(", ")})`}`,
        );
    }
  },
};

async function withStore(
  config: ManageConfig,
  action: (managed: ManagedStore) => Promise<void>,
): Promise<void> {
  const managed = await openConfiguredStore(config, requireSecretKey(config));
  try {
    await action(managed);
  } catch (error) {
    throw asFailure(error);
  } finally {
    await managed.close().catch(() => {});
  }
}
