import { expect, test } from '@playwright/test';
import type { DmesgLineDto } from '../../main/contract';
import { cli, labCall, shot } from './helpers';

test.describe.configure({ mode: 'serial' });

let runId = '';

test.beforeAll(() => {
  // Recorded by the CLI into the server's archive.
  const s = cli<{ trace: string }>('run', 'drain-lock-order');
  runId = s.trace.split(/[\\/]/).pop() as string;
});

for (const [w, h] of [[1600, 1000], [1280, 800]] as const) {
  test(`the run view's Kernel log follows the cursor and jumps to a line (${w}x${h})`, async ({ page, request }) => {
    await page.setViewportSize({ width: w, height: h });
    await page.goto('/');
    await page.getByRole('button', { name: /^Open drain-lock-order/ }).first().click();
    const panel = page.getByRole('region', { name: /^Kernel log/ });
    await expect(panel).toBeVisible();
    const lines = panel.getByRole('listitem');
    const dto = await labCall<DmesgLineDto[]>(request, 'dmesg', runId);
    await expect(lines).toHaveCount(dto.length);
    await expect(lines.first()).toHaveText(dto[0].text);
    // The splat's first line: click it, the cursor goes to the event that printed it.
    const warn = lines.filter({ hasText: 'WARNING: possible circular locking dependency detected' });
    await warn.scrollIntoViewIfNeeded();
    await warn.click();
    const current = panel.locator('li[aria-current="true"]');
    await expect(current).toHaveCount(1);
    const seq = dto.find((l) => l.text.includes('WARNING: possible circular'))!.seq;
    await expect(current).toHaveText(dto.filter((l) => l.seq <= seq).pop()!.text);
    await expect(page.getByRole('region', { name: 'Metrics' })).toContainText(/lockdep reports/);
    // The panel keeps the cursor's line in its visible part.
    const box = await panel.locator('.kernel-log-box').boundingBox();
    const cur = await current.boundingBox();
    expect(box && cur && cur.y >= box.y && cur.y + cur.height <= box.y + box.height).toBe(true);
    await panel.scrollIntoViewIfNeeded();
    await page.waitForTimeout(400);
    await shot(page, `e2e-kernel-log-${w}x${h}`);
    // Keyboard: a focused line and Enter moves the cursor to its event.
    const last = lines.last();
    await last.focus();
    await page.keyboard.press('Enter');
    await expect(last).toHaveAttribute('aria-current', 'true');
  });
}
