// Sums vitest JSON reports and prints the one line CI reads: "N passed, M failed". Each phase's
// own counts come first (suites that run in several phases — the Node 24 leg re-runs the unit
// profile — are counted once per phase in the sum, which says so).
// Exits 1 when a report is missing or unreadable, when a test failed, or when no test ran.
import { readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
let ok = true;
for (const file of process.argv.slice(2)) {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8'));
    // A suite that failed to load, or whose hooks failed (vitest then reports its tests as
    // skipped), counts as a failure even though no test in it failed.
    const broken = r.testResults.filter((t) => t.status === 'failed' && !t.assertionResults.some((a) => a.status === 'failed')).length;
    const phase = file.replace(/^.*\//, '').replace(/\.json$/, '');
    process.stdout.write(`phase ${phase}: ${r.numPassedTests} tests passed / ${r.numFailedTests + broken} failed / ${r.numPendingTests + (r.numTodoTests ?? 0)} skipped\n`);
    passed += r.numPassedTests;
    failed += r.numFailedTests + broken;
    skipped += r.numPendingTests + (r.numTodoTests ?? 0);
  } catch (err) {
    process.stderr.write(`unreadable report ${file}: ${err.message}\n`);
    ok = false;
  }
}
process.stdout.write('sum over the phases above (a suite run in two phases counts twice):\n');
process.stdout.write(`${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(ok && failed === 0 && passed > 0 ? 0 : 1);
