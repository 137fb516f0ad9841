// Flat config: typescript-eslint's strict, type-aware rules over src, test, bench and scripts.
import js from "@eslint/js";
import regexp from "eslint-plugin-regexp";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", ".cache/", ".work/", "coverage/", "examples/"] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ["*.js", ".dependency-cruiser.cjs", "scripts/*.mjs", "bench/*.mjs"],
        },
      },
    },
    rules: {
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-unnecessary-condition": [
        "error",
        { allowConstantLoopConditions: true },
      ],
      // Style rather than safety here: `() => void x` shorthands are fine.
      "@typescript-eslint/no-confusing-void-expression": "off",
      // Spreading a string by code point is what Python's str iteration does; we want it.
      "@typescript-eslint/no-misused-spread": "off",
    },
  },
  {
    // Linear-time parsing of client input: no regex in src/ may backtrack super-linearly, nor
    // retry a quantifier from every start position (`[\s]+$` on a long run of spaces followed by
    // anything else is quadratic; issue 18 #2). Rewrite such a check as a loop.
    files: ["src/**/*.ts"],
    plugins: { regexp },
    rules: {
      "regexp/no-super-linear-backtracking": ["error", { report: "potential" }],
      "regexp/no-super-linear-move": [
        "error",
        { report: "potential", ignorePartial: false, ignoreSticky: false },
      ],
    },
  },
  {
    // Errors keep the promise of src/errors.ts: whatever the library throws on purpose is a
    // SessionBridgeError subclass with a stable `code` (ConfigurationError for options,
    // InvalidArgumentError, UnsupportedValueError, MalformedError, …), never a bare built-in.
    // Where a standard error is truly right (an internal invariant of the CLI, reported as
    // "unexpected error"), an `eslint-disable-next-line no-restricted-syntax` says why.
    // test/errors.test.ts shows that this rule fails on a bad throw.
    files: ["src/**/*.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector:
            "ThrowStatement > :matches(NewExpression, CallExpression)[callee.name=/^(Error|TypeError|RangeError|SyntaxError)$/]",
          message:
            "Throw a SessionBridgeError subclass from src/errors.ts (ConfigurationError for options), not a built-in error.",
        },
        {
          selector:
            ":not(ThrowStatement) > NewExpression[callee.name=/^(TypeError|RangeError|SyntaxError)$/]",
          message:
            "A rejected or reported error is a SessionBridgeError subclass from src/errors.ts, not a built-in TypeError/RangeError.",
        },
      ],
    },
  },
  {
    // The portable layers run on workerd (no nodejs_compat) and Vercel's edge runtime, which
    // have no Node globals: Buffer comes from #runtime (src/runtime/), as node:crypto and
    // node:zlib do (the portable-no-node-builtins rule of .dependency-cruiser.cjs).
    files: [
      "src/{codecs,engine,django,flask,starlette,runtime}/**/*.ts",
      "src/stores/{signed-cookies,memory}/**/*.ts",
    ],
    ignores: ["src/runtime/node.ts"],
    rules: {
      "no-restricted-globals": [
        "error",
        ...["Buffer", "process", "global", "setImmediate", "require", "__dirname"].map((name) => ({
          name,
          message: `${name} is a Node global; the portable layers import what they need from "#runtime" (ARCHITECTURE.md).`,
        })),
      ],
    },
  },
  {
    files: ["test/**/*.ts", "bench/**/*.ts"],
    rules: {
      "@typescript-eslint/no-floating-promises": "off",
    },
  },
  {
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
  {
    // .dependency-cruiser.cjs: the tool loads its configuration as CommonJS.
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { module: "writable" } },
  },
);
