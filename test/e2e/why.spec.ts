import { expect, test } from '@playwright/test';
import type { RunListItem } from '../../main/contract';
import { cli, labCall, shot, traceFile } from './helpers';

/**
 * "Why did this happen?" as a user meets it: OOM kill #2 of the mm_exit story (the innocent
 * victim) explained down to the DMA stop, each step a link, the arrows over the lanes, Enter on the
 * timeline, and the compare view's explanation in each run.
 */
const PARAMS = { dmaStopMs: 3000, lockedMemory: 1536 };

async function recorded(request: Parameters<typeof labCall>[0], mmExit: boolean): Promise<RunListItem> {
  const { runId } = await labCall<{ runId: string }>(request, 'startRun', { scenario: 'oom-bound-victim', params: { ...PARAMS, mmExit }, seed: 11 });
  await expect.poll(async () => (await labCall<RunListItem[]>(request, 'listRuns')).find((r) => r.id === runId)?.status, { timeout: 60_000 }).toBe('complete');
  return (await labCall<RunListItem[]>(request, 'listRuns')).find((r) => r.id === runId)!;
}

test('OOM kill #2, selected from the keyboard (arrows, Enter), is explained down to the DMA stop; steps move the cursor', async ({ page, request }) => {
  const run = await recorded(request, true);
  const q = cli<{ rows: number[][] }>('query', traceFile(run.id), "SELECT seq, t_ns FROM events WHERE kind = (SELECT id FROM kinds WHERE name = 'oom_kill') ORDER BY seq");
  expect(q.rows.length).toBeGreaterThanOrEqual(2);
  const [seq, t] = q.rows[1];
  for (const [w, h] of [
    [1600, 1000],
    [1280, 800],
  ]) {
    await page.setViewportSize({ width: w, height: h });
    await page.goto(`/#/run/${encodeURIComponent(run.id)}?t=${t}&from=${t - 200_000_000}&to=${t + 3_200_000_000}`);
    // Keyboard only: onto the events at the kill's time, step back to OOM kill #2, Enter explains it.
    const timeline = page.getByRole('application', { name: /^Timeline of oom-bound-victim/ });
    await timeline.focus();
    const readout = page.locator('.cursor-readout').first();
    await expect(readout).toContainText('cursor');
    await page.keyboard.press('ArrowRight');
    await expect(readout).toContainText(/event \d+/);
    const at = Number(/event (\d+)/.exec((await readout.textContent()) ?? '')?.[1]);
    expect(at).toBeGreaterThanOrEqual(seq);
    for (let i = at; i > seq; i--) {
      await page.keyboard.press('ArrowLeft');
      await expect(readout).toContainText(`event ${i - 1}`);
    }
    await page.keyboard.press('Enter');
    const why = page.getByRole('region', { name: 'Why did this happen?' });
    await expect(why.getByRole('button').first()).toContainText('OOM kill #2: oom_kill_process killed worker');
    await expect(why.getByRole('button', { name: /Memory pinned in mm accel-app:\d+: .* exit_mmap is blocked in release\(\)/ })).toBeVisible();
    const stop = why.getByRole('button', { name: /dma accel0 q0 went STOPPED .*: the DMA stop/ });
    await expect(stop).toBeVisible();
    await why.scrollIntoViewIfNeeded();
    await shot(page, `why-01-kill2-${w}x${h}`);
    // A step is a link: the cursor moves to the DMA stop, the explanation stays.
    await stop.click();
    await expect(page.locator('.cursor-readout').first()).toContainText(/cursor 3\.\d+ s · event \d+/);
    await expect(why.getByRole('button').first()).toContainText('OOM kill #2');
  }
  // Enter again: the event at the cursor (now the DMA stop) is selected and explained.
  await page.getByRole('application', { name: /^Timeline of oom-bound-victim/ }).focus();
  await page.keyboard.press('Enter');
  const why = page.getByRole('region', { name: 'Why did this happen?' });
  await expect(why.getByRole('button').first()).toContainText('dma accel0 q0 went STOPPED');
  await shot(page, 'why-02-enter-dma-stop');
});

test('the compare view explains the same question in each run side by side', async ({ page, request }) => {
  const a = await recorded(request, true);
  const b = await recorded(request, false);
  await page.setViewportSize({ width: 1600, height: 1000 });
  await page.goto(`/#/compare/${encodeURIComponent(a.id)}/${encodeURIComponent(b.id)}?align=oom_kill`);
  await page.getByRole('button', { name: 'Jump to first divergence' }).click();
  const sides = page.getByRole('region', { name: 'Why did this happen, in each run' });
  await expect(sides.getByRole('region', { name: /^A mm_exit: why did this happen\?/ }).getByRole('button').first()).toBeVisible();
  await expect(sides.getByRole('region', { name: /^B quiet: why did this happen\?/ }).getByRole('button').first()).toBeVisible();
  await sides.scrollIntoViewIfNeeded();
  await shot(page, 'why-03-compare-divergence');
});
