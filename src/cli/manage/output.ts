/**
 * Many-row output (`sessions list`, `users list`; `dumpdata` through {@link PacedWriter}): rows go out as the walk produces them, and
 * the walk waits while the reader does not read (stdout backpressure), so memory stays flat
 * however slow the pipe. When the walk fails midway, what was written stays valid (a JSON
 * array is closed) and the command fails with one line saying the output is incomplete and
 * how many rows it holds.
 */
import { CommandFailure } from "../command.ts";

/** One row, in both output forms. */
export interface OutputRow {
  /** The JSON array element. */
  readonly json: unknown;
  /** The text line, without its newline. */
  readonly text: string;
}

/** Options of {@link streamRows}. */
export interface StreamRowsOptions {
  readonly json: boolean;
  /** The text form's header line, without its newline. */
  readonly header: string;
  /** What the rows are, for the failure message (`sessions`, `users`). */
  readonly noun: string;
}

/** Bytes collected before one `write` (fewer, larger writes; still flat memory). */
const CHUNK = 64 * 1024;

/**
 * A stream that resolves each write once the stream can take more (after `drain` when its
 * buffer is full), and rejects once the stream errored or closed (a reader that went away).
 */
export class PacedWriter {
  readonly #stream: NodeJS.WritableStream;
  #pending = "";
  #broken: Error | undefined;

  constructor(stream: NodeJS.WritableStream) {
    this.#stream = stream;
    stream.on("error", (error: Error) => {
      this.#broken ??= error;
    });
  }

  /** The stream's error, once it has failed (a closed pipe, a full disk). */
  get broken(): Error | undefined {
    return this.#broken;
  }

  /** Queues `text`; waits when enough is queued and the stream is full. */
  async write(text: string): Promise<void> {
    this.#pending += text;
    if (this.#pending.length >= CHUNK) await this.flush();
  }

  /** Writes what is queued and waits until the stream can take more. */
  async flush(): Promise<void> {
    if (this.#broken !== undefined) throw this.#broken;
    if (this.#pending === "") return;
    const chunk = this.#pending;
    this.#pending = "";
    if (this.#stream.write(chunk)) return;
    const stream = this.#stream;
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error): void => {
        stream.off("drain", onDrain);
        stream.off("error", onError);
        stream.off("close", onClose);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onDrain = (): void => {
        done();
      };
      const onError = (error: Error): void => {
        done(error);
      };
      const onClose = (): void => {
        done(new Error("the output was closed"));
      };
      stream.on("drain", onDrain);
      stream.on("error", onError);
      stream.on("close", onClose);
    });
  }
}

/**
 * Writes `rows` to `stream` as a JSON array or as a header and tab-separated lines, paced by
 * the stream. Resolves how many rows were written.
 *
 * @throws {CommandFailure} when `rows` fails midway (after closing the JSON array) or the
 *   stream breaks: "output incomplete: N sessions written before …".
 */
export async function streamRows(
  stream: NodeJS.WritableStream,
  rows: AsyncIterable<OutputRow>,
  options: StreamRowsOptions,
): Promise<number> {
  const out = new PacedWriter(stream);
  let count = 0;
  const incomplete = (cause: unknown): CommandFailure =>
    new CommandFailure(
      `output incomplete: ${count} ${options.noun} written before: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
  try {
    await out.write(options.json ? "[" : `${options.header}\n`);
  } catch (error) {
    throw incomplete(error);
  }
  try {
    for await (const row of rows) {
      await out.write(
        options.json ? `${count === 0 ? "" : ","}${JSON.stringify(row.json)}` : `${row.text}\n`,
      );
      count++;
    }
  } catch (error) {
    // Whatever was written stays well-formed: the array is closed before failing.
    if (options.json)
      await out
        .write("]\n")
        .then(() => out.flush())
        .catch(() => undefined);
    else await out.flush().catch(() => undefined);
    throw incomplete(error);
  }
  try {
    await out.write(options.json ? "]\n" : "");
    await out.flush();
  } catch (error) {
    throw incomplete(error);
  }
  return count;
}
