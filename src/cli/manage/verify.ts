/**
 * `sessions migrate --verify`: checks a copy against its source. Both stores are walked in
 * batches (flat memory apart from one counter per user): the live, decodable sessions of each
 * user are counted on both sides (`_auth_user_id`; anonymous sessions are one bucket), and a
 * uniform sample of the source's sessions (reservoir sampling) is read back from the target and
 * compared decoded (the data as typed JSON, keys in any order) and by expiry. Any difference
 * makes the report not `ok`, and the command exits 1.
 *
 * Sessions written to the source after the copy (a live site) are differences too: verify when
 * writes have stopped, or read the differences as what changed since.
 */
import { toTypedJson, type JsonValue } from "../../codecs/typed-json.ts";
import type { SessionData } from "../../codecs/python-values.ts";
import { CommandFailure } from "../command.ts";
import { startProgress } from "./progress.ts";
import { userIdOf, type ManagedStore, type SessionRecord } from "./stores.ts";

/** How far a target's expiry may be from its source's (Redis `EX` keeps whole seconds). */
const EXPIRY_TOLERANCE_MS = 2000;
/** Differences listed in the report (the counts cover all of them). */
const LISTED = 20;
/** Target reads in flight while checking the sample. */
const READ_WINDOW = 64;

/** The per-user bucket of sessions without `_auth_user_id`. */
export const ANONYMOUS = "(anonymous)";

/** One side's totals. */
export interface VerifySide {
  /** Live, decodable sessions. */
  readonly sessions: number;
  /** Distinct users among them (anonymous sessions not counted as a user). */
  readonly users: number;
  /** Sessions without `_auth_user_id`. */
  readonly anonymous: number;
  /** Sessions that could not be decoded (not compared, as migrate does not copy them). */
  readonly undecodable: number;
}

/** A user whose session count differs. */
export interface UserMismatch {
  readonly user_id: string;
  readonly source: number;
  readonly target: number;
}

/** A sampled session that the target lacks or holds differently. */
export interface SampleMismatch {
  /** The session key's first 8 characters (a key is a bearer secret). */
  readonly session: string;
  readonly problem: "missing in target" | "data differs" | "expiry differs";
}

/** What {@link verifyCopy} found. */
export interface VerifyReport {
  readonly ok: boolean;
  readonly source: VerifySide;
  readonly target: VerifySide;
  /** How many users' counts differ; the first {@link LISTED} are in `user_mismatches`. */
  readonly mismatched_users: number;
  readonly user_mismatches: readonly UserMismatch[];
  /** Source sessions read back from the target. */
  readonly sampled: number;
  readonly missing: number;
  readonly different_data: number;
  readonly different_expiry: number;
  readonly sample_mismatches: readonly SampleMismatch[];
}

/** Options of {@link verifyCopy}. */
export interface VerifyOptions {
  readonly batchSize: number;
  /** Source sessions to read back from the target. */
  readonly sample: number;
  readonly stop: { readonly stopped: boolean };
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The random source of the sampling (tests pass their own); default `Math.random`. */
  readonly random?: () => number;
}

interface Sampled {
  readonly key: string;
  readonly data: string;
  readonly expireDate: Date | null;
}

/**
 * Compares `target` with `source`; see the module documentation.
 *
 * @throws {CommandFailure} when a walk fails or the command is interrupted (no report then).
 */
export async function verifyCopy(
  source: ManagedStore,
  target: ManagedStore,
  options: VerifyOptions,
): Promise<VerifyReport> {
  const random = options.random ?? Math.random;
  const progress = startProgress(
    options.stderr,
    "sessions migrate --verify",
    undefined,
    options.env,
  );
  try {
    const sample: Sampled[] = [];
    let seen = 0;
    const sourceCounts = new Map<string, number>();
    const sourceSide = await countSide(source, "source", options, sourceCounts, (record, data) => {
      progress.tick(1);
      seen++;
      // Reservoir sampling: every session has the same chance, in one pass.
      const slot = seen <= options.sample ? seen - 1 : Math.floor(random() * seen);
      if (slot < options.sample) {
        sample[slot] = { key: record.key, data: canonical(data), expireDate: record.expireDate };
      }
    });
    const targetCounts = new Map<string, number>();
    const targetSide = await countSide(target, "target", options, targetCounts, () => {
      progress.tick(1);
    });
    const userMismatches: UserMismatch[] = [];
    let mismatchedUsers = 0;
    const compare = (user: string): void => {
      const a = sourceCounts.get(user) ?? 0;
      const b = targetCounts.get(user) ?? 0;
      if (a === b) return;
      mismatchedUsers++;
      if (userMismatches.length < LISTED)
        userMismatches.push({ user_id: user, source: a, target: b });
    };
    for (const user of sourceCounts.keys()) compare(user);
    for (const user of targetCounts.keys()) if (!sourceCounts.has(user)) compare(user);

    let missing = 0;
    let differentData = 0;
    let differentExpiry = 0;
    const sampleMismatches: SampleMismatch[] = [];
    const note = (key: string, problem: SampleMismatch["problem"]): void => {
      if (sampleMismatches.length < LISTED)
        sampleMismatches.push({ session: `${key.slice(0, 8)}…`, problem });
    };
    for (let i = 0; i < sample.length; i += READ_WINDOW) {
      if (options.stop.stopped) throw new CommandFailure("interrupted while verifying");
      const chunk = sample.slice(i, i + READ_WINDOW);
      // Redis pipelines reads in flight; an SQL store has one connection: one at a time.
      const read = await walkStep("target", async () => {
        if (target.database === undefined)
          return Promise.all(chunk.map((s) => target.inspect(s.key)));
        const rows: (SessionRecord | null)[] = [];
        for (const s of chunk) rows.push(await target.inspect(s.key));
        return rows;
      });
      chunk.forEach((expected, j) => {
        const got = read[j] ?? null;
        if (got === null || got.data === null || expired(got)) {
          missing++;
          note(expected.key, "missing in target");
        } else if (canonical(got.data) !== expected.data) {
          differentData++;
          note(expected.key, "data differs");
        } else if (
          expected.expireDate !== null &&
          (got.expireDate === null ||
            Math.abs(got.expireDate.getTime() - expected.expireDate.getTime()) >
              EXPIRY_TOLERANCE_MS)
        ) {
          differentExpiry++;
          note(expected.key, "expiry differs");
        }
      });
    }
    const ok =
      mismatchedUsers === 0 &&
      sourceSide.sessions === targetSide.sessions &&
      missing + differentData + differentExpiry === 0;
    return {
      ok,
      source: sourceSide,
      target: targetSide,
      mismatched_users: mismatchedUsers,
      user_mismatches: userMismatches,
      sampled: sample.length,
      missing,
      different_data: differentData,
      different_expiry: differentExpiry,
      sample_mismatches: sampleMismatches,
    };
  } finally {
    progress.done();
  }
}

