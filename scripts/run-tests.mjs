// Runs every *.test.ts below the given folders (default: test/) with node's test runner and tsx.
// Node 20's --test has no glob support, so the file list is built here.
// `--unit` leaves out every test file that needs PostgreSQL, MariaDB or Redis (`npm run
// test:unit`): one that imports a client of theirs or the test helpers that reach them, itself
// or through the test helpers it imports. Python peers are not services: they stay in.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const args = process.argv.slice(2);
const unit = args.includes("--unit");
const roots = args.filter((a) => !a.startsWith("-"));
const flags = args.filter((a) => a.startsWith("-") && a !== "--unit");

/** A client package of a service, or a test helper's name for a service's address. */
const SERVICE =
  /from "(?:ioredis|redis|pg|mysql2(?:\/promise)?)"|\b(?:PG_URL|MYSQL_URL|REDIS_PORT|RawRedis)\b|support\/databases\.ts/;
const RELATIVE_IMPORT = /from "(\.{1,2}\/[^"]+)"|import\("(\.{1,2}\/[^"]+)"\)/g;
const testRoot = resolve("test");
const reaches = new Map();

/** Whether `file` (a file under test/) or a test file it imports needs a service. */
function needsService(file, visiting = new Set()) {
  if (reaches.has(file)) return reaches.get(file);
  if (visiting.has(file)) return false;
  visiting.add(file);
  const text = readFileSync(file, "utf8");
  let result = SERVICE.test(text.replace(/^.*from "\.{1,2}\/.*$/gm, ""));
  for (const match of text.matchAll(RELATIVE_IMPORT)) {
    if (result) break;
    const target = resolve(dirname(file), match[1] ?? match[2]);
    if (target.startsWith(testRoot) && existsSync(target)) {
      result = needsService(target, visiting);
    }
  }
  reaches.set(file, result);
  return result;
}

const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith(".test.ts")) files.push(path);
  }
};
for (const root of roots.length ? roots : ["test"]) {
  if (statSync(root).isFile()) files.push(root);
  else walk(root);
}
if (unit) {
  const left = files.filter((file) => needsService(resolve(file)));
  if (left.length > 0)
    console.error(
      `run-tests --unit: leaves out ${left.length} file(s) that need a database or Redis`,
    );
  files.splice(0, files.length, ...files.filter((file) => !left.includes(file)));
}
if (files.length === 0) {
  console.error("run-tests: no test files found");
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? "2";
// A second TAP copy goes to a file so that, after a run of thousands of tests, the failures are
// printed again at the end: a CI log that keeps only its tail still names what failed.
mkdirSync(".work", { recursive: true });
const tapCopy = join(".work", `test-results-${process.pid}.tap`);
const reporters = flags.some((flag) => flag.startsWith("--test-reporter"))
  ? []
  : [
      "--test-reporter=tap",
      "--test-reporter-destination=stdout",
      "--test-reporter=tap",
      `--test-reporter-destination=${tapCopy}`,
    ];
const result = spawnSync(
  process.execPath,
  [
    "--import",
    "tsx",
    "--test",
    `--test-concurrency=${concurrency}`,
    // A test that hangs (an event that never comes) fails under its own name after 15 minutes
    // instead of holding the whole run until CI's limit.
    "--test-timeout=900000",
    ...reporters,
    ...flags,
    ...files,
  ],
  { stdio: "inherit" },
);
if (reporters.length > 0 && existsSync(tapCopy)) {
  const failures = failuresOf(readFileSync(tapCopy, "utf8"));
  rmSync(tapCopy, { force: true });
  if (failures.length > 0) {
    console.log(`\n# ${failures.length} failing test(s), repeated from above:`);
    for (const failure of failures) console.log(failure);
  }
}
process.exit(result.status ?? 1);

/**
 * The failing leaf tests of a TAP stream, each with the names of the subtests around it and its
 * YAML diagnostics (error, location, stack). A suite that fails only because a child failed is
 * left out: the child names it.
 */
function failuresOf(tap) {
  const lines = tap.split("\n");
  const out = [];
  const path = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const subtest = /^(\s*)# Subtest: (.*)$/.exec(line);
    if (subtest) {
      const depth = subtest[1].length / 4;
      path.length = depth;
      path[depth] = subtest[2];
      continue;
    }
    const notOk = /^(\s*)not ok \d+ - (.*)$/.exec(line);
    if (!notOk) continue;
    const indent = notOk[1];
    const block = [];
    let j = i + 1;
    if (lines[j]?.trim() === "---") {
      for (j++; j < lines.length && lines[j] !== `${indent}  ...`; j++) block.push(lines[j]);
    }
    const yaml = block.join("\n");
    if (/failureType: 'subtestsFailed'/.test(yaml)) continue;
    const depth = indent.length / 4;
    out.push(`not ok - ${[...path.slice(0, depth), notOk[2]].join(" > ")}\n${yaml}\n`);
  }
  return out;
}
