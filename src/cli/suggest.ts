/**
 * "Did you mean …?" for a mistyped command, subcommand or option.
 *
 * Hand-written: an edit distance over a dozen short names is a few lines, and no CLI library
 * is used here to borrow one from (the commands parse with `node:util` `parseArgs`).
 */

/** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      row.push(best);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

/**
 * The candidate closest to `input`, if it is close enough to be what was meant: at most one
 * edit for names of up to four characters, two for longer ones, or a prefix of three or more
 * characters (`sess` → `sessions`). Inputs longer than 40 characters get no suggestion.
 */
export function closestName(input: string, candidates: readonly string[]): string | undefined {
  if (input.length === 0 || input.length > 40) return undefined;
  const typed = input.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = editDistance(typed, name.toLowerCase());
    if (best === undefined || distance < best.distance) best = { name, distance };
  }
  if (best !== undefined && best.distance <= (typed.length <= 4 ? 1 : 2)) return best.name;
  if (typed.length >= 3) return candidates.find((name) => name.startsWith(typed));
  return undefined;
}

/** `'; did you mean "x"?'`, or `""` when nothing is close. */
export function didYouMean(input: string, candidates: readonly string[]): string {
  const name = closestName(input, candidates);
  return name === undefined ? "" : `; did you mean "${name}"?`;
}
