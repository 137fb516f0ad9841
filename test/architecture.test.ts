// The layer rule (ARCHITECTURE.md, .dependency-cruiser.cjs) catches what it promises to: the
// project's own config is run over small throw-away trees, one with an import against each
// rule and one that keeps to them. `npm run layers` runs the same config over src/.
import assert from "node:assert/strict";
import { runProcess } from "./support/process.ts";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CONFIG = join(ROOT, ".dependency-cruiser.cjs");
const DEPCRUISE = join(ROOT, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs");

interface CruiseResult {
  readonly code: number | null;
  /** `rule: from -> to` per violation (`rule: from` for a cycle, printed over several lines). */
  readonly violations: readonly string[];
}

const trees: string[] = [];
after(() => {
  for (const tree of trees) rmSync(tree, { recursive: true, force: true });
});

/** Writes `files` (path below the tree -> source) into a fresh folder with the repo's tsconfig. */
function tree(files: Readonly<Record<string, string>>): string {
  const root = mkdtempSync(join(tmpdir(), "sb-layers-"));
  trees.push(root);
  writeFileSync(join(root, "tsconfig.json"), readFileSync(join(ROOT, "tsconfig.json")));
  for (const [path, source] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), source);
  }
  return root;
}

/** Runs dependency-cruiser over `root`/src as `npm run layers` does over the repo's src/. */
async function cruise(root: string): Promise<CruiseResult> {
  const r = await runProcess(process.execPath, [DEPCRUISE, "src", "--config", CONFIG], {
    cwd: root,
  });
  const violations = [...`${r.stdout}${r.stderr}`.matchAll(/error (\S+): (\S+) →[ \t]*(\S*)/g)]
    .map(([, rule, from, to]) => (to ? `${rule}: ${from} -> ${to}` : `${rule}: ${from}`))
    .sort();
  return { code: r.code, violations };
}

describe("layer rule", () => {
  it("fails on an import against each rule, naming the rule", async () => {
    const root = tree({
      "src/errors.ts": 'import { debug } from "./codecs/ok.ts";\nexport const e = debug;\n',
      "src/codecs/ok.ts": "export const debug = 1;\n",
      // codecs -> engine: a value import from a higher layer.
      "src/codecs/bad.ts": 'import { s } from "../engine/session.ts";\nexport const b = s;\n',
      "src/engine/session.ts": "export const s = 1;\nexport type T = number;\n",
      // stores -> engine, type-only: types count too.
      "src/stores/bad.ts": 'import type { T } from "../engine/session.ts";\nexport type U = T;\n',
      // A cycle inside one layer.
      "src/auth/a.ts": 'import { b } from "./b.ts";\nexport const a = (): number => b();\n',
      "src/auth/b.ts": 'import { a } from "./a.ts";\nexport const b = (): number => a();\n',
      // One adapter borrowing another's module.
      "src/adapters/hono/index.ts":
        'import { x } from "../express/index.ts";\nexport const h = x;\n',
      "src/adapters/express/index.ts": "export const x = 1;\n",
      // Flask's rules borrowing Django's.
      "src/flask/policy.ts": 'import { p } from "../django/policy.ts";\nexport const f = p;\n',
      "src/django/policy.ts": "export const p = 1;\n",
      // The root barrel imported from inside.
      "src/index.ts": 'export { s } from "./engine/session.ts";\n',
      "src/cli/main.ts": 'import { s } from "../index.ts";\nexport const m = s;\n',
    });
    const { code, violations } = await cruise(root);
    assert.notEqual(code, 0);
    assert.deepEqual(violations, [
      "adapters-apart: src/adapters/hono/index.ts -> src/adapters/express/index.ts",
      "errors-is-the-floor: src/errors.ts -> src/codecs/ok.ts",
      "framework-policies-apart: src/flask/policy.ts -> src/django/policy.ts",
      "layer-codecs: src/codecs/bad.ts -> src/engine/session.ts",
      "layer-stores: src/stores/bad.ts -> src/engine/session.ts",
      "no-cycle: src/auth/a.ts",
      "no-root-barrel-inside: src/cli/main.ts -> src/index.ts",
    ]);
  });

  it("passes imports that go down, the shared adapter helpers and the node:http adapter", async () => {
    const root = tree({
      "src/errors.ts": "export const e = 1;\n",
      "src/codecs/c.ts": 'import { e } from "../errors.ts";\nexport const c = e;\n',
      "src/internal/i.ts": 'import { c } from "../codecs/c.ts";\nexport const i = c;\n',
      "src/stores/s.ts": 'import { i } from "../internal/i.ts";\nexport const s = i;\n',
      "src/engine/g.ts": 'import { s } from "../stores/s.ts";\nexport const g = s;\n',
      "src/django/d.ts": 'import { g } from "../engine/g.ts";\nexport const d = g;\n',
      "src/auth/a.ts": 'import { d } from "../django/d.ts";\nexport const a = d;\n',
      "src/adapters/shared-auth.ts": 'import { a } from "../auth/a.ts";\nexport const sa = a;\n',
      "src/adapters/node/index.ts":
        'import { sa } from "../shared-auth.ts";\nexport const n = sa;\n',
      "src/adapters/express/index.ts":
        'import { n } from "../node/index.ts";\nexport const x = n;\n',
      "src/cli/main.ts": 'import { x } from "../adapters/express/index.ts";\nexport const m = x;\n',
      "src/index.ts": 'export { m } from "./cli/main.ts";\nexport { e } from "./errors.ts";\n',
    });
    const { code, violations } = await cruise(root);
    assert.deepEqual(violations, []);
    assert.equal(code, 0);
  });

  it("ARCHITECTURE.md's tree names every folder of src/ (two levels deep)", () => {
    const doc = readFileSync(join(ROOT, "ARCHITECTURE.md"), "utf8");
    const tree = doc.slice(doc.indexOf("```text\nsrc/"), doc.indexOf("```\n", doc.indexOf("src/")));
    const folders = readdirSync(join(ROOT, "src"), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .flatMap((entry) => [
        entry.name,
        ...readdirSync(join(ROOT, "src", entry.name), { withFileTypes: true })
          .filter((inner) => inner.isDirectory())
          .map((inner) => inner.name),
      ]);
    assert.deepEqual(
      folders.filter((name) => !tree.includes(`${name}/`)),
      [],
    );
  });

  it("places every folder of src/ in a layer", () => {
    const config = createRequire(import.meta.url)(CONFIG) as {
      forbidden: readonly { name: string; from: { path?: string }; to: { path?: string } }[];
    };
    const layerPaths = config.forbidden
      .filter((rule) => rule.name.startsWith("layer-"))
      .flatMap((rule) => [rule.from.path, rule.to.path])
      .filter((path) => path !== undefined)
      .map((path) => new RegExp(path));
    const unplaced = readdirSync(join(ROOT, "src"), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `src/${entry.name}/x.ts`)
      .filter((path) => !layerPaths.some((layer) => layer.test(path)));
    assert.deepEqual(unplaced, []);
  });
});
