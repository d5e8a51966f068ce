// Sums vitest JSON reports and prints the one line CI reads: "N passed, M failed".
// Exits 1 when a report is missing or unreadable, when a test failed, or when no test ran.
import { readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
let ok = true;
for (const file of process.argv.slice(2)) {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += r.numPendingTests + (r.numTodoTests ?? 0);
    // A suite that failed to load, or whose hooks failed (vitest then reports its tests as
    // skipped), counts as a failure even though no test in it failed.
    failed += r.testResults.filter((t) => t.status === 'failed' && !t.assertionResults.some((a) => a.status === 'failed')).length;
  } catch (err) {
    process.stderr.write(`unreadable report ${file}: ${err.message}\n`);
    ok = false;
  }
}
process.stdout.write(`${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(ok && failed === 0 && passed > 0 ? 0 : 1);
