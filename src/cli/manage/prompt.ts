/**
 * Interactive prompts on a terminal: visible answers and hidden ones (passwords: nothing is
 * echoed), read in raw mode so that Ctrl-C and Ctrl-D cancel cleanly and the terminal is
 * always restored.
 */
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
  setRawMode?(mode: boolean): unknown;
}

/** Whether prompting is possible: standard input is a terminal. */
export function canPrompt(input: NodeJS.ReadableStream = process.stdin): boolean {
  return (input as TtyInput).isTTY === true;
}

/** A prompter on `input` (a TTY) writing to `output`. */
export function createPrompter(
  input: NodeJS.ReadableStream = process.stdin,
  output: NodeJS.WritableStream = process.stdout,
): Prompter {
  const tty = input as TtyInput;
  let pending = "";
  let waiter: (() => void) | undefined;
  let ended = false;
  const onData = (chunk: Buffer | string): void => {
    pending += typeof chunk === "string" ? chunk : chunk.toString("utf8");
    waiter?.();
  };
  const onEnd = (): void => {
    ended = true;
    waiter?.();
  };
  tty.setRawMode?.(true);
  input.on("data", onData);
  input.on("end", onEnd);
  input.resume();
  const restore = (): void => {
    input.off("data", onData);
    input.off("end", onEnd);
    tty.setRawMode?.(false);
    input.pause();
  };
  return {
    async ask(question, options = {}) {
      output.write(question);
      let answer = "";
      for (;;) {
        while (pending.length === 0) {
          if (ended) {
            output.write("\n");
            throw new PromptCancelled();
          }
          await new Promise<void>((resolve) => {
            waiter = resolve;
          });
          waiter = undefined;
        }
        const char = [...pending][0]!;
        pending = pending.slice(char.length);
        if (char === "\r" || char === "\n") {
          if (char === "\r" && pending.startsWith("\n")) pending = pending.slice(1);
          output.write("\n");
          return answer;
        }
        if (char === "\x03" || (char === "\x04" && answer === "")) {
          output.write("\n");
          throw new PromptCancelled();
        }
        if (char === "\x7f" || char === "\b") {
          if (answer.length > 0) {
            answer = [...answer].slice(0, -1).join("");
            if (options.hidden !== true) output.write("\b \b");
          }
          continue;
        }
        if (char === "\x15") {
          // Ctrl-U: kill the line.
          if (options.hidden !== true) output.write("\b \b".repeat([...answer].length));
          answer = "";
          continue;
        }
        if (char < " ") continue;
        answer += char;
        if (options.hidden !== true) output.write(char);
      }
    },
    close: restore,
  };
}

/** Asks a yes/no question; default no. */
export async function confirm(prompter: Prompter, question: string): Promise<boolean> {
  const answer = (await prompter.ask(question)).trim().toLowerCase();
  return answer === "y" || answer === "yes";
}
