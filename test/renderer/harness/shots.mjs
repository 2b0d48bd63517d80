#!/usr/bin/env node
// Screenshots of the renderer harness in Debian's Chromium, to look at (not a test).
// Usage: node test/renderer/harness/shots.mjs [outDir] [baseUrl]
//   without baseUrl it serves the harness (fake backend) itself on port 5175; with one (e.g. a
//   running `sva-lab serve` whose archive holds the oom-bound-victim pair) it shoots that.
import { mkdirSync } from 'node:fs';
import { chromium } from '@playwright/test';
import { createServer } from 'vite';

const out = process.argv[2] ?? 'test-results/renderer-shots';
mkdirSync(out, { recursive: true });
const port = 5175;
const external = process.argv[3];
const server = external ? null : await createServer({ configFile: new URL('./vite.config.mjs', import.meta.url).pathname, server: { port } });
await server?.listen();
const base = external ?? `http://127.0.0.1:${port}/`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
page.on('pageerror', (e) => console.error('page error:', e.message));
page.on('console', (m) => {
  if (m.type() === 'error' || m.type() === 'warning') console.error(`console ${m.type()}:`, m.text());
});
const tl0 = (p) => p.getByRole('application');
const shot = async (name) => {
  await page.screenshot({ path: `${out}/${name}.png` });
  console.log(`${out}/${name}.png`);
};

try {
  await page.goto(base);
  await page.getByRole('grid', { name: 'Recorded runs' }).waitFor();
  await shot('01-archive');

  // The mm_exit OOM run.
  await page.getByRole('button', { name: /Open oom-bound-victim \(mm_exit/ }).first().click();
  await page.getByRole('application').waitFor();
  await page.getByText('Tasks', { exact: true }).waitFor();
  await page.waitForTimeout(800);
  await tl0(page).hover({ position: { x: 600, y: 75 } });
  await shot('02-run-mm_exit-fit');

  // Zoom around the trigger with the keyboard, step a few events.
  const tl = page.getByRole('application');
  await tl.evaluate((el) => el.focus({ preventScroll: true }));
  for (let i = 0; i < 6; i++) await page.keyboard.press('ArrowRight');
  await page.waitForTimeout(500);
  await shot('03-run-mm_exit-stepped');
  for (let i = 0; i < 9; i++) await page.keyboard.press('+');
  await page.waitForTimeout(800);
  await shot('04-run-mm_exit-zoomed');

  // The quiet run for contrast.
  await page.goto(base);
  await page.getByRole('button', { name: /Open oom-bound-victim \(quiet/ }).first().click();
  await page.getByRole('application').waitFor();
  await page.waitForTimeout(1000);
  await shot('05-run-quiet-fit');

  // The lockup (if the archive has it).
  await page.goto(base);
  await page.getByRole('grid', { name: 'Recorded runs' }).waitFor();
  const iopf = page.getByRole('button', { name: /Open iopf-last-mmput/ });
  if (await iopf.count()) {
    await iopf.first().click();
    await page.getByRole('application').waitFor();
    await page.waitForTimeout(1500);
    await shot('06-run-iopf-lockup');
  }

  // The form.
  await page.goto(`${base}#/new`);
  await page.locator('#scenario').waitFor();
  await page.getByLabel('dmaStopMs').fill('-5');
  await page.waitForTimeout(600);
  await shot('07-new-run-invalid');
  await page.getByLabel('dmaStopMs').fill('60000');
  await page.getByRole('radio', { name: /mm_exit/ }).check();
  await page.waitForTimeout(400);
  await page.getByRole('button', { name: /^Run / }).click();
  await page.getByText(/events/).first().waitFor();
  await page.waitForTimeout(350);
  await shot('08-new-run-progress');
  await page.getByRole('application').waitFor({ timeout: 15000 });
  await page.waitForTimeout(800);
  await shot('09-new-run-opened');

  // Empty archive (the fake only).
  if (!external) {
    await page.goto(`${base}?empty=1#/archive`);
    await page.getByText('The archive is empty').waitFor();
    await shot('10-archive-empty');
  }
} finally {
  await browser.close();
  await server?.close();
}
