// Linear-time parsing of client input (issue 18 #2): every regex in src/ is checked by
// eslint-plugin-regexp's super-linear rules (the same ones `npm run lint` applies to src/), and
// the rules are shown to catch the pattern that made isSafeRedirect quadratic.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import regexp from "eslint-plugin-regexp";
import tseslint from "typescript-eslint";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** ESLint with only the two super-linear rules, configured as eslint.config.js does for src/. */
function linter(): ESLint {
  return new ESLint({
    cwd: ROOT,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ["**/*.ts"],
        languageOptions: { parser: tseslint.parser },
        // typescript-eslint's plugin only so that src/'s disable comments name known rules.
        plugins: { regexp, "@typescript-eslint": tseslint.plugin },
        linterOptions: { reportUnusedDisableDirectives: "off" },
        rules: {
          "regexp/no-super-linear-backtracking": ["error", { report: "potential" }],
          "regexp/no-super-linear-move": [
            "error",
            { report: "potential", ignorePartial: false, ignoreSticky: false },
          ],
        },
      },
    ],
  });
}

/** `file:line rule` for each report, so a failure names the regex to rewrite. */
function reports(results: ESLint.LintResult[]): string[] {
  return results.flatMap((r) =>
    r.messages.map((m) => `${r.filePath.slice(ROOT.length)}:${m.line} ${m.ruleId ?? m.message}`),
  );
}

describe("regexes in src/ are linear", () => {
  it("no regex in src/ backtracks super-linearly or retries a quantifier from every position", async () => {
    const results = await linter().lintFiles(["src/**/*.ts"]);
    assert.ok(results.length > 100, `linted ${results.length} files`);
    assert.deepEqual(reports(results), []);
  });

  it("the rules catch the old isSafeRedirect strip, a nested quantifier and adjacent ones", async () => {
    const source = [
      "export const strip = /^[\\t ]+|[\\t ]+$/g;",
      "export const nested = /^(a+)+$/;",
      "export const adjacent = /^\\s*\\s*x/;",
      "export const fine = /^[A-Za-z][A-Za-z0-9+.-]*$/;",
    ].join("\n");
    const [result] = await linter().lintText(source, { filePath: `${ROOT}src/probe.ts` });
    const lines = (result?.messages ?? []).map((m) => m.line);
    assert.deepEqual([...new Set(lines)].sort(), [1, 2, 3]);
  });
});
