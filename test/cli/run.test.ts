// The dispatcher and the option reader as an operator meets them: the built CLI, a typo at a
// time. Mistakes are usage errors (exit 2) with one clear line and, when close, a suggestion.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCli } from "../support/cli.ts";

describe("sessionbridge: mistyped commands and options", () => {
  it("suggests the command a typo was close to", async () => {
    for (const [typed, meant] of [
      ["serv", "serve"],
      ["sesions", "sessions"],
      ["migarte", "migrate"],
      ["createsuperusr", "createsuperuser"],
      ["clearsession", "clearsessions"],
    ] as const) {
      const r = await runCli([typed]);
      assert.equal(r.code, 2, typed);
      assert.equal(
        r.stderr.split("\n")[0],
        `sessionbridge: unknown command "${typed}"; did you mean "${meant}"?`,
      );
    }
  });

  it("lists the commands when nothing is close", async () => {
    const r = await runCli(["frobnicate"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^sessionbridge: unknown command "frobnicate"\n/);
    assert.doesNotMatch(r.stderr, /did you mean/);
    assert.match(r.stderr, /Commands:/);
  });

  it("names an unknown option in plain quotes, suggesting the option it was close to", async () => {
    const typo = await runCli(["decode", "--fromat", "django", "x"]);
    assert.equal(typo.code, 2);
    assert.equal(
      typo.stderr,
      `sessionbridge decode: unknown option "--fromat"; did you mean "--format"?\nRun 'sessionbridge decode --help' for usage.\n`,
    );
    const unknown = await runCli(["users", "list", "--colour"]);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr.split("\n")[0], 'sessionbridge users: unknown option "--colour"');
    // Node's parser message had unbalanced quotes: '-- "--colour"
    assert.doesNotMatch(unknown.stderr, /To specify a positional argument/);
  });

  it("says which option lacks its value, or has one it does not take", async () => {
    const missing = await runCli(["decode", "--format"]);
    assert.equal(missing.code, 2);
    assert.equal(
      missing.stderr.split("\n")[0],
      'sessionbridge decode: option "--format" needs a value',
    );
    const swallowed = await runCli(["decode", "--format", "--hex", "00"]);
    assert.equal(swallowed.code, 2);
    assert.match(swallowed.stderr, /option "--format" needs a value, not the option "--hex"/);
    const flag = await runCli(["decode", "--hex=yes", "--format", "pickle", "00"]);
    assert.equal(flag.code, 2);
    assert.equal(flag.stderr.split("\n")[0], 'sessionbridge decode: option "--hex" takes no value');
  });

  it("suggests a subcommand", async () => {
    const r = await runCli(["sessions", "lsit"]);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr.split("\n")[0],
      'sessionbridge sessions: unknown subcommand "lsit"; did you mean "list"?',
    );
  });

  it("output cut short by a closed pipe ends quietly", async () => {
    const { spawn } = await import("node:child_process");
    const { CLI } = await import("../support/cli.ts");
    const child = spawn(process.execPath, [CLI, "migrate", "--sql", "--database-url", "sqlite:x"]);
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdout.destroy(); // the reader goes away before the first line
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    assert.equal(stderr, "");
    assert.equal(code, 0);
  });
});
