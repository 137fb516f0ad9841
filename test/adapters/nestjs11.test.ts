// The NestJS suite (nestjs.test.ts) once more on NestJS 11, the older major sessionbridge/nestjs
// supports: every "@nestjs/..." import, the adapter's own included, resolves to NestJS 11 here.
import assert from "node:assert/strict";
import { useNestJs11 } from "../support/nestjs11.ts";

const version = useNestJs11();
assert.match(version, /^11\./, `NestJS 11 expected, found ${version}`);
await import("./nestjs.test.ts");
