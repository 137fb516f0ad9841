// The README's TypeScript examples must compile against the built package, imported by its
// public names (package self-reference), so the README cannot drift from the API.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

describe("README", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

  it("has runnable examples for Django's database, Express, Hono and node:http", () => {
    assert.ok(blocks.length >= 4);
    for (const entry of [
      "sessionbridge/express",
      "sessionbridge/hono",
      "sessionbridge/node",
      "sessionbridge/stores/sql",
    ]) {
      assert.ok(
        blocks.some((b) => b.includes(`"${entry}"`)),
        entry,
      );
    }
  });

  it("type-checks every example against the published entry points", () => {
    const dir = join(ROOT, ".work", "readme-check");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const files = blocks.map((code, n) => {
      const file = join(dir, `example-${n}.ts`);
      // Each example is its own module.
      writeFileSync(file, `${code}\nexport {};\n`);
      return file;
    });
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          // As the README asks of a NestJS project, for its parameter decorators.
          experimentalDecorators: true,
          noEmit: true,
          skipLibCheck: true,
          types: ["node"],
          typeRoots: [join(ROOT, "node_modules", "@types")],
        },
        files,
      }),
    );
    const tsc = spawnSync(
      process.execPath,
      [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", dir],
      {
        encoding: "utf8",
      },
    );
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
  });
});
