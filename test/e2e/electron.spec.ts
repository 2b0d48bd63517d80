import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';

/** Where an Electron binary can be had (ELECTRON_OVERRIDE_DIST_PATH or the electron package). */
function electronPath(): string | null {
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) return path.join(process.env.ELECTRON_OVERRIDE_DIST_PATH, process.platform === 'win32' ? 'electron.exe' : 'electron');
  const probe = spawnSync(process.execPath, ['-e', "process.stdout.write(require('electron'))"], { encoding: 'utf8', timeout: 60_000 });
  return probe.status === 0 && probe.stdout ? probe.stdout : null;
}

const bin = electronPath();

test('the desktop app launches with the secure bridge', async () => {
  test.skip(bin === null, 'No Electron binary on this machine (its download is not possible here); the renderer is tested in Chromium against serve mode instead.');
  const app = await electron.launch({ executablePath: bin as string, args: [path.resolve('.')], env: { ...process.env, SVA_LAB_HOME: process.env.E2E_HOME as string } });
  const win = await app.firstWindow();
  await expect(win.getByRole('navigation', { name: 'Screens' })).toBeVisible();
  // Exactly the LabApi on window.lab; no Node in the page.
  const shape = await win.evaluate(() => {
    const g = globalThis as unknown as { lab?: object; require?: unknown; process?: unknown };
    return { lab: typeof g.lab, require: typeof g.require, process: typeof g.process };
  });
  expect(shape).toEqual({ lab: 'object', require: 'undefined', process: 'undefined' });
  await app.close();
});
