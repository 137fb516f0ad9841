// Runs a TypeScript scenario in a child Node process with its own TZ, so that everything
// date-related (mysql2's "local" conversions, Date's local getters) sees that zone from the
// start. The child reads its input from SB_CHILD_INPUT (JSON) and hands back its result with
// `childResult`; any assertion that fails in it fails the parent with the child's stderr.
import { runProcess } from "./process.ts";
import { resolve } from "node:path";

/** What every child reports besides its own result: the zone it really ran in. */
export interface ChildReport<T> {
  readonly tz: string | undefined;
  /** `getTimezoneOffset()` on 2023-11-28 and on 2024-07-01 (minutes west of UTC). */
  readonly offsets: readonly [number, number];
  readonly result: T;
}

/**
 * The zones the time-zone tests run in, with their offsets (minutes west of UTC, as
 * `getTimezoneOffset()`) on 2023-11-28 and 2024-07-01, to check that the child really ran in
 * it: one west of UTC with summer time, one east of it on a half hour.
 */
export const TEST_ZONES = {
  "America/New_York": [300, 240],
  "Asia/Kolkata": [-330, -330],
} as const;

const MARK = "SB_CHILD_RESULT ";

/** Runs `script` (a path from the repository root) with `TZ=tz`; resolves its report. */
export async function runInTimeZone<T>(
  script: string,
  tz: string,
  input: unknown,
): Promise<ChildReport<T>> {
  const r = await runProcess(process.execPath, ["--import", "tsx", resolve(script)], {
    env: { ...process.env, TZ: tz, SB_CHILD_INPUT: JSON.stringify(input) },
    timeoutMs: 120_000,
  });
  const line = r.stdout.split("\n").find((l) => l.startsWith(MARK));
  if (r.code !== 0 || line === undefined) {
    throw new Error(
      `${script} (TZ=${tz}) exited ${r.code ?? r.signal ?? "?"}:\n${r.stderr}${r.stdout}`,
    );
  }
  return JSON.parse(line.slice(MARK.length)) as ChildReport<T>;
}

/** In the child: its input, as the parent gave it. */
export function childInput(): unknown {
  const raw = process.env["SB_CHILD_INPUT"];
  if (raw === undefined) throw new Error("run through runInTimeZone (no SB_CHILD_INPUT)");
  return JSON.parse(raw);
}

/** In the child: reports `result` (with the zone the process ran in) to the parent. */
export function childResult(result: unknown): void {
  const report: ChildReport<unknown> = {
    tz: process.env["TZ"],
    offsets: [
      new Date(Date.UTC(2023, 10, 28, 12)).getTimezoneOffset(),
      new Date(Date.UTC(2024, 6, 1, 12)).getTimezoneOffset(),
    ],
    result,
  };
  process.stdout.write(`${MARK}${JSON.stringify(report)}\n`);
}
