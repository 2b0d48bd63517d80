import os from 'node:os';
import path from 'node:path';
import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests: the built renderer in Debian's Chromium against `sva-lab serve` (the same
 * LabApi the Electron app uses, over HTTP), with a fresh archive. The Electron launch test runs only
 * where an Electron binary exists. Never `npx playwright install`: the download fails here.
 */
const port = Number(process.env.E2E_PORT ?? 5199);
export const E2E_HOME = process.env.E2E_HOME ?? path.join(os.tmpdir(), `sva-lab-e2e-${port}`);
process.env.E2E_HOME = E2E_HOME;
/**
 * The server's session token (serve refuses requests without it): fixed for the run through
 * SVA_LAB_TOKEN, and sent by the browser and by labCall on every request (extraHTTPHeaders), as
 * the cookie set by the printed URL would be.
 */
export const E2E_TOKEN = process.env.E2E_TOKEN ?? `sva-lab-e2e-token-${port}`;
process.env.E2E_TOKEN = E2E_TOKEN;

export default defineConfig({
  testDir: 'test/e2e',
  testMatch: /.*\.spec\.ts$/,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  workers: 1,
  fullyParallel: false,
  retries: 0,
  outputDir: 'test-results/e2e',
  reporter: [['list'], ['json', { outputFile: '.ci-out/playwright.json' }]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    extraHTTPHeaders: { 'x-sva-lab-token': E2E_TOKEN },
    viewport: { width: 1440, height: 900 },
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
  webServer: {
    command: `rm -rf "${E2E_HOME}" && node bin/sva-lab.mjs serve --port ${port}`,
    url: `http://127.0.0.1:${port}/`,
    env: { SVA_LAB_HOME: E2E_HOME, SVA_LAB_TOKEN: E2E_TOKEN },
    reuseExistingServer: false,
    timeout: 180_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
