/**
 * Interactive prompts: visible answers are read with `node:readline`, which edits the line as
 * a shell does (arrow keys move the cursor, Home/End, Ctrl-U, history) instead of typing their
 * escape sequences into the answer; hidden answers (passwords) go through the same line editor
 * with nothing echoed. Ctrl-C and Ctrl-D (or the end of piped input) cancel, and closing the
 * prompter gives the terminal back as it was (readline's raw mode off).
 */
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { CommandFailure } from "../command.ts";

/** The user cancelled (Ctrl-C / Ctrl-D). */
export class PromptCancelled extends CommandFailure {
  constructor() {
    super("operation cancelled");
  }
}

/** Asks questions on a terminal. */
export interface Prompter {
  ask(question: string, options?: { hidden?: boolean }): Promise<string>;
  close(): void;
}

interface TtyInput extends NodeJS.ReadableStream {
  isTTY?: boolean;
}

interface TtyOutput extends NodeJS.WritableStream {
  columns?: number;
}

/** Whether prompting is possible: standard input is a terminal. */
export function canPrompt(input: NodeJS.ReadableStream = process.stdin): boolean {
  return (input as TtyInput).isTTY === true;
}

/**
 * A prompter on `input` writing to `output`. On a terminal, readline edits each line (in raw
 * mode while the prompter is open); on a pipe, each answer is the next line.
 */
export function createPrompter(
  input: NodeJS.ReadableStream = process.stdin,
  output: NodeJS.WritableStream = process.stdout,
): Prompter {
  const terminal = (input as TtyInput).isTTY === true;
  // What readline echoes goes through here, so that a hidden answer shows nothing at all (not
  // even the cursor moves of readline redrawing its line).
  let muted = false;
  const echo = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      if (!muted) output.write(chunk);
      done();
    },
  });
  Object.defineProperty(echo, "columns", { get: () => (output as TtyOutput).columns ?? 80 });
  const rl = createInterface({ input, output: echo, terminal, historySize: 0 });
  // Lines typed ahead (or piped in at once) wait here for the question they answer.
  const lines: string[] = [];
  let closed = false;
  let waiter: ((line: string | null) => void) | undefined;
  rl.on("line", (line) => {
    if (waiter === undefined) lines.push(line);
    else waiter(line);
  });
  rl.on("close", () => {
    closed = true;
    waiter?.(null);
  });
  rl.on("SIGINT", () => {
    // Ctrl-C: cancel the question being asked, whatever was typed.
    closed = true;
    waiter?.(null);
  });
  const nextLine = (): Promise<string | null> => {
    const queued = lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      waiter = (line) => {
        waiter = undefined;
        resolve(line);
      };
    });
  };
  return {
    async ask(question, options = {}) {
      muted = false;
      // The question is readline's prompt, so that redrawing the line keeps it on screen.
      rl.setPrompt(question);
      rl.prompt();
      muted = options.hidden === true;
      const line = await nextLine();
      muted = false;
      if (line === null) {
        output.write("\n");
        throw new PromptCancelled();
      }
      // The hidden answer's Enter was not echoed either.
      if (options.hidden === true && terminal) output.write("\n");
      else if (!terminal) output.write("\n");
      return line;
    },
    close() {
      muted = false;
      rl.close();
      input.pause();
    },
  };
}

/** Asks a yes/no question; default no. */
export async function confirm(prompter: Prompter, question: string): Promise<boolean> {
  const answer = (await prompter.ask(question)).trim().toLowerCase();
  return answer === "y" || answer === "yes";
}
