/**
 * A progress bar with an ETA on stderr, drawn only when stderr is a terminal (never into logs
 * or pipes), redrawn at most ten times a second.
 *
 * `  clearsessions [########............]  41% 410000/1000000  12.3k/s  ETA 48s`
 */

/** A progress reporter; all methods are no-ops when stderr is not a TTY. */
export interface Progress {
  /** Adds `n` done units. */
  tick(n: number): void;
  /** Sets the total (when it becomes known or changes). */
  setTotal(total: number): void;
  /** Clears the bar line. */
  done(): void;
}

const WIDTH = 24;

/** Starts a progress bar on `stream` if it is a TTY. */
export function startProgress(
  stream: NodeJS.WritableStream,
  label: string,
  total: number | undefined,
  env: Readonly<Record<string, string | undefined>> = {},
): Progress {
  const tty =
    (stream as { isTTY?: boolean }).isTTY === true &&
    env["SESSIONBRIDGE_NO_PROGRESS"] === undefined;
  if (!tty) return { tick() {}, setTotal() {}, done() {} };
  const started = Date.now();
  let doneCount = 0;
  let all = total;
  let lastDraw = 0;
  let drawn = false;
  const draw = (force: boolean): void => {
    const now = Date.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    const seconds = Math.max((now - started) / 1000, 0.001);
    const rate = doneCount / seconds;
    let line: string;
    if (all !== undefined && all > 0) {
      const ratio = Math.min(doneCount / all, 1);
      const filled = Math.round(ratio * WIDTH);
      const eta = rate > 0 ? (all - doneCount) / rate : Infinity;
      line = `  ${label} [${"#".repeat(filled)}${".".repeat(WIDTH - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}% ${doneCount}/${all}  ${formatRate(rate)}  ETA ${formatDuration(eta)}`;
    } else {
      line = `  ${label} ${doneCount}  ${formatRate(rate)}  ${formatDuration(seconds)} elapsed`;
    }
    stream.write(`\r\x1b[2K${line}`);
    drawn = true;
  };
  return {
    tick(n) {
      doneCount += n;
      draw(false);
    },
    setTotal(t) {
      all = t;
      draw(false);
    },
    done() {
      if (drawn) stream.write("\r\x1b[2K");
    },
  };
}

function formatRate(perSecond: number): string {
  return perSecond >= 1000 ? `${(perSecond / 1000).toFixed(1)}k/s` : `${perSecond.toFixed(0)}/s`;
}

/** `48s`, `3m05s`, `1h02m`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
