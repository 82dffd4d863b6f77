// A unified diff of two texts (`--- a/FILE`, `+++ b/FILE`, `@@ -l,n +l,n @@` hunks with three
// lines of context), as `patch -p1` and `git apply` read it. Lines are compared with Myers'
// O((N+M)·D) algorithm: `fix` changes a few lines of a file, so D is small; past MAX_EDITS the
// changed middle of the file is shown as one replaced block, still a correct diff.

const CONTEXT = 3;
const MAX_EDITS = 2_000;

type Edit = { kind: ' ' | '-' | '+'; line: string };

/** The shortest edit script from `a` to `b`, or undefined past `limit` edits. */
function myers(a: readonly string[], b: readonly string[], limit: number): Edit[] | undefined {
  const n = a.length;
  const m = b.length;
  const offset = limit + 1;
  const v = new Int32Array(2 * offset + 1);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= limit; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!)
          ? v[offset + k + 1]!
          : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(a, b, trace, offset, d, k);
    }
  }
  return undefined;
}

function backtrack(
  a: readonly string[],
  b: readonly string[],
  trace: Int32Array[],
  offset: number,
  depth: number,
  lastK: number,
): Edit[] {
  const edits: Edit[] = [];
  let x = a.length;
  let y = b.length;
  let k = lastK;
  for (let d = depth; d > 0; d--) {
    const v = trace[d]!;
    const down = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!);
    const prevK = down ? k + 1 : k - 1;
    const prevX = v[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      y--;
      edits.push({ kind: ' ', line: a[--x]! });
    }
    if (down) edits.push({ kind: '+', line: b[--y]! });
    else edits.push({ kind: '-', line: a[--x]! });
    k = prevK;
  }
  while (x > 0 && y > 0) {
    y--;
    edits.push({ kind: ' ', line: a[--x]! });
  }
  return edits.reverse();
}

/** Everything between the common head and tail as removed, then added: correct, if not minimal. */
function replaceMiddle(a: readonly string[], b: readonly string[]): Edit[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  )
    tail++;
  return [
    ...a.slice(0, head).map((line) => ({ kind: ' ' as const, line })),
    ...a.slice(head, a.length - tail).map((line) => ({ kind: '-' as const, line })),
    ...b.slice(head, b.length - tail).map((line) => ({ kind: '+' as const, line })),
    ...a.slice(a.length - tail).map((line) => ({ kind: ' ' as const, line })),
  ];
}

/** Lines with their ending kept, so a missing final newline shows as diff marks it. */
function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

const range = (start: number, count: number) => (count === 1 ? `${start}` : `${start},${count}`);

function show(edit: Edit): string {
  const body = edit.line.endsWith('\n') ? edit.line : `${edit.line}\n\\ No newline at end of file\n`;
  return edit.kind + body;
}

/** The unified diff from `before` to `after` of the file `name`; empty when they are equal. */
export function unifiedDiff(name: string, before: string, after: string): string {
  if (before === after) return '';
  const a = splitLines(before);
  const b = splitLines(after);
  const edits = myers(a, b, MAX_EDITS) ?? replaceMiddle(a, b);
  const out = [`--- a/${name}\n`, `+++ b/${name}\n`];
  let i = 0;
  // Line numbers (1-based) in a and b of edits[i].
  const lineA: number[] = [];
  const lineB: number[] = [];
  let la = 1;
  let lb = 1;
  for (const e of edits) {
    lineA.push(la);
    lineB.push(lb);
    if (e.kind !== '+') la++;
    if (e.kind !== '-') lb++;
  }
  while (i < edits.length) {
    if (edits[i]!.kind === ' ') {
      i++;
      continue;
    }
    // A hunk: from CONTEXT lines before this change to CONTEXT lines after the last change
    // that is at most 2·CONTEXT unchanged lines from the next.
    const start = Math.max(0, i - CONTEXT);
    let end = i;
    let unchanged = 0;
    for (let j = i; j < edits.length; j++) {
      if (edits[j]!.kind === ' ') {
        if (++unchanged > 2 * CONTEXT) break;
      } else {
        unchanged = 0;
        end = j;
      }
    }
    const stop = Math.min(edits.length, end + 1 + CONTEXT);
    const hunk = edits.slice(start, stop);
    const countA = hunk.filter((e) => e.kind !== '+').length;
    const countB = hunk.filter((e) => e.kind !== '-').length;
    // An empty side starts at the line before it, as diff writes it.
    const fromA = countA === 0 ? lineA[start]! - 1 : lineA[start]!;
    const fromB = countB === 0 ? lineB[start]! - 1 : lineB[start]!;
    out.push(`@@ -${range(fromA, countA)} +${range(fromB, countB)} @@\n`, ...hunk.map(show));
    i = stop;
  }
  return out.join('');
}
