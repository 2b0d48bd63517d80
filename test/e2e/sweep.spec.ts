import fs from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import type { SweepDto, SweepListItemDto } from '../../main/contract';
import { labCall, shot } from './helpers';

test.describe.configure({ mode: 'serial' });

/** The point table's rows as data: series label, x, mean (what the plot draws). */
async function points(page: Page): Promise<{ series: string; x: string; mean: string }[]> {
  return page.locator('table.sweep-points tbody tr').evaluateAll((rows) =>
    rows.map((r) => {
      // The page's DOM (this file is typed for Node: no DOM types here).
      const d = (r as unknown as { dataset: Record<string, string | undefined> }).dataset;
      return { series: d.series ?? '', x: d.x ?? '', mean: d.mean ?? '' };
    }),
  );
}

let sweepId = '';

// A smaller grid than the innocent-victims preset (6 runs, not 20), started through the custom
// form: it is the same curve at 10 ms (before the allocator's retries run out), 1 s and 10 s.
test('from the archive, a custom sweep of the OOM scenario draws innocent victims vs DMA stop time', async ({ page, request }) => {
  await page.goto('/');
  await page.getByRole('button', { name: /Draw the seed's argument/ }).click();
  await expect(page).toHaveURL(/#\/sweeps$/);
  await expect(page.getByRole('heading', { name: 'Sweeps', level: 2 })).toBeVisible();
  // Presets come with their title and story.
  const presets = page.getByRole('list', { name: 'Presets' });
  await expect(presets).toContainText('Innocent OOM victims and time to free memory vs DMA stop time');
  await expect(presets).toContainText('release() waits for the device to stop');
  await expect(presets.getByRole('button', { name: /^Run this sweep:/ })).toHaveCount(3);

  const form = page.getByRole('form', { name: 'Custom sweep' });
  await form.getByLabel('Scenario').selectOption('oom-bound-victim');
  await form.getByLabel('Parameter 1 to vary').selectOption('dmaStopMs');
  const values1 = form.getByLabel('Values of parameter 1, separated by commas');
  // A bad value is refused with one sentence naming the parameter and the valid range.
  await values1.fill('10,ten');
  await form.getByRole('button', { name: 'Run custom sweep' }).click();
  await expect(form.getByRole('alert')).toContainText(/dmaStopMs must be a number from 0 to 600000.*'ten' is not/);
  await values1.fill('10,1000,10000');
  await form.getByLabel('Parameter 2 to vary').selectOption('mmExit');
  await form.getByLabel('Values of parameter 2, separated by commas').fill('true,false');
  await form.getByLabel('Seeds per grid point').fill('1');
  await form.getByRole('button', { name: 'Run custom sweep' }).click();

  await expect(page).toHaveURL(/#\/sweeps\/[^/]+$/);
  sweepId = decodeURIComponent(/#\/sweeps\/([^/?]+)/.exec(page.url())?.[1] ?? '');
  const progress = page.getByRole('region', { name: 'Sweep progress' });
  await expect(progress).toContainText(/\/ 6 runs/);
  await page.evaluate('window.scrollTo(0, 0)');
  await shot(page, 'e2e-sweep-01-running');
  await expect(progress).toContainText('complete', { timeout: 60_000 });
  await expect(progress).toContainText('6 / 6 runs');

  // The plot's data, read from the point table (its text alternative).
  await expect(page.getByRole('table', { name: /^Points: innocentVictims by dmaStopMs and mmExit/ })).toBeVisible();
  const pts = await points(page);
  const mean = (series: string, x: number) => Number(pts.find((p) => p.series === series && p.x === String(x))?.mean ?? NaN);
  expect(pts).toHaveLength(6);
  expect(mean('mm_exit', 10)).toBe(0);
  expect(mean('mm_exit', 1000)).toBeGreaterThanOrEqual(1);
  expect(mean('mm_exit', 10000)).toBeGreaterThanOrEqual(1);
  for (const x of [10, 1000, 10000]) expect(mean('quiet', x)).toBe(0);
  // The same numbers are what the chart was given, and what the service recorded.
  const drawn = JSON.parse((await page.locator('.sweep-plot').getAttribute('data-points')) ?? '[]') as { series: string; x: number; mean: number }[];
  expect(drawn.filter((d) => d.series === 'mm_exit').map((d) => [d.x, d.mean])).toEqual([[10, 0], [1000, mean('mm_exit', 1000)], [10000, mean('mm_exit', 10000)]]);
  const sweep = await labCall<SweepDto>(request, 'getSweep', sweepId);
  expect(sweep.status).toBe('complete');
  const row = sweep.table.find((t) => t.values.dmaStopMs === 10000 && t.values.mmExit === true);
  expect(row?.stats.innocentVictims.mean).toBe(mean('mm_exit', 10000));
  const list = await labCall<SweepListItemDto[]>(request, 'listSweeps');
  expect(list.map((s) => s.id)).toContain(sweepId);
  await expect(page.getByRole('navigation', { name: 'Recorded sweeps' })).toContainText('oom-bound-victim: dmaStopMs × mmExit');

  await page.evaluate('window.scrollTo(0, 0)');
  await page.waitForTimeout(300);
  await shot(page, 'e2e-sweep-02-plot');
});

test('hovering a point shows its runs; clicking it opens the mm_exit/quiet pair in the compare view', async ({ page, request }) => {
  const sweep = await labCall<SweepDto>(request, 'getSweep', sweepId);
  const at = (mmExit: boolean) => sweep.points.find((p) => p.values.dmaStopMs === 10000 && p.values.mmExit === mmExit)?.runs[0].run;
  await page.goto(`/#/sweeps/${encodeURIComponent(sweepId)}`);
  const plot = page.getByRole('group', { name: /^Plot: / });
  await expect(plot.locator('.u-over')).toBeVisible();
  // Keyboard first: End walks to the last x (10 s) on the first series (mm_exit).
  await plot.focus();
  await page.keyboard.press('End');
  const tip = page.getByRole('tooltip');
  await expect(tip).toContainText('mm_exit at 10 s');
  // Then the mouse, on the point uPlot drew there (its cursor marker sits on it).
  const marker = await plot.locator('.u-cursor-pt').first().boundingBox();
  expect(marker).not.toBeNull();
  const cx = (marker?.x ?? 0) + (marker?.width ?? 0) / 2;
  const cy = (marker?.y ?? 0) + (marker?.height ?? 0) / 2;
  await page.mouse.move(cx, cy, { steps: 4 });
  await expect(tip).toContainText('mm_exit at 10 s');
  await expect(tip).toContainText(at(true) ?? '??');
  await expect(tip).toContainText('seed 1');
  await expect(tip).toContainText('Click to compare mm_exit and quiet here');
  await shot(page, 'e2e-sweep-03-hover');
  await page.mouse.click(cx, cy);
  await expect(page).toHaveURL(new RegExp(`#/compare/${encodeURIComponent(at(true) ?? '')}/${encodeURIComponent(at(false) ?? '')}`));
  await expect(page.getByRole('heading', { name: /A mm_exit vs B quiet/ })).toBeVisible();
});

test('the point table opens pairs from the keyboard; the table exports as CSV and the plot as PNG', async ({ page }) => {
  await page.goto(`/#/sweeps/${encodeURIComponent(sweepId)}`);
  await expect(page.getByRole('region', { name: 'Sweep progress' })).toContainText('complete');

  const csv = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export the sweep table as CSV' }).click();
  const csvFile = await csv;
  expect(csvFile.suggestedFilename()).toBe(`${sweepId}.csv`);
  const text = fs.readFileSync(await csvFile.path(), 'utf8');
  expect(text.split('\n')[0]).toMatch(/dmaStopMs.*mmExit.*innocentVictims/);
  expect(text.trim().split('\n')).toHaveLength(7);

  const png = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export the plot as PNG' }).click();
  const pngFile = await png;
  expect(pngFile.suggestedFilename()).toMatch(/innocentVictims-vs-dmaStopMs\.png$/);
  const bytes = fs.readFileSync(await pngFile.path());
  expect(bytes.subarray(1, 4).toString()).toBe('PNG');
  expect(bytes.length).toBeGreaterThan(5000);

  // Keyboard: focus the table's button for mm_exit at 1 s and press Enter.
  const open = page.getByRole('button', { name: 'Open mm_exit at dmaStopMs 1 s' });
  await open.focus();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/#\/compare\/[^/]+-mm_exit-s1\.sqlite\/[^/]+-quiet-s1\.sqlite/);
});
