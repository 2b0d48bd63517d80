#!/usr/bin/env node
// Reads vitest's JSON report and prints one plain line, `N passed, N failed[, N skipped]`, as the
// last line of the CI log (vitest's own closing line is not one the CI reader recognises).
// Exit status: 0 only if the report exists, shows a successful run, and nothing failed.
//
//   node scripts/ci-summary.mjs [.ci-out/vitest.json]
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.ci-out/vitest.json';

let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  const why = err.code === 'ENOENT' ? 'it does not exist, so the tests did not run to the end' : err.message;
  console.error(`ci-summary: cannot read the test report ${file}: ${why}.`);
  console.log('0 passed, 0 failed');
  process.exit(1);
}

const files = report.testResults ?? [];
const passed = report.numPassedTests ?? 0;
// A test file that fails to load has no tests of its own: count it as one failure, by name.
const brokenFiles = files.filter(
  (f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'),
);
for (const f of brokenFiles) {
  console.error(`ci-summary: ${f.name} failed outside any test: ${(f.message ?? '').split('\n')[0] || 'see the log above'}`);
}
let failed = (report.numFailedTests ?? 0) + brokenFiles.length;
// Errors outside any test (an unhandled rejection, say) fail the run without failing a test.
const noFiles = files.length === 0;
if (noFiles) {
  console.error('ci-summary: vitest ran no test files (none matched, or it stopped before running any).');
} else if (report.success === false && failed === 0) {
  console.error('ci-summary: vitest reported an error outside any test (see the log above); counted as one failure.');
  failed = 1;
}
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);

console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || noFiles ? 1 : 0);
