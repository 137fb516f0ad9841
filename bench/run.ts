// `npm run bench`: runs every bench file (or those named on the command line) in sequence.
import { readdirSync } from "node:fs";

const selected = process.argv.slice(2);
const files = readdirSync(new URL(".", import.meta.url))
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => selected.length === 0 || selected.some((s) => f.includes(s)))
  .sort();
for (const file of files) {
  console.log(`\n=== ${file} ===`);
  await import(new URL(file, import.meta.url).href);
}
