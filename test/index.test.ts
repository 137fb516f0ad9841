// The root entry point (src/index.ts, `sessionbridge`) exports what a user of the core needs and
// no plumbing: the names are listed here, and each one carries TSDoc with an @example.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import * as root from "../src/index.ts";
import * as errors from "../src/errors.ts";

const INDEX = fileURLToPath(new URL("../src/index.ts", import.meta.url));

/** Every runtime name of the root, besides the errors it re-exports whole. */
const VALUES = [
  "DEFAULT_SESSION_SETTINGS",
  "PyDate",
  "PyDateTime",
  "PyDecimal",
  "PyFloat",
  "PyFrozenSet",
  "PyMarkup",
  "PyOrderedDict",
  "PySet",
  "PyTimeDelta",
  "PyTuple",
  "PyUUID",
  "Session",
  "VALID_KEY_CHARS",
  "generateSessionKey",
  "isPyDict",
  "isValidSessionKey",
  "resolveSessionSettings",
];

/** Plumbing the adapters share, which an earlier root exported. */
const PLUMBING = [
  "openRequestSession",
  "commitResponseSession",
  "plainResponseHeaders",
  "addVaryCookie",
  "deleteCookieHeader",
  "policyFrom",
  "djangoSessionPolicy",
  "computeExpiry",
  "skipsSaveOnStatus",
  "EXPIRY_KEY",
];

/** The root's exported symbols, types included, as the compiler sees them. */
function rootExports(): { name: string; symbol: ts.Symbol; checker: ts.TypeChecker }[] {
  const program = ts.createProgram([INDEX], {
    allowImportingTsExtensions: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
  });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(INDEX)!)!;
  return checker.getExportsOfModule(moduleSymbol).map((symbol) => ({
    name: symbol.name,
    symbol: symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol,
    checker,
  }));
}

describe("sessionbridge (the root entry point)", () => {
  it("exports the core a user needs, and the errors", () => {
    const expected = [...VALUES, ...Object.keys(errors)].sort();
    assert.deepEqual(Object.keys(root).sort(), expected);
  });

  it("exports none of the adapters' plumbing", () => {
    for (const name of PLUMBING) assert.equal(name in root, false, name);
  });

  it("documents every export, types included, with TSDoc and an @example", () => {
    const exports = rootExports();
    assert.ok(exports.length > VALUES.length);
    for (const { name, symbol, checker } of exports) {
      const text = ts.displayPartsToString(symbol.getDocumentationComment(checker));
      assert.notEqual(text.trim(), "", `${name} has no TSDoc`);
      const tags = symbol.getJsDocTags(checker).map((tag) => tag.name);
      assert.ok(tags.includes("example"), `${name} has no @example`);
    }
  });
});
