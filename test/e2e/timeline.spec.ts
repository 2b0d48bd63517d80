import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import type { RunInfo } from '../../main/contract';
import { cli, labCall, shot } from './helpers';

/**
 * Issue 12 end to end, as a newcomer: a 1M-event stress run opens with a constant number of
 * requests; groups, the lane filter and the search find a process's PASID entry and its release();
 * a click selects, the details panel says what it is; the keyboard gets there too; the compare view
 * tells "quiet is better" at a glance. axe on every screen, light and dark; screenshots at
 * 1600×1000 and 1280×800.
 */
test.describe.configure({ mode: 'serial' });

let stress = '';
let mmExit = '';
let quiet = '';

test.beforeAll(() => {
  stress = (cli<{ trace: string }>('run', 'stress', '--set', 'events=1000000', '--seed', '1').trace.split('/').pop() as string);
  mmExit = (cli<{ trace: string }>('run', 'oom-bound-victim', '--set', 'mmExit=true').trace.split('/').pop() as string);
  quiet = (cli<{ trace: string }>('run', 'oom-bound-victim', '--set', 'mmExit=false').trace.split('/').pop() as string);
});

/** axe on the page as it is: no violations (contrast included). */
async function axe(page: Page, what: string): Promise<void> {
  const r = await new AxeBuilder({ page }).analyze();
  const v = r.violations.map((x) => `${x.id}: ${x.nodes.length} × ${x.help} (${x.nodes.slice(0, 3).map((n) => `${n.target.join(' ')}: ${n.failureSummary?.split('\n').slice(1).join(' ') ?? ''}`).join(' | ')})`);
  expect(v, `axe on ${what}`).toEqual([]);
}

for (const size of [
  { width: 1600, height: 1000 },
  { width: 1280, height: 800 },
]) {
  test(`a 1M-event run at ${size.width}×${size.height}: opened in a constant number of requests, groups, filter, search, selection`, async ({ page, request }) => {
    await page.setViewportSize(size);
    const calls: string[] = [];
    page.on('request', (r) => {
      const m = /\/api\/(\w+)/.exec(r.url());
      if (m) calls.push(m[1]);
    });
    await page.goto(`/#/run/${encodeURIComponent(stress)}`);
    const canvas = page.getByRole('application').first();
    await expect(canvas).toBeVisible();
    await expect(page.getByText('loading lanes…')).toHaveCount(0, { timeout: 30_000 });
    await page.waitForTimeout(500);
    // Opening: one openRun, no findEvent, a handful of windows (visible lanes only), whatever the trace's size.
    expect(calls.filter((c) => c === 'openRun')).toHaveLength(1);
    expect(calls.filter((c) => c === 'findEvent')).toHaveLength(0);
    expect(calls.filter((c) => c === 'window').length).toBeLessThanOrEqual(16);
    expect(calls.length).toBeLessThanOrEqual(26);
    // The focus is on the run's heading after the screen change.
    await shot(page, `e2e-12-stress-${size.width}`);
    const info = await labCall<RunInfo>(request, 'openRun', stress);
    expect(info.groups.length).toBeGreaterThan(10);

    // The newcomer looks for process p3's PASID entry: the lane filter.
    await page.getByLabel('Filter lanes').fill('pasid 4');
    await page.waitForTimeout(400);
    await shot(page, `e2e-12-filter-${size.width}`);
    await page.getByLabel('Filter lanes').fill('');
    // Search the events: release() entries, next and previous.
    const search = page.getByRole('search', { name: 'Search events' });
    await search.getByLabel('Search events').fill('release_begin');
    await search.getByRole('button', { name: 'Next match' }).click();
    await expect(search.getByRole('status')).toContainText(/^Event \d+: .*release/, { timeout: 20_000 });
    const first = await search.getByRole('status').textContent();
    await search.getByRole('button', { name: 'Next match' }).click();
    await expect(search.getByRole('status')).not.toHaveText(first ?? '', { timeout: 20_000 });
    await search.getByRole('button', { name: 'Previous match' }).click();
    await expect(search.getByRole('status')).toHaveText(first ?? '', { timeout: 20_000 });
    // The hit is selected: the details panel names it, with a why link.
    const details = page.getByRole('region', { name: /^Details/ });
    await expect(details).toContainText('release_begin');
    await expect(details.getByRole('button', { name: 'Why did this happen?' })).toBeVisible();
    await page.waitForTimeout(600);
    await shot(page, `e2e-12-search-${size.width}`);
    // f fits the view to it, ? lists the shortcuts.
    await canvas.focus();
    await page.keyboard.press('f');
    await page.keyboard.press('?');
    await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible();
    await shot(page, `e2e-12-help-${size.width}`);
    await axe(page, 'the run view (help open)');
    await page.keyboard.press('Escape');
  });
}

