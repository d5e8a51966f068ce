/**
 * A line diff for the assertion messages of test/ui-e2e.test.ts: two page texts of a few hundred
 * lines, so a plain longest-common-subsequence table is cheap enough.
 */

/**
 * The lines that differ between `a` and `b`, as `- line` (only in `a`) and `+ line` (only in `b`),
 * each with up to `context` unchanged lines before it (`  line`), runs of unchanged lines elided
 * (`  …`). Empty when the texts are equal.
 */
export function lineDiff(a: string, b: string, context = 2): string {
  if (a === b) return '';
  const x = a.split('\n');
  const y = b.split('\n');
  const n = x.length;
  const m = y.length;
  // lcs[i][j]: the longest common subsequence of x[i..] and y[j..].
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const ops: Array<[' ' | '-' | '+', string]> = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) ops.push([' ', x[i++]!]), j++;
    else if (j < m && (i >= n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) ops.push(['+', y[j++]!]);
    else ops.push(['-', x[i++]!]);
  }
  const keep = ops.map((op, k) => op[0] !== ' ' || ops.slice(k + 1, k + 1 + context).some((o) => o[0] !== ' '));
  const out: string[] = [];
  ops.forEach(([kind, line], k) => {
    if (keep[k]) out.push(`${kind} ${line}`);
    else if (out.at(-1) !== '  …') out.push('  …');
  });
  return out.join('\n');
}
