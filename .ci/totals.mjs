// Sums vitest JSON reports and prints the one line CI reads: "N passed, M failed". Each phase's
// own counts come first (suites that run in several phases — the Node 24 leg re-runs the unit
// profile — are counted once per phase in the sum, which says so).
// Exits 1 when a report is missing or unreadable, when a test failed, or when no test ran.
import { readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
let ok = true;
const failures = [];
for (const file of process.argv.slice(2)) {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8'));
    // A suite that failed to load, or whose hooks failed (vitest then reports its tests as
    // skipped), counts as a failure even though no test in it failed.
    const broken = r.testResults.filter((t) => t.status === 'failed' && !t.assertionResults.some((a) => a.status === 'failed')).length;
    const phase = file.replace(/^.*\//, '').replace(/\.json$/, '');
    process.stdout.write(`phase ${phase}: ${r.numPassedTests} tests passed / ${r.numFailedTests + broken} failed / ${r.numPendingTests + (r.numTodoTests ?? 0)} skipped\n`);
    for (const t of r.testResults) {
      const file = t.name.replace(/^.*?\/(packages|apps|test|bench)\//, '$1/');
      const bad = t.assertionResults.filter((a) => a.status === 'failed');
      if (t.status === 'failed' && bad.length === 0) failures.push({ title: `${phase}: ${file}`, message: t.message ?? 'suite failed' });
      for (const a of bad) failures.push({ title: `${phase}: ${file}: ${a.fullName}`, message: a.failureMessages?.[0] ?? '' });
    }
    passed += r.numPassedTests;
    failed += r.numFailedTests + broken;
    skipped += r.numPendingTests + (r.numTodoTests ?? 0);
  } catch (err) {
    process.stderr.write(`unreadable report ${file}: ${err.message}\n`);
    ok = false;
  }
}
// The failed tests' names, so the short tail of a CI log says which ones (the first 20), each with
// its error's first line; the first 5 also with the error's next lines (a diff's changed lines
// first), so that a failure seen only on the CI machine can be told from its log's tail.
failures.slice(0, 20).forEach((f, i) => {
  const [head, ...rest] = f.message.split('\n');
  process.stdout.write(`FAILED ${`${f.title}: ${head}`.slice(0, 400)}\n`);
  if (i >= 5) return;
  const changed = rest.filter((l) => /^[-+] /.test(l));
  const detail = (changed.length > 0 ? changed : rest.filter((l) => l.trim() && !/^\s+at /.test(l))).slice(0, 12);
  for (const l of detail) process.stdout.write(`    ${l.slice(0, 200)}\n`);
});
if (failures.length > 20) process.stdout.write(`… and ${failures.length - 20} more\n`);
process.stdout.write('sum over the phases above (a suite run in two phases counts twice):\n');
process.stdout.write(`${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(ok && failed === 0 && passed > 0 ? 0 : 1);
