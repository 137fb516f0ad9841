// The prompter in a real child process: on piped standard input (each answer the next line,
// lines sent at once kept for the questions after), and in a real pseudo-terminal
// (pty_driver.py), where readline edits the visible line (arrow keys move the cursor, they do
// not type escape sequences), the hidden answer echoes nothing, and Ctrl-C or Ctrl-D cancel.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { runProcess } from "../../support/cli.ts";
import { SYSTEM_PYTHON } from "../../interop/django/peer.ts";
import { PTY_DRIVER, type PtyResult } from "./support.ts";

const CHILD = fileURLToPath(new URL("./prompt-child.ts", import.meta.url));
const NODE_ARGS = ["--import", "tsx", CHILD];
const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" };

/** The answers (or the error) the child printed as its last stderr line. */
function answers(stderr: string): unknown {
  return JSON.parse(stderr.trim().split("\n").at(-1) ?? "null");
}

async function inPty(script: readonly (readonly [string, string])[]): Promise<PtyResult> {
  const r = await runProcess(
    SYSTEM_PYTHON,
    [PTY_DRIVER, JSON.stringify(script), "--", process.execPath, ...NODE_ARGS],
    { env },
  );
  return JSON.parse(r.stdout) as PtyResult;
}

/** What the pty showed, with the child's JSON line taken out. */
function shown(r: PtyResult): { screen: string; result: unknown } {
  const at = r.output.lastIndexOf("{");
  return { screen: r.output.slice(0, at), result: JSON.parse(r.output.slice(at).trim()) };
}

describe("prompts on piped standard input", () => {
  it("answers each question with the next line, all sent at once", async () => {
    const r = await runProcess(process.execPath, NODE_ARGS, {
      env,
      input: "alice\nS3cret pass\nyes\n",
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(answers(r.stderr), { username: "alice", password: "S3cret pass", sure: true });
    assert.equal(r.stdout, "Username: \nPassword: \nSure? [y/N]: \n");
  });

  it("cancels when the input ends before an answer", async () => {
    const r = await runProcess(process.execPath, NODE_ARGS, { env, input: "alice\n" });
    assert.equal(r.code, 1);
    assert.deepEqual(answers(r.stderr), { error: "operation cancelled" });
  });
});

describe("prompts in a terminal", () => {
  it("edits the visible line with the arrow keys; the hidden answer shows nothing", async () => {
    // One key at a time, as typed (the driver waits 50 ms before each send; "" is found at once).
    const r = await inPty([
      // "ali", Left, "X", End, "ce": the cursor moves, nothing like "[D" is typed.
      ["Username: ", "ali"],
      ["", "\x1b[D"],
      ["", "X"],
      ["", "\x1b[F"],
      ["", "ce\r"],
      // Hidden: "pw", Left, "q" → "pqw"; Up (no history) changes nothing.
      ["Password: ", "pw"],
      ["", "\x1b[D"],
      ["", "q"],
      ["", "\x1b[A"],
      ["", "\r"],
      ["Sure? [y/N]: ", "n\r"],
    ]);
    assert.equal(r.timed_out, null, r.output);
    assert.equal(r.code, 0, r.output);
    const { screen, result } = shown(r);
    assert.deepEqual(result, { username: "alXice", password: "pqw", sure: false });
    // Without readline's cursor moves, the screen reads as typed; the hidden line is empty.
    // eslint-disable-next-line no-control-regex
    const text = screen.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
    assert.doesNotMatch(text, /pqw|pw|\[D|\[A/);
    assert.match(text, /Username: alXice\r*\n/);
    assert.match(text, /Password: \r*\n/);
  });

  it("Ctrl-C cancels the question being asked", async () => {
    const r = await inPty([
      ["Username: ", "bob\r"],
      ["Password: ", "half\x03"],
    ]);
    assert.equal(r.code, 1, r.output);
    assert.deepEqual(shown(r).result, { error: "operation cancelled" });
  });

  it("Ctrl-D on an empty line cancels", async () => {
    const r = await inPty([["Username: ", "\x04"]]);
    assert.equal(r.code, 1, r.output);
    assert.deepEqual(shown(r).result, { error: "operation cancelled" });
  });
});
