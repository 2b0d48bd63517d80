#!/usr/bin/env node
// Reads the test reports (vitest's and Playwright's JSON) and prints one plain line,
// `N passed, N failed[, N skipped]`, as the last line of the log (neither runner's own closing
// line is one the CI reader recognises). Exit status 0 only if every report exists, ran tests and
// nothing failed.
//
//   node scripts/ci-summary.mjs .ci-out/vitest.json [.ci-out/playwright.json]
import { readFileSync } from 'node:fs';

const files = process.argv.slice(2);
if (files.length === 0) files.push('.ci-out/vitest.json');
let passed = 0;
let failed = 0;
let skipped = 0;
let bad = false;

for (const file of files) {
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const why = err.code === 'ENOENT' ? 'it does not exist, so those tests did not run to the end' : err.message;
    console.error(`ci-summary: cannot read the test report ${file}: ${why}.`);
    failed++;
    bad = true;
    continue;
  }
  if (report.stats && 'expected' in report.stats) {
    // Playwright
    passed += report.stats.expected ?? 0;
    failed += (report.stats.unexpected ?? 0) + (report.stats.flaky ?? 0);
    skipped += report.stats.skipped ?? 0;
    for (const e of report.errors ?? []) {
      console.error(`ci-summary: Playwright error outside any test: ${(e.message ?? '').split('\n')[0]}`);
      failed++;
    }
    continue;
  }
  // vitest
  const results = report.testResults ?? [];
  passed += report.numPassedTests ?? 0;
  const brokenFiles = results.filter((f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'));
  for (const f of brokenFiles) console.error(`ci-summary: ${f.name} failed outside any test: ${(f.message ?? '').split('\n')[0] || 'see the log above'}`);
  let f = (report.numFailedTests ?? 0) + brokenFiles.length;
  if (results.length === 0) {
    console.error('ci-summary: vitest ran no test files (none matched, or it stopped before running any).');
    bad = true;
  } else if (report.success === false && f === 0) {
    console.error('ci-summary: vitest reported an error outside any test (see the log above); counted as one failure.');
    f = 1;
  }
  failed += f;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
}

console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || bad ? 1 : 0);
