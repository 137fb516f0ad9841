// NestJS 11 beside the devDependencies' 12: scripts/system-deps.sh installs scripts/nestjs11/
// into .cache/nestjs11 (one npm tree cannot hold both majors: their peer ranges conflict), and
// useNestJs11() makes this process resolve every "@nestjs/..." import there, sessionbridge's
// own adapter included. Nest's packages then find each other in that tree as well.
import assert from "node:assert/strict";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { register } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const NEST11 = fileURLToPath(new URL("../../.cache/nestjs11/", import.meta.url));

/** Registers the hooks; call it before anything imports "@nestjs/...". Resolves the version. */
export function useNestJs11(): string {
  assert.ok(
    existsSync(join(NEST11, "installed.lock")),
    "NestJS 11 is not installed in .cache/nestjs11: run `bash scripts/system-deps.sh`",
  );
  register(new URL("../../scripts/nestjs11-hooks.mjs", import.meta.url), {
    data: { parentURL: pathToFileURL(join(NEST11, "package.json")).href },
  });
  const core = fileURLToPath(import.meta.resolve("@nestjs/core"));
  assert.ok(
    core.startsWith(realpathSync(NEST11)),
    `@nestjs/core resolved to ${core}, not .cache/nestjs11`,
  );
  const manifest = JSON.parse(
    readFileSync(join(NEST11, "node_modules", "@nestjs", "core", "package.json"), "utf8"),
  ) as { version: string };
  return manifest.version;
}
