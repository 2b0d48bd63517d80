import { expect, test } from '@playwright/test';
import type { ModelState, RunListItem } from '../../main/contract';
import { cli, labCall, runs, shot, traceFile } from './helpers';

test.describe.configure({ mode: 'serial' });

// The specs share one server and archive, and earlier files leave runs in it: this file tells the
// story from an empty archive, so it starts by deleting them (through the LabApi, as the UI would).
test.beforeAll(async ({ request }) => {
  for (const r of await runs(request)) await labCall(request, 'deleteRun', r.id);
  expect(await runs(request)).toHaveLength(0);
});

test('the archive starts empty and says what to do', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('navigation', { name: 'Screens' })).toBeVisible();
  await expect(page.getByText(/no runs|empty|nothing recorded/i).first()).toBeVisible();
  await shot(page, 'e2e-01-archive-empty');
});

test('runs the OOM scenario through the form, showing progress, then opens the run', async ({ page, request }) => {
  await page.goto('/');
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'New run' }).click();
  await page.locator('#scenario').selectOption('oom-bound-victim');
  await page.getByLabel(/mm_exit/).first().check();
  const stop = page.getByLabel(/dmaStopMs/);
  await stop.fill('-3');
  await stop.blur();
  await expect(page.getByText(/a number from 0 to 600000 ms/)).toBeVisible();
  await shot(page, 'e2e-02-form-invalid');
  await stop.fill('4000');
  await stop.blur();
  await expect(page.getByText(/a number from 0 to 600000 ms/)).toHaveCount(0);
  await page.getByRole('button', { name: /^Run oom-bound-victim/ }).click();
  const progress = page.getByRole('region', { name: 'Run progress' });
  await expect(progress).toBeVisible();
  await shot(page, 'e2e-03-progress');
  // It opens by itself when done, or offers to.
  const openBtn = progress.getByRole('button', { name: 'Open the run' });
  await expect(page.getByRole('heading', { name: /oom-bound-victim/ }).or(openBtn).first()).toBeVisible({ timeout: 60_000 });
  if (await openBtn.isVisible()) await openBtn.click();
  await expect(page.getByRole('region', { name: 'Timeline' }).or(page.getByRole('application')).first()).toBeVisible();
  await expect(page.getByRole('region', { name: 'Metrics' })).toContainText(/release\(\)/);
  await page.waitForTimeout(800);
  await shot(page, 'e2e-04-run-mm_exit');
  const list: RunListItem[] = await runs(request);
  expect(list).toHaveLength(1);
  expect(list[0].model).toBe('mm_exit');
  expect(list[0].params.dmaStopMs).toBe(4000);
});

test('zooms, scrubs with the keys, and the state panel matches `sva-lab state` at the cursor', async ({ page, request }) => {
  const [run] = await runs(request);
  await page.goto('/');
  await page.getByRole('button', { name: new RegExp(`^Open oom-bound-victim`) }).first().click();
  const canvas = page.getByRole('application').first();
  await expect(canvas).toBeVisible();
  await canvas.focus();
  const cursor = page.getByText(/^cursor /).first();
  // Each key moves the cursor through a server round trip: wait for the label to change.
  const text = async () => (await cursor.textContent()) ?? '';
  const initial = await text();
  await page.keyboard.press('End');
  await expect.poll(text).not.toBe(initial);
  const atEnd = await text();
  await page.keyboard.press('Home');
  await expect.poll(text).not.toBe(atEnd);
  const atStart = await text();
  for (let i = 0; i < 40; i++) await page.keyboard.press('ArrowRight');
  await expect.poll(text).not.toBe(atStart);
  await page.keyboard.press('+');
  await page.keyboard.press('+');
  await page.waitForTimeout(500);
  await shot(page, 'e2e-05-zoomed-scrubbed');
  // The state panel says which event the cursor is on; ask the CLI for the state at that event's time.
  const panel = page.getByRole('complementary', { name: 'Model state' });
  // Wait until the panel has caught up with the cursor (no read in flight).
  await expect(panel.locator('[aria-busy="true"]')).toHaveCount(0);
  const header = await panel.textContent();
  const seq = Number(/after event (\d+)/.exec(header ?? '')?.[1]);
  expect(seq).toBeGreaterThan(0);
  const q = cli<{ rows: unknown[][] }>('query', traceFile(run.id), `SELECT t_ns FROM events WHERE seq = ${seq}`);
  const t = q.rows[0][0] as number;
  const [fromCli] = cli<ModelState[]>('state', traceFile(run.id), '--at', `${t}`);
  const tasks = panel.getByRole('table', { name: 'Tasks' });
  for (const task of fromCli.tasks) {
    const row = tasks.getByRole('row').filter({ hasText: task.name });
    await expect(row.first()).toContainText(task.state);
  }
  expect(await tasks.getByRole('row').count()).toBe(fromCli.tasks.length + 1);
  const viaApi = await labCall<ModelState>(request, 'state', run.id, t);
  expect(viaApi.tasks).toEqual(fromCli.tasks);
});

test('selecting an event shows why it happened, and a cause can be jumped to', async ({ page, request }) => {
  const [run] = await runs(request);
  await page.goto('/');
  await page.getByRole('button', { name: /^Open oom-bound-victim/ }).first().click();
  const kill = await labCall<{ seq: number }>(request, 'findEvent', run.id, 'oom_kill', 0);
  expect(kill.seq).toBeGreaterThan(0);
  const list = page.getByRole('table', { name: 'Events' });
  await expect(list).toBeVisible();
  await list.getByRole('row', { name: /^Event \d+ at / }).nth(2).click();
  const why = page.getByRole('region', { name: /why/i });
  await expect(why.getByRole('button', { name: /move the cursor to event \d+\)$/ }).first()).toBeVisible();
  await shot(page, 'e2e-06-cause-chain');
});

test('a bad file gets one clear message and is not added', async ({ page, request }) => {
  await page.goto('/');
  const before = (await runs(request)).length;
  await page.getByLabel('Import a trace file').setInputFiles({ name: 'not-a-trace.sqlite', mimeType: 'application/octet-stream', buffer: Buffer.from('this is not SQLite') });
  await expect(page.getByText(/not-a-trace\.sqlite.*not an SQLite database/).first()).toBeVisible();
  await shot(page, 'e2e-07-bad-import');
  expect((await runs(request)).length).toBe(before);
});
