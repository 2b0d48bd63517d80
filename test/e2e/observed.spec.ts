import fs from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { kernelLog } from '../trace/kernelLogs';
import { runs, SHOTS } from './helpers';

test.describe.configure({ mode: 'serial' });

/** Both screenshot sizes the house asks for. */
async function shots(page: Page, name: string): Promise<void> {
  for (const [w, h] of [
    [1600, 1000],
    [1280, 800],
  ]) {
    await page.setViewportSize({ width: w, height: h });
    await page.waitForTimeout(400);
    await page.screenshot({ path: `${SHOTS}/${name}-${w}x${h}.png` });
  }
}

const LOG = '01-oom-innocent-victim-then-no-killable-panic.log';

test('a real kernel log imported through the UI is an observed run in the archive', async ({ page, request }) => {
  await page.goto('/');
  await page.getByLabel('Import a trace file or a kernel log').setInputFiles(kernelLog(LOG));
  await expect(page.getByRole('status').filter({ hasText: `Imported the kernel log ${LOG} as an observed run` })).toBeVisible();
  // Drag and drop takes a kernel log too (an ftrace capture here).
  const text = fs.readFileSync(kernelLog('16-ftrace-oom-reaper-tracepoints.log'), 'utf8');
  const dt = await page.evaluateHandle((t) => {
    // In the page (this file is typed for Node: the DOM's classes are named through globalThis).
    const w = globalThis as unknown as { DataTransfer: new () => { items: { add(f: unknown): void } }; File: new (parts: string[], name: string, o: { type: string }) => unknown };
    const d = new w.DataTransfer();
    d.items.add(new w.File([t], 'reaper-trace.txt', { type: 'text/plain' }));
    return d;
  }, text);
  await page.dispatchEvent('section.archive', 'drop', { dataTransfer: dt });
  await expect(page.getByRole('status').filter({ hasText: 'Imported the kernel log reaper-trace.txt as an observed run' })).toBeVisible();
  const list = await runs(request);
  expect(list.filter((r) => r.model === 'observed').map((r) => r.params.source).sort()).toEqual([LOG, 'reaper-trace.txt']);
  const table = page.getByRole('grid', { name: 'Recorded runs' });
  await expect(table.getByRole('button', { name: `Open the observed run of ${LOG}` })).toBeVisible();
  await expect(table.getByText('observed', { exact: true }).first()).toBeVisible();
  await expect(table).toContainText('kernel log · dmesg · 283 lines');
  // A garbage file: one sentence, nothing added (other spec files share the archive: count before and after).
  const before = (await runs(request)).length;
  await page.getByLabel('Import a trace file or a kernel log').setInputFiles({ name: 'shopping.txt', mimeType: 'text/plain', buffer: Buffer.from('milk\neggs\nbread\n') });
  await expect(page.getByRole('status').filter({ hasText: "shopping.txt was not imported: 'shopping.txt' is not a kernel log" })).toBeVisible();
  expect(await runs(request)).toHaveLength(before);
  await page.getByLabel('Design').selectOption('observed');
  await shots(page, 'e2e-observed-01-archive');
});

test('the observed run opens with its lanes and the metrics a log shows, and finds its matching scenario', async ({ page }) => {
  await page.setViewportSize({ width: 1600, height: 1000 });
  await page.goto('/');
  await page.getByRole('button', { name: `Open the observed run of ${LOG}` }).click();
  await expect(page.getByRole('heading', { name: new RegExp(LOG.replace(/\./g, '\\.')) })).toBeVisible();
  await expect(page.getByText('kernel log (dmesg, monotonic clock) · 283 lines · 3 reports')).toBeVisible();
  const cards = page.getByRole('region', { name: 'Metrics' });
  await expect(cards).toContainText('OOM victims');
  await expect(cards).toContainText('panics');
  await expect(cards).not.toContainText('release() latency');
  await expect(page.getByRole('button', { name: 'Re-run and verify' })).toHaveCount(0);
  await page.waitForTimeout(800);
  await shots(page, 'e2e-observed-02-run');
  await page.setViewportSize({ width: 1600, height: 1000 });
  await page.getByRole('button', { name: 'Find a matching scenario' }).click();
  const list = page.getByRole('list', { name: 'Candidates, best first' });
  await expect(list).toBeVisible({ timeout: 60_000 });
  await expect(list.getByRole('listitem').first()).toContainText('oom-bound-victim');
  await expect(list.getByRole('listitem').first()).toContainText('1 panic as in the log');
  await shots(page, 'e2e-observed-03-match');
  await page.setViewportSize({ width: 1600, height: 1000 });
  await list.getByRole('button', { name: /^Run oom-bound-victim with .* and compare it with the log$/ }).first().click();
  // The compare view: the log (A) beside the model run (B), aligned at the trigger (the first OOM kill).
  await expect(page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Compare' })).toHaveAttribute('aria-current', 'page', { timeout: 60_000 });
  await page.getByLabel(/show the \d+ metrics that are the same/).check();
  await expect(page.getByText('oomVictims').first()).toBeVisible({ timeout: 30_000 });
  await expect(page.getByText('releaseLatencyNs')).toHaveCount(0);
  await page.waitForTimeout(1200);
  await shots(page, 'e2e-observed-04-compare');
});
