// Sorting without localeCompare: the first localeCompare call loads ICU's
// collator, about 10 ms, which `conn list` cannot afford on every CI step.
// Names here are ASCII, so a case-insensitive code-unit order is right.

export function byText(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x !== y) return x < y ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
