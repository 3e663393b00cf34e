/** A line diff (longest common subsequence) for the diff view of file edits. */

export interface DiffLine { op: " " | "+" | "-"; text: string }

const MAX_CELLS = 4_000_000;

export function diffLines(oldText: string | null | undefined, newText: string): DiffLine[] {
  const a = oldText == null || oldText === "" ? [] : oldText.replace(/\n$/, "").split("\n");
  const b = newText === "" ? [] : newText.replace(/\n$/, "").split("\n");
  // Common head and tail are cheap to strip and keep the table small.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length, endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) { endA--; endB--; }
  const head: DiffLine[] = a.slice(0, start).map(text => ({ op: " ", text }));
  const tail: DiffLine[] = a.slice(endA).map(text => ({ op: " ", text }));
  const x = a.slice(start, endA), y = b.slice(start, endB);
  let middle: DiffLine[];
  if (x.length * y.length > MAX_CELLS) {
    middle = [...x.map(text => ({ op: "-" as const, text })), ...y.map(text => ({ op: "+" as const, text }))];
  } else {
    const n = x.length, m = y.length;
    const t = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) {
      t[i][j] = x[i] === y[j] ? t[i + 1][j + 1] + 1 : Math.max(t[i + 1][j], t[i][j + 1]);
    }
    middle = [];
    let i = 0, j = 0;
    while (i < n && j < m) {
      if (x[i] === y[j]) { middle.push({ op: " ", text: x[i] }); i++; j++; }
      else if (t[i + 1][j] >= t[i][j + 1]) middle.push({ op: "-", text: x[i++] });
      else middle.push({ op: "+", text: y[j++] });
    }
    while (i < n) middle.push({ op: "-", text: x[i++] });
    while (j < m) middle.push({ op: "+", text: y[j++] });
  }
  return [...head, ...middle, ...tail];
}
