// The layer rule of ARCHITECTURE.md, enforced by `npm run check` (`npm run layers`).
//
// dependency-cruiser rather than an ESLint import plugin: it resolves the whole graph once
// (a few seconds for src/), finds cycles of any length, and its back-references (`$1`) say
// "another adapter" without listing the adapters. Type-only imports count: a type that a lower
// layer needs belongs in that layer.
//
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the tool loads this file as CommonJS
const { builtinModules } = require("node:module");

// Each layer may import the layers listed before it, never one after it:
const LAYERS = [
  "runtime", // the runtime seam (#runtime): node:buffer/crypto/zlib or their Web-standard twins (never exported)
  "codecs", // wire formats: pure functions over bytes and text
  "internal", // SQL and Redis plumbing shared by stores, auth and the CLI (never exported)
  "stores", // session stores (the contract and its implementations)
  "engine", // the session engine: Session, settings, cookie policy, HTTP glue
  "django|flask|starlette", // each framework's rules: policies, presets, CSRF
  "auth", // users, backends, login/logout, hashers, rate limits
  "adapters", // node:http, Express, Hono: sessions and auth for one framework each
  "cli", // the sessionbridge command
];

/** The regex of every src/ folder of the layers from `index` on. */
const from = (index) => `^src/(${LAYERS.slice(index).join("|")})/`;

/** @type {import("dependency-cruiser").IConfiguration} */
module.exports = {
  forbidden: [
    ...LAYERS.slice(0, -1).map((layer, index) => ({
      name: `layer-${layer.split("|")[0]}`,
      comment: `${layer} must not import a higher layer (${LAYERS.slice(index + 1).join(", ")}); see ARCHITECTURE.md`,
      severity: "error",
      from: { path: `^src/(${layer})/` },
      to: { path: from(index + 1) },
    })),
    {
      name: "errors-is-the-floor",
      comment: "src/errors.ts is imported by every layer, so it imports nothing of ours",
      severity: "error",
      from: { path: "^src/errors\\.ts$" },
      to: { path: "^src/", pathNot: "^src/errors\\.ts$" },
    },
    {
      name: "no-root-barrel-inside",
      comment:
        "src/index.ts is the package's front door; code inside src/ imports the module itself",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^src/index\\.ts$" },
    },
    {
      name: "framework-policies-apart",
      comment:
        "django/, flask/ and starlette/ do not borrow from each other: what two share goes down to engine/ or codecs/",
      severity: "error",
      from: { path: "^src/(django|flask|starlette)/" },
      to: { path: "^src/(django|flask|starlette)/", pathNot: "^src/$1/" },
    },
    {
      name: "adapters-apart",
      comment:
        "an adapter imports no other adapter, except the shared helpers (adapters/shared*), the node:http adapter, which every node:http framework (Express) wraps, and the Web adapter, which every Fetch API framework (Hono, Next.js) wraps",
      severity: "error",
      from: { path: "^src/adapters/([^/]+)/" },
      to: { path: "^src/adapters/", pathNot: "^src/adapters/($1/|shared|node/|web/)" },
    },
    {
      name: "portable-no-node-builtins",
      comment:
        "codecs, the engine, the framework policies and the cookie stores run on every runtime: they reach node:buffer, node:crypto and node:zlib only through #runtime (src/runtime/); see ARCHITECTURE.md",
      severity: "error",
      from: {
        path: "^src/(codecs|engine|django|flask|starlette|stores/(signed-cookies|memory)|runtime/(web|web-buffer|sha)\\.ts$)",
      },
      to: { dependencyTypes: ["core"], dependencyTypesNot: ["type-only"] },
    },
    {
      name: "no-cycle",
      comment: "modules form no import cycle (type-only imports included)",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // Node's built-ins stay in the graph (as leaves) for portable-no-node-builtins.
    includeOnly: `^(src/|(node:)?(${builtinModules.join("|")})$)`,
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    cache: false,
  },
};
