// Prints the standing attack suite's totals (test-results/attack.jsonl, one line per suite ×
// target, written by test/attack/harness.ts) as a table and one summary line. Informational:
// the suites themselves fail on any 5xx, crash, leak, touched canary, lost or duplicated write.
import { existsSync, readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file || !existsSync(file)) {
  console.log('attack suite: no totals recorded');
  process.exit(0);
}
const rows = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const keys = ['attempts', 'refused', 'accepted', 'serverErrors', 'crashes', 'leaks', 'canariesTouched', 'lost', 'duplicated'];
const sum = Object.fromEntries(keys.map((k) => [k, 0]));
console.log(['suite', 'target', ...keys].join('\t'));
for (const r of rows) {
  for (const k of keys) sum[k] += r[k] ?? 0;
  console.log([r.suite, r.target, ...keys.map((k) => r[k] ?? '-')].join('\t'));
}
console.log(
  `attack suite: ${sum.attempts} attempts, ${sum.refused} refused, ${sum.accepted} accepted, ${sum.serverErrors} 5xx, ${sum.crashes} crashes, ` +
    `${sum.leaks} leaks, ${sum.canariesTouched} canaries touched, ${sum.lost} lost and ${sum.duplicated} duplicated writes after kill -9`,
);