/** The report as text lines (each ending with a newline). */
export function formatVerifyReport(report: VerifyReport): string {
  const side = (name: string, s: VerifySide): string =>
    `  ${name}: ${s.sessions} live sessions, ${s.users} users, ${s.anonymous} anonymous` +
    (s.undecodable > 0 ? ` (${s.undecodable} undecodable, not compared)` : "") +
    "\n";
  let text = `Verify: ${report.ok ? "the target matches the source" : "MISMATCH"}\n`;
  text += side("source", report.source) + side("target", report.target);
  if (report.mismatched_users > 0) {
    text += `  ${report.mismatched_users} users have different session counts${report.mismatched_users > report.user_mismatches.length ? ` (first ${report.user_mismatches.length})` : ""}:\n`;
    for (const m of report.user_mismatches)
      text += `    user ${m.user_id}: source ${m.source}, target ${m.target}\n`;
  }
  text += `  sampled ${report.sampled} sessions: ${report.missing} missing in the target, ${report.different_data} with different data, ${report.different_expiry} with a different expiry\n`;
  for (const m of report.sample_mismatches) text += `    ${m.session} ${m.problem}\n`;
  return text;
}

/** One line for a failed verify (the command's error). */
export function verifyFailureLine(report: VerifyReport): string {
  const parts = [`source ${report.source.sessions} sessions, target ${report.target.sessions}`];
  if (report.mismatched_users > 0)
    parts.push(`${report.mismatched_users} users with different counts`);
  const bad = report.missing + report.different_data + report.different_expiry;
  if (bad > 0) parts.push(`${bad} of ${report.sampled} sampled sessions missing or different`);
  return `verify failed: ${parts.join("; ")}`;
}

/** Walks one store, counting its live, decodable sessions per user. */
async function countSide(
  store: ManagedStore,
  name: string,
  options: VerifyOptions,
  counts: Map<string, number>,
  each: (record: SessionRecord, data: SessionData) => void,
): Promise<VerifySide> {
  let sessions = 0;
  let anonymous = 0;
  let undecodable = 0;
  await walkStep(name, async () => {
    for await (const batch of store.walk({ batchSize: options.batchSize, activeOnly: true })) {
      for (const record of batch.sessions) {
        if (record.data === null) {
          undecodable++;
          continue;
        }
        if (expired(record)) continue;
        sessions++;
        const user = userIdOf(record.data) ?? ANONYMOUS;
        if (user === ANONYMOUS) anonymous++;
        counts.set(user, (counts.get(user) ?? 0) + 1);
        each(record, record.data);
      }
      if (options.stop.stopped && batch.position !== "")
        throw new CommandFailure("interrupted while verifying");
    }
  });
  return {
    sessions,
    users: counts.size - (counts.has(ANONYMOUS) ? 1 : 0),
    anonymous,
    undecodable,
  };
}

/** Runs a step of the verify, naming the store whose walk or read failed. */
async function walkStep<T>(name: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof CommandFailure) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    throw new CommandFailure(`verify could not read the ${name}: ${detail}`);
  }
}

function expired(record: SessionRecord): boolean {
  return record.expireDate !== null && record.expireDate.getTime() <= Date.now();
}

/** The data as typed JSON with every object's keys sorted (a dict's order does not matter). */
function canonical(data: SessionData): string {
  return JSON.stringify(sortKeys(toTypedJson(data)));
}

function sortKeys(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys(value[k]!)]),
    );
  }
  return value;
}
