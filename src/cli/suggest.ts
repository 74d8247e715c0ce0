/** "Did you mean …?": the closest known word to a mistyped command or flag. */

/** Edit distance with transpositions (optimal string alignment): "hepl" is 1 away from "help". */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate closest to `word`, if it is close enough to be a likely typo (about a third of
 * the word may differ) or `word` is a prefix of exactly that candidate; undefined otherwise.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  const list = [...candidates];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of list) {
    const dist = editDistance(w, c.toLowerCase());
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(1, Math.floor(Math.max(w.replace(/^-+/, '').length, 3) / 3));
  if (bestDistance <= limit) return best;
  const prefixed = list.filter((c) => w.length >= 2 && c.toLowerCase().startsWith(w));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}