test('the keyboard reaches an event\'s details: ↓ to a lane, Enter selects, Shift-drag adds up an area', async ({ page }) => {
  await page.setViewportSize({ width: 1600, height: 1000 });
  await page.goto(`/#/run/${encodeURIComponent(mmExit)}`);
  const canvas = page.getByRole('application').first();
  await expect(canvas).toBeVisible();
  await expect(page.getByText('loading lanes…')).toHaveCount(0, { timeout: 30_000 });
  await canvas.focus();
  // The first group is the OOM killer's; its first lane is the killer: Enter on it selects the kill at the cursor (the trigger).
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  const details = page.getByRole('region', { name: /^Details/ });
  await expect(details).toContainText(/oom_kill|signal|release/, { timeout: 10_000 });
  const box = await canvas.boundingBox();
  if (!box) throw new Error('no canvas');
  await page.keyboard.down('Shift');
  await page.mouse.move(box.x + 260, box.y + 30);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width - 20, box.y + 260, { steps: 6 });
  await page.mouse.up();
  await page.keyboard.up('Shift');
  await expect(details.getByRole('table', { name: 'Events per kind' })).toBeVisible({ timeout: 10_000 });
  await shot(page, 'e2e-12-area-1600');
  await axe(page, 'the run view (area selected)');
});

test('compare: quiet is better at a glance, with a legend; both panes scroll together', async ({ page }) => {
  for (const size of [
    { width: 1600, height: 1000 },
    { width: 1280, height: 800 },
  ]) {
    await page.setViewportSize(size);
    await page.goto(`/#/compare/${encodeURIComponent(mmExit)}/${encodeURIComponent(quiet)}`);
    const diff = page.getByRole('table', { name: 'Metric diff' });
    await expect(diff).toBeVisible({ timeout: 20_000 });
    await expect(diff.getByRole('row', { name: /^release\(\) latency, max.*better/ })).toBeVisible();
    await expect(diff.getByRole('row', { name: /^memory freed.*better/ })).toBeVisible();
    await expect(page.getByLabel('Legend').filter({ hasText: 'Judged for B against A' })).toContainText('worst');
    await page.waitForTimeout(800);
    await shot(page, `e2e-12-compare-${size.width}`);
  }
  const scrollers = page.locator('.compare-pane .timeline-scroller');
  await scrollers.nth(0).evaluate((el) => {
    el.scrollTop = 120;
    el.dispatchEvent(new Event('scroll'));
  });
  await expect.poll(() => scrollers.nth(1).evaluate((el) => el.scrollTop)).toBeGreaterThan(0);
  await axe(page, 'the compare view');
});

test('every screen passes axe, light and dark; focus moves to the heading on a screen change; the archive is one tab stop', async ({ page }) => {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto('/');
    await expect(page.getByRole('grid', { name: 'Recorded runs' })).toBeVisible();
    await axe(page, `the archive (${scheme})`);
    await shot(page, `e2e-12-archive-${scheme}`);
    const nav = page.getByRole('navigation', { name: 'Screens' });
    await nav.getByRole('link', { name: 'New run' }).click();
    await expect(page.getByRole('heading', { name: 'New run', level: 2 })).toBeFocused();
    await expect(page.locator('#scenario')).toBeVisible();
    await axe(page, `the new-run form (${scheme})`);
    await nav.getByRole('link', { name: 'Sweeps' }).click();
    await page.waitForTimeout(500);
    await axe(page, `the sweeps screen (${scheme})`);
    await page.goto(`/#/run/${encodeURIComponent(mmExit)}`);
    await expect(page.getByRole('application').first()).toBeVisible();
    await expect(page.getByText('loading lanes…')).toHaveCount(0, { timeout: 30_000 });
    await page.waitForTimeout(500);
    await axe(page, `the run view (${scheme})`);
    await shot(page, `e2e-12-run-${scheme}`);
    await page.goto(`/#/compare/${encodeURIComponent(mmExit)}/${encodeURIComponent(quiet)}`);
    await expect(page.getByRole('table', { name: 'Metric diff' })).toBeVisible({ timeout: 20_000 });
    await axe(page, `the compare view (${scheme})`);
    await shot(page, `e2e-12-compare-${scheme}`);
  }
  // The archive: Tab reaches the table once, arrows move inside, the next Tab leaves it.
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto('/');
  const grid = page.getByRole('grid', { name: 'Recorded runs' });
  await expect(grid).toBeVisible();
  await grid.locator('[tabindex="0"]').first().focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowRight');
  await expect(grid.locator(':focus')).toHaveCount(1);
  await page.keyboard.press('Tab');
  await expect(grid.locator(':focus')).toHaveCount(0);
});
