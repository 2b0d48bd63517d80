#!/usr/bin/env node
// `npm run bench:ui`: pan and zoom a recorded run in Debian's Chromium against `sva-lab serve` and
// report frame times (draw time of each timeline frame, and the interval between animation frames
// while the user interacts) and the page's JS heap, for a ~1M-event trace and a small one: the
// target is frame p95 <= 16 ms and memory that does not grow with the trace. Measured, not asserted.
/* global window, performance, requestAnimationFrame -- used inside page.evaluate, in the browser */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sva-lab-bench-ui-'));
const env = { ...process.env, SVA_LAB_HOME: home };
const cli = (...args) => JSON.parse(execFileSync(process.execPath, [path.join(root, 'bin/sva-lab.mjs'), ...args, '--json'], { env, encoding: 'utf8' }));
const pct = (v, p) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length ? +s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))].toFixed(2) : null;
};

process.stderr.write('Recording a ~1M-event stress run and a small run…\n');
const big = cli('run', 'stress', '--set', 'events=1000000', '--seed', '1');
const small = cli('run', 'oom-bound-victim', '--set', 'mmExit=true');
const port = 5390 + Math.floor(Math.random() * 100);
const server = spawn(process.execPath, [path.join(root, 'bin/sva-lab.mjs'), 'serve', '--port', String(port)], { env, stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((ok) => server.stdout.once('data', ok));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--enable-precise-memory-info'],
});

async function measure(run) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.addInitScript(() => {
    window.__svaDrawTimes = [];
  });
  await page.goto(`http://127.0.0.1:${port}/#/run/${encodeURIComponent(path.basename(run.trace))}`);
  const canvas = page.getByRole('application').first();
  await canvas.waitFor();
  await page.waitForTimeout(1500);
  const box = await canvas.boundingBox();
  const cx = box.x + box.width / 2;
  const cy = box.y + Math.min(200, box.height / 2);
  await page.evaluate(() => {
    window.__svaDrawTimes.length = 0;
    window.__svaFrames = [];
    let last = performance.now();
    const tick = (t) => {
      window.__svaFrames.push(t - last);
      last = t;
      if (window.__svaFrames.length < 100000) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await page.mouse.move(cx, cy);
  // Zoom in step by step, pan, zoom back out: tiles at every level.
  for (let i = 0; i < 30; i++) {
    await page.mouse.wheel(0, -240);
    await page.waitForTimeout(30);
  }
  for (let i = 0; i < 20; i++) {
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    await page.mouse.move(cx - 200, cy, { steps: 8 });
    await page.mouse.up();
    await page.waitForTimeout(20);
  }
  for (let i = 0; i < 30; i++) {
    await page.mouse.wheel(0, 240);
    await page.waitForTimeout(30);
  }
  await page.waitForTimeout(1000);
  const r = await page.evaluate(() => ({ draw: window.__svaDrawTimes, frames: window.__svaFrames, heap: performance.memory?.usedJSHeapSize ?? null }));
  await page.close();
  return {
    events: run.events,
    drawMs: { n: r.draw.length, p50: pct(r.draw, 50), p95: pct(r.draw, 95), max: pct(r.draw, 100) },
    frameIntervalMs: { n: r.frames.length, p50: pct(r.frames, 50), p95: pct(r.frames, 95) },
    jsHeapMiB: r.heap === null ? null : +(r.heap / 2 ** 20).toFixed(1),
  };
}

try {
  const results = { big: await measure(big), small: await measure(small) };
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n\n`);
  for (const [name, r] of Object.entries(results)) {
    process.stdout.write(
      `${name.padEnd(6)} ${String(r.events).padStart(8)} events: draw p50 ${r.drawMs.p50} ms, p95 ${r.drawMs.p95} ms (${r.drawMs.n} frames); ` +
        `frame interval p50 ${r.frameIntervalMs.p50} ms, p95 ${r.frameIntervalMs.p95} ms; JS heap ${r.jsHeapMiB} MiB\n`,
    );
  }
  process.stdout.write('target: frame time p95 <= 16 ms; JS heap about the same for both traces\n');
} finally {
  await browser.close();
  server.kill('SIGINT');
  fs.rmSync(home, { recursive: true, force: true });
}
